// SPDX-License-Identifier: Apache-2.0
#include "common/process.h"

#include <fcntl.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <cstdlib>

#include "common/error.h"

namespace cnb::bridge {
namespace {

ProcessRequest Sh(const std::string& script, std::string stdin_data = {}) {
  ProcessRequest req;
  req.argv = {"/bin/sh", "-c", script};
  req.stdin_data = std::move(stdin_data);
  return req;
}

TEST(ProcessTest, CapturesStdoutAndExitCode) {
  ProcessRequest req;
  req.argv = {"echo", "hello", "world"};
  ProcessResult r = RunProcess(req);
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_FALSE(r.timed_out);
  EXPECT_EQ(r.out, "hello world\n");
  EXPECT_EQ(r.err, "");
}

TEST(ProcessTest, FeedsStdin) {
  ProcessRequest req;
  req.argv = {"cat"};
  req.stdin_data = "line one\nline two";
  ProcessResult r = RunProcess(req);
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_EQ(r.out, "line one\nline two");
}

TEST(ProcessTest, SeparatesStderrAndReportsFailure) {
  ProcessResult r = RunProcess(Sh("echo out; echo err >&2; exit 3"));
  EXPECT_EQ(r.exit_code, 3);
  EXPECT_EQ(r.out, "out\n");
  EXPECT_EQ(r.err, "err\n");
  ProcessRequest f;
  f.argv = {"false"};
  EXPECT_EQ(RunProcess(f).exit_code, 1);
}

TEST(ProcessTest, LargeStdinAndOutputDoNotDeadlock) {
  // Far more than a pipe buffer in all three directions at once: cat echoes stdin while we are
  // still writing it, and the shell also floods stderr.
  std::string big(4 << 20, 'x');
  for (size_t i = 0; i < big.size(); i += 1000) big[i] = '\n';
  ProcessResult r = RunProcess(Sh("cat; head -c 3000000 /dev/zero >&2", big));
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_EQ(r.out, big);
  EXPECT_EQ(r.err.size(), 3000000u);
}

TEST(ProcessTest, ChildThatIgnoresStdinStillCompletes) {
  std::string big(1 << 20, 'y');
  ProcessResult r = RunProcess(Sh("exec 0<&-; echo done", big));
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_EQ(r.out, "done\n");
}

TEST(ProcessTest, TimeoutKillsTheChild) {
  ProcessRequest req = Sh("echo started; exec sleep 30");
  req.timeout = std::chrono::milliseconds(300);
  auto start = std::chrono::steady_clock::now();
  ProcessResult r = RunProcess(req);
  auto took = std::chrono::steady_clock::now() - start;
  EXPECT_TRUE(r.timed_out);
  EXPECT_EQ(r.exit_code, -1);
  EXPECT_EQ(r.out, "started\n");
  EXPECT_LT(took, std::chrono::seconds(5));
}

TEST(ProcessTest, SignalledChildHasNoExitCode) {
  ProcessResult r = RunProcess(Sh("kill -9 $$"));
  EXPECT_FALSE(r.timed_out);
  EXPECT_EQ(r.exit_code, -1);
}

TEST(ProcessTest, Environment) {
  ProcessRequest req = Sh("echo \"$CNB_A|$CNB_B|${HOME:-nohome}\"");
  req.env = {"CNB_A=1", "CNB_B=two words"};
  req.inherit_env = false;
  EXPECT_EQ(RunProcess(req).out, "1|two words|nohome\n");

  ::setenv("CNB_PROCESS_TEST_INHERITED", "yes", 1);
  ProcessRequest inherit = Sh("echo \"$CNB_PROCESS_TEST_INHERITED|$CNB_A\"");
  inherit.env = {"CNB_A=override"};
  EXPECT_EQ(RunProcess(inherit).out, "yes|override\n");
}

TEST(ProcessTest, DoesNotLeakDescriptors) {
  // A descriptor opened without O_CLOEXEC (as libraries do) must not reach the child.
  int opened = ::open("/dev/null", O_RDONLY);
  ASSERT_GE(opened, 0);
  ASSERT_EQ(::dup2(opened, 100), 100);
  ::close(opened);
  ProcessResult r = RunProcess(Sh("test -e /proc/self/fd/100 && echo leaked || echo closed"));
  ::close(100);
  EXPECT_EQ(r.out, "closed\n");
}

TEST(ProcessTest, MissingProgramThrowsWithErrno) {
  ProcessRequest req;
  req.argv = {"/nonexistent/cnb-no-such-program"};
  try {
    RunProcess(req);
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.sys_errno(), ENOENT);
    EXPECT_TRUE(e.IsNotFound());
  }
  req.argv = {"cnb-no-such-program-in-path"};
  try {
    RunProcess(req);
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.sys_errno(), ENOENT);
  }
}

TEST(ProcessTest, FindInPath) {
  std::string sh = FindInPath("sh");
  EXPECT_FALSE(sh.empty());
  EXPECT_EQ(sh.back(), 'h');
  EXPECT_EQ(FindInPath("/bin/sh"), "/bin/sh");
  EXPECT_EQ(FindInPath("cnb-no-such-program-in-path"), "");
  EXPECT_EQ(FindInPath("/etc/hostname-not-executable-or-missing"), "");
}

}  // namespace
}  // namespace cnb::bridge
