// ParseCookies, ParseForm, PercentDecode, ParseMediaType and ClientAddress on untrusted
// header text. Input: fields separated by '\n': a Cookie header, a form (or query) string,
// also read as a Content-Type, a peer address, an X-Forwarded-For value, and the trusted
// proxies (comma separated).
// Properties: two Cookie headers give the cookies of each, in order; PercentDecode reverses
// PercentEncode and never lengthens; the client address is the peer, an address from
// X-Forwarded-For, or a trusted proxy, never text made up from other bytes.
#include <algorithm>
#include <string>

#include "api/auth/sessions.h"
#include "api/http.h"
#include "api/multipart.h"
#include "fuzz_input.h"

using namespace gb;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view input = fuzz::AsText(data, size);
  auto f = fuzz::Fields(input, '\n', 5);

  http::Request req;
  req.headers.emplace_back("cookie", std::string(f[0]));
  auto once = auth::ParseCookies(req);
  for (const auto& [name, value] : once) fuzz::Require(name.find(';') == std::string::npos, "a cookie name holds ';'");
  req.headers.emplace_back("cookie", std::string(f[0]));
  auto twice = auth::ParseCookies(req);
  fuzz::Require(twice.size() == 2 * once.size() && std::equal(once.begin(), once.end(), twice.begin()),
                "a second Cookie header changed the cookies of the first");

  auto form = http::ParseForm(f[1]);
  if (form)
    for (const auto& [key, value] : *form) (void)http::FormValue(*form, key);
  for (bool plus_is_space : {false, true}) {
    auto decoded = http::PercentDecode(f[1], plus_is_space);
    if (decoded) fuzz::Require(decoded->size() <= f[1].size(), "decoding made the text longer");
  }
  auto round_trip = http::PercentDecode(http::PercentEncode(input), false);
  fuzz::Require(round_trip && *round_trip == input, "PercentDecode(PercentEncode(x)) != x");
  (void)http::ParseMediaType(f[1]);

  std::vector<std::string> trusted;
  for (std::string_view rest = f[4]; !rest.empty();) {
    auto cut = fuzz::Fields(rest, ',', 2);
    trusted.emplace_back(cut[0]);
    rest = cut[1];
  }
  std::string client = http::ClientAddress(f[2], f[3], trusted);
  bool known = client == f[2] || f[3].find(client) != std::string_view::npos ||
               std::find(trusted.begin(), trusted.end(), client) != trusted.end();
  fuzz::Require(known, "the client address is neither the peer, a forwarded address nor a trusted proxy");
  return 0;
}
