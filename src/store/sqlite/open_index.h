// OpenIncidentIndex: every open incident's category, place and last sighting, in memory,
// so that correlation (WriteTxn::FindOpenIncidents, once per ingested event) costs a few
// hash lookups instead of a query.
//
// The writer owns it and keeps it equal to the database as its own transaction sees it:
// every incident the transaction inserts or updates is put (or removed once closed). What
// the writer cannot see coming invalidates it, and the next search reloads it with one
// query of the open incidents: a rolled-back transaction, and a commit by any other
// connection (another process on the same file), which SQLite reports through
// PRAGMA data_version.
//
// Places are filed in a grid of rows 0.004° tall (about 440 m) and columns 0.001° wide
// (about 100 m or less); a search looks at the cells its box touches and tests the exact
// box, so every open incident inside the box is found, whatever the grid.
//
// Not thread-safe: used under the store's write lock only.
#pragma once

#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/geo.h"
#include "store/store.h"

namespace gb::sqlite {

class OpenIncidentIndex {
 public:
  bool loaded() const { return loaded_; }
  // Forgets everything; the owner reloads before the next search.
  void Invalidate();
  // Starts a fresh load (after Invalidate); Put every open incident, then the index is loaded.
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

}  // namespace gb::sqlite
