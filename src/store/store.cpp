#include "store/store.h"

#include "store/sqlite/sqlite_store.h"

namespace gb {

std::string_view ConfigKindName(ConfigKind k) {
  switch (k) {
    case ConfigKind::kArea: return "area";
    case ConfigKind::kCamera: return "camera";
    case ConfigKind::kDepartment: return "department";
    case ConfigKind::kRoutingRule: return "routing_rule";
    case ConfigKind::kService: return "service";
    case ConfigKind::kSensor: return "sensor";
    case ConfigKind::kSetting: return "setting";
    case ConfigKind::kSla: return "sla";
    case ConfigKind::kResponseTemplate: return "response_template";
    case ConfigKind::kEvidencePurpose: return "evidence_purpose";
  }
  return "unknown";
}

std::string SqlitePathOf(const std::string& url) {
  constexpr std::string_view kSqlite = "sqlite:";
  if (!url.starts_with(kSqlite)) return "";
  std::string path = url.substr(kSqlite.size());
  // "sqlite:///var/lib/x.db" is accepted as the usual URL spelling of "sqlite:/var/lib/x.db".
  if (path.starts_with("//")) path.erase(0, 2);
  return path;
}

Result<std::unique_ptr<Store>> OpenStore(const std::string& url, Env* env) {
  if (url.starts_with("sqlite:")) {
    std::string path = SqlitePathOf(url);
    if (path.empty()) return Status::Invalid("the store URL 'sqlite:' needs a file path, e.g. sqlite:data/glassbrain.db");
    if (path == ":memory:" || path.starts_with("file:"))
      return Status::Invalid("the store URL '" + url + "' must name a plain file path, e.g. sqlite:data/glassbrain.db");
    SqliteStore::Options options;
    options.env = env;
    auto store = SqliteStore::Open(path, options);
    if (!store.ok()) return store.status();
    return std::unique_ptr<Store>(std::move(*store));
  }
  auto colon = url.find(':');
  if (colon == std::string::npos)
    return Status::Invalid("the store URL '" + url + "' has no scheme; use sqlite:PATH");
  std::string scheme = url.substr(0, colon);
  // Not the URL itself: it may carry a password.
  return Status::Invalid("unknown store URL scheme '" + scheme + "'; use sqlite:PATH");
}

}  // namespace gb
