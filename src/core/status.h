// Status and Result<T>: errors that callers handle are values, not exceptions.
//
// A Status carries a Code (mapped to an HTTP status at the API boundary) and a message
// meant for the person who sent the input: it says what was wrong and, where possible,
// how to fix it. Result<T> is either a T or a non-OK Status. Both are cheap to move and
// safe to use from any thread (they own their data).
#pragma once

#include <cassert>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace gb {

enum class Code {
  kOk = 0,
  kInvalid,          // bad input: 400 / 422
  kNotFound,         // 404
  kConflict,         // illegal state transition, duplicate name: 409
  kUnauthenticated,  // 401
  kForbidden,        // 403
  kTooLarge,         // 413
  kUnsupported,      // 415
  kRateLimited,      // 429
  kUnavailable,      // store or dependency down: 503
  kNoSpace,          // the disk is full: 507; like kUnavailable, retrying later may work
  kInternal,         // a bug or an unexpected OS failure: 500
};

class [[nodiscard]] Status {
 public:
  Status() = default;
  Status(Code code, std::string message) : code_(code), message_(std::move(message)) {}

  static Status Ok() { return {}; }
  static Status Invalid(std::string m) { return {Code::kInvalid, std::move(m)}; }
  static Status NotFound(std::string m) { return {Code::kNotFound, std::move(m)}; }
  static Status Conflict(std::string m) { return {Code::kConflict, std::move(m)}; }
  static Status Unauthenticated(std::string m) { return {Code::kUnauthenticated, std::move(m)}; }
  static Status Forbidden(std::string m) { return {Code::kForbidden, std::move(m)}; }
  static Status TooLarge(std::string m) { return {Code::kTooLarge, std::move(m)}; }
  static Status Unsupported(std::string m) { return {Code::kUnsupported, std::move(m)}; }
  static Status RateLimited(std::string m) { return {Code::kRateLimited, std::move(m)}; }
  static Status Unavailable(std::string m) { return {Code::kUnavailable, std::move(m)}; }
  static Status NoSpace(std::string m) { return {Code::kNoSpace, std::move(m)}; }
  static Status Internal(std::string m) { return {Code::kInternal, std::move(m)}; }

  bool ok() const { return code_ == Code::kOk; }
  Code code() const { return code_; }
  const std::string& message() const { return message_; }

 private:
  Code code_ = Code::kOk;
  std::string message_;
};

// Either a value or an error. REQUIRES: value() only when ok(), status() only when !ok()
// (status() on an ok Result returns an OK Status).
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}                 // NOLINT: implicit by design
  Result(Status status) : v_(std::move(status)) { assert(!std::get<Status>(v_).ok()); }  // NOLINT

  bool ok() const { return std::holds_alternative<T>(v_); }
  explicit operator bool() const { return ok(); }
  T& value() & { return std::get<T>(v_); }
  const T& value() const& { return std::get<T>(v_); }
  // By value, so that `for (auto& x : Read().value())` keeps what it walks alive.
  T value() && { return std::get<T>(std::move(v_)); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  Status status() const { return ok() ? Status::Ok() : std::get<Status>(v_); }

 private:
  std::variant<T, Status> v_;
};

// `s` with "<context>: " before its message, code unchanged; OK stays OK.
inline Status WithContext(const Status& s, std::string_view context) {
  if (s.ok()) return s;
  return Status(s.code(), std::string(context) + ": " + s.message());
}

inline Status ToStatus(const Status& s) { return s; }
template <typename T>
Status ToStatus(const Result<T>& r) { return r.status(); }

}  // namespace gb

// Propagates a non-OK Status or Result from the current function.
#define GB_RETURN_IF_ERROR(expr)                                     \
  do {                                                               \
    auto&& gb_result_ = (expr);                                      \
    if (!gb_result_.ok()) return ::gb::ToStatus(gb_result_);         \
  } while (0)
