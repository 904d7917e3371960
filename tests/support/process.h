// Running a child process with given argv, environment and stdin, capturing stdout, stderr and
// the exit status. Thread-safe: the concurrency tests run many of these at once.
#pragma once

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace cnb::test {

struct ProcessResult {
  int exit_code = -1;  // -1 when killed by a signal
  int term_signal = 0;
  bool timed_out = false;
  std::string out;
  std::string err;
};

// `env` == nullopt inherits the test's environment; otherwise the child sees exactly `env`.
// The program is looked up on the test's PATH. A child still running at `timeout` is killed
// (it is our own child, by pid) and reported as timed out.
ProcessResult RunProcess(const std::vector<std::string>& argv,
                         const std::optional<std::map<std::string, std::string>>& env,
                         const std::string& stdin_data,
                         std::chrono::milliseconds timeout = std::chrono::seconds(60));

// Runs and throws std::runtime_error (with argv, status and stderr) unless it exits 0.
std::string RunOrThrow(const std::vector<std::string>& argv, const std::string& stdin_data = {});

std::string Describe(const std::vector<std::string>& argv, const ProcessResult& r);

}  // namespace cnb::test
