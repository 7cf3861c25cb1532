#include "cli/simulator.h"

#include <spdlog/spdlog.h>

#include <boost/geometry.hpp>

namespace gb {
namespace {

// The category a camera rule reports, or "" for rules that raise no incident by themselves.
std::string CategoryOfRule(const std::string& rule) {
  if (rule == "stationary_vehicle") return "illegal_parking";
  if (rule == "dumped_object") return "dumped_rubbish";
  if (rule == "poster") return "unauthorized_poster";
  if (rule == "no_helmet") return "no_helmet";
  return "";
}

const char* kReportTexts[] = {
    "Seen on my way to work this morning.", "Has been like this for two days.", "Please send someone soon.",
    "It is blocking the pavement.", "Children walk past here every day.", "Reported by a shop owner nearby."};

}  // namespace

Simulator::Simulator(IncidentService& incidents, Store& store, const CatalogHolder& catalog, Env* env,
                     std::vector<std::string> crew, unsigned seed)
    : incidents_(incidents), store_(store), catalog_(catalog), env_(env), crew_(std::move(crew)), rng_(seed) {}

Simulator::~Simulator() { Stop(); }

void Simulator::Start(std::chrono::milliseconds tick) {
  thread_ = std::thread([this, tick] {
    while (!stop_) {
      Step();
      for (auto waited = std::chrono::milliseconds(0); waited < tick && !stop_; waited += std::chrono::milliseconds(50))
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
  });
}

void Simulator::Stop() {
  stop_ = true;
  if (thread_.joinable()) thread_.join();
}

void Simulator::Step() {
  auto catalog = catalog_.Get();
  std::uniform_int_distribution<int> pick(0, 9);
  int roll = pick(rng_);
  if (roll < 5) CameraEvent(*catalog);
  else if (roll < 8) SensorReading(*catalog);
  else ResidentReport(*catalog);
  if (pick(rng_) < 4) MoveSomeIncident();
}

void Simulator::CameraEvent(const Catalog& c) {
  const auto& cams = c.district.cameras;
  if (cams.empty()) return;
  const Camera& cam = cams[std::uniform_int_distribution<size_t>(0, cams.size() - 1)(rng_)];
  std::vector<std::string> categories;
  for (const auto& r : cam.rules)
    if (auto cat = CategoryOfRule(r); !cat.empty() && c.district.FindService(cat)) categories.push_back(cat);
  if (categories.empty()) return;
  std::string category = categories[std::uniform_int_distribution<size_t>(0, categories.size() - 1)(rng_)];
  // Somewhere in the middle of what the camera sees.
  GeoPoint centre(0, 0);
  boost::geometry::centroid(cam.coverage, centre);
  std::normal_distribution<double> jitter(0, 0.00004);
  Event e;
  e.observed_at = env_->NowMs();
  e.idempotency_key = cam.id + "/" + FormatRfc3339(e.observed_at) + "/" + category + "/" + std::to_string(++counter_);
  e.source_kind = SourceKind::kCamera;
  e.source_id = cam.id;
  e.category = category;
  e.rule = category == "illegal_parking" ? "stationary_vehicle" : category == "no_helmet" ? "no_helmet" : "dumped_object";
  e.location = {centre.y() + jitter(rng_), centre.x() + jitter(rng_)};
  e.confidence = std::uniform_real_distribution<double>(0.55, 0.98)(rng_);
  e.attributes_json = category == "illegal_parking"
                          ? "{\"dwell_s\":" + std::to_string(std::uniform_int_distribution<int>(120, 1800)(rng_)) + "}"
                          : "{}";
  auto r = incidents_.Ingest({e}, Actor{"simulator", Role::kEdge, true});
  if (!r.ok()) spdlog::warn("event=simulator_failed reason=\"{}\"", r.status().message());
}

void Simulator::SensorReading(const Catalog& c) {
  const auto& sensors = c.district.sensors;
  if (sensors.empty()) return;
  const Sensor& s = sensors[std::uniform_int_distribution<size_t>(0, sensors.size() - 1)(rng_)];
  double& v = sensor_values_[s.id];
  // A random walk that drifts up past the threshold and is reset below the clear level,
  // like a bin filling and being emptied.
  double span = std::max(1e-6, s.threshold - s.clear);
  v += std::uniform_real_distribution<double>(-0.1, 0.45)(rng_) * span;
  if (v > s.threshold + span) v = s.clear - 0.1 * span;
  auto event = sensors_.Feed(s, v, env_->NowMs());
  if (event.ok() && *event) {
    auto r = incidents_.Ingest({**event}, Actor{"simulator", Role::kEdge, true});
    if (!r.ok()) spdlog::warn("event=simulator_failed reason=\"{}\"", r.status().message());
  }
}

void Simulator::ResidentReport(const Catalog& c) {
  const auto& services = c.district.services;
  const auto& areas = c.district.areas;
  if (services.empty() || areas.empty()) return;
  const Service& svc = services[std::uniform_int_distribution<size_t>(0, services.size() - 1)(rng_)];
  const Area& area = areas[std::uniform_int_distribution<size_t>(0, areas.size() - 1)(rng_)];
  GeoPoint centre(0, 0);
  boost::geometry::centroid(area.polygon, centre);
  Report r;
  r.token = "sim-" + std::to_string(env_->NowMs()) + "-" + std::to_string(++counter_);
  r.service_code = svc.code;
  r.description = kReportTexts[std::uniform_int_distribution<size_t>(0, std::size(kReportTexts) - 1)(rng_)];
  r.location = {centre.y(), centre.x()};
  r.address = area.name;
  r.requested_at = env_->NowMs();
  Status s = incidents_.SubmitReport(r, Actor{"simulator", Role::kCrew, true});
  if (!s.ok()) spdlog::warn("event=simulator_failed reason=\"{}\"", s.message());
}

void Simulator::MoveSomeIncident() {
  IncidentFilter f;
  f.states = {IncidentState::kRouted, IncidentState::kDispatched, IncidentState::kInProgress};
  f.limit = 50;
  auto listed = store_.ListIncidents(f);
  if (!listed.ok() || listed->empty() || crew_.empty()) return;  // a failed read: try again next tick
  const std::vector<Incident>& open = *listed;
  const Incident& inc = open[std::uniform_int_distribution<size_t>(0, open.size() - 1)(rng_)];
  TransitionRequest t{IncidentState::kDispatched, "", "", ""};
  Actor actor{"simulator", Role::kDispatcher, true};
  switch (inc.state) {
    case IncidentState::kRouted:
      t.assignee = crew_[std::uniform_int_distribution<size_t>(0, crew_.size() - 1)(rng_)];
      t.note = "Nearest crew assigned.";
      break;
    case IncidentState::kDispatched:
      t.to = IncidentState::kInProgress;
      t.note = "Crew on site.";
      actor = Actor{inc.assignee, Role::kCrew, false};
      break;
    default:
      t.to = IncidentState::kResolved;
      // The district's general "fixed" answer, which residents read on their request.
      if (catalog_.Get()->district.FindTemplate("fixed")) t.template_id = "fixed";
      else t.note = "Done; photo attached by crew.";
      actor = Actor{inc.assignee, Role::kCrew, false};
  }
  auto r = incidents_.Transition(inc.id, t, actor);
  if (!r.ok()) spdlog::debug("event=simulator_transition_refused reason=\"{}\"", r.status().message());
}

}  // namespace gb
