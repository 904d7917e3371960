// SPDX-License-Identifier: Apache-2.0
// Errors of independent teardown steps, reported together.
#include <gtest/gtest.h>

#include <cerrno>

#include "common/error_list.h"

namespace cnb {
namespace {

TEST(ErrorList, EveryStepRunsAndTheFailuresAreReportedTogether) {
  ErrorList errors;
  int ran = 0;
  errors.Try([&] {
    ++ran;
    throw ErrnoError("remove rules", EBUSY);
  });
  errors.Try([&] { ++ran; });
  errors.Try([&] {
    ++ran;
    throw Error(ErrorCode::kIo, "release IP");
  });
  EXPECT_EQ(ran, 3);
  try {
    errors.ThrowIfAny();
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kInternal);  // the first one's
    EXPECT_EQ(e.sys_errno(), EBUSY);
    EXPECT_EQ(e.msg(), "remove rules: device or resource busy; release IP");
  }
}

TEST(ErrorList, OneErrorIsThrownAsItIs) {
  ErrorList errors;
  errors.Add(Error(ErrorCode::kInvalidConfig, "bad list", "details"));
  try {
    errors.ThrowIfAny();
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kInvalidConfig);
    EXPECT_EQ(e.msg(), "bad list");
    EXPECT_EQ(e.details(), "details");
  }
}

TEST(ErrorList, NothingWhenEmpty) {
  ErrorList errors;
  errors.Try([] {});
  EXPECT_TRUE(errors.empty());
  EXPECT_NO_THROW(errors.ThrowIfAny());
}

}  // namespace
}  // namespace cnb
