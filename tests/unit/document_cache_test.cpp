// DocumentCache: a public document is rendered once per revision and served as the stored
// bytes with an ETag; If-None-Match gets 304; errors are never kept; variants are bounded.
#include <gtest/gtest.h>

#include "api/document_cache.h"

namespace gb::http {
namespace {

std::string HeaderOf(const Response& r, std::string_view name) {
  for (const auto& [k, v] : r.headers)
    if (k == name) return v;
  return "";
}

Request Get(std::string if_none_match = "") {
  Request req;
  req.method = "GET";
  req.path = "/doc";
  if (!if_none_match.empty()) req.headers.emplace_back("if-none-match", std::move(if_none_match));
  return req;
}

TEST(DocumentCache, RendersOncePerRevisionAndAnswersIfNoneMatchWith304) {
  DocumentCache cache;
  int renders = 0;
  std::string text = "{\"v\":1}";
  auto render = [&] {
    ++renders;
    return Json(200, text);
  };
  Response first = cache.Serve(Get(), "doc", {1, 0}, std::chrono::seconds(60), render);
  Response second = cache.Serve(Get(), "doc", {1, 0}, std::chrono::seconds(60), render);
  EXPECT_EQ(renders, 1);
  EXPECT_EQ(second.body, text);
  const std::string etag = HeaderOf(first, "ETag");
  ASSERT_EQ(etag.size(), 34u) << etag;
  EXPECT_EQ(HeaderOf(second, "ETag"), etag);
  EXPECT_EQ(HeaderOf(second, "Cache-Control"), "public, max-age=60");

  for (const std::string& header : {etag, "W/" + etag, "\"other\", " + etag, std::string("*")}) {
    Response r = cache.Serve(Get(header), "doc", {1, 0}, std::chrono::seconds(60), render);
    EXPECT_EQ(r.status, 304) << header;
    EXPECT_TRUE(r.body.empty());
    EXPECT_EQ(HeaderOf(r, "ETag"), etag);
  }
  EXPECT_EQ(cache.Serve(Get("\"other\""), "doc", {1, 0}, std::chrono::seconds(60), render).status, 200);

  // A new revision renders again; the same bytes keep their ETag, new bytes get a new one.
  Response same = cache.Serve(Get(etag), "doc", {1, 1}, std::chrono::seconds(60), render);
  EXPECT_EQ(renders, 2);
  EXPECT_EQ(same.status, 304) << "unchanged bytes, unchanged ETag";
  text = "{\"v\":2}";
  Response changed = cache.Serve(Get(etag), "doc", {2, 1}, std::chrono::seconds(60), render);
  EXPECT_EQ(changed.status, 200);
  EXPECT_EQ(changed.body, text);
  EXPECT_NE(HeaderOf(changed, "ETag"), etag);
}

TEST(DocumentCache, ErrorsAreRenderedEveryTimeAndVariantsAreBounded) {
  DocumentCache cache;
  int renders = 0;
  auto failing = [&] {
    ++renders;
    return JsonError(400, "bad month");
  };
  for (int i = 0; i < 3; ++i) EXPECT_EQ(cache.Serve(Get(), "bad", {1, 0}, std::chrono::seconds(5), failing).status, 400);
  EXPECT_EQ(renders, 3);

  renders = 0;
  auto ok = [&] {
    ++renders;
    return Json(200, "{}");
  };
  for (std::size_t i = 0; i < 3 * DocumentCache::kMaxVariants; ++i)
    (void)cache.Serve(Get(), "variant-" + std::to_string(i), {1, 0}, std::chrono::seconds(5), ok);
  EXPECT_EQ(renders, static_cast<int>(3 * DocumentCache::kMaxVariants));
  (void)cache.Serve(Get(), "variant-" + std::to_string(3 * DocumentCache::kMaxVariants - 1), {1, 0},
                    std::chrono::seconds(5), ok);
  EXPECT_EQ(renders, static_cast<int>(3 * DocumentCache::kMaxVariants)) << "the newest variant is still kept";
}

}  // namespace
}  // namespace gb::http
