// SPDX-License-Identifier: Apache-2.0
// The VLAN changes of a bridge port, for pods and for the vlan gateway's port (the messages
// themselves are checked byte by byte in netlink_vlan_test; this kernel cannot apply them).
#include <gtest/gtest.h>

#include <vector>

#include "plugin/bridge/host_side.h"

namespace cnb::bridge {
namespace {

struct Change {
  bool add;
  int vid;
  bool pvid;
  bool untagged;
  bool operator==(const Change&) const = default;
};

std::vector<Change> Of(const std::vector<PortVlanChange>& changes) {
  std::vector<Change> out;
  for (const auto& c : changes) out.push_back({c.add, c.vlan.vid, c.vlan.pvid, c.vlan.untagged});
  return out;
}

TEST(PortVlanChangesTest, AccessPortDropsTheDefaultVlan) {
  // The gateway's port and a pod's port alike: PVID <vlan>, untagged, VID 1 gone.
  EXPECT_EQ(Of(PortVlanChanges(100, {}, false)),
            (std::vector<Change>{{false, 1, false, false}, {true, 100, true, true}}));
}

TEST(PortVlanChangesTest, PreserveDefaultVlanKeepsVid1) {
  EXPECT_EQ(Of(PortVlanChanges(100, {}, true)), (std::vector<Change>{{true, 100, true, true}}));
}

TEST(PortVlanChangesTest, TrunkAddsTaggedVidsWithNativeVlan1) {
  const std::vector<VlanTrunkRange> trunk = {{7, 7}, {10, 12}};
  EXPECT_EQ(Of(PortVlanChanges(0, trunk, false)), (std::vector<Change>{{false, 1, false, false},
                                                                       {true, 1, true, true},
                                                                       {true, 7, false, false},
                                                                       {true, 10, false, false},
                                                                       {true, 11, false, false},
                                                                       {true, 12, false, false}}));
}

}  // namespace
}  // namespace cnb::bridge
