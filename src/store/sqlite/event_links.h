// Event links: which events belong to an incident, kept as one append-only chain per
// incident instead of an index on events(incident_id).
//
// Why: an index by incident made every ingested batch write one index page for each incident
// it touched, pages scattered over the file; it was the largest share of a batch's page
// writes. Here each transaction that adds events to an incident appends one row to
// event_links naming them and pointing at the incident's previous row, and
// incidents.last_link points at the newest row. Rows are appended in id order, so a batch
// writes a few pages for all of its incidents, and the incident row it updates anyway.
//
// events.incident_id stays the truth. A chain may still name an event that has since moved
// to another incident (split) or been purged; readers skip those. A chain ends at prev = 0
// or at a row that purge has removed.
//
// Rows: id, incident_id, prev, at (the latest observed_at of its events: purge removes a
// row once every event it names is past retention) and events (decimal ids, comma-separated).
//
// Thread-safety: as the Database used.
#pragma once

#include <functional>
#include <map>
#include <vector>

#include "core/model.h"
#include "core/status.h"
#include "store/sqlite/db.h"

namespace gb::sqlite {

// The links a write transaction has yet to write: the events it added to each incident.
class PendingLinks {
 public:
  void Add(Id incident, Id event, TimeMs observed_at);
  bool empty() const { return by_incident_.empty(); }
  void Clear() { by_incident_.clear(); }
  // Appends one row per incident and moves its incidents.last_link; then forgets them.
  Status Write(Database& db);

 private:
  struct Pending {
    std::vector<Id> events;
    TimeMs at = 0;
  };
  std::map<Id, Pending> by_incident_;  // written in incident order
};

// Calls `visit` with every event id the chain of `incident` names, the most recently linked
// first (within a row, the highest id first), each id once, until `visit` returns false.
// Does not read events: the caller checks events.incident_id.
Status WalkEventLinks(Database& db, Id incident, const std::function<bool(Id)>& visit);
// Appends every event id the chain names to `out`, in the order WalkEventLinks visits them.
Status EventLinkIds(Database& db, Id incident, std::vector<Id>& out);

// Deletes the rows of the chain of `incident` and points it nowhere.
Status DeleteEventLinks(Database& db, Id incident);

// Deletes the rows whose events were all observed before `before`.
Status PurgeEventLinks(Database& db, TimeMs before);

}  // namespace gb::sqlite
