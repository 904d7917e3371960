// SPDX-License-Identifier: Apache-2.0
// Small string helpers shared by every module: Go-compatible quoting and trimming (the
// reference plugins' messages and file formats use them), list splitting, errno text.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace cnb {

// Go's %q of a string (strconv.Quote): ASCII escapes, valid UTF-8 kept (C1 controls as \u),
// invalid bytes as \xNN. The reference's error texts and iptables comments quote this way.
std::string GoQuote(std::string_view text);
// Go's %q of a []string: ["a" "b"].
std::string GoQuoteList(const std::vector<std::string>& items);
// Inverse of GoQuote for what GoQuote produces; nullopt for anything else.
std::optional<std::string> GoUnquote(std::string_view quoted);

// Go's strings.TrimSpace for ASCII whitespace, which is what the reference applies to
// container ids and host-local file contents.
std::string TrimSpace(std::string_view s);
// The pieces of `text` between `sep`s, empty pieces dropped (CNI_PATH, PATH, CNI_ARGS lists).
std::vector<std::string> SplitNonEmpty(std::string_view text, char sep);
// `items` with `sep` between them.
std::string Join(const std::vector<std::string>& items, std::string_view sep);

// The value of a hex digit (either case), -1 for anything else.
int HexDigitValue(char c);

// strerror in Go's style, lower case ("file exists"), as the reference plugins print errors.
std::string ErrnoText(int err);

}  // namespace cnb
