// OpenIncidentIndex: open incidents' category, place and last sighting, in memory, found
// by category and box with a few hash lookups. Correlation searches two of them for each
// event: the SQLite store's (below) and the incident service's, of the incidents a batch
// has touched (whose last sighting the store does not know yet).
//
// The SQLite store's writer owns one and keeps it equal to the database as its own
// transaction sees it: every incident the transaction inserts or updates is put (or removed
// once closed). What
// the writer cannot see coming invalidates it, and the next search reloads it with one
// query of the open incidents: a rolled-back transaction, and a commit by any other
// connection (another process on the same file), which SQLite reports through
// PRAGMA data_version.
//
// Places are filed in a grid of rows 0.004° tall (about 440 m) and columns 0.001° wide
// (about 100 m or less); a search looks at the cells its box touches and tests the exact
// box, so every open incident inside the box is found, whatever the grid.
//
// Not thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/geo.h"
#include "store/store.h"

namespace gb {

class OpenIncidentIndex {
 public:
  // Whether it holds every open incident: set by BeginLoad, cleared by Invalidate, which
  // also forgets everything (an owner that mirrors a table reloads after it). An index
  // filled by Put alone holds what was put, and answers for that.
  bool loaded() const { return loaded_; }
  void Invalidate();
  void BeginLoad();

  // Files an open incident, or moves it when it is already filed.
  void Put(Id id, const std::string& category, LatLon location, TimeMs last_seen_at);
  void Remove(Id id);

  // Open incidents of `category` inside `box` (edges included) with last_seen_at ≥ since.
  std::vector<IncidentCandidate> Find(const std::string& category, const GeoBox& box, TimeMs since) const;

  std::size_t size() const { return by_id_.size(); }

 private:
  struct Entry {
    IncidentCandidate candidate;
    std::uint64_t key;  // category and cell, see Key
  };
  // The category's number in the high bits, the grid cell in the low 40.
  std::uint64_t Key(std::uint32_t category, std::int64_t row, std::int64_t column) const;
  std::uint32_t CategoryNumber(const std::string& category);  // assigns one when new
  void Unfile(const Entry& e);

  bool loaded_ = false;
  std::unordered_map<std::string, std::uint32_t> categories_;
  std::unordered_map<Id, Entry> by_id_;
  std::unordered_map<std::uint64_t, std::vector<Id>> by_cell_;
};

}  // namespace gb
