// SPDX-License-Identifier: Apache-2.0
#include "support/fault_injection.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <random>
#include <set>
#include <stdexcept>

#include <gtest/gtest.h>

#include "common/process.h"
#include "common/unique_fd.h"
#include "support/plugin_runner.h"

namespace cnb::test {
namespace {

using Clock = std::chrono::steady_clock;

struct Pipe {
  UniqueFd read;
  UniqueFd write;
};

Pipe MakePipe() {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) throw std::runtime_error(std::string("pipe2: ") + std::strerror(errno));
  return {UniqueFd(fds[0]), UniqueFd(fds[1])};
}

// Reads what is there without blocking; closes `fd` at EOF or on an error.
void Drain(UniqueFd* fd, std::string* sink) {
  char buf[16384];
  while (fd->valid()) {
    const ssize_t got = ::read(fd->get(), buf, sizeof buf);
    if (got > 0) {
      sink->append(buf, static_cast<size_t>(got));
    } else if (got < 0 && errno == EINTR) {
      continue;
    } else if (got < 0 && errno == EAGAIN) {
      return;
    } else {
      fd->reset();
    }
  }
}

bool IsStateChanging(const SyscallPoint& p) {
  static const std::set<std::string> kAlways = {
      "sendmsg",   "sendto",   "sendmmsg",  "write", "writev", "pwrite64", "pwritev", "unlink",    "unlinkat",
      "rename",    "renameat", "renameat2", "link",  "linkat", "symlink",  "mkdir",   "mkdirat",   "rmdir",
      "ftruncate", "truncate", "flock",     "clone", "clone3", "fork",     "vfork",   "exit_group"};
  if (kAlways.count(p.name)) return true;
  // An open that may create or change a file.
  if (p.name == "openat" || p.name == "open" || p.name == "creat") {
    return p.line.find("O_CREAT") != std::string::npos || p.line.find("O_TRUNC") != std::string::npos ||
           p.line.find("O_WRONLY") != std::string::npos || p.line.find("O_RDWR") != std::string::npos;
  }
  return false;
}

}  // namespace

uint64_t FaultSeed() {
  const char* env = std::getenv("CNB_FAULT_SEED");
  uint64_t seed;
  if (env && *env) {
    seed = std::strtoull(env, nullptr, 0);
  } else {
    std::random_device rd;
    seed = (static_cast<uint64_t>(rd()) << 32) ^ rd();
  }
  std::printf("CNB_FAULT_SEED=%llu (%s)\n", static_cast<unsigned long long>(seed),
              env && *env ? "from the environment" : "random; set CNB_FAULT_SEED to replay");
  std::fflush(stdout);
  ::testing::Test::RecordProperty("cnb_fault_seed", std::to_string(seed));
  return seed;
}

std::string SeedNote(uint64_t seed) { return "replay with CNB_FAULT_SEED=" + std::to_string(seed); }

std::string KilledRun::Describe() const {
  return std::string(killed ? "killed" : "not killed") + " after " + std::to_string(elapsed.count()) +
         " us, exit=" + std::to_string(proc.exit_code) + " signal=" + std::to_string(proc.term_signal) +
         "\nstdout: " + proc.out + "\nstderr: " + proc.err;
}

KilledRun RunKilledAfter(const std::vector<std::string>& argv, const std::map<std::string, std::string>& env,
                         const std::string& stdin_data, std::chrono::microseconds delay) {
  // Never longer than a minute, whatever the caller asked for.
  delay = std::min<std::chrono::microseconds>(delay, std::chrono::seconds(60));
  Pipe in = MakePipe(), out = MakePipe(), err = MakePipe();
  ProcessRequest request{.argv = argv, .inherit_env = false};
  for (const auto& [k, v] : env) request.env.push_back(k + "=" + v);
  const pid_t pid = SpawnProcess(request, in.read.get(), out.write.get(), err.write.get());
  const auto start = Clock::now();
  in.read.reset();
  out.write.reset();
  err.write.reset();
  // A config is far below the pipe's capacity: this write never waits for the child.
  (void)!::write(in.write.get(), stdin_data.data(), stdin_data.size());
  in.write.reset();
  UniqueFd pidfd(static_cast<int>(::syscall(SYS_pidfd_open, pid, 0)));
  for (UniqueFd* fd : {&out.read, &err.read}) ::fcntl(fd->get(), F_SETFL, O_NONBLOCK);

  KilledRun run;
  const auto deadline = start + delay;
  auto end = deadline;
  for (;;) {
    const auto now = Clock::now();
    if (now >= deadline) {
      ::kill(pid, SIGKILL);  // our child, not reaped yet: the PID is still ours
      end = now;
      break;
    }
    const auto left = std::chrono::duration_cast<std::chrono::nanoseconds>(deadline - now);
    timespec ts{static_cast<time_t>(left.count() / 1000000000), static_cast<long>(left.count() % 1000000000)};
    pollfd fds[3] = {{pidfd.get(), POLLIN, 0}, {out.read.get(), POLLIN, 0}, {err.read.get(), POLLIN, 0}};
    if (::ppoll(fds, 3, &ts, nullptr) < 0 && errno != EINTR) {
      ::kill(pid, SIGKILL);
      end = Clock::now();
      break;
    }
    if (fds[1].revents) Drain(&out.read, &run.proc.out);
    if (fds[2].revents) Drain(&err.read, &run.proc.err);
    if (fds[0].revents) {
      end = Clock::now();
      break;
    }
  }
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  Drain(&out.read, &run.proc.out);
  Drain(&err.read, &run.proc.err);
  run.elapsed = std::chrono::duration_cast<std::chrono::microseconds>(end - start);
  if (WIFEXITED(status)) run.proc.exit_code = WEXITSTATUS(status);
  if (WIFSIGNALED(status)) run.proc.term_signal = WTERMSIG(status);
  run.killed = WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL;
  if (HasSanitizerReport(run.proc.err)) ADD_FAILURE() << "sanitizer report:\n" << run.proc.err;
  return run;
}

std::string SyscallPoint::ToString() const { return name + "#" + std::to_string(nth) + ": " + line.substr(0, 160); }

std::vector<SyscallPoint> ParseStraceLog(const std::string& log) {
  std::vector<SyscallPoint> points;
  std::map<std::string, int> counts;
  size_t start = 0;
  while (start < log.size()) {
    size_t end = log.find('\n', start);
    if (end == std::string::npos) end = log.size();
    const std::string line = log.substr(start, end - start);
    start = end + 1;
    size_t name_end = 0;
    while (name_end < line.size() &&
           (std::isalnum(static_cast<unsigned char>(line[name_end])) || line[name_end] == '_'))
      ++name_end;
    // Signals ("--- SIG..."), exits ("+++ ...") and resumptions ("<... resumed>") are no calls.
    if (name_end == 0 || name_end >= line.size() || line[name_end] != '(') continue;
    SyscallPoint p;
    p.name = line.substr(0, name_end);
    p.nth = ++counts[p.name];
    p.line = line;
    points.push_back(std::move(p));
  }
  return points;
}

std::vector<SyscallPoint> StateChangingPoints(const std::vector<SyscallPoint>& all) {
  std::vector<SyscallPoint> out;
  for (const auto& p : all)
    if (IsStateChanging(p)) out.push_back(p);
  return out;
}

std::string SyscallHistogram(const std::vector<SyscallPoint>& points) {
  std::map<std::string, int> counts;
  for (const auto& p : points) ++counts[p.name];
  std::vector<std::pair<int, std::string>> sorted;
  for (const auto& [name, n] : counts) sorted.emplace_back(-n, name);
  std::sort(sorted.begin(), sorted.end());
  std::string out;
  for (const auto& [n, name] : sorted) out += (out.empty() ? "" : ", ") + name + " x" + std::to_string(-n);
  return out;
}

std::vector<std::string> TraceWrapper(const std::string& log) { return {"strace", "-qq", "-o", log}; }

std::vector<std::string> KillAtWrapper(const SyscallPoint& point) {
  return {"strace", "-qq",
          "-o",     "/dev/null",
          "-e",     "trace=" + point.name,
          "-e",     "inject=" + point.name + ":signal=KILL:when=" + std::to_string(point.nth)};
}

bool KilledByStrace(const ProcessResult& r) { return r.term_signal == SIGKILL || r.exit_code == 128 + SIGKILL; }

std::vector<std::string> FilesUnder(const std::string& dir) {
  std::vector<std::string> out;
  std::error_code ec;
  for (auto it = std::filesystem::recursive_directory_iterator(dir, ec);
       !ec && it != std::filesystem::recursive_directory_iterator(); it.increment(ec)) {
    // Lexically: `dir` may lead through a symlink such as /proc/<pid>/root.
    if (!it->is_directory(ec)) out.push_back(it->path().string().substr(dir.size() + 1));
  }
  std::sort(out.begin(), out.end());
  return out;
}

std::vector<std::string> StoreDebris(const std::string& data_dir) {
  // The store's only hidden entry that is not a temp file is the index directory; the index's
  // entries are "<containerID>:<ifname>", and a container ID never starts with a dot.
  std::vector<std::string> out;
  for (const auto& rel : FilesUnder(data_dir)) {
    const std::string name = std::filesystem::path(rel).filename().string();
    if (name.starts_with('.')) out.push_back(rel);
  }
  return out;
}

}  // namespace cnb::test
