#include "cli/static_files.h"

#include <filesystem>
#include <fstream>
#include <sstream>

namespace gb {
namespace {

std::string ContentType(const std::string& path) {
  auto ext = std::filesystem::path(path).extension().string();
  if (ext == ".html") return "text/html; charset=utf-8";
  if (ext == ".js" || ext == ".mjs") return "text/javascript; charset=utf-8";
  if (ext == ".css") return "text/css; charset=utf-8";
  if (ext == ".json" || ext == ".webmanifest") return "application/json";
  if (ext == ".geojson") return "application/geo+json";
  if (ext == ".svg") return "image/svg+xml";
  if (ext == ".png") return "image/png";
  if (ext == ".jpg") return "image/jpeg";
  if (ext == ".pbf") return "application/x-protobuf";
  return "application/octet-stream";
}

}  // namespace

http::Handler StaticFiles(std::string dir) {
  return [dir = std::move(dir)](http::Request& req) {
    std::string rel = req.path == "/" ? "/index.html" : req.path;
    if (rel.find("..") != std::string::npos || rel.find('\0') != std::string::npos || rel.find("//") != std::string::npos)
      return http::JsonError(400, "bad path");
    std::string full = dir + rel;
    std::error_code ec;
    if (!std::filesystem::is_regular_file(full, ec)) return http::JsonError(404, "no such page: " + req.path);
    std::ifstream in(full, std::ios::binary);
    std::ostringstream ss;
    ss << in.rdbuf();
    http::Response r;
    r.content_type = ContentType(full);
    r.body = ss.str();
    r.SetHeader("Cache-Control", "no-cache");
    r.SetHeader("X-Content-Type-Options", "nosniff");
    return r;
  };
}

}  // namespace gb
