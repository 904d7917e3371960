// SPDX-License-Identifier: Apache-2.0
#include "common/error.h"

#include <cerrno>

#include "common/strings.h"

namespace cnb {

Error::Error(ErrorCode code, std::string msg, std::string details, int sys_errno)
    : code_(code), msg_(std::move(msg)), details_(std::move(details)), sys_errno_(sys_errno) {}

bool Error::IsNotFound() const {
  return sys_errno_ == ENOENT || sys_errno_ == ENODEV || sys_errno_ == ESRCH || sys_errno_ == ENXIO;
}

bool Error::IsExists() const { return sys_errno_ == EEXIST; }

Error Error::Wrap(std::string_view context) const {
  std::string msg(context);
  msg += ": ";
  msg += msg_;
  return Error(code_, std::move(msg), details_, sys_errno_);
}

Error InternalError(std::string msg, int sys_errno) {
  return Error(ErrorCode::kInternal, std::move(msg), {}, sys_errno);
}

Error ConfigError(std::string msg, std::string details) {
  return Error(ErrorCode::kInvalidConfig, std::move(msg), std::move(details));
}

Error ErrnoError(std::string_view context, int err, ErrorCode code) {
  std::string msg(context);
  msg += ": ";
  msg += ErrnoText(err);  // lower case, as Go prints errnos
  return Error(code, std::move(msg), {}, err);
}

}  // namespace cnb
