// SPDX-License-Identifier: Apache-2.0
// The fixture the integration tests share: a throwaway "node" namespace where the plugin runs
// (as on a real node: the bridge, host veths, gateway address and NAT rules end up there), pod
// namespaces passed as CNI_NETNS, and a temp IPAM dataDir. Everything goes away in TearDown,
// even when an assertion failed half-way.
#pragma once

#include <deque>
#include <map>
#include <memory>
#include <set>
#include <string>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "support/kernel_state.h"
#include "support/netns.h"
#include "support/plugin_runner.h"
#include "support/temp_dir.h"

namespace cnb::test {

struct Pod {
  std::unique_ptr<ScopedNetns> ns;
  std::string id;  // CNI_CONTAINERID
  const std::string& name() const { return ns->name(); }
  std::string path() const { return ns->path(); }
};

struct CniCall {
  std::string command;
  std::string container_id;
  std::string netns;  // path
  std::string ifname = "eth0";
  std::string args;  // CNI_ARGS; omitted when empty
};

class BridgeTest : public ::testing::Test {
 protected:
  static constexpr const char* kNet = "cnbtnet";
  static constexpr const char* kBridge = "cnbr0";
  static constexpr const char* kSubnet = "10.77.0.0/24";
  static constexpr const char* kGateway = "10.77.0.1";
  static constexpr const char* kSubnet6 = "fd77::/64";
  static constexpr const char* kGateway6 = "fd77::1";

  void SetUp() override;
  void TearDown() override;

  const std::string& node() const { return node_->name(); }
  const std::string& data_dir() const { return data_dir_->path(); }

  // A minimal gateway-mode bridge + host-local config in `version`.
  nlohmann::json Conf(const std::string& version = "1.0.0") const;
  // Same with a v4 and a v6 range set.
  nlohmann::json DualStackConf(const std::string& version = "1.0.0") const;

  Pod& NewPod();

  // The environment a runtime would pass: every CNI_* of `call` plus CNI_PATH = plugin dir.
  std::map<std::string, std::string> Env(const CniCall& call) const;
  PluginRun Call(const CniCall& call, const nlohmann::json& conf);
  // The same call to the reference bridge plugin (kReferencePluginDir), for interop tests.
  PluginRun CallReference(const CniCall& call, const nlohmann::json& conf);
  PluginRun Add(const Pod& pod, const nlohmann::json& conf, const std::string& ifname = "eth0",
                const std::string& cni_args = "");
  PluginRun Del(const Pod& pod, const nlohmann::json& conf, const std::string& ifname = "eth0");
  // CHECK with `prev` injected as prevResult.
  PluginRun Check(const Pod& pod, nlohmann::json conf, const nlohmann::json& prev, const std::string& ifname = "eth0");

  // The host-side veth the ADD result names (interfaces[1]).
  static std::string HostVeth(const nlohmann::json& add_result);
  // The first address of the result ("10.77.0.2/24"), in any result shape.
  static std::string FirstAddress(const nlohmann::json& add_result);
  static std::string WithoutPrefix(const std::string& cidr);

  // Expect an error document: exit status 1, JSON on stdout with `code` and a `msg` holding
  // `msg_part`.
  static void ExpectCniError(const PluginRun& r, int code, const std::string& msg_part = "");

  // Names of the veths in the node namespace.
  std::set<std::string> NodeVeths() const;
  // Nothing of a failed ADD may remain: the node holds exactly the veths it held before
  // (`veths_before`), `ifname` is absent from the pod, and no reservation names the pod.
  void ExpectNothingLeftFor(const Pod& pod, const std::set<std::string>& veths_before,
                            const std::string& ifname = "eth0");

 private:
  std::unique_ptr<ScopedNetns> node_;
  std::unique_ptr<TempDir> data_dir_;
  std::deque<Pod> pods_;  // declared after node_: destroyed (deleted) first
  unsigned next_pod_ = 0;
};

#define ASSERT_PLUGIN_OK(run) ASSERT_TRUE((run).ok()) << (run).Describe()
#define EXPECT_PLUGIN_OK(run) EXPECT_TRUE((run).ok()) << (run).Describe()

}  // namespace cnb::test
