// Ingest benchmark: batch ingest through HTTP with durable commits, against raw SQLite.
//
// A real hub runs in this process (gb::testing::HubFixture: a fresh SQLite store with the
// demo district and an edge token, serving on a free loopback port with the hub's default
// thread count). Two client threads, each on its own keep-alive connection, send batches of
// 1,000 distinct events to POST /api/v1/events:batch with the edge token. Each client is an
// edge agent for its own part of the district (DESIGN: one agent per camera group): the
// areas are split by longitude, and an agent reports what happens in its areas, from the
// sources there. The events are realistic: categories from the demo's services chosen by the
// kind of area they happen in (helmets on construction sites, parking in no-parking zones,
// bins at waste points, …), places spread over the agent's areas, sources that fit (the
// nearest camera, the category's nearest sensor, or one of the agent's patrols), one evidence
// reference per camera event and a unique idempotency key each. Most events are repeated
// observations of a pool of ongoing situations, so correlation both opens incidents and
// joins events to them; now and then a situation ends and a new one starts somewhere else.
//
// How many sources a batch mixes matters to the store: each source's idempotency keys sort
// together, so a batch writes one index page per source it names. GLASSBRAIN_INGEST_SOURCES=mixed
// runs the harsher case where every client reports from every source of the district.
//
// Every item of every answer must be "stored". The figure is events per second over the
// measured batches (after one warm-up batch per client; request bodies are built before the
// clock starts), divided by the rows per
// second of RawSqliteInsertRowsPerSecond (bench/sqlite_baseline.h) inserting the same number
// of rows in batches of the same size into a fresh file in the same directory, measured in
// the same run: once just before and once just after the hub's run, averaged, so that a
// change in the machine's load or disk latency during the run weighs on both sides.
// Targets: ratio ≥ 0.3 and ≥ 100,000 events/s on 2 cores.
//
// GLASSBRAIN_BENCH_SHORT=1 runs 10 batches (CI only checks that it works);
// GLASSBRAIN_INGEST_BATCHES=N runs N (the default is 200), e.g. for profiling.
// GLASSBRAIN_INGEST_SOURCES=agents (the default) or mixed, as above.
// Exit status: 0 when the run worked (a missed target only prints FAIL); 1 when an item was
// not stored, a request failed or the baseline could not run; 2 when the hub did not start.

#include <algorithm>
#include <atomic>
#include <boost/geometry/algorithms/covered_by.hpp>
#include <boost/geometry/algorithms/envelope.hpp>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <mutex>
#include <random>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "../tests/integration/hub_fixture.h"
#include "machine.h"
#include "sqlite_baseline.h"
#include "core/geo.h"
#include "core/time.h"

namespace gb {
namespace {

using Clock = std::chrono::steady_clock;

struct Options {
  bool short_run = false;
  int batches = 200;            // measured batches, shared by the client threads
  int warmup_batches_per_client = 1;
  int batch_size = 1000;
  int clients = 2;
  int situations = 1500;        // ongoing situations that events observe, over all clients
  bool mixed_sources = false;   // every client reports from the whole district
  double new_situation_share = 0.05;  // chance per event that a situation ends and another starts
};

// ---- the events -------------------------------------------------------------------------

// Categories that plausibly happen in an area of a kind; the rest of the district (wards,
// the district itself, anything unknown) gets the street-level ones.
std::vector<std::string> CategoriesFor(const std::string& kind) {
  static const std::map<std::string, std::vector<std::string>> by_kind = {
      {"construction_site", {"no_helmet", "dumped_rubbish", "noise"}},
      {"no_parking", {"illegal_parking"}},
      {"poster_wall", {"unauthorized_poster", "graffiti"}},
      {"waste_point", {"overflowing_bin", "dumped_rubbish"}},
      {"park", {"dumped_rubbish", "broken_streetlight", "graffiti"}},
      {"underpass", {"flooding", "broken_streetlight", "graffiti"}},
      {"school_zone", {"illegal_parking", "air_quality"}},
      {"market", {"dumped_rubbish", "noise", "illegal_parking"}},
  };
  auto it = by_kind.find(kind);
  if (it != by_kind.end()) return it->second;
  return {"pothole", "illegal_parking", "dumped_rubbish", "broken_streetlight", "graffiti", "air_quality"};
}

// The camera rule that reports a category, or "" when cameras do not see it.
std::string CameraRuleFor(const std::string& category) {
  if (category == "illegal_parking") return "stationary_vehicle";
  if (category == "dumped_rubbish") return "dumped_object";
  if (category == "unauthorized_poster" || category == "graffiti") return "poster";
  if (category == "no_helmet") return "no_helmet";
  return "";
}

struct Situation {
  std::string category;
  std::string source_kind;  // camera, sensor or patrol
  std::string source_id;
  std::string rule;
  LatLon where;
};

class EventMaker {
 public:
  // Reports situations in district.areas[i] for i in `areas`, with patrols patrol-first …
  // patrol-last; `situations` is the size of its pool; `seed` makes its run repeatable and
  // numbers its events apart from other makers' (the number ends each idempotency key).
  EventMaker(const District& district, const Options& options, std::vector<size_t> areas, int first_patrol,
             int last_patrol, int situations, std::uint64_t seed, TimeMs first_observed_at, TimeMs step_ms)
      : district_(district),
        options_(options),
        areas_(std::move(areas)),
        first_patrol_(first_patrol),
        last_patrol_(last_patrol),
        observed_at_(first_observed_at),
        step_ms_(step_ms),
        rng_(seed),
        events_(static_cast<std::int64_t>(seed % 1000) * 1'000'000'000) {
    for (const auto& s : district.services) known_.push_back(s.code);
    for (const auto& a : district.areas) {
      GeoBox box;
      boost::geometry::envelope(a.polygon, box);
      boxes_.push_back(box);
    }
    pool_.reserve(static_cast<size_t>(situations));
    for (int i = 0; i < situations; ++i) pool_.push_back(NewSituation());
  }

  // Appends one batch as a JSON array to `out`.
  void Batch(int size, std::string& out) {
    out.clear();
    out.reserve(static_cast<size_t>(size) * 480);
    out += '[';
    for (int i = 0; i < size; ++i) {
      if (i) out += ',';
      AppendEvent(out);
    }
    out += ']';
  }

  std::int64_t situations_started() const { return situations_started_; }

 private:
  Situation NewSituation() {
    ++situations_started_;
    std::uniform_int_distribution<size_t> pick_area(0, areas_.size() - 1);
    size_t ai = areas_[pick_area(rng_)];
    const Area& area = district_.areas[ai];
    Situation s;
    std::vector<std::string> cats;
    for (auto& c : CategoriesFor(area.kind))
      if (std::find(known_.begin(), known_.end(), c) != known_.end()) cats.push_back(c);
    if (cats.empty()) cats = known_;
    s.category = cats[std::uniform_int_distribution<size_t>(0, cats.size() - 1)(rng_)];
    s.where = PointIn(area, boxes_[ai]);
    std::string rule = CameraRuleFor(s.category);
    if (!rule.empty() && !district_.cameras.empty()) {
      s.source_kind = "camera";
      s.source_id = Nearest(district_.cameras, s.where, [](const Camera&) { return true; })->id;
      s.rule = rule;
      return s;
    }
    const Sensor* sensor =
        Nearest(district_.sensors, s.where, [&](const Sensor& x) { return x.category == s.category; });
    if (sensor && DistanceMeters(sensor->position, s.where) < 400) {
      s.source_kind = "sensor";
      s.source_id = sensor->id;
      s.where = sensor->position;
      s.rule = "threshold";
      return s;
    }
    s.source_kind = "patrol";
    s.source_id = "patrol-" + std::to_string(std::uniform_int_distribution<int>(first_patrol_, last_patrol_)(rng_));
    s.rule = "patrol";
    return s;
  }

  LatLon PointIn(const Area& area, const GeoBox& box) {
    std::uniform_real_distribution<double> x(box.min_corner().x(), box.max_corner().x());
    std::uniform_real_distribution<double> y(box.min_corner().y(), box.max_corner().y());
    for (int tries = 0; tries < 2000; ++tries) {
      GeoPoint p(x(rng_), y(rng_));
      if (boost::geometry::covered_by(p, area.polygon)) return {p.y(), p.x()};
    }
    return {area.polygon.outer().front().y(), area.polygon.outer().front().x()};  // a vertex is inside
  }

  template <typename T, typename Keep>
  const T* Nearest(const std::vector<T>& items, LatLon p, Keep keep) {
    const T* best = nullptr;
    double best_d = 0;
    for (const auto& it : items) {
      if (!keep(it)) continue;
      double d = DistanceMeters(it.position, p);
      if (!best || d < best_d) {
        best = &it;
        best_d = d;
      }
    }
    return best;
  }

  static void AppendHex64(std::string& out, std::uint64_t seed) {
    static const char* digits = "0123456789abcdef";
    for (int w = 0; w < 4; ++w) {
      std::uint64_t z = (seed += 0x9e3779b97f4a7c15ULL);  // splitmix64
      z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
      z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
      z ^= z >> 31;
      for (int i = 0; i < 16; ++i) out += digits[(z >> (60 - 4 * i)) & 0xf];
    }
  }

  void AppendEvent(std::string& out) {
    std::uniform_real_distribution<double> unit(0, 1);
    size_t si = std::uniform_int_distribution<size_t>(0, pool_.size() - 1)(rng_);
    if (unit(rng_) < options_.new_situation_share) pool_[si] = NewSituation();
    const Situation& s = pool_[si];
    const std::int64_t n = ++events_;
    const TimeMs at = observed_at_;
    observed_at_ += step_ms_;
    const std::string when = FormatRfc3339(at);
    // Up to about 10 m from where the situation is: well inside the 50 m join distance.
    std::normal_distribution<double> jitter(0, 0.00003);
    double lat = s.where.lat + (s.source_kind == "sensor" ? 0 : jitter(rng_));
    double lon = s.where.lon + (s.source_kind == "sensor" ? 0 : jitter(rng_));
    char num[160];

    out += "{\"idempotency_key\":\"";
    out += s.source_id;
    out += '/';
    out += when;
    out += '/';
    out += s.rule;
    out += '/';
    out += std::to_string(n);
    out += "\",\"source\":{\"kind\":\"";
    out += s.source_kind;
    out += "\",\"id\":\"";
    out += s.source_id;
    out += "\"},\"category\":\"";
    out += s.category;
    out += "\",\"rule\":\"";
    out += s.rule;
    out += "\",\"observed_at\":\"";
    out += when;
    std::snprintf(num, sizeof num, "\",\"location\":{\"lat\":%.7f,\"lon\":%.7f},\"confidence\":%.2f,\"attributes\":",
                  lat, lon, s.source_kind == "patrol" ? 1.0 : 0.55 + 0.44 * unit(rng_));
    out += num;
    if (s.rule == "stationary_vehicle")
      std::snprintf(num, sizeof num, "{\"dwell_s\":%d}", std::uniform_int_distribution<int>(120, 1800)(rng_));
    else if (s.rule == "no_helmet")
      std::snprintf(num, sizeof num, "{\"people\":%d}", std::uniform_int_distribution<int>(1, 4)(rng_));
    else if (s.rule == "threshold")
      std::snprintf(num, sizeof num, "{\"value\":%.2f}", 0.85 + 0.15 * unit(rng_));
    else if (s.rule == "dumped_object" || s.rule == "poster")
      std::snprintf(num, sizeof num, "{\"changed_area_m2\":%.2f}", 0.2 + 2 * unit(rng_));
    else
      std::snprintf(num, sizeof num, "{}");
    out += num;
    if (s.source_kind == "camera") {
      out += ",\"evidence\":[\"sha256:";
      AppendHex64(out, static_cast<std::uint64_t>(n));
      out += "\"]";
    }
    out += '}';
  }

  const District& district_;
  const Options& options_;
  std::vector<size_t> areas_;
  int first_patrol_, last_patrol_;
  TimeMs observed_at_;
  TimeMs step_ms_;
  std::mt19937_64 rng_;
  std::vector<std::string> known_;
  std::vector<GeoBox> boxes_;
  std::vector<Situation> pool_;
  std::int64_t events_;
  std::int64_t situations_started_ = 0;
};

size_t Count(std::string_view hay, std::string_view needle) {
  size_t n = 0;
  for (size_t pos = hay.find(needle); pos != std::string_view::npos; pos = hay.find(needle, pos + needle.size())) ++n;
  return n;
}

// ---- the run ----------------------------------------------------------------------------

struct Failure {
  std::mutex mu;
  std::string first;
  std::atomic<bool> any{false};
  void Set(std::string what) {
    std::lock_guard lock(mu);
    if (!any.exchange(true)) first = std::move(what);
  }
};

// Sends bodies[from, to) in order over one keep-alive connection; checks that every item of
// every answer was stored.
void Client(std::uint16_t port, const std::string& token, const std::vector<std::string>& bodies, size_t from,
            size_t to, int batch_size, Failure& failure) {
  std::unique_ptr<testing::KeepAliveClient> conn;
  try {
    conn = std::make_unique<testing::KeepAliveClient>(port);
  } catch (const std::exception& e) {
    return failure.Set(std::string("cannot connect to the hub: ") + e.what());
  }
  const std::vector<std::string> headers = {"Authorization: Bearer " + token, "Content-Type: application/json"};
  const std::string expected = "\"status\":\"stored\"";
  for (size_t i = from; i < to && !failure.any; ++i) {
    const testing::HttpReply r = conn->Request("POST", "/api/v1/events:batch", bodies[i], headers);
    const int status = r.status;
    const std::string& reply = r.body;
    if (status != 200)
      return failure.Set("batch " + std::to_string(i) + " answered " + std::to_string(status) + ": " +
                         reply.substr(0, 300));
    size_t items = Count(reply, "\"status\":"), stored = Count(reply, expected);
    if (items != static_cast<size_t>(batch_size) || stored != items) {
      size_t bad = reply.find("\"error\"");
      return failure.Set("batch " + std::to_string(i) + ": " + std::to_string(stored) + " of " +
                         std::to_string(batch_size) + " items stored" +
                         (bad != std::string::npos ? "; first error: " + reply.substr(bad, 200) : ""));
    }
  }
}

// The areas of each client's part of the district: all areas sorted by the longitude of
// their centres and cut into `clients` runs; with `mixed`, every client gets all of them.
std::vector<std::vector<size_t>> SplitAreas(const District& district, int clients, bool mixed) {
  std::vector<size_t> order(district.areas.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  if (mixed) return std::vector<std::vector<size_t>>(static_cast<size_t>(clients), order);
  std::vector<double> lon(order.size());
  for (size_t i = 0; i < order.size(); ++i) {
    GeoBox box;
    boost::geometry::envelope(district.areas[i].polygon, box);
    lon[i] = (box.min_corner().x() + box.max_corner().x()) / 2;
  }
  std::sort(order.begin(), order.end(), [&](size_t a, size_t b) { return lon[a] < lon[b]; });
  std::vector<std::vector<size_t>> parts(static_cast<size_t>(clients));
  for (size_t i = 0; i < order.size(); ++i) parts[i * static_cast<size_t>(clients) / order.size()].push_back(order[i]);
  return parts;
}

int Run(const Options& o) {
  std::printf("ingest_bench: %d client threads on keep-alive connections, %d batches of %d events (+%d warm-up)\n",
              o.clients, o.batches, o.batch_size, o.warmup_batches_per_client * o.clients);
  std::unique_ptr<testing::HubFixture> hub;
  try {
    // The hub's own default thread count (one per hardware thread, at least 2), as in serve.
    hub = std::make_unique<testing::HubFixture>([](HubOptions& h) { h.server.threads = 0; });
  } catch (const std::exception& e) {
    std::fprintf(stderr, "ingest_bench: the hub did not start: %s\n", e.what());
    return 2;
  }
  const District district = hub->hub().catalog().Get()->district;
  if (district.areas.empty() || district.services.empty()) {
    std::fprintf(stderr, "ingest_bench: the hub has no district\n");
    return 2;
  }

  const int warmup = o.warmup_batches_per_client * o.clients;
  const int total = warmup + o.batches;
  const std::int64_t events = static_cast<std::int64_t>(total) * o.batch_size;
  // Observations spread over the 10 minutes before now (all well inside the join window).
  const TimeMs now = std::chrono::duration_cast<std::chrono::milliseconds>(
                         std::chrono::system_clock::now().time_since_epoch()).count();
  // Client c sends its warm-up batches, then measured[c] batches, each from its own maker.
  const auto areas = SplitAreas(district, o.clients, o.mixed_sources);
  const int patrols = 12;
  std::vector<int> measured_batches(static_cast<size_t>(o.clients), o.batches / o.clients);
  for (int c = 0; c < o.batches % o.clients; ++c) ++measured_batches[static_cast<size_t>(c)];
  std::vector<std::vector<std::string>> bodies(static_cast<size_t>(o.clients));
  double mean_bytes = 0;
  std::int64_t situations = 0;
  for (int c = 0; c < o.clients; ++c) {
    const int n = o.warmup_batches_per_client + measured_batches[static_cast<size_t>(c)];
    const TimeMs step = std::max<TimeMs>(1, 600'000 / (static_cast<std::int64_t>(n) * o.batch_size));
    const int first_patrol = o.mixed_sources ? 1 : 1 + c * patrols / o.clients;
    const int last_patrol = o.mixed_sources ? patrols : (c + 1) * patrols / o.clients;
    EventMaker maker(district, o, areas[static_cast<size_t>(c)], first_patrol, last_patrol,
                     o.situations / o.clients, 20261124 + static_cast<std::uint64_t>(c), now - 600'000, step);
    auto& mine = bodies[static_cast<size_t>(c)];
    mine.resize(static_cast<size_t>(n));
    for (auto& b : mine) {
      maker.Batch(o.batch_size, b);
      mean_bytes += static_cast<double>(b.size()) / total;
    }
    situations += maker.situations_started();
  }
  std::printf("request bodies: %.0f bytes per batch, %.0f per event; %lld situations over %zu areas; %s\n", mean_bytes,
              mean_bytes / o.batch_size, static_cast<long long>(situations), district.areas.size(),
              o.mixed_sources ? "every client reports from every source (mixed)"
                              : "each client is the edge agent of its own part of the district");

  const double baseline_before = RawSqliteInsertRowsPerSecond(hub->dir() + "/baseline.db", o.batches, o.batch_size);

  Failure failure;
  // Phase 0 sends each client's warm-up batches, phase 1 the measured ones.
  auto drive = [&](int phase) {
    std::vector<std::thread> threads;
    for (size_t c = 0; c < bodies.size(); ++c) {
      const size_t w = static_cast<size_t>(o.warmup_batches_per_client);
      threads.emplace_back(Client, hub->port(), std::cref(hub->edge_token()), std::cref(bodies[c]),
                           phase == 0 ? 0 : w, phase == 0 ? w : bodies[c].size(), o.batch_size, std::ref(failure));
    }
    for (auto& t : threads) t.join();
  };
  drive(0);
  const auto started = Clock::now();
  const double cpu_before = bench::ProcessCpuSeconds();
  drive(1);
  const double seconds = std::chrono::duration<double>(Clock::now() - started).count();
  const double cpu = bench::ProcessCpuSeconds() - cpu_before;
  if (failure.any) {
    std::fprintf(stderr, "ingest_bench: BROKEN RUN: %s\n", failure.first.c_str());
    return 1;
  }
  const double measured = static_cast<double>(o.batches) * o.batch_size;
  const double hub_rate = measured / seconds;

  std::int64_t incidents = 0;
  for (const auto& [state, n] : hub->hub().store().CountIncidentsByState().value()) incidents += n;
  const std::int64_t changes = hub->hub().store().LastChangeSeq().value();  // one per incident a batch touched

  const double baseline_after = RawSqliteInsertRowsPerSecond(hub->dir() + "/baseline.db", o.batches, o.batch_size);
  const double baseline = (baseline_before + baseline_after) / 2;
  if (baseline_before <= 0 || baseline_after <= 0) {
    std::fprintf(stderr, "ingest_bench: BROKEN RUN: the raw SQLite baseline failed\n");
    return 1;
  }
  const double ratio = hub_rate / baseline;
  std::printf("hub HTTP batch ingest: %.0f events/s (%.0f events in %.3f s)\n", hub_rate, measured, seconds);
  std::printf("correlation: %lld incidents for %lld events; %.0f incidents touched per batch on average\n",
              static_cast<long long>(incidents), static_cast<long long>(events),
              static_cast<double>(changes) / total);
  // CPU time of this process (hub and clients; the clients only send prebuilt bodies and
  // scan answers) says how far the figure is from what the cores could do, whatever else runs.
  std::printf("process CPU while ingesting: %.1f ms per batch of %d (%.2f cores busy on average)\n",
              1e3 * cpu / o.batches, o.batch_size, cpu / seconds);
  std::printf("raw SQLite batched insert (same rows, same batch size): %.0f rows/s (%.0f before, %.0f after)\n",
              baseline, baseline_before, baseline_after);
  std::printf("ratio: %.3f\n", ratio);
  std::printf("ratio >= 0.3: %s\n", ratio >= 0.3 ? "PASS" : "FAIL");
  std::printf(">= 100,000 events/s: %s\n", hub_rate >= 100'000 ? "PASS" : "FAIL");
  std::printf("(hub, clients and baseline share this machine's %u hardware threads)\n",
              std::thread::hardware_concurrency());
  bench::WarnIfBusy(
      "events/s and rows/s are lower than on an idle machine, and the CPU per batch above is the steadier one");
  return 0;
}

}  // namespace
}  // namespace gb

int main() {
  gb::Options o;
  const char* s = std::getenv("GLASSBRAIN_BENCH_SHORT");
  o.short_run = s && *s && std::strcmp(s, "0") != 0;
  if (o.short_run) o.batches = 10;
  if (const char* b = std::getenv("GLASSBRAIN_INGEST_BATCHES"); b && std::atoi(b) > 0) o.batches = std::atoi(b);
  if (const char* m = std::getenv("GLASSBRAIN_INGEST_SOURCES")) {
    if (std::strcmp(m, "mixed") != 0 && std::strcmp(m, "agents") != 0) {
      std::fprintf(stderr, "ingest_bench: GLASSBRAIN_INGEST_SOURCES is 'agents' (the default) or 'mixed', not '%s'\n", m);
      return 2;
    }
    o.mixed_sources = std::strcmp(m, "mixed") == 0;
  }
  return gb::Run(o);
}
