#include "cni/args.h"

#include <algorithm>
#include <cctype>
#include <cstdio>

#include "common/error.h"

namespace cnb::cni {

std::optional<bool> ParseArgBool(std::string_view text) {
  std::string lower(text);
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (lower == "1" || lower == "true") return true;
  if (lower == "0" || lower == "false") return false;
  return std::nullopt;
}

namespace {

constexpr char kLowerHex[] = "0123456789abcdef";

void AppendHexByte(std::string* out, std::string_view prefix, unsigned value, int digits) {
  out->append(prefix);
  for (int shift = (digits - 1) * 4; shift >= 0; shift -= 4) out->push_back(kLowerHex[(value >> shift) & 0xf]);
}

// Length of the valid UTF-8 sequence starting at s[i] and its code point, or 0 if invalid.
size_t DecodeUtf8(std::string_view s, size_t i, uint32_t* rune) {
  auto b = [&](size_t k) { return static_cast<uint8_t>(s[k]); };
  uint8_t c = b(i);
  size_t len;
  uint32_t r;
  if (c >= 0xc2 && c <= 0xdf) {
    len = 2;
    r = c & 0x1f;
  } else if (c >= 0xe0 && c <= 0xef) {
    len = 3;
    r = c & 0x0f;
  } else if (c >= 0xf0 && c <= 0xf4) {
    len = 4;
    r = c & 0x07;
  } else {
    return 0;
  }
  if (i + len > s.size()) return 0;
  for (size_t k = 1; k < len; ++k) {
    if ((b(i + k) & 0xc0) != 0x80) return 0;
    r = (r << 6) | (b(i + k) & 0x3f);
  }
  // Overlong forms, surrogates and values past U+10FFFF are invalid, as in Go.
  if ((len == 3 && r < 0x800) || (len == 4 && (r < 0x10000 || r > 0x10ffff)) ||
      (r >= 0xd800 && r <= 0xdfff)) {
    return 0;
  }
  *rune = r;
  return len;
}

}  // namespace

std::string GoQuote(std::string_view s) {
  std::string out = "\"";
  for (size_t i = 0; i < s.size();) {
    auto c = static_cast<uint8_t>(s[i]);
    if (c < 0x80) {
      switch (c) {
        case '"': out += "\\\""; break;
        case '\\': out += "\\\\"; break;
        case '\a': out += "\\a"; break;
        case '\b': out += "\\b"; break;
        case '\f': out += "\\f"; break;
        case '\n': out += "\\n"; break;
        case '\r': out += "\\r"; break;
        case '\t': out += "\\t"; break;
        case '\v': out += "\\v"; break;
        default:
          if (c < 0x20 || c == 0x7f) {
            AppendHexByte(&out, "\\x", c, 2);
          } else {
            out.push_back(static_cast<char>(c));
          }
      }
      ++i;
      continue;
    }
    uint32_t rune = 0;
    size_t len = DecodeUtf8(s, i, &rune);
    if (len == 0) {
      AppendHexByte(&out, "\\x", c, 2);
      ++i;
    } else if (rune < 0xa0) {
      // C1 controls are not printable for Go either.
      AppendHexByte(&out, "\\u", rune, 4);
      i += len;
    } else {
      out.append(s.substr(i, len));
      i += len;
    }
  }
  out += "\"";
  return out;
}


std::string GoQuoteList(const std::vector<std::string>& items) {
  std::string out = "[";
  for (size_t i = 0; i < items.size(); ++i) {
    if (i) out += " ";
    out += GoQuote(items[i]);
  }
  return out + "]";
}

CniArgs CniArgs::Parse(std::string_view text, const std::set<std::string>& known_keys) {
  CniArgs args;
  if (text.empty()) return args;
  std::vector<std::string> unknown;
  bool ignore_unknown = false;
  size_t start = 0;
  while (start <= text.size()) {
    size_t semi = text.find(';', start);
    std::string pair(text.substr(start, semi == std::string_view::npos ? text.npos : semi - start));
    start = semi == std::string_view::npos ? text.size() + 1 : semi + 1;
    size_t eq = pair.find('=');
    if (eq == std::string::npos || pair.find('=', eq + 1) != std::string::npos) {
      throw InternalError("ARGS: invalid pair " + GoQuote(pair));
    }
    std::string key = pair.substr(0, eq);
    std::string value = pair.substr(eq + 1);
    if (key == "IgnoreUnknown") {
      auto b = ParseArgBool(value);
      if (!b) {
        // Lower-cased value and the stray ")" are the Go library's exact text.
        std::string lower(value);
        std::transform(lower.begin(), lower.end(), lower.begin(),
                       [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
        throw InternalError("ARGS: error parsing value of pair " + GoQuote(pair) +
                            ": boolean unmarshal error: invalid input " + lower + ")");
      }
      ignore_unknown = *b;
    } else if (!known_keys.count(key)) {
      unknown.push_back(pair);
    }
    args.pairs_.emplace_back(std::move(key), std::move(value));
  }
  if (!unknown.empty() && !ignore_unknown) throw InternalError("ARGS: unknown args " + GoQuoteList(unknown));
  return args;
}

std::optional<std::string> CniArgs::Get(std::string_view key) const {
  std::optional<std::string> out;
  for (const auto& [k, v] : pairs_)
    if (k == key) out = v;
  return out;
}

}  // namespace cnb::cni
