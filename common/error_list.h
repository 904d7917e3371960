// SPDX-License-Identifier: Apache-2.0
// Errors of the independent steps of a teardown (DEL, GC, a backend's families): every step runs,
// and what failed is reported together at the end.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "common/error.h"

namespace cnb {

class ErrorList {
 public:
  // Runs `fn`, keeping an Error it throws.
  template <typename Fn>
  void Try(Fn&& fn) {
    try {
      std::forward<Fn>(fn)();
    } catch (const Error& e) {
      errors_.push_back(e);
    }
  }
  void Add(Error e) { errors_.push_back(std::move(e)); }
  bool empty() const { return errors_.empty(); }

  // Nothing when empty; the error itself when there is one; else one error with the first one's
  // code, details and errno and every message, joined by "; ".
  void ThrowIfAny() const;

 private:
  std::vector<Error> errors_;
};

}  // namespace cnb
