// SPDX-License-Identifier: Apache-2.0
// Running a child process in tests: the production runner (common/process.h) with the test's
// conventions. Thread-safe: the concurrency tests run many of these at once.
#pragma once

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "common/process.h"

namespace cnb::test {

using cnb::ProcessResult;

// `env` == nullopt inherits the test's environment; otherwise the child sees exactly `env`.
// The program is looked up on the test's PATH. A child still running at `timeout` is killed
// (it is our own child, by pid) and reported as timed out.
ProcessResult RunProcess(const std::vector<std::string>& argv,
                         const std::optional<std::map<std::string, std::string>>& env, const std::string& stdin_data,
                         std::chrono::milliseconds timeout = std::chrono::seconds(60));

// Runs and throws std::runtime_error (with argv, status and stderr) unless it exits 0.
std::string RunOrThrow(const std::vector<std::string>& argv, const std::string& stdin_data = {});

// `/bin/sh -c <cmd>`: stdout with trailing newlines trimmed; *status gets the exit status. For
// read-back pipelines (ip ... | awk ...); a failure's stderr is in Describe(ShellRun(cmd)).
std::string Sh(const std::string& cmd, int* status = nullptr);
ProcessResult ShellRun(const std::string& cmd);

std::string Describe(const std::vector<std::string>& argv, const ProcessResult& r);

}  // namespace cnb::test
