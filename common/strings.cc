// SPDX-License-Identifier: Apache-2.0
#include "common/strings.h"

#include <cctype>
#include <cstdint>
#include <cstring>

namespace cnb {
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
  if ((len == 3 && r < 0x800) || (len == 4 && (r < 0x10000 || r > 0x10ffff)) || (r >= 0xd800 && r <= 0xdfff)) {
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

namespace {

void AppendUtf8(std::string* out, uint32_t r) {
  if (r < 0x80) {
    out->push_back(static_cast<char>(r));
  } else if (r < 0x800) {
    out->push_back(static_cast<char>(0xc0 | (r >> 6)));
    out->push_back(static_cast<char>(0x80 | (r & 0x3f)));
  } else {
    out->push_back(static_cast<char>(0xe0 | (r >> 12)));
    out->push_back(static_cast<char>(0x80 | ((r >> 6) & 0x3f)));
    out->push_back(static_cast<char>(0x80 | (r & 0x3f)));
  }
}

}  // namespace

std::optional<std::string> GoUnquote(std::string_view q) {
  if (q.size() < 2 || q.front() != '"' || q.back() != '"') return std::nullopt;
  q = q.substr(1, q.size() - 2);
  std::string out;
  for (size_t i = 0; i < q.size(); ++i) {
    char c = q[i];
    if (c == '"') return std::nullopt;
    if (c != '\\') {
      out.push_back(c);
      continue;
    }
    if (++i >= q.size()) return std::nullopt;
    switch (q[i]) {
      case '"': out.push_back('"'); break;
      case '\\': out.push_back('\\'); break;
      case 'a': out.push_back('\a'); break;
      case 'b': out.push_back('\b'); break;
      case 'f': out.push_back('\f'); break;
      case 'n': out.push_back('\n'); break;
      case 'r': out.push_back('\r'); break;
      case 't': out.push_back('\t'); break;
      case 'v': out.push_back('\v'); break;
      case 'x':
      case 'u': {
        size_t digits = q[i] == 'x' ? 2 : 4;
        if (i + digits >= q.size()) return std::nullopt;
        uint32_t v = 0;
        for (size_t k = 1; k <= digits; ++k) {
          int h = HexDigitValue(q[i + k]);
          if (h < 0) return std::nullopt;
          v = v * 16 + static_cast<uint32_t>(h);
        }
        i += digits;
        if (digits == 2) {
          out.push_back(static_cast<char>(v));
        } else {
          AppendUtf8(&out, v);
        }
        break;
      }
      default: return std::nullopt;
    }
  }
  return out;
}

std::string TrimSpace(std::string_view s) {
  const char* ws = " \t\r\n\v\f";
  size_t b = s.find_first_not_of(ws);
  if (b == std::string_view::npos) return {};
  size_t e = s.find_last_not_of(ws);
  return std::string(s.substr(b, e - b + 1));
}

std::vector<std::string> SplitNonEmpty(std::string_view text, char sep) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start <= text.size()) {
    size_t end = text.find(sep, start);
    if (end == std::string_view::npos) end = text.size();
    if (end > start) out.emplace_back(text.substr(start, end - start));
    start = end + 1;
  }
  return out;
}

std::string Join(const std::vector<std::string>& items, std::string_view sep) {
  std::string out;
  for (size_t i = 0; i < items.size(); ++i) {
    if (i) out += sep;
    out += items[i];
  }
  return out;
}

int HexDigitValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::string ErrnoText(int err) {
  std::string text = std::strerror(err);
  // Go prints syscall errors in lower case ("file exists"); keep acronyms like "RTNETLINK" aside.
  if (!text.empty() && std::isupper(static_cast<unsigned char>(text[0])) &&
      (text.size() < 2 || !std::isupper(static_cast<unsigned char>(text[1])))) {
    text[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(text[0])));
  }
  return text;
}

}  // namespace cnb
