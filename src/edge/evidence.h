// EvidenceEncoder: the one door through which images leave the agent. Every evidence shot
// and every preview goes through the project's anonymizer (faces, the detector's people,
// every person box the tracker holds, plates in vehicle boxes unless the category keeps
// them), and comes out as a JFIF-only JPEG. Raw pixels are never written anywhere.
//
// Thread-safety: immutable after construction; Encode and Preview may be called from every
// camera thread at once (the anonymizer is thread-safe).
#pragma once

#include <string>
#include <vector>

#include <opencv2/core.hpp>

#include "core/status.h"
#include "edge/analysis.h"
#include "edge/config.h"
#include "edge/event.h"
#include "privacy/image/anonymizer.h"

namespace gb::edge {

class EvidenceEncoder {
 public:
  // `anonymizer` must outlive the encoder.
  EvidenceEncoder(const Anonymizer& anonymizer, std::vector<std::string> keep_plates_for)
      : anonymizer_(anonymizer), keep_plates_for_(std::move(keep_plates_for)) {}

  // The anonymized JPEG of `shot`, named by its SHA-256. Plates are blurred unless
  // `category` is one of keep_plates_for.
  Result<Evidence> Encode(const EvidenceShot& shot, const std::string& category) const;

  // An anonymized view of `bgr` with the camera's zones and the tracker's boxes drawn on top
  // (drawn after blurring, so the outlines stay visible), as a JPEG.
  Result<std::string> Preview(const cv::Mat& bgr, const std::vector<TrackView>& tracks,
                              const CameraConfig& camera) const;

 private:
  Result<AnonymizedImage> Anonymize(const EvidenceShot& shot, bool blur_plates) const;

  const Anonymizer& anonymizer_;
  std::vector<std::string> keep_plates_for_;
};

}  // namespace gb::edge
