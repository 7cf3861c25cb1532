// The password policy for staff accounts (ASVS 4.0 2.1.1, 2.1.2, 2.1.7): 12 to 128
// characters (UTF-8 code points), not one character repeated, not containing the account's
// name, and not a plain dictionary word (case ignored, digits and punctuation around it
// ignored: "Elephant1234!" counts as "elephant"). The words come from the system word list
// (Debian's wamerican, /usr/share/dict/words), read once; where it is missing the other
// rules still apply and DictionaryAvailable() says so.
//
// Thread-safe.
#pragma once

#include <string_view>

#include "core/status.h"

namespace gb::auth {

inline constexpr std::string_view kWordListPath = "/usr/share/dict/words";

// OK, or Invalid naming the rule that failed. `account_name` may be empty (no name check).
Status CheckPasswordPolicy(std::string_view password, std::string_view account_name);

bool DictionaryAvailable();

}  // namespace gb::auth
