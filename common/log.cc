// SPDX-License-Identifier: Apache-2.0
#include "common/log.h"

#include <fcntl.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <ctime>

#include "common/file_util.h"
#include "common/unique_fd.h"

namespace cnb::log {
namespace {

struct State {
  Level level = Level::kWarn;
  std::string context;
  UniqueFd file;
  bool to_stderr = true;
};

State& state() {
  static State s;
  return s;
}

const char* LevelName(Level level) {
  switch (level) {
    case Level::kError: return "error";
    case Level::kWarn: return "warn";
    case Level::kInfo: return "info";
    case Level::kDebug: return "debug";
  }
  return "?";
}

}  // namespace

bool ParseLevel(std::string_view text, Level* out) {
  if (text == "error")
    *out = Level::kError;
  else if (text == "warn" || text == "warning")
    *out = Level::kWarn;
  else if (text == "info")
    *out = Level::kInfo;
  else if (text == "debug")
    *out = Level::kDebug;
  else
    return false;
  return true;
}

void SetLevel(Level level) { state().level = level; }
Level GetLevel() { return state().level; }
void SetContext(std::string context) { state().context = std::move(context); }
void SetStderr(bool enabled) { state().to_stderr = enabled; }

void SetFile(const std::string& path) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
  if (fd < 0) {
    Warn("cannot open log file " + path);
    return;
  }
  state().file.reset(fd);
}

void Write(Level level, std::string_view message) {
  State& s = state();
  if (level > s.level) return;
  auto now = std::chrono::system_clock::now();
  std::time_t secs = std::chrono::system_clock::to_time_t(now);
  auto micros = std::chrono::duration_cast<std::chrono::microseconds>(now.time_since_epoch()).count() % 1000000;
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char stamp[96];
  std::snprintf(stamp, sizeof stamp, "%04d-%02d-%02dT%02d:%02d:%02d.%06lldZ", tm.tm_year + 1900, tm.tm_mon + 1,
                tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, static_cast<long long>(micros));
  std::string line = std::string(stamp) + " " + LevelName(level) + " pid=" + std::to_string(::getpid());
  if (!s.context.empty()) line += " " + s.context;
  line += " ";
  line += message;
  line += "\n";
  if (s.to_stderr) WriteAll(STDERR_FILENO, line);
  if (s.file) WriteAll(s.file.get(), line);
}

}  // namespace cnb::log
