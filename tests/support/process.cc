#include "support/process.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <mutex>
#include <stdexcept>

extern char** environ;

namespace cnb::test {
namespace {

struct Pipe {
  int fd[2] = {-1, -1};
  Pipe() {
    // O_CLOEXEC so children spawned concurrently by other threads do not inherit our ends
    // (an inherited write end would keep a reader waiting for EOF forever).
    if (pipe2(fd, O_CLOEXEC) != 0) throw std::runtime_error(std::string("pipe2: ") + strerror(errno));
  }
  ~Pipe() { CloseBoth(); }
  void Close(int i) {
    if (fd[i] >= 0) close(fd[i]);
    fd[i] = -1;
  }
  void CloseBoth() { Close(0), Close(1); }
};

void IgnoreSigpipeOnce() {
  // A plugin that exits before reading all of stdin must not kill the test with SIGPIPE.
  static std::once_flag once;
  std::call_once(once, [] { signal(SIGPIPE, SIG_IGN); });
}

}  // namespace

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
                         const std::optional<std::map<std::string, std::string>>& env,
                         const std::string& stdin_data, std::chrono::milliseconds timeout) {
  IgnoreSigpipeOnce();
  if (argv.empty()) throw std::invalid_argument("RunProcess: empty argv");
  Pipe in, out, err;

  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, in.fd[0], 0);
  posix_spawn_file_actions_adddup2(&actions, out.fd[1], 1);
  posix_spawn_file_actions_adddup2(&actions, err.fd[1], 2);

  std::vector<char*> cargv;
  for (const auto& a : argv) cargv.push_back(const_cast<char*>(a.c_str()));
  cargv.push_back(nullptr);
  std::vector<std::string> env_strings;
  std::vector<char*> cenv;
  if (env) {
    for (const auto& [k, v] : *env) env_strings.push_back(k + "=" + v);
    for (auto& s : env_strings) cenv.push_back(s.data());
    cenv.push_back(nullptr);
  }

  pid_t pid = -1;
  int rc = posix_spawnp(&pid, argv[0].c_str(), &actions, nullptr, cargv.data(),
                        env ? cenv.data() : environ);
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) throw std::runtime_error("posix_spawnp " + argv[0] + ": " + strerror(rc));
  in.Close(0), out.Close(1), err.Close(1);

  ProcessResult r;
  size_t written = 0;
  if (stdin_data.empty()) in.Close(1);
  for (int i : {in.fd[1], out.fd[0], err.fd[0]})
    if (i >= 0) fcntl(i, F_SETFL, fcntl(i, F_GETFL) | O_NONBLOCK);

  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (out.fd[0] >= 0 || err.fd[0] >= 0) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      r.timed_out = true;
      kill(pid, SIGKILL);
      break;
    }
    pollfd fds[3] = {{in.fd[1], POLLOUT, 0}, {out.fd[0], POLLIN, 0}, {err.fd[0], POLLIN, 0}};
    int n = poll(fds, 3, static_cast<int>(left.count()));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) break;
    if (in.fd[1] >= 0 && (fds[0].revents & (POLLOUT | POLLERR | POLLHUP))) {
      ssize_t w = write(in.fd[1], stdin_data.data() + written, stdin_data.size() - written);
      if (w > 0) written += static_cast<size_t>(w);
      if (w < 0 && errno != EAGAIN) written = stdin_data.size();  // reader gone
      if (written >= stdin_data.size()) in.Close(1);
    }
    for (int k : {1, 2}) {
      Pipe& p = k == 1 ? out : err;
      std::string& sink = k == 1 ? r.out : r.err;
      if (p.fd[0] < 0 || !(fds[k].revents & (POLLIN | POLLERR | POLLHUP))) continue;
      char buf[8192];
      ssize_t got = read(p.fd[0], buf, sizeof buf);
      if (got > 0) sink.append(buf, static_cast<size_t>(got));
      else if (got == 0 || errno != EAGAIN) p.Close(0);
    }
  }
  in.Close(1);

  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (WIFEXITED(status)) r.exit_code = WEXITSTATUS(status);
  if (WIFSIGNALED(status)) r.term_signal = WTERMSIG(status);
  return r;
}

std::string RunOrThrow(const std::vector<std::string>& argv, const std::string& stdin_data) {
  ProcessResult r = RunProcess(argv, std::nullopt, stdin_data);
  if (r.exit_code != 0) throw std::runtime_error("command failed: " + Describe(argv, r));
  return r.out;
}

}  // namespace cnb::test
