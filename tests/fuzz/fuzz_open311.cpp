// Open311 POST bodies and GET filters on untrusted input: ReadPostBody (form-encoded and
// multipart), ParseNewRequest on the fields it returns, ParseRequestQuery and the store
// filter made from it. Input: the Content-Type header, '\n', then the body.
// Properties: the body limits hold (a multipart body has at most max_parts fields); a parsed query's page and page size are within range.
#include <string>

#include "api/open311/parse.h"
#include "fuzz_input.h"

using namespace gb;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto f = fuzz::Fields(fuzz::AsText(data, size), '\n', 2);
  std::string_view content_type = f[0], body = f[1];
  const Limits limits;  // the hub's defaults

  auto post = open311::ReadPostBody(content_type, body, limits);
  if (post.ok()) {
    fuzz::Require(!post->media || (!post->media->empty() && post->media->size() <= limits.images.max_bytes),
                  "a media part is empty or over its limit");
    auto media_type = http::ParseMediaType(content_type);
    if (media_type.ok() && media_type->type == "multipart/form-data")
      fuzz::Require(post->fields.size() <= limits.max_form_parts, "more fields than parts are allowed");
    auto request = open311::ParseNewRequest(post->fields);
    if (request.ok()) {
      fuzz::Require(request->lat >= -90 && request->lat <= 90 && request->lon >= -180 && request->lon <= 180,
                    "a request outside WGS84's range was accepted");
      fuzz::Require(request->description.size() <= 4 * open311::kMaxDescriptionChars,
                    "a description over the limit was accepted");
    }
  }

  if (auto params = http::ParseForm(body)) {
    auto query = open311::ParseRequestQuery(*params);
    if (query.ok()) {
      fuzz::Require(query->page >= 1 && query->page <= open311::kMaxPage, "page out of range");
      fuzz::Require(query->page_size >= 1 && query->page_size <= open311::kMaxPageSize, "page_size out of range");
      fuzz::Require(query->ids.size() <= open311::kMaxIdsPerQuery, "too many ids");
      ReportFilter filter = open311::ToReportFilter(*query, 1'764'000'000'000);
      fuzz::Require(filter.offset >= 0 && filter.limit >= 1, "a filter with a negative offset or no limit");
      if (filter.start != 0 && filter.end != 0) fuzz::Require(filter.start <= filter.end, "a filter that ends before it starts");
    }
    (void)open311::CheckJurisdiction(*params, "riverside.example");
  }
  return 0;
}
