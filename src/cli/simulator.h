// Simulator: keeps the demo district alive. From a seeded random source it feeds camera
// events at the areas cameras watch, sensor readings (turned into events by hysteresis),
// residents' reports, and moves some incidents along (dispatch, start, resolve), at a
// human pace. It goes through the same IncidentService as real traffic.
#pragma once

#include <atomic>
#include <random>
#include <thread>

#include "incidents/service.h"
#include "ingest/sensor_monitor.h"

namespace gb {

class Simulator {
 public:
  Simulator(IncidentService& incidents, Store& store, const CatalogHolder& catalog, Env* env,
            std::vector<std::string> crew, unsigned seed = 2026);
  ~Simulator();  // stops and joins
  void Start(std::chrono::milliseconds tick = std::chrono::milliseconds(1500));
  void Stop();
  // One step: a few observations and perhaps a state change. Public for tests.
  void Step();

 private:
  void CameraEvent(const Catalog& c);
  void SensorReading(const Catalog& c);
  void ResidentReport(const Catalog& c);
  void MoveSomeIncident();

  IncidentService& incidents_;
  Store& store_;
  const CatalogHolder& catalog_;
  Env* env_;
  std::vector<std::string> crew_;
  std::mt19937 rng_;
  SensorMonitor sensors_;
  std::map<std::string, double> sensor_values_;
  std::atomic<bool> stop_{false};
  std::thread thread_;
  std::uint64_t counter_ = 0;
};

}  // namespace gb
