// The district in the store: every entity is one ConfigDoc of its kind whose id is the
// entity's id (a service's code) and whose json is the entity's codec JSON (district/codec.h).
// The settings are one ConfigDoc of kind kSetting with id "district" (DistrictSettingsToJson).
//
// Uses only the Store/WriteTxn interface. Thread-safety is the store's (see store/store.h);
// the functions here keep no state.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "core/status.h"
#include "district/district.h"
#include "store/store.h"

namespace gb {

inline constexpr std::string_view kDistrictSettingId = "district";

// Validates the district (ValidateDistrict) and writes every entity and the settings with
// PutConfig (insert or replace). Writes nothing when validation fails. Documents of ids no
// longer in `district` are left alone: see ReplaceDistrict.
Status SaveDistrict(WriteTxn& txn, const District& district);

// Replaces the whole stored district in one Write: deletes config documents (of the
// entity kinds) whose ids are not in `district`, then SaveDistrict. The ids to delete are
// listed before the write starts, so a document added concurrently by another writer
// between the two survives (it is never lost, only possibly kept).
Status ReplaceDistrict(Store& store, const District& district);

// Reads every entity and the settings back, sorted by id within each kind, and validates
// the result. NotFound when no settings document is stored; Invalid naming the document
// ("stored camera 'cam-13': …") when one does not decode or the whole does not validate.
Result<District> LoadDistrictFromStore(Store& store);

// For the admin REST API: validates one entity's JSON body of `kind` (its codec's shape;
// for kSetting the settings object) and returns the normalised document, id taken from the
// body ("code" for services, "district" for settings). Cross references are not checked:
// apply the doc to the current district with ApplyConfigDoc and ValidateDistrict the result.
Result<ConfigDoc> ToConfigDoc(ConfigKind kind, const nlohmann::json& body);

// The stored JSON of a document, parsed. null when the stored text is not JSON (never the
// case for documents written by this module).
nlohmann::json ConfigDocToJson(const ConfigDoc& doc);

// Inserts or replaces (by id) the entity of `doc` in `district`, or sets its settings.
// Invalid when the doc does not decode. Does not validate cross references.
Status ApplyConfigDoc(District& district, const ConfigDoc& doc);
// Removes the entity of `kind` with `id`; NotFound when absent, Invalid for kSetting.
Status RemoveConfigDoc(District& district, ConfigKind kind, const std::string& id);

}  // namespace gb
