// Text encodings of the list-valued fields that the SQLite engine keeps in one column.
//
// Evidence list of an event: the hashes joined by single spaces ("sha256:ab… sha256:cd…").
// Incident views: "hash|source_id|confidence" items joined by ';'. Confidence is written in
// the shortest form that reads back to the same double.
// Inside a hash or source id the characters '%', ' ', '|' and ';' are written as %25, %20,
// %7C and %3B, so any string round-trips; valid hashes and ids never contain them, so in
// practice the stored text is the plain joined list.
//
// Thread-safety: pure functions.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/model.h"

namespace gb::sqlite {

// Replaces `out` with the encoding.
void EncodeEvidence(const std::vector<std::string>& hashes, std::string& out);
void DecodeEvidence(std::string_view text, std::vector<std::string>& out);

void EncodeViews(const std::vector<EvidenceView>& views, std::string& out);
void DecodeViews(std::string_view text, std::vector<EvidenceView>& out);

}  // namespace gb::sqlite
