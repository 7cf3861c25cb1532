// ParseEventBatch on untrusted batch bodies. Bodies up to 1 MiB are parsed by the thread's
// reused parser, larger ones by a parser of their own: the input is parsed as it is and
// again padded past 1 MiB with trailing whitespace (which changes nothing in JSON), and the
// two results must agree item for item.
#include <algorithm>
#include <string>

#include "fuzz_input.h"
#include "ingest/event_json.h"

using namespace gb;

namespace {

constexpr size_t kMaxItems = 1000;             // the hub's default batch size
constexpr size_t kPastReusedParser = (1 << 20) + 1;

bool SameEvent(const Event& a, const Event& b) {
  return a.id == b.id && a.idempotency_key == b.idempotency_key && a.source_kind == b.source_kind &&
         a.source_id == b.source_id && a.category == b.category && a.rule == b.rule &&
         a.observed_at == b.observed_at && a.location.lat == b.location.lat && a.location.lon == b.location.lon &&
         a.confidence == b.confidence && a.attributes_json == b.attributes_json && a.evidence == b.evidence;
}

bool SameStatus(const Status& a, const Status& b) { return a.code() == b.code() && a.message() == b.message(); }

bool SameResult(const Result<ParsedBatch>& a, const Result<ParsedBatch>& b) {
  if (a.ok() != b.ok()) return false;
  if (!a.ok()) return SameStatus(a.status(), b.status());
  if (a->events.size() != b->events.size() || a->parse_errors.size() != a->events.size() ||
      b->parse_errors.size() != b->events.size())
    return false;
  for (size_t i = 0; i < a->events.size(); ++i)
    if (!SameEvent(a->events[i], b->events[i]) || !SameStatus(a->parse_errors[i], b->parse_errors[i])) return false;
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view body = fuzz::AsText(data, size);
  auto as_sent = ParseEventBatch(body, kMaxItems);
  if (as_sent.ok()) fuzz::Require(as_sent->events.size() <= kMaxItems, "a batch over the item limit was accepted");
  // One buffer of spaces for every run: the input is copied in front and wiped out after.
  static std::string padded(kPastReusedParser, ' ');
  if (size >= kPastReusedParser) return 0;  // already a large body: there is no small one to compare
  std::copy(body.begin(), body.end(), padded.begin());
  auto large = ParseEventBatch(padded, kMaxItems);
  std::fill_n(padded.begin(), size, ' ');
  fuzz::Require(SameResult(as_sent, large), "the parsers for small and large bodies disagree");
  return 0;
}
