// SPDX-License-Identifier: Apache-2.0
// Helpers of the fault-injection tests: a replayable seed, a plugin run that is SIGKILLed after a
// delay (by the PID the test started) or at the entry of its Nth call of a syscall (strace), and
// the crash debris the host-local store must never leave behind.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "support/plugin_runner.h"
#include "support/process.h"

namespace cnb::test {

// The seed of a seeded fault test: $CNB_FAULT_SEED when set, else a fresh random one. Printed on
// stdout ("CNB_FAULT_SEED=<n>"); put SeedNote(seed) in a SCOPED_TRACE so every failure names it.
uint64_t FaultSeed();
std::string SeedNote(uint64_t seed);

struct KilledRun {
  ProcessResult proc;
  bool killed = false;                // SIGKILL reached it before it exited
  std::chrono::microseconds elapsed;  // from spawn to exit or kill
  std::string Describe() const;
};

// Starts `argv` with exactly `env` and `stdin_data`, and SIGKILLs the process it started (by its
// PID, before it is reaped, so the PID cannot have been reused) once `delay` has passed, unless it
// exited first. `delay` = a large value runs it to the end (and measures it). Thread-safe.
KilledRun RunKilledAfter(const std::vector<std::string>& argv, const std::map<std::string, std::string>& env,
                         const std::string& stdin_data, std::chrono::microseconds delay);

// One syscall invocation of a traced process: the `nth` call of `name` (1-based, counted per
// syscall as strace's `when=` counts them), with its strace line.
struct SyscallPoint {
  std::string name;
  int nth = 0;
  std::string line;
  std::string ToString() const;  // "sendmsg#3: sendmsg(5, ...)" (the line cut short)
};
// The invocations in a `strace -qq -o <log>` log of one process (no -f), in order.
std::vector<SyscallPoint> ParseStraceLog(const std::string& log);
// Only those that can change state outside the process (netlink and nf_tables messages, file
// writes, creates, links, renames and removals, locks, spawns, the exit), with the syscalls
// between them being reads and lookups: a kill at the entry of each of these reaches every state
// a crash can leave.
std::vector<SyscallPoint> StateChangingPoints(const std::vector<SyscallPoint>& all);
// "sendmsg x18, write x4, ...", most frequent first: what a trace that looks wrong is made of.
std::string SyscallHistogram(const std::vector<SyscallPoint>& points);
// strace arguments (a RunPlugin wrapper) that trace every syscall to `log`.
std::vector<std::string> TraceWrapper(const std::string& log);
// strace arguments that SIGKILL the plugin at the entry of `point` (before it runs).
std::vector<std::string> KillAtWrapper(const SyscallPoint& point);
// Whether a run under KillAtWrapper was killed (strace then dies of the same signal).
bool KilledByStrace(const ProcessResult& r);

// The host-local store's temp files anywhere under `data_dir` (".tmp-*", ".reserve-*",
// ".last_reserved_ip.*.tmp-*"), relative to it, sorted. A writer that finished leaves none.
std::vector<std::string> StoreDebris(const std::string& data_dir);
// Every file (not directory) under `dir`, relative to it, sorted: "net/10.0.0.2", "net/.index/c:eth0".
std::vector<std::string> FilesUnder(const std::string& dir);

}  // namespace cnb::test
