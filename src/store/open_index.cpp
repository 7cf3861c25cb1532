#include "store/open_index.h"

#include <algorithm>
#include <cmath>

namespace gb {
namespace {

// Tall rows: a correlation box (tens of metres) usually lies in one row and two columns.
constexpr double kRowsPerDegree = 250;
constexpr double kColumnsPerDegree = 1000;

// Rounding is monotonic, so every point inside a box lies in a cell between the cells of
// the box's corners. Out-of-range and NaN degrees are clamped to the edge cells.
std::int64_t GridIndex(double degrees, double offset, double per_degree) {
  double v = std::floor((degrees + offset) * per_degree);
  if (!(v >= 0)) return 0;
  return static_cast<std::int64_t>(std::min(v, 2 * offset * per_degree));
}
std::int64_t Row(double lat) { return GridIndex(lat, 90, kRowsPerDegree); }
std::int64_t Column(double lon) { return GridIndex(lon, 180, kColumnsPerDegree); }

}  // namespace

std::uint64_t OpenIncidentIndex::Key(std::uint32_t category, std::int64_t row, std::int64_t column) const {
  // row < 2^16 (45,000 rows), column < 2^19 (360,000 columns).
  return (std::uint64_t{category} << 40) | (static_cast<std::uint64_t>(row) << 20) | static_cast<std::uint64_t>(column);
}

std::uint32_t OpenIncidentIndex::CategoryNumber(const std::string& category) {
  return categories_.try_emplace(category, static_cast<std::uint32_t>(categories_.size())).first->second;
}

void OpenIncidentIndex::Invalidate() {
  loaded_ = false;
  by_id_.clear();
  by_cell_.clear();
}

void OpenIncidentIndex::BeginLoad() {
  Invalidate();
  loaded_ = true;
}

void OpenIncidentIndex::Unfile(const Entry& e) {
  auto cell = by_cell_.find(e.key);
  if (cell == by_cell_.end()) return;
  auto& ids = cell->second;
  auto it = std::find(ids.begin(), ids.end(), e.candidate.id);
  if (it != ids.end()) {
    *it = ids.back();
    ids.pop_back();
  }
  if (ids.empty()) by_cell_.erase(cell);
}

void OpenIncidentIndex::Put(Id id, const std::string& category, LatLon location, TimeMs last_seen_at) {
  const std::uint64_t key = Key(CategoryNumber(category), Row(location.lat), Column(location.lon));
  auto [it, inserted] = by_id_.try_emplace(id);
  Entry& e = it->second;
  if (!inserted && e.key != key) Unfile(e);
  if (inserted || e.key != key) by_cell_[key].push_back(id);
  e.candidate = {id, location, last_seen_at};
  e.key = key;
}

void OpenIncidentIndex::Remove(Id id) {
  auto it = by_id_.find(id);
  if (it == by_id_.end()) return;
  Unfile(it->second);
  by_id_.erase(it);
}

std::vector<IncidentCandidate> OpenIncidentIndex::Find(const std::string& category, const GeoBox& box,
                                                       TimeMs since) const {
  std::vector<IncidentCandidate> out;
  const double min_lat = box.min_corner().y(), max_lat = box.max_corner().y();
  const double min_lon = box.min_corner().x(), max_lon = box.max_corner().x();
  if (!(min_lat <= max_lat && min_lon <= max_lon)) return out;  // empty or NaN box
  auto cat = categories_.find(category);
  if (cat == categories_.end()) return out;
  const std::int64_t row_hi = Row(max_lat), col_lo = Column(min_lon), col_hi = Column(max_lon);
  // A box wider than the cells it would visit holds more cells than open incidents: test them all.
  const bool scan_all =
      static_cast<double>(row_hi - Row(min_lat) + 1) * static_cast<double>(col_hi - col_lo + 1) >
      static_cast<double>(by_id_.size());
  auto consider = [&](const IncidentCandidate& c) {
    if (c.last_seen_at >= since && c.location.lat >= min_lat && c.location.lat <= max_lat &&
        c.location.lon >= min_lon && c.location.lon <= max_lon)
      out.push_back(c);
  };
  if (scan_all) {
    for (const auto& [id, e] : by_id_)
      if (e.key >> 40 == cat->second) consider(e.candidate);
    return out;
  }
  for (std::int64_t row = Row(min_lat); row <= row_hi; ++row)
    for (std::int64_t col = col_lo; col <= col_hi; ++col) {
      auto cell = by_cell_.find(Key(cat->second, row, col));
      if (cell == by_cell_.end()) continue;
      for (Id id : cell->second) consider(by_id_.at(id).candidate);
    }
  return out;
}

}  // namespace gb
