// SPDX-License-Identifier: Apache-2.0
#include "common/process.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <map>
#include <optional>
#include <string_view>

#include "common/error.h"
#include "common/unique_fd.h"

extern char** environ;

namespace cnb {
namespace {

using Clock = std::chrono::steady_clock;

bool IsExecutableFile(const std::string& path) {
  struct stat st;
  if (::stat(path.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) return false;
  return ::access(path.c_str(), X_OK) == 0;
}

// A pipe whose both ends are close-on-exec and above the stdio numbers, so that the dup2 in the
// child never degenerates into dup2(fd, fd) (which would keep close-on-exec set).
void MakePipe(UniqueFd* read_end, UniqueFd* write_end) {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) throw ErrnoError("pipe", errno);
  for (int& fd : fds) {
    if (fd <= 2) {
      int moved = ::fcntl(fd, F_DUPFD_CLOEXEC, 3);
      int err = errno;
      ::close(fd);
      if (moved < 0) throw ErrnoError("fcntl", err);
      fd = moved;
    }
  }
  read_end->reset(fds[0]);
  write_end->reset(fds[1]);
}

void SetNonBlocking(int fd) {
  int flags = ::fcntl(fd, F_GETFL);
  if (flags < 0 || ::fcntl(fd, F_SETFL, flags | O_NONBLOCK) < 0) throw ErrnoError("fcntl", errno);
}

std::vector<std::string> BuildEnv(const ProcessRequest& request) {
  if (!request.inherit_env) return request.env;
  // Inherited environment with the request's entries taking precedence.
  std::map<std::string, std::string> overrides;
  for (const auto& kv : request.env) overrides[kv.substr(0, kv.find('='))] = kv;
  std::vector<std::string> out;
  for (char** e = environ; e != nullptr && *e != nullptr; ++e) {
    std::string kv(*e);
    if (!overrides.contains(kv.substr(0, kv.find('=')))) out.push_back(std::move(kv));
  }
  for (auto& [key, kv] : overrides) out.push_back(kv);
  return out;
}

std::vector<char*> CStrings(std::vector<std::string>& strings) {
  std::vector<char*> out;
  out.reserve(strings.size() + 1);
  for (auto& s : strings) out.push_back(s.data());
  out.push_back(nullptr);
  return out;
}

// Writing to a pipe whose reader has exited raises SIGPIPE; we want EPIPE instead, without
// touching the process-wide disposition (the caller may rely on it). Blocking the signal in this
// thread and consuming a SIGPIPE we caused afterwards achieves that.
class SigpipeBlock {
 public:
  SigpipeBlock() {
    sigset_t pending;
    sigemptyset(&pending);
    sigpending(&pending);
    was_pending_ = sigismember(&pending, SIGPIPE) == 1;
    sigset_t block;
    sigemptyset(&block);
    sigaddset(&block, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &block, &old_);
  }
  ~SigpipeBlock() {
    if (!was_pending_) {
      sigset_t pending;
      sigemptyset(&pending);
      sigpending(&pending);
      if (sigismember(&pending, SIGPIPE) == 1) {
        sigset_t only_pipe;
        sigemptyset(&only_pipe);
        sigaddset(&only_pipe, SIGPIPE);
        struct timespec zero = {0, 0};
        while (sigtimedwait(&only_pipe, nullptr, &zero) < 0 && errno == EINTR) {
        }
      }
    }
    pthread_sigmask(SIG_SETMASK, &old_, nullptr);
  }
  SigpipeBlock(const SigpipeBlock&) = delete;
  SigpipeBlock& operator=(const SigpipeBlock&) = delete;

 private:
  sigset_t old_;
  bool was_pending_ = false;
};

int ExitCodeOf(int status) { return WIFEXITED(status) ? WEXITSTATUS(status) : -1; }

}  // namespace

std::string FindInPath(const std::string& name) {
  if (name.empty()) return "";
  if (name.find('/') != std::string::npos) return IsExecutableFile(name) ? name : "";
  const char* path_env = std::getenv("PATH");
  // POSIX leaves an unset PATH implementation-defined; glibc's execvp uses this default.
  std::string path = path_env != nullptr ? path_env : "/bin:/usr/bin";
  size_t start = 0;
  while (start <= path.size()) {
    size_t colon = path.find(':', start);
    if (colon == std::string::npos) colon = path.size();
    std::string_view dir = std::string_view(path).substr(start, colon - start);
    start = colon + 1;
    // An empty PATH element means the current directory.
    std::string candidate(dir.empty() ? std::string_view(".") : dir);
    candidate += '/';
    candidate += name;
    if (IsExecutableFile(candidate)) return candidate;
  }
  return "";
}

namespace {

// A spawned child, reaped exactly once: by Wait, or (killed first) when it goes out of scope,
// so an exception between spawn and wait cannot leave a zombie or an orphan running on.
class Child {
 public:
  explicit Child(pid_t pid) : pid_(pid), pidfd_(static_cast<int>(::syscall(SYS_pidfd_open, pid, 0))) {}
  Child(const Child&) = delete;
  Child& operator=(const Child&) = delete;
  ~Child() {
    if (reaped_) return;
    // Our own child, by pid; not reaped yet, so the pid cannot have been reused.
    ::kill(pid_, SIGKILL);
    Wait();
  }

  // A pidfd lets poll() notice the exit; without one (old kernels) the caller polls TryReap.
  int pidfd() const { return pidfd_.get(); }
  bool reaped() const { return reaped_; }
  int status() const { return status_; }

  bool TryReap() { return Reap(WNOHANG); }
  void Wait() { Reap(0); }
  void Kill() {
    if (!reaped_) ::kill(pid_, SIGKILL);
  }

 private:
  bool Reap(int flags) {
    if (reaped_) return true;
    pid_t r;
    do {
      r = ::waitpid(pid_, &status_, flags);
    } while (r < 0 && errno == EINTR);
    reaped_ = r == pid_ || (r < 0 && errno == ECHILD);
    return reaped_;
  }

  pid_t pid_;
  UniqueFd pidfd_;
  bool reaped_ = false;
  int status_ = 0;
};

// Our ends of the child's stdin, stdout and stderr.
struct ParentPipes {
  UniqueFd in;
  UniqueFd out;
  UniqueFd err;
};

std::string ResolveProgram(const std::string& name) {
  if (name.find('/') != std::string::npos) return name;
  std::string found = FindInPath(name);
  if (found.empty()) throw ProgramNotFound(name);
  return found;
}

// posix_spawn with the pipes on 0/1/2, every other descriptor closed, default signal handling.
pid_t Spawn(const std::string& program, const ProcessRequest& request, int in, int out, int err) {
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, in, 0);
  posix_spawn_file_actions_adddup2(&actions, out, 1);
  posix_spawn_file_actions_adddup2(&actions, err, 2);
#if defined(__GLIBC__) && (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 34))
  // Descriptors other code opened without O_CLOEXEC (sockets, lock files) must not leak into
  // iptables or an IPAM plugin: close everything above stdio in the child.
  posix_spawn_file_actions_addclosefrom_np(&actions, 3);
#endif
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  sigset_t empty_mask, default_signals;
  sigemptyset(&empty_mask);
  sigemptyset(&default_signals);
  for (int sig : {SIGPIPE, SIGINT, SIGTERM, SIGCHLD}) sigaddset(&default_signals, sig);
  posix_spawnattr_setsigmask(&attr, &empty_mask);
  posix_spawnattr_setsigdefault(&attr, &default_signals);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);

  std::vector<std::string> argv_strings = request.argv;
  std::vector<std::string> env_strings = BuildEnv(request);
  std::vector<char*> argv = CStrings(argv_strings);
  std::vector<char*> envp = CStrings(env_strings);
  pid_t pid = -1;
  int spawn_err = posix_spawn(&pid, program.c_str(), &actions, &attr, argv.data(), envp.data());
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attr);
  if (spawn_err != 0) throw ErrnoError("fork/exec " + program, spawn_err);
  return pid;
}

// Reads what is there without blocking; closes `fd` at EOF or on a read error.
void Drain(UniqueFd* fd, std::string* sink) {
  char buf[65536];
  for (;;) {
    ssize_t got = ::read(fd->get(), buf, sizeof(buf));
    if (got > 0) {
      sink->append(buf, static_cast<size_t>(got));
      continue;
    }
    if (got < 0 && errno == EINTR) continue;
    if (got < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return;
    fd->reset();
    return;
  }
}

// Writes what the pipe takes; closes it when all is written or the child stopped reading.
void Feed(UniqueFd* fd, short revents, const std::string& data, size_t* written) {
  if (revents & (POLLERR | POLLHUP)) {
    fd->reset();  // the child closed its stdin; the rest is not wanted
    return;
  }
  ssize_t put = ::write(fd->get(), data.data() + *written, data.size() - *written);
  if (put > 0) {
    *written += static_cast<size_t>(put);
    if (*written == data.size()) fd->reset();
  } else if (put < 0 && errno != EINTR && errno != EAGAIN) {
    fd->reset();
  }
}

// Milliseconds poll() may wait: until the deadline (0 when it passed), forever without one.
std::optional<int> WaitBudget(bool has_deadline, Clock::time_point deadline) {
  if (!has_deadline) return -1;
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
  if (left.count() <= 0) return std::nullopt;
  return static_cast<int>(std::min<int64_t>(left.count() + 1, 1 << 30));
}

// Feeds stdin and collects stdout/stderr until the child exited and closed both, or the
// deadline passed (then result.timed_out).
void Pump(Child& child, ParentPipes& pipes, const ProcessRequest& request, ProcessResult* result) {
  const bool has_deadline = request.timeout.count() > 0;
  const auto deadline = Clock::now() + request.timeout;
  size_t written = 0;
  for (;;) {
    const bool pipes_open = pipes.out.valid() || pipes.err.valid();
    if (!pipes_open && child.TryReap()) return;
    std::optional<int> wait_ms = WaitBudget(has_deadline, deadline);
    if (!wait_ms) {
      result->timed_out = true;
      return;
    }
    pollfd fds[4];
    nfds_t n = 0;
    auto watch = [&](const UniqueFd& fd, short events) -> int {
      if (!fd.valid()) return -1;
      fds[n] = {fd.get(), events, 0};
      return static_cast<int>(n++);
    };
    const int out_idx = watch(pipes.out, POLLIN);
    const int err_idx = watch(pipes.err, POLLIN);
    const int in_idx = watch(pipes.in, POLLOUT);
    if (!pipes_open) {
      if (child.pidfd() >= 0) {
        fds[n++] = {child.pidfd(), POLLIN, 0};
      } else {
        wait_ms = *wait_ms < 0 ? 5 : std::min(*wait_ms, 5);
      }
    }
    if (::poll(fds, n, *wait_ms) < 0) {
      if (errno == EINTR) continue;
      throw ErrnoError("poll", errno);  // the Child kills and reaps
    }
    if (out_idx >= 0 && fds[out_idx].revents) Drain(&pipes.out, &result->out);
    if (err_idx >= 0 && fds[err_idx].revents) Drain(&pipes.err, &result->err);
    if (in_idx >= 0 && fds[in_idx].revents) Feed(&pipes.in, fds[in_idx].revents, request.stdin_data, &written);
  }
}

}  // namespace

namespace {

std::string ProgramOf(const ProcessRequest& request) {
  if (request.argv.empty() || request.argv[0].empty()) {
    throw InternalError("cannot run a process without a program name", EINVAL);
  }
  return ResolveProgram(request.argv[0]);
}

}  // namespace

pid_t SpawnProcess(const ProcessRequest& request, int in, int out, int err) {
  return Spawn(ProgramOf(request), request, in, out, err);
}

ProcessResult RunProcess(const ProcessRequest& request) {
  const std::string program = ProgramOf(request);
  UniqueFd child_in, child_out, child_err;
  ParentPipes pipes;
  MakePipe(&child_in, &pipes.in);
  MakePipe(&pipes.out, &child_out);
  MakePipe(&pipes.err, &child_err);
  // Only our ends: O_NONBLOCK lives on the open file description, and the child's ends are the
  // other descriptions of each pipe.
  for (const UniqueFd* fd : {&pipes.in, &pipes.out, &pipes.err}) SetNonBlocking(fd->get());

  Child child(Spawn(program, request, child_in.get(), child_out.get(), child_err.get()));
  // The child owns its ends now; holding them would keep EOF from ever arriving.
  child_in.reset();
  child_out.reset();
  child_err.reset();
  SigpipeBlock sigpipe_block;
  if (request.stdin_data.empty()) pipes.in.reset();

  ProcessResult result;
  Pump(child, pipes, request, &result);
  if (result.timed_out) {
    child.Kill();
    child.Wait();
    result.exit_code = -1;
    return result;
  }
  result.exit_code = ExitCodeOf(child.status());
  if (WIFSIGNALED(child.status())) result.term_signal = WTERMSIG(child.status());
  return result;
}

Error ProgramNotFound(const std::string& program) {
  return InternalError("exec: \"" + program + "\": executable file not found in $PATH", ENOENT);
}

std::string DescribeRun(const std::vector<std::string>& argv, const ProcessResult& r) {
  std::string cmd;
  for (const auto& a : argv) cmd += (cmd.empty() ? "" : " ") + a;
  std::string status = r.timed_out ? "timed out" : "exit status " + std::to_string(r.exit_code);
  std::string err = r.err;
  while (!err.empty() && (err.back() == '\n' || err.back() == ' ')) err.pop_back();
  return "running [" + cmd + "]: " + status + ": " + err;
}

}  // namespace cnb
