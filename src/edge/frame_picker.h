// FramePicker: which decoded frames go to analysis. Time is cut into slots of 1/fps s; the
// first frame of each slot is picked. The choice depends on the frames' times only, so a
// file gives the same picks on every run, however fast it is read.
#pragma once

#include <cstdint>

namespace gb::edge {

class FramePicker {
 public:
  explicit FramePicker(double fps) : fps_(fps) {}  // REQUIRES: fps > 0

  // True when the frame at `media_ms` (increasing) starts a new slot. `missed` receives the
  // slots passed over since the last pick without a frame (a stream whose reader fell behind).
  bool Pick(std::int64_t media_ms, std::int64_t* missed = nullptr) {
    auto slot = static_cast<std::int64_t>(static_cast<double>(media_ms) * fps_ / 1000.0);
    if (last_ >= 0 && slot <= last_) return false;
    if (missed) *missed = last_ >= 0 ? slot - last_ - 1 : 0;
    last_ = slot;
    return true;
  }

 private:
  double fps_;
  std::int64_t last_ = -1;
};

}  // namespace gb::edge
