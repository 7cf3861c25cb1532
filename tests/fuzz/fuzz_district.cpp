// The district's readers on untrusted text: ParseDistrict (areas and cameras GeoJSON,
// district.toml) and the JSON codecs the admin API reads entities with (district/codec.h).
// Input: with form feeds ('\f'), the three texts of ParseDistrict in that order; without, one
// JSON body (checked for nesting first, as the admin API does) fed to every codec.
// Properties: whatever a codec reads, it writes as JSON that reads back to the same JSON;
// a parsed district's areas and cameras, written as a FeatureCollection, read back.
#include <nlohmann/json.hpp>
#include <string>

#include "core/json_depth.h"
#include "district/codec.h"
#include "district/district.h"
#include "fuzz_input.h"

using namespace gb;
using nlohmann::json;

namespace {

template <typename T>
void RoundTrip(const json& j, Result<T> (*read)(const json&), json (*write)(const T&), const char* what) {
  auto first = read(j);
  if (!first.ok()) return;
  json written = write(*first);
  auto again = read(written);
  if (!again.ok()) std::fprintf(stderr, "%s: %s\n", what, again.status().message().c_str());
  fuzz::Require(again.ok(), "a codec does not read what it wrote");
  if (write(*again) != written) std::fprintf(stderr, "%s:\n%s\n%s\n", what, written.dump().c_str(), write(*again).dump().c_str());
  fuzz::Require(write(*again) == written, "a codec's output changes when read back");
}

void FeatureCollectionRoundTrip(const std::vector<Area>& areas, const std::vector<Camera>& cameras) {
  json written = ToFeatureCollection(areas, cameras);
  auto again = ParseFeatureCollection(written);
  if (!again.ok()) std::fprintf(stderr, "%s\n", again.status().message().c_str());
  fuzz::Require(again.ok(), "a written FeatureCollection does not read back");
  fuzz::Require(ToFeatureCollection(again->first, again->second) == written,
                "a FeatureCollection changes when read back");
}

void Codecs(std::string_view text) {
  if (!CheckJsonNesting(text).ok()) return;
  json j = json::parse(text, nullptr, false);
  if (j.is_discarded()) return;
  RoundTrip<GeoPolygon>(j, PolygonFromGeoJson, PolygonToGeoJson, "polygon");
  RoundTrip<Area>(j, AreaFromJson, AreaToJson, "area");
  RoundTrip<Camera>(j, CameraFromJson, CameraToJson, "camera");
  RoundTrip<Department>(j, DepartmentFromJson, DepartmentToJson, "department");
  RoundTrip<RoutingRule>(j, RoutingRuleFromJson, RoutingRuleToJson, "routing rule");
  RoundTrip<Service>(j, ServiceFromJson, ServiceToJson, "service");
  RoundTrip<Sensor>(j, SensorFromJson, SensorToJson, "sensor");
  RoundTrip<Sla>(j, SlaFromJson, SlaToJson, "sla");
  RoundTrip<ResponseTemplate>(j, ResponseTemplateFromJson, ResponseTemplateToJson, "response template");
  RoundTrip<EvidencePurpose>(j, EvidencePurposeFromJson, EvidencePurposeToJson, "evidence purpose");
  RoundTrip<Retention>(j, RetentionFromJson, RetentionToJson, "retention");
  if (auto camera = CameraFromJson(j); camera.ok()) (void)CameraCoverageFeature(*camera).dump();
  District district;
  if (DistrictSettingsFromJson(j, district).ok()) {
    District again;
    Status s = DistrictSettingsFromJson(DistrictSettingsToJson(district), again);
    fuzz::Require(s.ok() && DistrictSettingsToJson(again) == DistrictSettingsToJson(district),
                  "the district settings change when read back");
  }
  if (auto collection = ParseFeatureCollection(j); collection.ok())
    FeatureCollectionRoundTrip(collection->first, collection->second);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view input = fuzz::AsText(data, size);
  if (input.find('\f') == std::string_view::npos) {
    Codecs(input);
    return 0;
  }
  auto f = fuzz::Fields(input, '\f', 3);
  auto district = ParseDistrict(f[0], f[1], f[2]);
  if (district.ok()) {
    FeatureCollectionRoundTrip(district->areas, district->cameras);
    fuzz::Require(ValidateDistrict(*district).ok(), "a parsed district does not validate");
  }
  return 0;
}
