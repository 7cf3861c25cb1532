#include "store/sqlite/event_links.h"

#include <algorithm>
#include <charconv>
#include <string>
#include <unordered_set>

namespace gb::sqlite {
namespace {

const SqlKey kAppendLink(
    "INSERT INTO event_links (incident_id, prev, at, events) "
    "VALUES (?1, coalesce((SELECT last_link FROM incidents WHERE id = ?1), 0), ?2, ?3)");
const SqlKey kSetLastLink("UPDATE incidents SET last_link = ?2 WHERE id = ?1");
const SqlKey kLastLink("SELECT last_link FROM incidents WHERE id = ?1");
const SqlKey kGetLink("SELECT prev, events FROM event_links WHERE id = ?1");
const SqlKey kDeleteLink("DELETE FROM event_links WHERE id = ?1 RETURNING prev");
const SqlKey kPurgeLinks("DELETE FROM event_links WHERE at < ?1");

// Parses "12,15,19"; ignores anything that is not a positive id (a row is written by this
// code only, but a reader must not fail on a damaged one).
void ParseIds(std::string_view text, std::vector<Id>& out) {
  out.clear();
  while (!text.empty()) {
    Id id = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), id);
    if (ec == std::errc() && id > 0) out.push_back(id);
    size_t comma = text.find(',', static_cast<size_t>(end - text.data()));
    if (comma == std::string_view::npos) break;
    text.remove_prefix(comma + 1);
  }
}

// The newest link of the incident's chain, 0 when it has none.
Status LastLink(Database& db, Id incident, Id& link) {
  Query q = db.Use(kLastLink);
  q.Bind(1, incident);
  link = q.Step() ? q.Int(0) : 0;
  return q.status();
}

}  // namespace

void PendingLinks::Add(Id incident, Id event, TimeMs observed_at) {
  Pending& p = by_incident_[incident];
  p.events.push_back(event);
  p.at = p.events.size() == 1 ? observed_at : std::max(p.at, observed_at);
}

Status PendingLinks::Write(Database& db) {
  std::string ids;
  char digits[24];
  for (const auto& [incident, pending] : by_incident_) {
    ids.clear();
    for (Id id : pending.events) {
      if (!ids.empty()) ids += ',';
      auto [end, ec] = std::to_chars(digits, digits + sizeof digits, id);
      ids.append(digits, end);
    }
    {
      Query q = db.Use(kAppendLink);
      q.Bind(1, incident).Bind(2, pending.at).Bind(3, ids);
      GB_RETURN_IF_ERROR(WithContext(q.Run(), "cannot link events to their incident"));
    }
    Query q = db.Use(kSetLastLink);
    q.Bind(1, incident).Bind(2, db.LastInsertRowid());
    GB_RETURN_IF_ERROR(WithContext(q.Run(), "cannot link events to their incident"));
  }
  by_incident_.clear();
  return Status::Ok();
}

Status WalkEventLinks(Database& db, Id incident, const std::function<bool(Id)>& visit) {
  Id link = 0;
  GB_RETURN_IF_ERROR(WithContext(LastLink(db, incident, link), "cannot read the incident's events"));
  std::vector<Id> ids;
  std::unordered_set<Id> seen;  // a chain names an event twice after it left and came back
  while (link != 0) {
    {
      Query q = db.Use(kGetLink);
      q.Bind(1, link);
      if (!q.Step()) return WithContext(q.status(), "cannot read the incident's events");  // end, or purged
      link = q.Int(0);
      ParseIds(q.View(1), ids);
    }
    std::sort(ids.begin(), ids.end(), std::greater<>());
    for (Id id : ids)
      if (seen.insert(id).second && !visit(id)) return Status::Ok();
  }
  return Status::Ok();
}

Status EventLinkIds(Database& db, Id incident, std::vector<Id>& out) {
  return WalkEventLinks(db, incident, [&](Id id) {
    out.push_back(id);
    return true;
  });
}

Status DeleteEventLinks(Database& db, Id incident) {
  Id link = 0;
  GB_RETURN_IF_ERROR(WithContext(LastLink(db, incident, link), "cannot unlink the incident's events"));
  while (link != 0) {
    Query q = db.Use(kDeleteLink);
    q.Bind(1, link);
    const Id prev = q.Step() ? q.Int(0) : 0;  // no row: the chain ends (purged)
    GB_RETURN_IF_ERROR(WithContext(q.Run(), "cannot unlink the incident's events"));
    link = prev;
  }
  Query q = db.Use(kSetLastLink);
  q.Bind(1, incident).Bind(2, 0);
  return WithContext(q.Run(), "cannot unlink the incident's events");
}

Status PurgeEventLinks(Database& db, TimeMs before) {
  Query q = db.Use(kPurgeLinks);
  q.Bind(1, before);
  return WithContext(q.Run(), "cannot purge event links");
}

}  // namespace gb::sqlite
