// EventOutput: where a camera thread puts the events it raises — the spool in live mode,
// the dry run's files otherwise.
#pragma once

#include "core/status.h"
#include "edge/event.h"

namespace gb::edge {

class EventOutput {
 public:
  virtual ~EventOutput() = default;
  // Keeps `event` and its evidence; an OK return means it counts as raised (for the spool:
  // durably on disk). Thread-safe.
  virtual Status Raise(const EdgeEvent& event) = 0;
};

}  // namespace gb::edge
