// DocumentCache: public documents (Open311 discovery and services, the public map, the
// evidence purposes, a month's figures) rendered once per revision of what they are made
// from, and served as the stored bytes, so that a client polling them costs a lookup, not a
// JSON or XML rendering. Each answer carries an ETag (a hash of the bytes) and
// `Cache-Control: public, max-age=N`; a request whose If-None-Match names the current ETag
// gets 304 with no body.
//
// The revision is the caller's promise: any change to what the document shows changes it
// (the district's revision, the change log's last seq). Only 200 answers are kept; errors
// are rendered every time. Variants (one per format and query string) are bounded: past
// kMaxVariants the cache starts afresh, so hostile query strings cannot grow it.
//
// Thread-safe: Serve may run on any thread; a render runs outside the lock (two threads
// may render one new revision at once; both answers are right).
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>

#include "api/http.h"

namespace gb::http {

// How long clients may keep a public document: one made from the district alone changes
// only with an admin's edit; one with live data (open incidents, this month's figures) soon.
inline constexpr std::chrono::seconds kDistrictDocumentMaxAge{60};
inline constexpr std::chrono::seconds kLiveDocumentMaxAge{5};

class DocumentCache {
 public:
  using Revision = std::pair<std::uint64_t, std::uint64_t>;
  static constexpr std::size_t kMaxVariants = 256;

  // Answers `req` with the document `variant` at `revision`: the stored answer, or
  // `render()` (stored when it is a 200).
  Response Serve(const Request& req, std::string_view variant, Revision revision, std::chrono::seconds max_age,
                 const std::function<Response()>& render);

 private:
  struct Entry {
    Revision revision;
    std::string etag;
    Response response;  // status 200, with its ETag and Cache-Control
  };
  std::mutex mu_;
  std::unordered_map<std::string, Entry> entries_;
};

}  // namespace gb::http
