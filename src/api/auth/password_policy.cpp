#include "api/auth/password_policy.h"

#include <cctype>
#include <fstream>
#include <string>
#include <unordered_set>
#include <vector>

namespace gb::auth {
namespace {

constexpr size_t kMinChars = 12;
constexpr size_t kMaxChars = 128;
// Names shorter than this are not looked for inside a password ("ana" in "banana").
constexpr size_t kMinNameInPassword = 4;

std::string AsciiLower(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

const std::unordered_set<std::string>& Words() {
  static const std::unordered_set<std::string> words = [] {
    std::unordered_set<std::string> out;
    std::ifstream in{std::string(kWordListPath)};
    for (std::string line; std::getline(in, line);)
      if (!line.empty()) out.insert(AsciiLower(line));
    return out;
  }();
  return words;
}

// The password without the digits, punctuation and spaces people put around a word.
std::string_view CoreWord(std::string_view password) {
  auto decoration = [](char c) {
    unsigned char u = static_cast<unsigned char>(c);
    return u < 0x80 && !std::isalpha(u);
  };
  while (!password.empty() && decoration(password.front())) password.remove_prefix(1);
  while (!password.empty() && decoration(password.back())) password.remove_suffix(1);
  return password;
}

}  // namespace

bool DictionaryAvailable() { return !Words().empty(); }

Status CheckPasswordPolicy(std::string_view password, std::string_view account_name) {
  // Split into UTF-8 characters: a character starts at every byte that is not 10xxxxxx.
  std::vector<std::string_view> chars;
  for (size_t i = 0; i < password.size();) {
    size_t j = i + 1;
    while (j < password.size() && (static_cast<unsigned char>(password[j]) & 0xC0) == 0x80) ++j;
    chars.push_back(password.substr(i, j - i));
    i = j;
  }
  if (chars.size() < kMinChars)
    return Status::Invalid("the password is too short: use at least " + std::to_string(kMinChars) +
                           " characters (a few unrelated words work well)");
  if (chars.size() > kMaxChars)
    return Status::Invalid("the password is too long: at most " + std::to_string(kMaxChars) + " characters");
  bool all_same = true;
  for (const auto& c : chars) all_same = all_same && c == chars.front();
  if (all_same) return Status::Invalid("the password repeats one character; choose a password with more variety");
  const std::string lower = AsciiLower(password);
  if (account_name.size() >= kMinNameInPassword && lower.find(AsciiLower(account_name)) != std::string::npos)
    return Status::Invalid("the password contains the account's name; choose one that does not");
  if (Words().count(std::string(CoreWord(lower))))
    return Status::Invalid("the password is a dictionary word; join a few unrelated words instead");
  return Status::Ok();
}

}  // namespace gb::auth
