// SPDX-License-Identifier: Apache-2.0
// Diagnostics: stderr always (the runtime forwards it to its journal) and optionally a file.
// Never stdout: that stream belongs to the CNI result.
#pragma once

#include <string>
#include <string_view>

namespace cnb::log {

enum class Level { kError = 0, kWarn = 1, kInfo = 2, kDebug = 3 };

// Parses "error|warn|info|debug"; returns false for anything else.
bool ParseLevel(std::string_view text, Level* out);

void SetLevel(Level level);
Level GetLevel();
// Extra fields put on every line, e.g. "cmd=ADD id=abc if=eth0".
void SetContext(std::string context);
// Appends to `path` as well as stderr; failures to open are reported on stderr and ignored.
void SetFile(const std::string& path);
// When false, nothing goes to stderr (tests that capture stderr can still see file output).
void SetStderr(bool enabled);

void Write(Level level, std::string_view message);
inline void Error(std::string_view m) { Write(Level::kError, m); }
inline void Warn(std::string_view m) { Write(Level::kWarn, m); }
inline void Info(std::string_view m) { Write(Level::kInfo, m); }
inline void Debug(std::string_view m) { Write(Level::kDebug, m); }

}  // namespace cnb::log
