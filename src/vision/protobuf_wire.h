// Just enough of the protobuf wire format to read and write the model files the detectors
// use (ONNX for the face model, TensorFlow GraphDef for the object detector), without the
// protobuf library or the frameworks' schemas: fields are addressed by number.
//
// Reading works on offsets into one buffer, so that a caller can patch a field in place.
// Every reader bounds-checks the bytes it walks and reports malformed input as false.
// Thread-safety: free functions are thread-safe; a Writer is a plain value (one thread at a
// time).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace gb::protobuf {

enum WireType : int { kVarint = 0, kFixed64 = 1, kLengthDelimited = 2, kFixed32 = 5 };

struct Field {
  uint32_t number = 0;
  int wire_type = 0;
  uint64_t varint = 0;        // wire type 0
  size_t begin = 0, end = 0;  // payload of wire types 1, 2 and 5, as offsets into the buffer
};

// Reads a varint at b[pos], advancing pos; false when truncated or longer than 10 bytes.
bool ReadVarint(std::string_view b, size_t& pos, uint64_t& out);

// Calls fn(const Field&) -> bool for every field of the message in b[begin, end), stopping
// (and returning false) when fn does; false when the bytes are malformed. Groups (wire types
// 3 and 4) count as malformed: none of the formats read here uses them.
template <typename Fn>
bool ForEachField(std::string_view b, size_t begin, size_t end, Fn&& fn) {
  if (end > b.size() || begin > end) return false;
  const std::string_view m = b.substr(0, end);
  size_t pos = begin;
  while (pos < end) {
    uint64_t key = 0;
    if (!ReadVarint(m, pos, key)) return false;
    Field f;
    f.number = static_cast<uint32_t>(key >> 3);
    f.wire_type = static_cast<int>(key & 7);
    size_t len = 0;
    switch (f.wire_type) {
      case kVarint:
        if (!ReadVarint(m, pos, f.varint)) return false;
        break;
      case kFixed64:
        len = 8;
        break;
      case kLengthDelimited: {
        uint64_t n = 0;
        if (!ReadVarint(m, pos, n) || n > end - pos) return false;
        len = static_cast<size_t>(n);
        break;
      }
      case kFixed32:
        len = 4;
        break;
      default:
        return false;
    }
    if (f.wire_type != kVarint) {
      if (end - pos < len) return false;
      f.begin = pos;
      f.end = pos + len;
      pos = f.end;
    }
    if (!fn(f)) return false;
  }
  return true;
}

// The payload of a field as bytes.
inline std::string_view Payload(std::string_view b, const Field& f) {
  return b.substr(f.begin, f.end - f.begin);
}

// Builds one message. Fields are appended in call order; nested messages are written by
// building them in their own Writer and adding them with Message().
class Writer {
 public:
  void Varint(uint32_t field, uint64_t value);
  // int32/int64 fields: negative values take ten bytes, as protobuf writes them.
  void Int(uint32_t field, int64_t value) { Varint(field, static_cast<uint64_t>(value)); }
  void Bool(uint32_t field, bool value) { Varint(field, value ? 1 : 0); }
  void Float(uint32_t field, float value);
  void Bytes(uint32_t field, std::string_view value);
  void Message(uint32_t field, const Writer& message) { Bytes(field, message.bytes()); }
  // A packed repeated field of int32/int64 values.
  void PackedInts(uint32_t field, const std::vector<int64_t>& values);

  const std::string& bytes() const { return out_; }
  std::string Take() { return std::move(out_); }

 private:
  void Key(uint32_t field, WireType type);
  void RawVarint(uint64_t value);
  std::string out_;
};

}  // namespace gb::protobuf
