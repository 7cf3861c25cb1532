// `glassbrain backup` and `glassbrain restore`: a SQLite store and the evidence files it
// references, copied consistently while a hub runs (backup) and put back atomically (restore).
// A backup FILE is itself a store, with its evidence in FILE.evidence/ as `serve` expects.
#pragma once

#include <string>

#include "core/status.h"

namespace gb {

// Copies the store at `store_url` ("sqlite:PATH") into the new file `file` and the evidence
// it references into FILE.evidence/, printing progress to standard error.
Status BackupStore(const std::string& store_url, const std::string& evidence_dir, const std::string& file);

struct RestoreOptions {
  std::string store_url;
  std::string evidence_dir;  // "" for the store's default
  std::string file;          // the backup
  bool force = false;        // replace an existing store
};
// Checks the backup (integrity, schema version), then writes its evidence and replaces the
// store's file. Refuses an existing store without `force`, and a store a running hub holds.
Status RestoreStore(const RestoreOptions& options);

}  // namespace gb
