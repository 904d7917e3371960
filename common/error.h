// SPDX-License-Identifier: Apache-2.0
// The one error type of the project: a CNI error code plus a message.
#pragma once

#include <exception>
#include <string>
#include <string_view>

namespace cnb {

// Values are the CNI wire numbers (SPEC "Error"), plus the Go library's 8 and 999.
enum class ErrorCode : int {
  kUnknown = 0,
  kIncompatibleVersion = 1,
  kUnsupportedField = 2,
  kUnknownContainer = 3,
  kInvalidEnv = 4,
  kIo = 5,
  kDecode = 6,
  kInvalidConfig = 7,
  kInvalidNetns = 8,
  kTryAgainLater = 11,
  kNotAvailable = 50,
  kLimitedConnectivity = 51,
  kInternal = 999,
};

class Error : public std::exception {
 public:
  Error(ErrorCode code, std::string msg, std::string details = {}, int sys_errno = 0);

  ErrorCode code() const { return code_; }
  int code_value() const { return static_cast<int>(code_); }
  const std::string& msg() const { return msg_; }
  const std::string& details() const { return details_; }
  // errno of the root cause (0 when there is none); drives "already gone" decisions.
  int sys_errno() const { return sys_errno_; }
  const char* what() const noexcept override { return msg_.c_str(); }

  bool IsNotFound() const;  // ENOENT, ENODEV, ESRCH, ENXIO
  bool IsExists() const;    // EEXIST

  // A copy with "<context>: " prepended to the message; code and errno are kept.
  Error Wrap(std::string_view context) const;

 private:
  ErrorCode code_;
  std::string msg_;
  std::string details_;
  int sys_errno_;
};

// Shorthands for the common cases.
Error InternalError(std::string msg, int sys_errno = 0);
Error ConfigError(std::string msg, std::string details = {});
// "<context>: <errno text, lower case as in Go>" with code 999 (or `code`) and errno kept.
Error ErrnoError(std::string_view context, int err, ErrorCode code = ErrorCode::kInternal);

}  // namespace cnb
