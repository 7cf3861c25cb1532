#include "cli/static_files.h"

#include <algorithm>
#include <array>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace gb {
namespace {

namespace fs = std::filesystem;

void AddSecurityHeaders(http::Response& r) {
  for (const auto& [name, value] : kPageSecurityHeaders) r.SetHeader(std::string(name), std::string(value));
}

http::Response Page(int status, std::string_view title, std::string_view text) {
  http::Response r;
  r.status = status;
  r.content_type = "text/html; charset=utf-8";
  r.body = "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>" + std::string(title) +
           "</title></head><body><h1>" + std::string(title) + "</h1><p>" + std::string(text) + "</p></body></html>\n";
  AddSecurityHeaders(r);
  return r;
}

http::Response NotInstalled() {
  return Page(503, "The web pages are not installed",
              "This hub serves its API, but its web pages have not been built. Build them with scripts/build.sh "
              "(which bundles web/ into web/dist) or point paths.web_dir at the built pages.");
}

// The path part of the request target as sent (still percent-encoded), for redirects.
std::string_view RawPath(const http::Request& req) {
  std::string_view target = req.target;
  return target.substr(0, target.find('?'));
}

bool Inside(const fs::path& file, const fs::path& root) {
  std::error_code ec;
  fs::path real = fs::canonical(file, ec);
  if (ec) return false;
  auto [r, f] = std::mismatch(root.begin(), root.end(), real.begin(), real.end());
  return r == root.end();
}

}  // namespace

std::string_view ContentTypeOf(std::string_view file_name) {
  static constexpr std::array<std::pair<std::string_view, std::string_view>, 20> kTypes = {{
      {".html", "text/html; charset=utf-8"},
      {".js", "text/javascript; charset=utf-8"},
      {".mjs", "text/javascript; charset=utf-8"},
      {".css", "text/css; charset=utf-8"},
      {".json", "application/json"},
      {".map", "application/json"},
      {".webmanifest", "application/manifest+json"},
      {".geojson", "application/geo+json"},
      {".txt", "text/plain; charset=utf-8"},
      {".svg", "image/svg+xml"},
      {".png", "image/png"},
      {".jpg", "image/jpeg"},
      {".jpeg", "image/jpeg"},
      {".webp", "image/webp"},
      {".ico", "image/x-icon"},
      {".woff2", "font/woff2"},
      {".woff", "font/woff"},
      {".ttf", "font/ttf"},
      {".wasm", "application/wasm"},
      {".pbf", "application/x-protobuf"},
  }};
  size_t dot = file_name.rfind('.');
  size_t slash = file_name.rfind('/');
  if (dot != std::string_view::npos && (slash == std::string_view::npos || dot > slash)) {
    std::string_view ext = file_name.substr(dot);
    for (const auto& [e, type] : kTypes)
      if (e == ext) return type;
  }
  return "application/octet-stream";
}

http::Handler StaticFiles(std::string dir) {
  return [dir = std::move(dir)](http::Request& req) {
    const std::string& path = req.path;
    if (path.starts_with("/api/")) return http::JsonError(404, "no such endpoint: " + path);  // never a page
    std::error_code ec;
    if (!fs::is_directory(dir, ec)) return NotInstalled();
    if (path.empty() || path[0] != '/' || path.find("..") != std::string::npos ||
        path.find("//") != std::string::npos || path.find('\\') != std::string::npos ||
        path.find('\0') != std::string::npos) {
      http::Response r = http::JsonError(400, "bad path");
      AddSecurityHeaders(r);
      return r;
    }
    fs::path full = fs::path(dir) / path.substr(1);
    if (path.back() == '/') {
      full /= "index.html";
    } else if (fs::is_directory(full, ec)) {
      http::Response r;
      r.status = 301;
      r.content_type = "text/plain; charset=utf-8";
      std::string location = std::string(RawPath(req)) + "/";
      if (!req.query.empty()) location += "?" + req.query;
      r.SetHeader("Location", location);
      r.body = "moved to " + location + "\n";
      AddSecurityHeaders(r);
      return r;
    }
    fs::path root = fs::canonical(dir, ec);
    if (ec || !fs::is_regular_file(full, ec) || !Inside(full, root)) {
      http::Response r = http::JsonError(404, "no such page: " + req.path);
      AddSecurityHeaders(r);
      return r;
    }
    auto size = fs::file_size(full, ec);
    auto mtime = fs::last_write_time(full, ec).time_since_epoch().count();
    std::string etag = "\"" + std::to_string(size) + "-" + std::to_string(mtime) + "\"";
    http::Response r;
    r.content_type = std::string(ContentTypeOf(full.filename().string()));
    r.SetHeader("Cache-Control", "no-cache");
    r.SetHeader("ETag", etag);
    AddSecurityHeaders(r);
    if (req.Header("if-none-match") == etag) {
      r.status = 304;
      return r;
    }
    std::ifstream in(full, std::ios::binary);
    std::ostringstream ss;
    ss << in.rdbuf();
    if (!in && !in.eof()) return Page(500, "The page cannot be read", "Try again later.");
    r.body = ss.str();
    return r;
  };
}

}  // namespace gb
