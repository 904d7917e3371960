#include "plugin/process.h"

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
#include <string_view>

#include "common/error.h"
#include "common/unique_fd.h"

extern char** environ;

namespace cnb::bridge {
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

ProcessResult RunProcess(const ProcessRequest& request) {
  if (request.argv.empty() || request.argv[0].empty()) {
    throw InternalError("cannot run a process without a program name", EINVAL);
  }
  std::string program = request.argv[0];
  if (program.find('/') == std::string::npos) {
    std::string found = FindInPath(program);
    if (found.empty()) {
      throw Error(ErrorCode::kInternal, "exec: \"" + program + "\": executable file not found in $PATH",
                  {}, ENOENT);
    }
    program = found;
  }

  UniqueFd stdin_read, stdin_write, stdout_read, stdout_write, stderr_read, stderr_write;
  MakePipe(&stdin_read, &stdin_write);
  MakePipe(&stdout_read, &stdout_write);
  MakePipe(&stderr_read, &stderr_write);
  // Only our ends: O_NONBLOCK lives on the open file description, and the child's ends are the
  // other descriptions of each pipe.
  SetNonBlocking(stdin_write.get());
  SetNonBlocking(stdout_read.get());
  SetNonBlocking(stderr_read.get());

  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, stdin_read.get(), 0);
  posix_spawn_file_actions_adddup2(&actions, stdout_write.get(), 1);
  posix_spawn_file_actions_adddup2(&actions, stderr_write.get(), 2);
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
  sigaddset(&default_signals, SIGPIPE);
  sigaddset(&default_signals, SIGINT);
  sigaddset(&default_signals, SIGTERM);
  sigaddset(&default_signals, SIGCHLD);
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

  // The child owns its ends now; holding them would keep EOF from ever arriving.
  stdin_read.reset();
  stdout_write.reset();
  stderr_write.reset();

  SigpipeBlock sigpipe_block;
  if (request.stdin_data.empty()) stdin_write.reset();

  // A pidfd lets the same poll() notice the exit; without one (old kernels) we poll waitpid.
  UniqueFd pidfd(static_cast<int>(::syscall(SYS_pidfd_open, pid, 0)));

  ProcessResult result;
  const bool has_deadline = request.timeout.count() > 0;
  const auto deadline = Clock::now() + request.timeout;
  size_t written = 0;
  bool reaped = false;
  int status = 0;
  char buf[65536];

  auto try_reap = [&] {
    if (reaped) return;
    pid_t r;
    do {
      r = ::waitpid(pid, &status, WNOHANG);
    } while (r < 0 && errno == EINTR);
    if (r == pid) reaped = true;
  };

  while (true) {
    bool pipes_open = stdout_read.valid() || stderr_read.valid();
    if (!pipes_open) {
      try_reap();
      if (reaped) break;
    }
    int wait_ms = -1;
    if (has_deadline) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
      if (left.count() <= 0) {
        result.timed_out = true;
        break;
      }
      wait_ms = static_cast<int>(std::min<int64_t>(left.count() + 1, 1 << 30));
    }
    pollfd fds[4];
    int nfds = 0;
    int out_idx = -1, err_idx = -1, in_idx = -1;
    if (stdout_read.valid()) {
      out_idx = nfds;
      fds[nfds++] = {stdout_read.get(), POLLIN, 0};
    }
    if (stderr_read.valid()) {
      err_idx = nfds;
      fds[nfds++] = {stderr_read.get(), POLLIN, 0};
    }
    if (stdin_write.valid()) {
      in_idx = nfds;
      fds[nfds++] = {stdin_write.get(), POLLOUT, 0};
    }
    if (!pipes_open) {
      if (pidfd.valid()) {
        fds[nfds++] = {pidfd.get(), POLLIN, 0};
      } else {
        wait_ms = wait_ms < 0 ? 5 : std::min(wait_ms, 5);
      }
    }
    int n = ::poll(fds, static_cast<nfds_t>(nfds), wait_ms);
    if (n < 0) {
      if (errno == EINTR) continue;
      int err = errno;
      ::kill(pid, SIGKILL);
      while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
      }
      throw ErrnoError("poll", err);
    }
    auto drain = [&](int idx, UniqueFd* fd, std::string* sink) {
      if (idx < 0 || fds[idx].revents == 0) return;
      while (true) {
        ssize_t got = ::read(fd->get(), buf, sizeof(buf));
        if (got > 0) {
          sink->append(buf, static_cast<size_t>(got));
          continue;
        }
        if (got < 0 && errno == EINTR) continue;
        if (got < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return;
        fd->reset();  // EOF or a read error: nothing more will come
        return;
      }
    };
    drain(out_idx, &stdout_read, &result.out);
    drain(err_idx, &stderr_read, &result.err);
    if (in_idx >= 0 && fds[in_idx].revents != 0) {
      if (fds[in_idx].revents & (POLLERR | POLLHUP)) {
        stdin_write.reset();  // the child closed its stdin; the rest is not wanted
      } else {
        ssize_t put = ::write(stdin_write.get(), request.stdin_data.data() + written,
                              request.stdin_data.size() - written);
        if (put > 0) {
          written += static_cast<size_t>(put);
          if (written == request.stdin_data.size()) stdin_write.reset();
        } else if (put < 0 && errno != EINTR && errno != EAGAIN) {
          stdin_write.reset();
        }
      }
    }
  }

  if (result.timed_out) {
    // Our own child, by pid; it is not reaped yet, so the pid cannot have been reused.
    ::kill(pid, SIGKILL);
    if (!reaped) {
      while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
      }
    }
    result.exit_code = -1;
    return result;
  }
  result.exit_code = ExitCodeOf(status);
  return result;
}

std::string DescribeRun(const std::vector<std::string>& argv, const ProcessResult& r) {
  std::string cmd;
  for (const auto& a : argv) cmd += (cmd.empty() ? "" : " ") + a;
  std::string status = r.timed_out ? "timed out" : "exit status " + std::to_string(r.exit_code);
  std::string err = r.err;
  while (!err.empty() && (err.back() == '\n' || err.back() == ' ')) err.pop_back();
  return "running [" + cmd + "]: " + status + ": " + err;
}

}  // namespace cnb::bridge
