#include "cli/config.h"

#include <toml++/toml.h>

#include <charconv>
#include <set>
#include <vector>

namespace gb {
namespace {

// 1e+06 would read badly in a message; limits are whole numbers.
std::string Number(double v) { return std::to_string(static_cast<long long>(v)); }

template <typename T>
Status Read(const toml::table& t, const std::string& table, const char* key, T& out, double min, double max) {
  const toml::node* node = t.get(key);
  if (!node) return Status::Ok();
  std::string name = table + "." + key;
  if constexpr (std::is_same_v<T, std::string>) {
    auto v = node->value<std::string>();
    if (!v) return Status::Invalid(name + " must be a string");
    out = *v;
  } else if constexpr (std::is_same_v<T, std::vector<std::string>>) {
    const toml::array* a = node->as_array();
    if (!a) return Status::Invalid(name + " must be an array of strings");
    std::vector<std::string> items;
    for (const auto& item : *a) {
      auto v = item.value<std::string>();
      if (!v) return Status::Invalid(name + " must be an array of strings");
      items.push_back(*v);
    }
    out = std::move(items);
  } else if constexpr (std::is_same_v<T, bool>) {
    auto v = node->value<bool>();
    if (!v) return Status::Invalid(name + " must be true or false");
    out = *v;
  } else {
    auto v = node->value<double>();
    if (!v || *v < min || *v > max)
      return Status::Invalid(name + " must be a number from " + Number(min) + " to " + Number(max));
    out = static_cast<T>(*v);
  }
  return Status::Ok();
}

Status CheckKeys(const toml::table& t, const std::string& table, std::set<std::string> known) {
  for (const auto& [k, v] : t)
    if (!known.count(std::string(k.str())))
      return Status::Invalid("unknown key " + (table.empty() ? "" : table + ".") + std::string(k.str()) +
                             " (see docs/config.md)");
  return Status::Ok();
}

}  // namespace

Status ParseListen(const std::string& listen, HubOptions& o) {
  size_t colon = listen.rfind(':');
  if (colon == std::string::npos || colon == 0) return Status::Invalid("--listen must be HOST:PORT, e.g. 127.0.0.1:8080");
  int port = -1;
  auto [end, ec] = std::from_chars(listen.data() + colon + 1, listen.data() + listen.size(), port);
  if (ec != std::errc() || end != listen.data() + listen.size() || port < 0 || port > 65535)
    return Status::Invalid("the port in --listen must be a number from 0 to 65535");
  std::string host = listen.substr(0, colon);
  if (host.size() > 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  o.server.host = host;
  o.server.port = static_cast<std::uint16_t>(port);
  return Status::Ok();
}

Status LoadConfigFile(const std::string& path, HubOptions& o) {
  toml::table root;
  try {
    root = toml::parse_file(path);
  } catch (const toml::parse_error& e) {
    return Status::Invalid("config " + path + ": " + std::string(e.description()) + " at line " +
                           std::to_string(e.source().begin.line));
  }
  GB_RETURN_IF_ERROR(
      CheckKeys(root, "", {"server", "store", "correlation", "open311", "api", "retention", "paths", "sessions", "mqtt"}));
  for (const auto& [name, node] : root)
    if (!node.is_table()) return Status::Invalid("config " + path + ": " + std::string(name.str()) + " must be a table");
  auto table = [&](const char* name) -> const toml::table& {
    static const toml::table kEmpty;
    const toml::table* t = root[name].as_table();
    return t ? *t : kEmpty;
  };
  const auto& server = table("server");
  GB_RETURN_IF_ERROR(CheckKeys(server, "server",
                               {"listen", "threads", "blocking_threads", "max_connections", "max_body_bytes",
                                "idle_timeout_s", "header_timeout_s", "min_body_rate_bytes_s", "write_timeout_s",
                                "shutdown_grace_s", "secure_cookies", "trusted_proxies"}));
  std::string listen;
  GB_RETURN_IF_ERROR(Read(server, "server", "listen", listen, 0, 0));
  if (!listen.empty()) GB_RETURN_IF_ERROR(ParseListen(listen, o));
  GB_RETURN_IF_ERROR(Read(server, "server", "threads", o.server.threads, 0, 256));
  GB_RETURN_IF_ERROR(Read(server, "server", "blocking_threads", o.server.blocking_threads, 0, 1024));
  GB_RETURN_IF_ERROR(Read(server, "server", "max_connections", o.server.max_connections, 1, 1 << 20));
  GB_RETURN_IF_ERROR(Read(server, "server", "max_body_bytes", o.api.limits.max_body_bytes, 1024, 1 << 30));
  GB_RETURN_IF_ERROR(Read(server, "server", "min_body_rate_bytes_s", o.server.min_body_rate_bytes_s, 1, 1 << 30));
  auto seconds = [&](const char* key, std::chrono::seconds& value, int lo, int hi) {
    double v = static_cast<double>(value.count());
    Status s = Read(server, "server", key, v, lo, hi);
    value = std::chrono::seconds(static_cast<int>(v));
    return s;
  };
  GB_RETURN_IF_ERROR(seconds("idle_timeout_s", o.server.idle_timeout, 1, 3600));
  GB_RETURN_IF_ERROR(seconds("header_timeout_s", o.server.header_timeout, 1, 600));
  GB_RETURN_IF_ERROR(seconds("write_timeout_s", o.server.write_timeout, 1, 3600));
  GB_RETURN_IF_ERROR(seconds("shutdown_grace_s", o.server.shutdown_grace, 0, 600));
  GB_RETURN_IF_ERROR(Read(server, "server", "secure_cookies", o.secure_cookies, 0, 0));
  GB_RETURN_IF_ERROR(Read(server, "server", "trusted_proxies", o.server.trusted_proxies, 0, 0));

  const auto& store = table("store");
  GB_RETURN_IF_ERROR(CheckKeys(store, "store", {"url", "evidence_dir"}));
  GB_RETURN_IF_ERROR(Read(store, "store", "url", o.store_url, 0, 0));
  GB_RETURN_IF_ERROR(Read(store, "store", "evidence_dir", o.evidence_dir, 0, 0));

  const auto& paths = table("paths");
  GB_RETURN_IF_ERROR(CheckKeys(paths, "paths", {"web_dir"}));
  GB_RETURN_IF_ERROR(Read(paths, "paths", "web_dir", o.web_dir, 0, 0));

  const auto& corr = table("correlation");
  GB_RETURN_IF_ERROR(CheckKeys(corr, "correlation", {"join_distance_m", "join_window_minutes"}));
  GB_RETURN_IF_ERROR(Read(corr, "correlation", "join_distance_m", o.correlation.join_distance_m, 1, 5000));
  double window = static_cast<double>(o.correlation.join_window_ms) / 60000;
  GB_RETURN_IF_ERROR(Read(corr, "correlation", "join_window_minutes", window, 1, 7 * 24 * 60));
  o.correlation.join_window_ms = static_cast<TimeMs>(window * 60000);

  const auto& o311 = table("open311");
  GB_RETURN_IF_ERROR(CheckKeys(o311, "open311", {"require_api_key", "posts_per_minute", "public_base_url",
                                                 "jurisdiction_id", "max_media_bytes", "reopen_days",
                                                 "feedback_per_minute"}));
  GB_RETURN_IF_ERROR(Read(o311, "open311", "require_api_key", o.api.open311_require_api_key, 0, 0));
  GB_RETURN_IF_ERROR(Read(o311, "open311", "posts_per_minute", o.api.open311_posts_per_minute, 0, 100000));
  GB_RETURN_IF_ERROR(Read(o311, "open311", "public_base_url", o.api.public_base_url, 0, 0));
  GB_RETURN_IF_ERROR(Read(o311, "open311", "jurisdiction_id", o.api.jurisdiction_id, 0, 0));
  GB_RETURN_IF_ERROR(Read(o311, "open311", "max_media_bytes", o.api.limits.images.max_bytes, 1024, 64 << 20));
  GB_RETURN_IF_ERROR(Read(o311, "open311", "reopen_days", o.api.reopen_days, 1, 3650));
  GB_RETURN_IF_ERROR(Read(o311, "open311", "feedback_per_minute", o.api.feedback_per_minute, 0, 100000));

  const auto& api = table("api");
  GB_RETURN_IF_ERROR(CheckKeys(api, "api", {"max_batch_items", "max_batch_body_bytes", "max_json_body_bytes"}));
  GB_RETURN_IF_ERROR(Read(api, "api", "max_batch_items", o.api.limits.max_batch_items, 1, 100000));
  GB_RETURN_IF_ERROR(Read(api, "api", "max_batch_body_bytes", o.api.limits.max_batch_body_bytes, 1024, 1 << 30));
  GB_RETURN_IF_ERROR(Read(api, "api", "max_json_body_bytes", o.api.limits.max_json_body_bytes, 1024, 1 << 30));

  const auto& mqtt = table("mqtt");
  GB_RETURN_IF_ERROR(CheckKeys(mqtt, "mqtt", {"url", "client_id", "username", "password_file", "keepalive_s"}));
  GB_RETURN_IF_ERROR(Read(mqtt, "mqtt", "url", o.mqtt.url, 0, 0));
  GB_RETURN_IF_ERROR(Read(mqtt, "mqtt", "client_id", o.mqtt.client_id, 0, 0));
  GB_RETURN_IF_ERROR(Read(mqtt, "mqtt", "username", o.mqtt.username, 0, 0));
  GB_RETURN_IF_ERROR(Read(mqtt, "mqtt", "password_file", o.mqtt.password_file, 0, 0));
  GB_RETURN_IF_ERROR(Read(mqtt, "mqtt", "keepalive_s", o.mqtt.keepalive_s, 5, 3600));

  const auto& sessions = table("sessions");
  GB_RETURN_IF_ERROR(CheckKeys(sessions, "sessions", {"idle_minutes"}));
  int idle_minutes = static_cast<int>(o.session_idle.count());
  GB_RETURN_IF_ERROR(Read(sessions, "sessions", "idle_minutes", idle_minutes, 1, 12 * 60));
  o.session_idle = std::chrono::minutes(idle_minutes);

  const auto& retention = table("retention");
  GB_RETURN_IF_ERROR(CheckKeys(retention, "retention", {"purge_interval_minutes"}));
  GB_RETURN_IF_ERROR(Read(retention, "retention", "purge_interval_minutes", o.purge_interval_minutes, 0, 7 * 24 * 60));
  if (Status s = o.api.limits.Check(); !s.ok()) return Status::Invalid("config " + path + ": " + s.message());
  return Status::Ok();
}

}  // namespace gb
