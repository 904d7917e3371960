// SPDX-License-Identifier: Apache-2.0
// The restart policy of interrupted dumps (NLM_F_DUMP_INTR), with a scripted dump in place of
// the kernel: how many runs, and what the caller sees when the table never settles.
#include <gtest/gtest.h>

#include <cerrno>
#include <vector>

#include "common/error.h"
#include "netlink/dump.h"

namespace cnb::nl {
namespace {

// A dump that answers with `results` in turn (the last one from then on).
struct ScriptedDump {
  std::vector<int> results;
  int runs = 0;
  int operator()() {
    const int r = results[std::min<size_t>(static_cast<size_t>(runs), results.size() - 1)];
    ++runs;
    return r;
  }
};

TEST(DumpRetryTest, AnInterruptedDumpIsRunAgainUntilItIsWhole) {
  ScriptedDump dump{{-kNleDumpIntr, -kNleDumpIntr, 0}};
  RetryInterruptedDump("list links", std::ref(dump));
  EXPECT_EQ(dump.runs, 3);
}

TEST(DumpRetryTest, LostMessagesCountAsAnInterruption) {
  ScriptedDump dump{{-kNleNoMem, 0}};  // ENOBUFS on the socket: libnl's NLE_NOMEM
  RetryInterruptedDump("list links", std::ref(dump));
  EXPECT_EQ(dump.runs, 2);
}

TEST(DumpRetryTest, ATableThatNeverSettlesIsTryAgainLater) {
  ScriptedDump dump{{-kNleDumpIntr}};
  try {
    RetryInterruptedDump("failed to list links", std::ref(dump));
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kTryAgainLater);
    EXPECT_EQ(e.msg(), "failed to list links: the kernel's table kept changing during 10 dumps; try again");
  }
  EXPECT_EQ(dump.runs, kDumpAttempts);
}

TEST(DumpRetryTest, OtherFailuresAreReportedAtOnce) {
  ScriptedDump dump{{-kNlePerm}};
  try {
    RetryInterruptedDump("failed to list routes", std::ref(dump));
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kInternal);
    EXPECT_EQ(e.sys_errno(), EPERM);
    EXPECT_EQ(e.msg().rfind("failed to list routes: ", 0), 0u) << e.msg();
  }
  EXPECT_EQ(dump.runs, 1);
}

}  // namespace
}  // namespace cnb::nl
