// SPDX-License-Identifier: Apache-2.0
// A process runner for the masquerade backends' unit tests: records every exec (the point of
// the design is how few there are) and answers from a queue of canned results.
#pragma once

#include <deque>
#include <string>
#include <utility>
#include <vector>

#include "masq/tools.h"

namespace cnb::test {

// Answers from a queue of canned results (exit 0 with no output once it runs dry).
struct FakeRunner {
  std::vector<ProcessRequest> calls;
  std::deque<ProcessResult> replies;

  masq::Runner AsRunner() {
    return [this](const ProcessRequest& req) {
      calls.push_back(req);
      if (replies.empty()) return ProcessResult{0, false, "", ""};
      ProcessResult r = replies.front();
      replies.pop_front();
      return r;
    };
  }
  void Reply(int code, std::string out = "", std::string err = "") {
    replies.push_back({code, false, std::move(out), std::move(err)});
  }
  std::string Argv(size_t i) const {
    std::string s;
    for (const auto& a : calls.at(i).argv) s += (s.empty() ? "" : " ") + a;
    return s;
  }
};

}  // namespace cnb::test
