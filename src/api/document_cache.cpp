#include "api/document_cache.h"

#include "core/sha256.h"

namespace gb::http {
namespace {

// True when an If-None-Match list names `etag` (or is "*"). Weak and strong forms match
// alike, as RFC 9110 has it for GET.
bool Matches(std::string_view if_none_match, std::string_view etag) {
  if (if_none_match.empty()) return false;
  while (!if_none_match.empty()) {
    size_t comma = if_none_match.find(',');
    std::string_view tag = if_none_match.substr(0, comma);
    while (!tag.empty() && (tag.front() == ' ' || tag.front() == '\t')) tag.remove_prefix(1);
    while (!tag.empty() && (tag.back() == ' ' || tag.back() == '\t')) tag.remove_suffix(1);
    if (tag.starts_with("W/")) tag.remove_prefix(2);
    if (tag == "*" || tag == etag) return true;
    if (comma == std::string_view::npos) break;
    if_none_match.remove_prefix(comma + 1);
  }
  return false;
}

Response NotModified(const std::string& etag, const std::string& cache_control) {
  Response r;
  r.status = 304;
  r.content_type.clear();
  r.SetHeader("ETag", etag);
  r.SetHeader("Cache-Control", cache_control);
  return r;
}

}  // namespace

Response DocumentCache::Serve(const Request& req, std::string_view variant, Revision revision,
                              std::chrono::seconds max_age, const std::function<Response()>& render) {
  const std::string cache_control = "public, max-age=" + std::to_string(max_age.count());
  {
    std::lock_guard lock(mu_);
    auto it = entries_.find(std::string(variant));
    if (it != entries_.end() && it->second.revision == revision) {
      if (Matches(req.Header("if-none-match"), it->second.etag)) return NotModified(it->second.etag, cache_control);
      return it->second.response;
    }
  }
  Response fresh = render();
  if (fresh.status != 200 || fresh.stream) return fresh;
  // 16 bytes of SHA-256 name the bytes well enough for a cache, and keep the header short.
  std::string etag = "\"" + Sha256Hex(fresh.body).substr(0, 32) + "\"";
  fresh.SetHeader("ETag", etag);
  fresh.SetHeader("Cache-Control", cache_control);
  const bool not_modified = Matches(req.Header("if-none-match"), etag);
  {
    std::lock_guard lock(mu_);
    if (entries_.size() >= kMaxVariants && !entries_.count(std::string(variant))) entries_.clear();
    entries_[std::string(variant)] = Entry{revision, etag, fresh};
  }
  if (not_modified) return NotModified(etag, cache_control);
  return fresh;
}

}  // namespace gb::http
