#include "routing/router.h"

#include <algorithm>
#include <boost/container/small_vector.hpp>
#include <boost/geometry/algorithms/area.hpp>
#include <boost/geometry/algorithms/covered_by.hpp>
#include <boost/geometry/algorithms/envelope.hpp>
#include <boost/geometry/index/rtree.hpp>
#include <boost/iterator/function_output_iterator.hpp>
#include <cmath>
#include <cstdint>
#include <functional>
#include <limits>
#include <unordered_map>
#include <utility>

namespace gb {
namespace {

namespace bg = boost::geometry;
namespace bgi = boost::geometry::index;

constexpr std::uint32_t kNoArea = std::numeric_limits<std::uint32_t>::max();
constexpr std::string_view kKindPrefix = "kind:";
// Losers named in an explanation before the list is cut short with "…".
constexpr size_t kMaxNamedLosers = 3;

struct StringHash {
  using is_transparent = void;
  size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
};
template <typename V>
using StringMap = std::unordered_map<std::string, V, StringHash, std::equal_to<>>;

// How a rule names its area; larger is more specific.
enum class AreaRef : std::uint8_t { kAny = 0, kKind = 1, kId = 2 };

using TreeValue = std::pair<GeoBox, std::uint32_t>;
using Tree = bgi::rtree<TreeValue, bgi::quadratic<16>>;

// Areas containing one point, as indices, most specific first. Almost never more than a few.
using AreaList = boost::container::small_vector<std::uint32_t, 16>;

std::string KindWords(std::string_view kind) {
  if (kind.empty()) return "area";
  if (kind == "no_parking") return "no-parking zone";
  std::string words(kind);
  std::replace(words.begin(), words.end(), '_', ' ');
  return words;
}

std::string Quoted(std::string_view s) {
  std::string out;
  out.reserve(s.size() + 2);
  out += '"';
  out += s;
  out += '"';
  return out;
}

void AppendClock(std::string& out, LocalClock c) {
  out += DayName(c.weekday);
  out += ' ';
  out += static_cast<char>('0' + c.minute / 600);
  out += static_cast<char>('0' + c.minute / 60 % 10);
  out += ':';
  out += static_cast<char>('0' + c.minute % 60 / 10);
  out += static_cast<char>('0' + c.minute % 10);
}

}  // namespace

struct Router::Impl {
  struct AreaInfo {
    double size = 0;         // planar area in square degrees: only compared, never shown
    std::uint32_t rank = 0;  // position when sorted by (size, id): smaller is more specific
    std::uint32_t kind = 0;  // index into kinds
    std::string phrase;      // no-parking zone "Canal Street cycle lane" (canal-st-cycle-lane)
  };
  struct RuleInfo {
    Schedule schedule;
    AreaRef ref = AreaRef::kAny;
    std::uint32_t target = 0;  // area index (kId) or kind index (kKind)
    bool exact_category = false;
    std::string head;      // Rule "id" (priority 50):
    std::string schedule_words;  // ", Mon-Fri 07:00-19:00"
    std::string mention;   // "id" priority 50
  };
  struct Match {
    std::uint32_t rule;
    std::uint32_t area;  // kNoArea when the rule matched without an area
  };

  std::vector<Area> areas;
  std::vector<RoutingRule> rules;
  std::vector<Department> departments;
  std::string fallback;
  int utc_offset_minutes = 0;

  std::vector<AreaInfo> area_info;
  std::vector<RuleInfo> rule_info;
  std::vector<std::string> kinds;
  Tree tree;
  StringMap<std::uint32_t> area_by_id, department_by_id, rule_by_id, kind_by_name;
  // For every category some rule names: its rules plus the "*" rules. Other categories use
  // star_rules alone.
  StringMap<std::vector<std::uint32_t>> rules_by_category;
  std::vector<std::uint32_t> star_rules;

  void Containing(LatLon p, AreaList& out) const {
    GeoPoint pt = ToPoint(p);
    tree.query(bgi::intersects(pt), boost::make_function_output_iterator([&](const TreeValue& v) {
                 if (bg::covered_by(pt, areas[v.second].polygon)) out.push_back(v.second);
               }));
    std::sort(out.begin(), out.end(),
              [this](std::uint32_t a, std::uint32_t b) { return area_info[a].rank < area_info[b].rank; });
  }

  std::uint32_t AreaRank(std::uint32_t area) const { return area == kNoArea ? kNoArea : area_info[area].rank; }

  // The first criterion on which `a` beats `b`: 0 = a does not beat b, 1 = priority,
  // 2 = exact category, 3 = area reference, 4 = smaller area, 5 = rule id.
  int Beats(const Match& a, const Match& b) const {
    const RoutingRule& ra = rules[a.rule];
    const RoutingRule& rb = rules[b.rule];
    if (ra.priority != rb.priority) return ra.priority > rb.priority ? 1 : 0;
    const RuleInfo& ia = rule_info[a.rule];
    const RuleInfo& ib = rule_info[b.rule];
    if (ia.exact_category != ib.exact_category) return ia.exact_category ? 2 : 0;
    if (ia.ref != ib.ref) return ia.ref > ib.ref ? 3 : 0;
    std::uint32_t rank_a = AreaRank(a.area), rank_b = AreaRank(b.area);
    if (rank_a != rank_b) return rank_a < rank_b ? 4 : 0;
    return ra.id < rb.id ? 5 : 0;
  }
};

Result<Router> Router::Build(std::vector<Area> areas, std::vector<RoutingRule> rules,
                             std::vector<Department> departments, std::string fallback_department,
                             int utc_offset_minutes) {
  if (utc_offset_minutes <= -1440 || utc_offset_minutes >= 1440)
    return Status::Invalid("UTC offset of " + std::to_string(utc_offset_minutes) +
                           " minutes is out of range (-1439 to 1439)");
  if (areas.size() >= kNoArea || rules.size() >= kNoArea) return Status::Invalid("too many areas or rules");
  auto impl = std::make_shared<Impl>();

  // ---- areas --------------------------------------------------------------------------
  impl->area_info.resize(areas.size());
  std::vector<TreeValue> boxes;
  boxes.reserve(areas.size());
  for (std::uint32_t i = 0; i < areas.size(); ++i) {
    Area& a = areas[i];
    if (a.id.empty()) return Status::Invalid("area #" + std::to_string(i + 1) + " (" + Quoted(a.name) + ") has no id");
    if (!impl->area_by_id.emplace(a.id, i).second) return Status::Invalid("area id " + Quoted(a.id) + " is used twice");
    if (Status s = NormalizePolygon(a.polygon); !s.ok())
      return Status::Invalid("area " + Quoted(a.id) + ": " + s.message());
    Impl::AreaInfo& info = impl->area_info[i];
    info.size = std::abs(bg::area(a.polygon));
    auto [kind, added] = impl->kind_by_name.emplace(a.kind, static_cast<std::uint32_t>(impl->kinds.size()));
    if (added) impl->kinds.push_back(a.kind);
    info.kind = kind->second;
    info.phrase = KindWords(a.kind);
    info.phrase += ' ';
    info.phrase += a.name.empty() ? Quoted(a.id) : Quoted(a.name) + " (" + a.id + ")";
    boxes.emplace_back(bg::return_envelope<GeoBox>(a.polygon), i);
  }
  std::vector<std::uint32_t> order(areas.size());
  for (std::uint32_t i = 0; i < order.size(); ++i) order[i] = i;
  std::sort(order.begin(), order.end(), [&](std::uint32_t a, std::uint32_t b) {
    const auto& ia = impl->area_info[a];
    const auto& ib = impl->area_info[b];
    return ia.size != ib.size ? ia.size < ib.size : areas[a].id < areas[b].id;
  });
  for (std::uint32_t r = 0; r < order.size(); ++r) impl->area_info[order[r]].rank = r;
  impl->tree = Tree(boxes.begin(), boxes.end());  // bulk loading packs the tree well

  // ---- departments ------------------------------------------------------------------------
  for (std::uint32_t i = 0; i < departments.size(); ++i) {
    const Department& d = departments[i];
    if (d.id.empty())
      return Status::Invalid("department #" + std::to_string(i + 1) + " (" + Quoted(d.name) + ") has no id");
    if (!impl->department_by_id.emplace(d.id, i).second)
      return Status::Invalid("department id " + Quoted(d.id) + " is used twice");
  }
  if (!impl->department_by_id.contains(fallback_department))
    return Status::Invalid("the fallback department " + Quoted(fallback_department) + " is not a known department");

  // ---- rules ------------------------------------------------------------------------------
  impl->rule_info.resize(rules.size());
  for (std::uint32_t i = 0; i < rules.size(); ++i) {
    const RoutingRule& r = rules[i];
    if (r.id.empty()) return Status::Invalid("routing rule #" + std::to_string(i + 1) + " has no id");
    std::string name = "routing rule " + Quoted(r.id);
    if (!impl->rule_by_id.emplace(r.id, i).second) return Status::Invalid(name + ": the id is used twice");
    if (r.category.empty()) return Status::Invalid(name + ": category is empty (use \"*\" for every category)");
    if (!impl->department_by_id.contains(r.department))
      return Status::Invalid(name + ": unknown department " + Quoted(r.department));
    Impl::RuleInfo& info = impl->rule_info[i];
    std::string_view area = r.area;
    if (area.empty()) {
      return Status::Invalid(name + ": area is empty (use \"*\", an area id or \"kind:<kind>\")");
    } else if (area == "*") {
      info.ref = AreaRef::kAny;
    } else if (area.starts_with(kKindPrefix)) {
      std::string_view kind = area.substr(kKindPrefix.size());
      auto it = impl->kind_by_name.find(kind);
      if (kind.empty() || it == impl->kind_by_name.end()) {
        std::string known;
        for (const std::string& k : impl->kinds) {
          if (k.empty()) continue;
          known += known.empty() ? "" : ", ";
          known += k;
        }
        return Status::Invalid(name + ": no area has the kind in " + Quoted(area) +
                               (known.empty() ? std::string(" (there are no area kinds)") : " (kinds: " + known + ")"));
      }
      info.ref = AreaRef::kKind;
      info.target = it->second;
    } else {
      auto it = impl->area_by_id.find(area);
      if (it == impl->area_by_id.end()) return Status::Invalid(name + ": unknown area " + Quoted(area));
      info.ref = AreaRef::kId;
      info.target = it->second;
    }
    auto schedule = ParseSchedule(r.days, r.hours);
    if (!schedule.ok()) return Status::Invalid(name + ": " + schedule.status().message());
    info.schedule = std::move(*schedule);
    info.exact_category = r.category != "*";
    info.head = "Rule " + Quoted(r.id) + " (priority " + std::to_string(r.priority) + "): ";
    info.schedule_words = ", " + info.schedule.Describe();
    info.mention = Quoted(r.id) + " priority " + std::to_string(r.priority);
    if (info.exact_category) {
      impl->rules_by_category[r.category].push_back(i);
    } else {
      impl->star_rules.push_back(i);
    }
  }
  for (auto& [category, list] : impl->rules_by_category) list.insert(list.end(), impl->star_rules.begin(), impl->star_rules.end());

  impl->areas = std::move(areas);
  impl->rules = std::move(rules);
  impl->departments = std::move(departments);
  impl->fallback = std::move(fallback_department);
  impl->utc_offset_minutes = utc_offset_minutes;
  return Router(std::move(impl));
}

std::vector<const Area*> Router::AreasAt(LatLon p) const {
  AreaList found;
  impl_->Containing(p, found);
  std::vector<const Area*> out;
  out.reserve(found.size());
  for (std::uint32_t i : found) out.push_back(&impl_->areas[i]);
  return out;
}

const Area* Router::MostSpecificAreaAt(LatLon p) const {
  AreaList found;
  impl_->Containing(p, found);
  return found.empty() ? nullptr : &impl_->areas[found.front()];
}

RoutingDecision Router::Decide(std::string_view category, LatLon p, TimeMs at) const {
  const Impl& m = *impl_;
  AreaList containing;
  m.Containing(p, containing);
  LocalClock clock = ToLocalClock(at, m.utc_offset_minutes);

  auto by_category = m.rules_by_category.find(category);
  const std::vector<std::uint32_t>& candidates =
      by_category == m.rules_by_category.end() ? m.star_rules : by_category->second;

  boost::container::small_vector<Impl::Match, 16> matches;
  for (std::uint32_t r : candidates) {
    const Impl::RuleInfo& info = m.rule_info[r];
    std::uint32_t area = kNoArea;
    switch (info.ref) {
      case AreaRef::kAny:
        if (!containing.empty()) area = containing.front();
        break;
      case AreaRef::kKind:
        for (std::uint32_t a : containing)
          if (m.area_info[a].kind == info.target) {
            area = a;
            break;
          }
        if (area == kNoArea) continue;
        break;
      case AreaRef::kId:
        if (std::find(containing.begin(), containing.end(), info.target) == containing.end()) continue;
        area = info.target;
        break;
    }
    if (!info.schedule.Contains(clock)) continue;
    matches.push_back({r, area});
  }

  RoutingDecision d;
  d.explanation.reserve(256);
  if (matches.empty()) {
    d.department_id = m.fallback;
    d.unrouted = true;
    if (!containing.empty()) d.area_id = m.areas[containing.front()].id;
    d.explanation += "No routing rule matches ";
    d.explanation += category;
    d.explanation += " at ";
    AppendClock(d.explanation, clock);
    if (containing.empty()) {
      d.explanation += " outside every known area";
    } else {
      const Area& a = m.areas[containing.front()];
      d.explanation += " in \"";
      d.explanation += a.name.empty() ? a.id : a.name;
      d.explanation += '"';
    }
    d.explanation += "; sent to the fallback department \"";
    d.explanation += m.fallback;
    d.explanation += "\" for triage.";
    return d;
  }

  // Winner first, then the others in the order they would have won.
  std::sort(matches.begin(), matches.end(),
            [&m](const Impl::Match& a, const Impl::Match& b) { return m.Beats(a, b) != 0; });
  const Impl::Match& win = matches.front();
  const RoutingRule& rule = m.rules[win.rule];
  const Impl::RuleInfo& info = m.rule_info[win.rule];
  d.department_id = rule.department;
  d.rule_id = rule.id;
  d.priority = rule.priority;
  if (win.area != kNoArea) d.area_id = m.areas[win.area].id;

  std::string& e = d.explanation;
  e += info.head;
  e += category;
  if (!info.exact_category) e += " (any category)";
  switch (info.ref) {
    case AreaRef::kId:
      e += " in ";
      e += m.area_info[win.area].phrase;
      break;
    case AreaRef::kKind:
      e += " in ";
      e += m.area_info[win.area].phrase;
      e += " via ";
      e += rule.area;
      break;
    case AreaRef::kAny:
      if (win.area == kNoArea) {
        e += " anywhere, here outside every known area";
      } else {
        e += " anywhere, here in ";
        e += m.area_info[win.area].phrase;
      }
      break;
  }
  e += info.schedule_words;
  if (matches.size() == 1) {
    e += "; the only matching rule.";
    return d;
  }
  size_t others = matches.size() - 1;
  e += "; beat ";
  e += std::to_string(others);
  e += others == 1 ? " other matching rule (" : " other matching rules (";
  for (size_t i = 1; i < matches.size() && i <= kMaxNamedLosers; ++i) {
    if (i > 1) e += ", ";
    e += m.rule_info[matches[i].rule].mention;
  }
  if (others > kMaxNamedLosers) e += ", …";
  e += ") ";
  switch (m.Beats(win, matches[1])) {
    case 1:
      e += "on priority.";
      break;
    case 2:
      e += "on specificity: an exact category beats \"*\".";
      break;
    case 3:
      e += info.ref == AreaRef::kId ? "on specificity: a named area beats " : "on specificity: an area kind beats ";
      e += m.rule_info[matches[1].rule].ref == AreaRef::kKind ? "an area kind." : "\"*\".";
      break;
    case 4:
      e += "on specificity: its area is smaller.";
      break;
    default:
      e += "on rule id order (equally specific).";
      break;
  }
  return d;
}

const Department* Router::FindDepartment(std::string_view id) const {
  auto it = impl_->department_by_id.find(id);
  return it == impl_->department_by_id.end() ? nullptr : &impl_->departments[it->second];
}

const Area* Router::FindArea(std::string_view id) const {
  auto it = impl_->area_by_id.find(id);
  return it == impl_->area_by_id.end() ? nullptr : &impl_->areas[it->second];
}

const Schedule* Router::FindSchedule(std::string_view rule_id) const {
  auto it = impl_->rule_by_id.find(rule_id);
  return it == impl_->rule_by_id.end() ? nullptr : &impl_->rule_info[it->second].schedule;
}

const std::vector<Area>& Router::areas() const { return impl_->areas; }
const std::vector<RoutingRule>& Router::rules() const { return impl_->rules; }
const std::vector<Department>& Router::departments() const { return impl_->departments; }
const std::string& Router::fallback_department() const { return impl_->fallback; }
int Router::utc_offset_minutes() const { return impl_->utc_offset_minutes; }

}  // namespace gb
