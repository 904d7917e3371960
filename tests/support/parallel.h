// SPDX-License-Identifier: Apache-2.0
// Running many plugin calls at once, as a busy node's runtime does.
#pragma once

#include <atomic>
#include <thread>
#include <type_traits>
#include <vector>

namespace cnb::test {

// Runs op(i) for i in [0, count) on `workers` threads, each taking the next i when it is free;
// returns the results by index.
template <typename Op>
std::vector<std::invoke_result_t<Op, int>> InParallel(int workers, int count, Op op) {
  std::vector<std::invoke_result_t<Op, int>> results(static_cast<size_t>(count));
  std::atomic<int> next{0};
  std::vector<std::thread> threads;
  for (int w = 0; w < workers; ++w)
    threads.emplace_back([&] {
      for (int i = next++; i < count; i = next++) results[static_cast<size_t>(i)] = op(i);
    });
  for (auto& t : threads) t.join();
  return results;
}

}  // namespace cnb::test
