// HubContext: what request handlers need, wired once by the hub at start-up. Handlers
// receive it by reference; every member outlives the server.
#pragma once

#include <string>

#include "api/limits.h"
#include "core/env.h"
#include "incidents/catalog.h"
#include "incidents/service.h"
#include "privacy/evidence/evidence_store.h"
#include "store/store.h"

namespace gb {
class Anonymizer;
class Metrics;

// Settings that shape the HTTP API (from the [api] and [open311] config tables).
struct ApiSettings {
  bool open311_require_api_key = false;     // residents post without a key by default
  int open311_posts_per_minute = 10;        // per client address, when no key is given
  Limits limits;  // every size limit on requests, the server's among them (api/limits.h)
  // For Open311 media_url and the discovery document. Empty: derived from the address the hub
  // listens on when it starts (Hub::Listen).
  std::string public_base_url;
  std::string jurisdiction_id = "riverside.example";
  int reopen_days = 30;          // residents may say "not fixed" this long after a resolution
  int feedback_per_minute = 10;  // residents' feedback posts per client address; 0 = no limit
};

struct HubContext {
  Store& store;
  CatalogHolder& catalog;
  IncidentService& incidents;
  EvidenceStore& evidence;
  const Anonymizer& anonymizer;
  Metrics& metrics;
  Env* env;
  ApiSettings settings;
};

}  // namespace gb
