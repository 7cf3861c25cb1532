#include "edge/config.h"

#include <toml++/toml.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <filesystem>
#include <fstream>
#include <functional>
#include <set>
#include <sstream>

#include "edge/rules/zone.h"

namespace gb::edge {
namespace {

namespace fs = std::filesystem;

constexpr std::array<std::pair<RuleKind, std::string_view>, 5> kRules = {{
    {RuleKind::kStationaryVehicle, "stationary_vehicle"},
    {RuleKind::kDumpedObject, "dumped_object"},
    {RuleKind::kPoster, "poster"},
    {RuleKind::kCrowding, "crowding"},
    {RuleKind::kNoHelmet, "no_helmet"},
}};

std::string_view TypeName(toml::node_type t) {
  switch (t) {
    case toml::node_type::string: return "a string";
    case toml::node_type::integer: return "an integer";
    case toml::node_type::floating_point: return "a number";
    case toml::node_type::boolean: return "a boolean";
    case toml::node_type::array: return "an array";
    case toml::node_type::table: return "a table";
    case toml::node_type::date:
    case toml::node_type::time:
    case toml::node_type::date_time: return "a date or time";
    default: return "nothing";
  }
}

std::string FormatNumber(double v) {
  char buf[32];
  auto r = std::to_chars(buf, buf + sizeof buf, v);
  return std::string(buf, r.ptr);
}

bool IsAbsoluteOrEmpty(const std::string& p) { return p.empty() || fs::path(p).is_absolute(); }

// Collects the problems of one file. Each table is read through a Scope that knows where it
// is ("camera 0 (cam-04) zone 1 (bus-stop)") and which keys it has read, so that every
// unread key is reported as unknown.
class Checker {
 public:
  Checker(std::string path) : path_(std::move(path)), dir_(fs::path(path_).parent_path()) {}

  void Add(const toml::source_region& at, const std::string& where, const std::string& what) {
    std::string line = path_ + ":" + std::to_string(at.begin.line) + ": ";
    if (!where.empty()) line += where + ": ";
    problems_.emplace_back(at.begin.line, line + what);
  }

  // A path as written in the file, made absolute from the file's directory.
  std::string Resolve(const std::string& p) const {
    if (IsAbsoluteOrEmpty(p)) return p;
    return (dir_ / p).lexically_normal().string();
  }

  // In the order of the file's lines.
  std::vector<std::string> Take() {
    std::stable_sort(problems_.begin(), problems_.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
    std::vector<std::string> out;
    for (auto& p : problems_) out.push_back(std::move(p.second));
    return out;
  }

 private:
  std::string path_;
  fs::path dir_;
  std::vector<std::pair<toml::source_index, std::string>> problems_;
};

class Scope {
 public:
  Scope(Checker& c, const toml::table& t, std::string where) : c_(c), t_(t), where_(std::move(where)) {}
  // Reports keys that no reader asked for.
  ~Scope() {
    for (const auto& [key, node] : t_)
      if (!read_.count(std::string(key.str())))
        c_.Add(key.source(), where_, "unknown key " + std::string(key.str()) + " (see docs/edge.md)");
  }

  const std::string& where() const { return where_; }
  void SetWhere(std::string w) { where_ = std::move(w); }
  const toml::table& table() const { return t_; }

  // The node of `key`, marked as known; null when absent.
  const toml::node* Get(std::string_view key) {
    read_.insert(std::string(key));
    return t_.get(key);
  }
  void Problem(const toml::node& at, const std::string& what) { c_.Add(at.source(), where_, what); }
  void MissingProblem(std::string_view key) { c_.Add(t_.source(), where_, std::string(key) + " is required"); }

  void Wrong(const toml::node& n, std::string_view key, std::string_view expected) {
    Problem(n, std::string(key) + " must be " + std::string(expected) + ", got " + std::string(TypeName(n.type())));
  }

  // Each reader leaves `out` unchanged when the key is absent or wrong; returns whether the
  // key was present and well-typed.
  bool String(std::string_view key, std::string& out, bool required = false) {
    const toml::node* n = Get(key);
    if (!n) {
      if (required) MissingProblem(key);
      return false;
    }
    auto v = n->value_exact<std::string>();
    if (!v) {
      Wrong(*n, key, "a string");
      return false;
    }
    if (required && v->empty()) {
      Problem(*n, std::string(key) + " must not be empty");
      return false;
    }
    out = *v;
    return true;
  }

  bool Bool(std::string_view key, bool& out) {
    const toml::node* n = Get(key);
    if (!n) return false;
    auto v = n->value_exact<bool>();
    if (!v) {
      Wrong(*n, key, "true or false");
      return false;
    }
    out = *v;
    return true;
  }

  // A number (integer or float) for which ok(value) holds; `rule` words the condition
  // ("> 0", "from 0 to 1").
  bool Number(std::string_view key, double& out, const std::function<bool(double)>& ok, std::string_view rule) {
    const toml::node* n = Get(key);
    if (!n) return false;
    if (!n->is_number()) {
      Wrong(*n, key, "a number");
      return false;
    }
    double v = *n->value<double>();
    if (!ok(v)) {
      Problem(*n, std::string(key) + " must be " + std::string(rule) + ", got " + FormatNumber(v));
      return false;
    }
    out = v;
    return true;
  }

  bool Integer(std::string_view key, std::int64_t& out, std::int64_t min, std::int64_t max, std::string_view rule) {
    const toml::node* n = Get(key);
    if (!n) return false;
    if (!n->is_integer()) {
      Wrong(*n, key, "an integer");
      return false;
    }
    std::int64_t v = *n->value<std::int64_t>();
    if (v < min || v > max) {
      Problem(*n, std::string(key) + " must be " + std::string(rule) + ", got " + std::to_string(v));
      return false;
    }
    out = v;
    return true;
  }

  bool Strings(std::string_view key, std::vector<std::string>& out) {
    const toml::node* n = Get(key);
    if (!n) return false;
    const toml::array* a = n->as_array();
    std::vector<std::string> items;
    if (a)
      for (const auto& item : *a) {
        auto v = item.value_exact<std::string>();
        if (!v) {
          a = nullptr;
          break;
        }
        items.push_back(*v);
      }
    if (!a) {
      Problem(*n, std::string(key) + " must be an array of strings");
      return false;
    }
    out = std::move(items);
    return true;
  }

  // [lon, lat] in WGS84 degrees.
  bool LonLat(std::string_view key, LatLon& out, bool required) {
    const toml::node* n = Get(key);
    if (!n) {
      if (required) MissingProblem(key);
      return false;
    }
    const toml::array* a = n->as_array();
    if (!a || a->size() != 2 || !(*a)[0].is_number() || !(*a)[1].is_number()) {
      Problem(*n, std::string(key) + " must be [lon, lat] in degrees");
      return false;
    }
    double lon = *(*a)[0].value<double>(), lat = *(*a)[1].value<double>();
    if (!ValidLatLon(lat, lon)) {
      Problem(*n, std::string(key) + " must have lon in [-180, 180] and lat in [-90, 90], got [" + FormatNumber(lon) +
                      ", " + FormatNumber(lat) + "]");
      return false;
    }
    out = {lat, lon};
    return true;
  }

  Checker& checker() { return c_; }

 private:
  Checker& c_;
  const toml::table& t_;
  std::string where_;
  std::set<std::string> read_;
};

auto Positive = [](double v) { return v > 0; };
auto Fraction = [](double v) { return v >= 0 && v <= 1; };

bool ValidListen(const std::string& listen) {
  size_t colon = listen.rfind(':');
  if (colon == std::string::npos || colon == 0) return false;
  int port = -1;
  auto [end, ec] = std::from_chars(listen.data() + colon + 1, listen.data() + listen.size(), port);
  return ec == std::errc() && end == listen.data() + listen.size() && port >= 0 && port <= 65535;
}

void ReadAgent(Checker& c, const toml::table& t, AgentConfig& a) {
  Scope s(c, t, "agent");
  if (s.String("spool_dir", a.spool_dir) && a.spool_dir.empty())
    s.Problem(*s.Get("spool_dir"), "spool_dir must not be empty");
  s.Integer("spool_max_bytes", a.spool_max_bytes, 1 << 16, std::int64_t{1} << 50, "at least 65536");
  if (s.String("metrics_listen", a.metrics_listen) && !a.metrics_listen.empty() && !ValidListen(a.metrics_listen))
    s.Problem(*s.Get("metrics_listen"), "metrics_listen must be HOST:PORT (e.g. 127.0.0.1:9464) or \"\", got \"" +
                                            a.metrics_listen + "\"");
  s.Strings("keep_plates_for", a.keep_plates_for);
  a.spool_dir = c.Resolve(a.spool_dir);
}

void ReadHub(Checker& c, const toml::table& t, HubConfig& h) {
  Scope s(c, t, "hub");
  if (s.String("url", h.url, true) && !h.url.starts_with("http://"))
    s.Problem(*s.Get("url"), "url must start with http://, got \"" + h.url + "\"");
  while (h.url.ends_with('/')) h.url.pop_back();
  std::string token_file;
  bool has_token = s.String("token", h.token) && !h.token.empty();
  bool has_file = s.String("token_file", token_file) && !token_file.empty();
  if (has_token && has_file) {
    s.Problem(*s.Get("token_file"), "give token or token_file, not both");
  } else if (has_file) {
    std::ifstream in(c.Resolve(token_file));
    std::string line;
    if (!in || !std::getline(in, line)) {
      s.Problem(*s.Get("token_file"), "cannot read token_file " + c.Resolve(token_file));
    } else {
      while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) line.pop_back();
      h.token = line;
    }
  }
  if (h.token.empty() && !has_file) s.MissingProblem("token (or token_file)");
  s.Number("max_backoff_s", h.max_backoff_s, [](double v) { return v >= 1 && v <= 3600; }, "from 1 to 3600");
}

// The class names file of a no_helmet model must name both classes the rule needs.
std::string HelmetModelProblem(const ZoneConfig& z) {
  if (z.model.empty()) return "no_helmet needs a model (an ONNX detector whose classes include helmet and head)";
  if (!fs::is_regular_file(z.model)) return "model " + z.model + " does not exist";
  std::ifstream in(z.classes);
  if (!in) return "classes " + z.classes + " cannot be read";
  std::set<std::string> names;
  for (std::string line; std::getline(in, line);) {
    while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) line.pop_back();
    names.insert(line);
  }
  if (!names.count("helmet") || !names.count("head"))
    return "the classes of model " + z.model + " (" + z.classes + ") must include helmet and head";
  return "";
}

void ReadZone(Checker& c, const toml::table& t, const std::string& camera_where, int index, const CameraConfig& cam,
              std::set<std::string>& ids, ZoneConfig& z) {
  Scope s(c, t, camera_where + " zone " + std::to_string(index));
  if (s.String("id", z.id, true)) {
    s.SetWhere(s.where() + " (" + z.id + ")");
    if (!ids.insert(z.id).second) s.Problem(*s.Get("id"), "zone id " + z.id + " is used twice in this camera");
  }
  std::string rule;
  if (s.String("rule", rule, true)) {
    auto kind = ParseRuleKind(rule);
    if (!kind)
      s.Problem(*s.Get("rule"),
                "rule must be stationary_vehicle, dumped_object, poster, crowding or no_helmet, got \"" + rule + "\"");
    else
      z.rule = *kind;
  }
  s.String("category", z.category, true);
  if (const toml::node* n = s.Get("polygon"); !n) {
    s.MissingProblem("polygon");
  } else {
    const toml::array* a = n->as_array();
    std::vector<std::pair<double, double>> points;
    bool ok = a != nullptr;
    if (a)
      for (const auto& p : *a) {
        const toml::array* xy = p.as_array();
        if (!xy || xy->size() != 2 || !(*xy)[0].is_number() || !(*xy)[1].is_number()) {
          ok = false;
          break;
        }
        points.emplace_back(*(*xy)[0].value<double>(), *(*xy)[1].value<double>());
      }
    if (!ok || points.size() < 3) {
      s.Problem(*n, "polygon must be at least 3 [x, y] points");
    } else {
      bool inside = true;
      for (auto [x, y] : points) inside = inside && Fraction(x) && Fraction(y);
      if (!inside)
        s.Problem(*n, "polygon points must have x and y from 0 to 1 (fractions of the frame, origin top left)");
      else
        z.polygon = std::move(points);
    }
  }
  z.location = cam.location;
  s.LonLat("location", z.location, false);
  std::tie(z.min_area, z.max_area) = rules::DefaultAreaLimits(z.rule);
  bool area_given = s.Number("min_area", z.min_area, Fraction, "from 0 to 1");
  area_given = s.Number("max_area", z.max_area, Fraction, "from 0 to 1") || area_given;
  if (area_given && z.min_area >= z.max_area)
    s.Problem(*s.Get(s.table().contains("max_area") ? "max_area" : "min_area"),
              "min_area must be below max_area, got " + FormatNumber(z.min_area) + " and " + FormatNumber(z.max_area));
  s.Number("min_dwell_s", z.min_dwell_s, Positive, "> 0");
  s.Number("min_stay_s", z.min_stay_s, Positive, "> 0");
  std::int64_t min_count = z.min_count;
  if (s.Integer("min_count", min_count, 1, 100000, "at least 1")) z.min_count = static_cast<int>(min_count);
  s.Number("min_s", z.min_s, Positive, "> 0");
  s.String("model", z.model);
  z.classes = "names.txt";
  bool classes_given = s.String("classes", z.classes);
  z.model = c.Resolve(z.model);
  if (!z.model.empty())  // the class names sit next to the model unless the zone says where
    z.classes = classes_given ? c.Resolve(z.classes) : (fs::path(z.model).parent_path() / z.classes).string();
  if (z.rule == RuleKind::kNoHelmet)
    if (std::string problem = HelmetModelProblem(z); !problem.empty()) c.Add(t.source(), s.where(), problem);
}

void ReadCamera(Checker& c, const toml::table& t, int index, std::set<std::string>& ids, CameraConfig& cam) {
  Scope s(c, t, "camera " + std::to_string(index));
  if (s.String("id", cam.id, true)) {
    s.SetWhere(s.where() + " (" + cam.id + ")");
    if (!ids.insert(cam.id).second) s.Problem(*s.Get("id"), "camera id " + cam.id + " is used twice");
  }
  if (s.String("source", cam.source, true) && !IsStreamSource(cam.source)) {
    cam.source = c.Resolve(cam.source);
    if (!fs::is_regular_file(cam.source))
      s.Problem(*s.Get("source"), "source " + cam.source + " is neither an rtsp:// or http:// URL nor a file");
  }
  s.LonLat("location", cam.location, true);
  s.Number("analysis_fps", cam.analysis_fps, [](double v) { return v > 0 && v <= 60; }, "> 0 and at most 60");
  std::int64_t width = cam.analysis_width;
  if (s.Integer("analysis_width", width, 64, 4096, "from 64 to 4096")) cam.analysis_width = static_cast<int>(width);
  s.Bool("realtime", cam.realtime);
  s.Bool("loop", cam.loop);
  std::string epoch;
  if (s.String("epoch", epoch) && !epoch.empty()) {
    cam.epoch = ParseRfc3339(epoch);
    if (!cam.epoch)
      s.Problem(*s.Get("epoch"), "epoch must be an RFC 3339 time (e.g. 2026-11-24T10:15:00Z) or \"\", got \"" + epoch +
                                     "\"");
  }
  const toml::node* zones = s.Get("zone");
  if (zones && !zones->is_array_of_tables()) {
    s.Problem(*zones, "zone must be an array of tables ([[camera.zone]])");
    return;
  }
  std::set<std::string> zone_ids;
  if (zones) {
    int i = 0;
    for (const auto& z : *zones->as_array())
      ReadZone(c, *z.as_table(), s.where(), i++, cam, zone_ids, cam.zones.emplace_back());
  }
}

}  // namespace

std::string_view RuleKindName(RuleKind rule) {
  for (auto [kind, name] : kRules)
    if (kind == rule) return name;
  return "";
}

std::optional<RuleKind> ParseRuleKind(std::string_view name) {
  for (auto [kind, n] : kRules)
    if (n == name) return kind;
  return std::nullopt;
}

bool IsStreamSource(std::string_view s) {
  for (std::string_view scheme : {"rtsp://", "rtsps://", "http://", "https://"})
    if (s.starts_with(scheme)) return true;
  return false;
}

int CountZones(const EdgeConfig& config) {
  int n = 0;
  for (const auto& c : config.cameras) n += static_cast<int>(c.zones.size());
  return n;
}

std::vector<std::string> ParseEdgeConfig(std::string_view text, const std::string& path, EdgeConfig& out) {
  out = EdgeConfig{};
  out.path = path;
  toml::table root;
  try {
    root = toml::parse(text, path);
  } catch (const toml::parse_error& e) {
    return {path + ":" + std::to_string(e.source().begin.line) + ": " + std::string(e.description())};
  }
  Checker c(path);
  {
    Scope s(c, root, "");
    const toml::node* agent = s.Get("agent");
    if (agent && !agent->is_table())
      s.Wrong(*agent, "agent", "a table ([agent])");
    else if (agent)
      ReadAgent(c, *agent->as_table(), out.agent);
    else
      out.agent.spool_dir = c.Resolve(out.agent.spool_dir);
    if (const toml::node* hub = s.Get("hub"); hub && !hub->is_table()) {
      s.Wrong(*hub, "hub", "a table ([hub])");
    } else if (hub) {
      ReadHub(c, *hub->as_table(), out.hub.emplace());
    }
    const toml::node* cameras = s.Get("camera");
    if (!cameras) {
      c.Add(root.source(), "", "no [[camera]]: the agent needs at least one camera");
    } else if (!cameras->is_array_of_tables()) {
      s.Problem(*cameras, "camera must be an array of tables ([[camera]])");
    } else {
      std::set<std::string> ids;
      int i = 0;
      for (const auto& cam : *cameras->as_array()) ReadCamera(c, *cam.as_table(), i++, ids, out.cameras.emplace_back());
    }
  }
  return c.Take();
}

std::vector<std::string> LoadEdgeConfig(const std::string& path, EdgeConfig& out) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return {path + ": cannot read the file"};
  std::stringstream ss;
  ss << in.rdbuf();
  return ParseEdgeConfig(ss.str(), path, out);
}

}  // namespace gb::edge
