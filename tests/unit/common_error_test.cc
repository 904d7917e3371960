// SPDX-License-Identifier: Apache-2.0
// Error: the CNI code, message, details and errno travel together through Wrap, and the errno
// drives the "already gone"/"already there" decisions.
#include <gtest/gtest.h>

#include <cerrno>
#include <cstring>

#include "common/error.h"

namespace cnb {
namespace {

TEST(Error, CarriesCodeMessageDetailsErrno) {
  Error e(ErrorCode::kInvalidEnv, "bad env", "CNI_IFNAME", EINVAL);
  EXPECT_EQ(e.code(), ErrorCode::kInvalidEnv);
  EXPECT_EQ(e.code_value(), 4);
  EXPECT_EQ(e.msg(), "bad env");
  EXPECT_EQ(e.details(), "CNI_IFNAME");
  EXPECT_EQ(e.sys_errno(), EINVAL);
  EXPECT_STREQ(e.what(), "bad env");
}

TEST(Error, WireNumbers) {
  EXPECT_EQ(static_cast<int>(ErrorCode::kIncompatibleVersion), 1);
  EXPECT_EQ(static_cast<int>(ErrorCode::kUnsupportedField), 2);
  EXPECT_EQ(static_cast<int>(ErrorCode::kUnknownContainer), 3);
  EXPECT_EQ(static_cast<int>(ErrorCode::kIo), 5);
  EXPECT_EQ(static_cast<int>(ErrorCode::kDecode), 6);
  EXPECT_EQ(static_cast<int>(ErrorCode::kInvalidConfig), 7);
  EXPECT_EQ(static_cast<int>(ErrorCode::kInvalidNetns), 8);
  EXPECT_EQ(static_cast<int>(ErrorCode::kTryAgainLater), 11);
  EXPECT_EQ(static_cast<int>(ErrorCode::kNotAvailable), 50);
  EXPECT_EQ(static_cast<int>(ErrorCode::kLimitedConnectivity), 51);
  EXPECT_EQ(static_cast<int>(ErrorCode::kInternal), 999);
}

TEST(Error, WrapKeepsCodeErrnoAndDetails) {
  Error inner(ErrorCode::kTryAgainLater, "busy", "lock held", EAGAIN);
  Error outer = inner.Wrap("allocating 10.0.0.2");
  EXPECT_EQ(outer.code(), ErrorCode::kTryAgainLater);
  EXPECT_EQ(outer.sys_errno(), EAGAIN);
  EXPECT_EQ(outer.details(), "lock held");
  EXPECT_EQ(outer.msg(), "allocating 10.0.0.2: busy");
  // The original is untouched and wrapping nests.
  EXPECT_EQ(inner.msg(), "busy");
  EXPECT_EQ(outer.Wrap("ADD").msg(), "ADD: allocating 10.0.0.2: busy");
  EXPECT_EQ(outer.Wrap("ADD").sys_errno(), EAGAIN);
}

TEST(Error, NotFoundAndExists) {
  for (int e : {ENOENT, ENODEV, ESRCH, ENXIO}) {
    Error err = ErrnoError("lookup", e);
    EXPECT_TRUE(err.IsNotFound()) << e;
    EXPECT_FALSE(err.IsExists()) << e;
    EXPECT_TRUE(err.Wrap("outer").IsNotFound()) << e;
  }
  Error exists = ErrnoError("create", EEXIST);
  EXPECT_TRUE(exists.IsExists());
  EXPECT_FALSE(exists.IsNotFound());
  for (int e : {0, EPERM, EBUSY, EINVAL}) {
    Error err(ErrorCode::kInternal, "x", "", e);
    EXPECT_FALSE(err.IsNotFound()) << e;
    EXPECT_FALSE(err.IsExists()) << e;
  }
}

TEST(Error, Shorthands) {
  Error errno_error = ErrnoError("open /x", ENOENT);
  EXPECT_EQ(errno_error.code(), ErrorCode::kInternal);
  EXPECT_EQ(errno_error.msg(), "open /x: no such file or directory");  // lower case, as Go prints it
  EXPECT_EQ(errno_error.sys_errno(), ENOENT);
  EXPECT_EQ(ErrnoError("x", EIO, ErrorCode::kIo).code(), ErrorCode::kIo);

  Error internal = InternalError("boom", EPERM);
  EXPECT_EQ(internal.code_value(), 999);
  EXPECT_EQ(internal.msg(), "boom");
  EXPECT_EQ(internal.sys_errno(), EPERM);
  EXPECT_TRUE(internal.details().empty());

  Error config = ConfigError("bad subnet", "10.0.0.0/33");
  EXPECT_EQ(config.code_value(), 7);
  EXPECT_EQ(config.details(), "10.0.0.0/33");
  EXPECT_EQ(config.sys_errno(), 0);
}

TEST(Error, IsAStdException) {
  try {
    throw InternalError("thrown");
  } catch (const std::exception& e) {
    EXPECT_STREQ(e.what(), "thrown");
    return;
  }
  FAIL() << "not caught as std::exception";
}

}  // namespace
}  // namespace cnb
