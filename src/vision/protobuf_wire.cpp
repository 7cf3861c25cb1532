#include "vision/protobuf_wire.h"

#include <cstring>

namespace gb::protobuf {

bool ReadVarint(std::string_view b, size_t& pos, uint64_t& out) {
  out = 0;
  for (int shift = 0; shift < 64; shift += 7) {
    if (pos >= b.size()) return false;
    const auto byte = static_cast<uint8_t>(b[pos++]);
    out |= static_cast<uint64_t>(byte & 0x7F) << shift;
    if ((byte & 0x80) == 0) return true;
  }
  return false;
}

void Writer::RawVarint(uint64_t value) {
  while (value >= 0x80) {
    out_.push_back(static_cast<char>((value & 0x7F) | 0x80));
    value >>= 7;
  }
  out_.push_back(static_cast<char>(value));
}

void Writer::Key(uint32_t field, WireType type) {
  RawVarint((static_cast<uint64_t>(field) << 3) | static_cast<uint64_t>(type));
}

void Writer::Varint(uint32_t field, uint64_t value) {
  Key(field, kVarint);
  RawVarint(value);
}

void Writer::Float(uint32_t field, float value) {
  Key(field, kFixed32);
  uint32_t bits = 0;
  std::memcpy(&bits, &value, sizeof bits);
  for (int i = 0; i < 4; ++i) out_.push_back(static_cast<char>((bits >> (8 * i)) & 0xFF));
}

void Writer::Bytes(uint32_t field, std::string_view value) {
  Key(field, kLengthDelimited);
  RawVarint(value.size());
  out_.append(value);
}

void Writer::PackedInts(uint32_t field, const std::vector<int64_t>& values) {
  Writer packed;
  for (int64_t v : values) packed.RawVarint(static_cast<uint64_t>(v));
  Bytes(field, packed.bytes());
}

}  // namespace gb::protobuf
