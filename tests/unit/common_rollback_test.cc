// SPDX-License-Identifier: Apache-2.0
// Rollback: undos run newest first unless committed, exactly once, and a failing undo never
// stops the ones after it nor escapes (it runs from a destructor).
#include <gtest/gtest.h>

#include <stdexcept>
#include <string>
#include <vector>

#include "common/log.h"
#include "common/rollback.h"

namespace cnb {
namespace {

class RollbackTest : public ::testing::Test {
 protected:
  void SetUp() override { log::SetStderr(false); }
  void TearDown() override { log::SetStderr(true); }
};

TEST_F(RollbackTest, RunsNewestFirstOnScopeExit) {
  std::vector<std::string> order;
  {
    Rollback rb;
    rb.Add("veth", [&] { order.push_back("veth"); });
    rb.Add("addr", [&] { order.push_back("addr"); });
    rb.Add("ipam", [&] { order.push_back("ipam"); });
    EXPECT_TRUE(order.empty());
  }
  EXPECT_EQ(order, (std::vector<std::string>{"ipam", "addr", "veth"}));
}

TEST_F(RollbackTest, CommitDropsUndos) {
  int runs = 0;
  {
    Rollback rb;
    rb.Add("a", [&] { ++runs; });
    rb.Add("b", [&] { ++runs; });
    rb.Commit();
  }
  EXPECT_EQ(runs, 0);
}

TEST_F(RollbackTest, StepsAfterCommitAreStillUndone) {
  std::vector<std::string> order;
  {
    Rollback rb;
    rb.Add("before", [&] { order.push_back("before"); });
    rb.Commit();
    rb.Add("after", [&] { order.push_back("after"); });
  }
  EXPECT_EQ(order, (std::vector<std::string>{"after"}));
}

TEST_F(RollbackTest, ExplicitRunHappensOnce) {
  int runs = 0;
  {
    Rollback rb;
    rb.Add("a", [&] { ++runs; });
    rb.Run();
    EXPECT_EQ(runs, 1);
    rb.Run();
    EXPECT_EQ(runs, 1);
  }
  EXPECT_EQ(runs, 1);  // the destructor found nothing left
}

TEST_F(RollbackTest, ThrowingUndoIsSwallowedAndTheRestStillRun) {
  std::vector<std::string> order;
  EXPECT_NO_THROW({
    Rollback rb;
    rb.Add("first", [&] { order.push_back("first"); });
    rb.Add("std", [&] {
      order.push_back("std");
      throw std::runtime_error("link gone");
    });
    rb.Add("other", [&] {
      order.push_back("other");
      throw 42;  // not a std::exception: must not terminate the process
    });
    rb.Add("last", [&] { order.push_back("last"); });
  });
  EXPECT_EQ(order, (std::vector<std::string>{"last", "other", "std", "first"}));
}

}  // namespace
}  // namespace cnb
