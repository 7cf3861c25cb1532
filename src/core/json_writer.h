// JsonWriter: appends compact JSON text to a string, for the few documents written often
// enough that building an nlohmann::json tree first costs more than the rest of the work
// (an incident's change record on every ingested batch, the per-item answer of a batch).
//
// The caller writes a well-formed sequence: Key() only directly inside an object, every
// Begin matched by its End. Commas are placed by the writer. Strings must be valid UTF-8
// (they came through the JSON parser or the configuration loader); '"', '\\' and control
// characters are escaped, everything else is copied. Doubles are written in the shortest
// form that reads back to the same value; NaN and infinities, which JSON cannot hold, are
// written as null.
//
// Not thread-safe; cheap to create.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace gb {

class JsonWriter {
 public:
  explicit JsonWriter(std::string& out) : out_(out) {}

  JsonWriter& BeginObject() { return Open('{'); }
  JsonWriter& EndObject() { return Close('}'); }
  JsonWriter& BeginArray() { return Open('['); }
  JsonWriter& EndArray() { return Close(']'); }

  JsonWriter& Key(std::string_view key);
  JsonWriter& String(std::string_view value);
  JsonWriter& Int(std::int64_t value);
  JsonWriter& Double(double value);
  JsonWriter& Bool(bool value);
  JsonWriter& Null();

 private:
  JsonWriter& Open(char c);
  JsonWriter& Close(char c);
  void Separate();  // a comma before every value of an array or member of an object but the first
  void AppendString(std::string_view s);

  std::string& out_;
  bool first_ = true;      // nothing written yet at the current nesting level
  bool after_key_ = false;  // the next value completes a member
};

}  // namespace gb
