// SPDX-License-Identifier: Apache-2.0
// The host veth's alias: its documented format, the kernel's limit (254 bytes and the NUL), and reading it back.
#include <gtest/gtest.h>

#include <string>

#include "plugin/bridge/alias.h"

namespace cnb::bridge {
namespace {

TEST(AliasTest, NamesContainerIfnameAndPod) {
  const auto a = AliasFor("4c1f9e", "eth0", "IgnoreUnknown=1;K8S_POD_NAMESPACE=default;K8S_POD_NAME=web-1");
  EXPECT_EQ(FormatAlias(a), "cni-bridge id=4c1f9e if=eth0 pod=default/web-1");
}

TEST(AliasTest, WithoutPodArgsHasNoPod) {
  EXPECT_EQ(FormatAlias(AliasFor("4c1f9e", "net1", "")), "cni-bridge id=4c1f9e if=net1");
  // A namespace alone names no pod.
  EXPECT_EQ(FormatAlias(AliasFor("4c1f9e", "net1", "K8S_POD_NAMESPACE=default")), "cni-bridge id=4c1f9e if=net1");
}

TEST(AliasTest, ParsesBackWhatItFormats) {
  const auto a = ParseAlias(FormatAlias({"4c1f9e", "eth0", "kube-system", "coredns-7db6d8ff4d-x2v9q"}));
  ASSERT_TRUE(a.has_value());
  EXPECT_EQ(a->container_id, "4c1f9e");
  EXPECT_EQ(a->ifname, "eth0");
  EXPECT_EQ(a->pod_namespace, "kube-system");
  EXPECT_EQ(a->pod_name, "coredns-7db6d8ff4d-x2v9q");
}

TEST(AliasTest, OthersAliasesAreNotOurs) {
  EXPECT_FALSE(ParseAlias("").has_value());
  EXPECT_FALSE(ParseAlias("uplink to rack 3").has_value());
  EXPECT_FALSE(ParseAlias("cni-bridge").has_value());             // no id, no ifname
  EXPECT_FALSE(ParseAlias("cni-bridge id=abc").has_value());      // no ifname
  EXPECT_FALSE(ParseAlias("cni-bridgex id=a if=b").has_value());  // another tag
}

TEST(AliasTest, WhitespaceCannotBreakTheWords) {
  const std::string text = FormatAlias({"a b", "eth0", "ns\tx", "name\n"});
  EXPECT_EQ(text, "cni-bridge id=a_b if=eth0 pod=ns_x/name_");
  EXPECT_EQ(ParseAlias(text)->pod_name, "name_");
}

TEST(AliasTest, StaysWithinTheKernelsLimit) {
  // Pod names may be 253 bytes: the pod is dropped first, the id kept whole.
  const std::string id(64, 'f');
  const std::string text = FormatAlias({id, "eth0", "default", std::string(253, 'p')});
  EXPECT_EQ(text, "cni-bridge id=" + id + " if=eth0");
  // A CNI container ID has no length limit: it is cut and says so.
  const std::string long_id(400, 'a');
  const std::string cut = FormatAlias({long_id, "eth0", "default", "web"});
  EXPECT_EQ(cut.size(), 254u);
  const auto parsed = ParseAlias(cut);
  ASSERT_TRUE(parsed.has_value());
  EXPECT_TRUE(parsed->container_id.ends_with("...")) << parsed->container_id;
  EXPECT_TRUE(long_id.starts_with(parsed->container_id.substr(0, parsed->container_id.size() - 3)));
  EXPECT_EQ(parsed->ifname, "eth0");
  EXPECT_EQ(parsed->pod_name, "");
}

TEST(AliasTest, AFullLengthAliasFitsExactly) {
  // 254 bytes in all keeps everything; one more drops the pod.
  const std::string head = "cni-bridge id=abc if=eth0 pod=default/";
  const std::string name(254 - head.size(), 'n');
  EXPECT_EQ(FormatAlias({"abc", "eth0", "default", name}), head + name);
  EXPECT_EQ(FormatAlias({"abc", "eth0", "default", name + "n"}), "cni-bridge id=abc if=eth0");
}

}  // namespace
}  // namespace cnb::bridge
