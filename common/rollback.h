// SPDX-License-Identifier: Apache-2.0
// Undo log for multi-step operations: every step registers its undo; unless Commit() is called,
// the destructor runs the undos in reverse order. Undo failures are logged, never thrown.
#pragma once

#include <functional>
#include <string>
#include <utility>
#include <vector>

namespace cnb {

class Rollback {
 public:
  Rollback() = default;
  Rollback(const Rollback&) = delete;
  Rollback& operator=(const Rollback&) = delete;
  ~Rollback() { Run(); }

  // `what` names the undo in the log if it fails.
  void Add(std::string what, std::function<void()> undo) { undos_.emplace_back(std::move(what), std::move(undo)); }
  void Commit() { undos_.clear(); }
  // Runs the pending undos now (newest first) and forgets them.
  void Run();

 private:
  std::vector<std::pair<std::string, std::function<void()>>> undos_;
};

}  // namespace cnb
