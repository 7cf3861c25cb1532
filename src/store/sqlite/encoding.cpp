#include "store/sqlite/encoding.h"

#include <array>
#include <charconv>

namespace gb::sqlite {
namespace {

constexpr std::array<bool, 256> kSpecial = [] {
  std::array<bool, 256> t{};
  for (unsigned char c : {'%', ' ', '|', ';'}) t[c] = true;
  return t;
}();
bool Special(char c) { return kSpecial[static_cast<unsigned char>(c)]; }

void AppendEscaped(std::string_view s, std::string& out) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  bool special = false;
  for (char c : s) special |= Special(c);
  if (!special) {
    out.append(s);
    return;
  }
  for (char c : s) {
    if (Special(c)) {
      auto u = static_cast<unsigned char>(c);
      out += '%';
      out += kHex[u >> 4];
      out += kHex[u & 15];
    } else {
      out += c;
    }
  }
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

void AssignUnescaped(std::string_view s, std::string& out) {
  if (s.find('%') == std::string_view::npos) {
    out.assign(s);
    return;
  }
  out.clear();
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size() && HexValue(s[i + 1]) >= 0 && HexValue(s[i + 2]) >= 0) {
      out += static_cast<char>(HexValue(s[i + 1]) * 16 + HexValue(s[i + 2]));
      i += 2;
    } else {
      out += s[i];
    }
  }
}

// Calls fn(item) for each item of `text` separated by `sep`; empty text has no items.
template <typename Fn>
void Split(std::string_view text, char sep, Fn&& fn) {
  if (text.empty()) return;
  std::size_t start = 0;
  while (true) {
    std::size_t end = text.find(sep, start);
    fn(text.substr(start, end == std::string_view::npos ? std::string_view::npos : end - start));
    if (end == std::string_view::npos) return;
    start = end + 1;
  }
}

}  // namespace

void EncodeEvidence(const std::vector<std::string>& hashes, std::string& out) {
  out.clear();
  for (std::size_t i = 0; i < hashes.size(); ++i) {
    if (i) out += ' ';
    AppendEscaped(hashes[i], out);
  }
}

void DecodeEvidence(std::string_view text, std::vector<std::string>& out) {
  out.clear();
  Split(text, ' ', [&](std::string_view item) { AssignUnescaped(item, out.emplace_back()); });
}

void EncodeViews(const std::vector<EvidenceView>& views, std::string& out) {
  out.clear();
  char num[32];
  for (std::size_t i = 0; i < views.size(); ++i) {
    if (i) out += ';';
    AppendEscaped(views[i].evidence, out);
    out += '|';
    AppendEscaped(views[i].source_id, out);
    out += '|';
    auto r = std::to_chars(num, num + sizeof num, views[i].confidence);
    out.append(num, r.ptr);
  }
}

void DecodeViews(std::string_view text, std::vector<EvidenceView>& out) {
  out.clear();
  Split(text, ';', [&](std::string_view item) {
    EvidenceView& v = out.emplace_back();
    std::size_t a = item.find('|');
    std::size_t b = a == std::string_view::npos ? a : item.find('|', a + 1);
    AssignUnescaped(item.substr(0, a), v.evidence);
    if (a == std::string_view::npos) return;
    AssignUnescaped(item.substr(a + 1, b == std::string_view::npos ? b : b - a - 1), v.source_id);
    if (b == std::string_view::npos) return;
    std::string_view num = item.substr(b + 1);
    std::from_chars(num.data(), num.data() + num.size(), v.confidence);
  });
}

}  // namespace gb::sqlite
