// SPDX-License-Identifier: Apache-2.0
#include "support/process.h"

#include <stdexcept>

namespace cnb::test {

std::string Describe(const std::vector<std::string>& argv, const ProcessResult& r) {
  std::string s = "`";
  for (size_t i = 0; i < argv.size(); ++i) s += (i ? " " : "") + argv[i];
  s += "` exit=" + std::to_string(r.exit_code);
  if (r.term_signal) s += " signal=" + std::to_string(r.term_signal);
  if (r.timed_out) s += " (timed out)";
  s += "\nstdout: " + r.out + "\nstderr: " + r.err;
  return s;
}

ProcessResult RunProcess(const std::vector<std::string>& argv,
                         const std::optional<std::map<std::string, std::string>>& env, const std::string& stdin_data,
                         std::chrono::milliseconds timeout) {
  if (argv.empty()) throw std::invalid_argument("RunProcess: empty argv");
  ProcessRequest req;
  req.argv = argv;
  req.stdin_data = stdin_data;
  req.timeout = timeout;
  req.inherit_env = !env;
  if (env) {
    for (const auto& [k, v] : *env) req.env.push_back(k + "=" + v);
  }
  try {
    return cnb::RunProcess(req);
  } catch (const Error& e) {
    throw std::runtime_error("cannot run " + argv[0] + ": " + e.msg());
  }
}

std::string RunOrThrow(const std::vector<std::string>& argv, const std::string& stdin_data) {
  ProcessResult r = RunProcess(argv, std::nullopt, stdin_data);
  if (r.exit_code != 0) throw std::runtime_error("command failed: " + Describe(argv, r));
  return r.out;
}

ProcessResult ShellRun(const std::string& cmd) { return RunProcess({"/bin/sh", "-c", cmd}, std::nullopt, {}); }

std::string Sh(const std::string& cmd, int* status) {
  ProcessResult r = ShellRun(cmd);
  if (status) *status = r.exit_code;
  while (!r.out.empty() && r.out.back() == '\n') r.out.pop_back();
  return r.out;
}

}  // namespace cnb::test
