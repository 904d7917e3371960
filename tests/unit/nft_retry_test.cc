// SPDX-License-Identifier: Apache-2.0
// The retry policy of commits built from a listing (NftSocket::CommitFromListing), with scripted
// failures in place of the kernel's answers: which errors mean "the ruleset moved, list again",
// how often, and what the caller sees when it never settles.
#include <gtest/gtest.h>

#include <cerrno>
#include <vector>

#include "common/error.h"
#include "netlink/nft/socket.h"

namespace cnb::nl::nft {
namespace {

// An attempt that fails with each errno of `errnos` in turn, then succeeds.
struct ScriptedCommit {
  std::vector<int> errnos;
  int runs = 0;
  void operator()() {
    const size_t n = static_cast<size_t>(runs++);
    if (n < errnos.size()) throw ErrnoError("failed to commit", errnos[n]);
  }
};

struct CountedBackOff {
  std::vector<int> calls;
  void operator()(int n) { calls.push_back(n); }
};

TEST(NftRetryTest, ARulesetThatMovedIsListedAndCommittedAgain) {
  // ERESTART: the generation moved; EINTR: a dump kept being interrupted; EBUSY, ENOENT: a
  // kernel without generation checks saying a listed object changed.
  ScriptedCommit commit{{ERESTART, EINTR, EBUSY, ENOENT}};
  CountedBackOff back_off;
  RetryWhileStale(std::ref(commit), 50, std::ref(back_off));
  EXPECT_EQ(commit.runs, 5);
  EXPECT_EQ(back_off.calls, (std::vector<int>{1, 2, 3, 4}));
}

TEST(NftRetryTest, OtherErrorsAreReportedAtOnce) {
  for (int err : {EPERM, EEXIST, EINVAL, ENOBUFS, EOPNOTSUPP}) {
    ScriptedCommit commit{{err}};
    CountedBackOff back_off;
    try {
      RetryWhileStale(std::ref(commit), 50, std::ref(back_off));
      ADD_FAILURE() << "no error for errno " << err;
    } catch (const Error& e) {
      EXPECT_EQ(e.sys_errno(), err);
      EXPECT_NE(e.code(), ErrorCode::kTryAgainLater) << err;
    }
    EXPECT_EQ(commit.runs, 1) << err;
    EXPECT_TRUE(back_off.calls.empty()) << err;
  }
}

TEST(NftRetryTest, ARulesetThatNeverSettlesIsTryAgainLater) {
  ScriptedCommit commit{std::vector<int>(100, ERESTART)};
  CountedBackOff back_off;
  try {
    RetryWhileStale(std::ref(commit), 7, std::ref(back_off));
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kTryAgainLater);
    EXPECT_EQ(e.sys_errno(), ERESTART);
    EXPECT_NE(e.msg().find("failed to commit"), std::string::npos) << e.msg();
    EXPECT_NE(e.msg().find("7 attempts; try again"), std::string::npos) << e.msg();
  }
  EXPECT_EQ(commit.runs, 7);
  EXPECT_EQ(back_off.calls.size(), 6u);
}

}  // namespace
}  // namespace cnb::nl::nft
