// Internal to the district module: small helpers shared by codec.cpp, district.cpp and
// persist.cpp. Not part of the module's interface.
#pragma once

#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "core/status.h"

namespace gb::district_internal {

// "a string", "a number", "an array", … for messages about a value of the wrong type.
std::string JsonTypeWord(const nlohmann::json& value);

// A number the way a person wrote it: "-4", "0.5", "1e+30".
std::string FormatNumber(double value);

// "'text'", shortened to `max` characters with "…" so a huge value cannot flood a message.
std::string Quoted(std::string_view text, std::size_t max = 60);

// "feature 12 (cam-13)" when the feature has a string properties.id, else "feature 12".
std::string FeatureLabel(const nlohmann::json& feature, std::size_t index);

// The "features" array of a FeatureCollection, or Invalid saying what is wrong.
Result<const nlohmann::json*> FeaturesOf(const nlohmann::json& collection);

// Parses JSON text; Invalid("not valid JSON: parse error at line 3, column 5: …") otherwise.
Result<nlohmann::json> ParseJsonText(std::string_view text);

// The message of a nlohmann exception without its "[json.exception.…] " tag.
std::string JsonErrorMessage(const nlohmann::json::exception& e);

}  // namespace gb::district_internal
