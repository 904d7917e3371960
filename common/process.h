// SPDX-License-Identifier: Apache-2.0
// Running helper programs (iptables-restore, nft, delegated IPAM plugins) with posix_spawn:
// argv explicit, no shell, stdin fed from a string, stdout/stderr captured, close-on-exec fds.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <string>
#include <vector>

#include "common/error.h"

namespace cnb {

struct ProcessResult {
  int exit_code = -1;  // -1 if killed by a signal or timed out
  bool timed_out = false;
  std::string out;
  std::string err;
  int term_signal = 0;  // the signal that killed it, 0 if none
};

struct ProcessRequest {
  std::vector<std::string> argv;  // argv[0] is a path or a name looked up in PATH
  std::string stdin_data;
  std::vector<std::string> env;  // "K=V"; empty = inherit
  bool inherit_env = true;
  std::chrono::milliseconds timeout{60000};
};

// Throws cnb::Error only if the program cannot be started (ENOENT etc., errno kept).
ProcessResult RunProcess(const ProcessRequest& request);

// The spawn beneath RunProcess, for a caller that waits on the child itself (a test that kills
// it at a moment of its choosing): `in`, `out` and `err` become descriptors 0, 1 and 2, every
// other descriptor is closed, signals are at their defaults. `request.stdin_data` and `timeout`
// are not used. The caller reaps the PID. Throws as RunProcess does.
pid_t SpawnProcess(const ProcessRequest& request, int in, int out, int err);

// "running [argv...]: exit status N: <stderr>" for error messages about a failed run.
std::string DescribeRun(const std::vector<std::string>& argv, const ProcessResult& result);

// Where a program name resolves in PATH ("" if nowhere).
std::string FindInPath(const std::string& name);

// Go's exec.ErrNotFound for `program`, as the reference reports a missing helper:
// `exec: "<program>": executable file not found in $PATH`, with ENOENT.
Error ProgramNotFound(const std::string& program);

}  // namespace cnb
