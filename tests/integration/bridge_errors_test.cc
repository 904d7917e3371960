// SPDX-License-Identifier: Apache-2.0
// Failures, black-box: the right CNI error code and message as JSON on stdout with exit status
// 1, and a failed ADD leaves nothing behind (no veth, no pod interface, no reservation).
#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "support/bridge_fixture.h"
#include "support/temp_dir.h"

namespace cnb::test {
namespace {

using nlohmann::json;

class BridgeErrorTest : public BridgeTest {};

TEST_F(BridgeErrorTest, MalformedJsonIsCode6) {
  Pod& pod = NewPod();
  auto r = RunPlugin(node(), "bridge", Env({"ADD", pod.id, pod.path(), "eth0", ""}),
                     "{\"cniVersion\": \"1.0.0\", \"name\": ");
  ExpectCniError(r, 6, "");
  EXPECT_FALSE(Link(pod.name(), "eth0").has_value());
}

TEST_F(BridgeErrorTest, MissingCommandPrintsAboutOnStderrLikeTheReference) {
  // With no CNI_COMMAND at all the Go skel prints its "about" text to stderr and exits 0.
  auto env = Env({"ADD", "c1", "/nonexistent", "eth0", ""});
  env.erase("CNI_COMMAND");
  auto r = RunPlugin(node(), "bridge", env, Conf().dump());
  EXPECT_EQ(r.proc.exit_code, 0) << r.Describe();
  EXPECT_EQ(r.proc.out, "") << r.Describe();
  EXPECT_NE(r.proc.err.find("CNI protocol versions supported"), std::string::npos) << r.Describe();
}

TEST_F(BridgeErrorTest, MissingEnvVarsAreCode4AndNamed) {
  Pod& pod = NewPod();
  for (const std::string var : {"CNI_CONTAINERID", "CNI_NETNS", "CNI_IFNAME", "CNI_PATH"}) {
    SCOPED_TRACE(var);
    auto env = Env({"ADD", pod.id, pod.path(), "eth0", ""});
    env.erase(var);
    auto r = RunPlugin(node(), "bridge", env, Conf().dump());
    ExpectCniError(r, 4, var);
    EXPECT_NE(r.msg().find("missing"), std::string::npos) << r.Describe();
  }
  // Several missing at once are named together.
  auto env = Env({"ADD", pod.id, pod.path(), "eth0", ""});
  env.erase("CNI_CONTAINERID");
  env.erase("CNI_IFNAME");
  env.erase("CNI_PATH");
  auto r = RunPlugin(node(), "bridge", env, Conf().dump());
  ExpectCniError(r, 4, "");
  for (const std::string var : {"CNI_CONTAINERID", "CNI_IFNAME", "CNI_PATH"})
    EXPECT_NE(r.msg().find(var), std::string::npos) << var << "\n" << r.Describe();
  EXPECT_FALSE(Link(pod.name(), "eth0").has_value());
}

TEST_F(BridgeErrorTest, UnknownCommandIsCode4) {
  Pod& pod = NewPod();
  ExpectCniError(Call({"FROB", pod.id, pod.path(), "eth0", ""}, Conf()), 4, "unknown CNI_COMMAND");
}

TEST_F(BridgeErrorTest, BadContainerIdIsCode4) {
  Pod& pod = NewPod();
  for (const std::string id : {"bad/id", "-leading-dash", "sp ace"}) {
    SCOPED_TRACE(id);
    ExpectCniError(Call({"ADD", id, pod.path(), "eth0", ""}, Conf()), 4, "invalid characters in containerID");
  }
  EXPECT_FALSE(Link(pod.name(), "eth0").has_value());
}

TEST_F(BridgeErrorTest, BadInterfaceNameIsCode4) {
  Pod& pod = NewPod();
  ExpectCniError(Add(pod, Conf(), "eth0123456789abc"), 4, "interface name is too long");
  for (const std::string name : {"a/b", "a:b", "a b", ".."}) {
    SCOPED_TRACE(name);
    ExpectCniError(Add(pod, Conf(), name), 4, "");
  }
  EXPECT_EQ(Links(pod.name()).size(), 1u) << "only lo may exist in the pod";
}

TEST_F(BridgeErrorTest, BadNetworkNameIsCode7) {
  Pod& pod = NewPod();
  auto conf = Conf();
  conf["name"] = "bad/name";
  ExpectCniError(Add(pod, conf), 7, "invalid characters found in network name");
  conf.erase("name");
  ExpectCniError(Add(pod, conf), 7, "missing network name");
}

// Names and IDs at and past their limits. The spec sets none for a container ID and the
// reference takes 1024 bytes: only our own names derive from it, and they hash or cut it.
TEST_F(BridgeErrorTest, LongContainerIdsAndFullLengthIfnamesWork) {
  Pod& pod = NewPod();
  auto conf = Conf();
  conf["ipMasq"] = true;
  const std::string id(1024, 'c');
  auto add =
      Call({"ADD", id, pod.path(), "abcdefghijklmno", "K8S_POD_NAMESPACE=ns;K8S_POD_NAME=p;IgnoreUnknown=1"}, conf);
  ASSERT_PLUGIN_OK(add);
  ASSERT_EQ(IpamIpFiles(data_dir(), kNet).size(), 1u);
  EXPECT_EQ(ReadFile(data_dir() + "/" + kNet + "/" + IpamIpFiles(data_dir(), kNet)[0]), id + "\r\nabcdefghijklmno");
  const std::string alias = Link(node(), HostVeth(add.json))->value("ifalias", "");
  EXPECT_LE(alias.size(), 254u);
  EXPECT_NE(alias.find("... if=abcdefghijklmno"), std::string::npos) << alias;
  EXPECT_NE(NatRules(node()).find(MasqChainName(kNet, id)), std::string::npos);
  ASSERT_PLUGIN_OK(Call({"DEL", id, pod.path(), "abcdefghijklmno", ""}, conf));
  EXPECT_TRUE(IpamIpFiles(data_dir(), kNet).empty());
  EXPECT_EQ(NatRules(node()).find(MasqChainName(kNet, id)), std::string::npos);
  EXPECT_TRUE(NodeVeths().empty());
}

TEST_F(BridgeErrorTest, ANetworkNameTooLongForAFileNameFailsCleanly) {
  Pod& pod = NewPod();
  auto conf = Conf();
  conf["name"] = std::string(300, 'n');  // <dataDir>/<network> cannot exist
  auto before = NodeVeths();
  ExpectCniError(Add(pod, conf), 999, "file name too long");
  ExpectNothingLeftFor(pod, before);
}

TEST_F(BridgeErrorTest, UnsupportedVersionIsCode1) {
  Pod& pod = NewPod();
  ExpectCniError(Add(pod, Conf("9.9.9")), 1, "incompatible CNI versions");
  EXPECT_FALSE(Link(pod.name(), "eth0").has_value());
}

TEST_F(BridgeErrorTest, HairpinWithPromiscIsAnError) {
  auto conf = Conf();
  conf["hairpinMode"] = true;
  conf["promiscMode"] = true;
  Pod& pod = NewPod();
  auto before = NodeVeths();
  ExpectCniError(Add(pod, conf), 999, "cannot set hairpin mode and promiscuous mode at the same time");
  ExpectNothingLeftFor(pod, before);
}

// "<bridge>.<vlan>" must be a valid interface name: refused as an invalid config (code 7)
// before anything is made, where the reference fails half-way when the kernel refuses the name.
TEST_F(BridgeErrorTest, VlanGatewayWithTooLongANameIsAnInvalidConfig) {
  auto conf = Conf();
  conf["bridge"] = "cnbtbridge01";
  conf["vlan"] = 4000;
  Pod& pod = NewPod();
  auto before = NodeVeths();
  ExpectCniError(Add(pod, conf), 7, "the vlan gateway interface name \"cnbtbridge01.4000\" is longer than 15");
  ExpectNothingLeftFor(pod, before);
  EXPECT_FALSE(Link(node(), "cnbtbridge01").has_value()) << "no bridge may be made";
}

TEST_F(BridgeErrorTest, UnknownIpamTypeFailsAndLeavesNothingBehind) {
  auto conf = Conf();
  conf["ipMasq"] = true;
  conf["ipam"]["type"] = "cnbt-no-such-ipam";
  Pod& pod = NewPod();
  auto before = NodeVeths();
  auto r = Add(pod, conf);
  EXPECT_EQ(r.proc.exit_code, 1) << r.Describe();
  ASSERT_TRUE(r.json.is_object() && r.json.contains("code") && r.json.contains("msg")) << r.Describe();
  EXPECT_NE(r.msg().find("cnbt-no-such-ipam"), std::string::npos) << r.Describe();
  // INTENTIONAL DIFFERENCE from the reference, which leaves the veth pair of a failed ADD.
  ExpectNothingLeftFor(pod, before);
  EXPECT_EQ(NatRules(node()).find("CNI-"), std::string::npos);
}

TEST_F(BridgeErrorTest, ExhaustedRangeFailsAndLeavesNothingBehind) {
  auto conf = Conf();
  conf["ipMasq"] = true;
  // A /30 holds .1 (the gateway) and .2: exactly one pod.
  conf["ipam"]["ranges"] = json::array({json::array({{{"subnet", "10.78.0.0/30"}}})});
  Pod& first = NewPod();
  auto ok = Add(first, conf);
  ASSERT_PLUGIN_OK(ok);
  ASSERT_EQ(FirstAddress(ok.json), "10.78.0.2/30");

  Pod& second = NewPod();
  auto before = NodeVeths();
  auto r = Add(second, conf);
  EXPECT_EQ(r.proc.exit_code, 1) << r.Describe();
  ASSERT_TRUE(r.json.is_object() && r.json.contains("code")) << r.Describe();
  EXPECT_NE(r.msg().find("no IP addresses available"), std::string::npos) << r.Describe();
  // INTENTIONAL DIFFERENCE from the reference, which leaves the veth pair of a failed ADD.
  ExpectNothingLeftFor(second, before);
  EXPECT_EQ(NatRules(node()).find(MasqChainName(kNet, second.id)), std::string::npos);

  // The first pod is untouched.
  EXPECT_EQ(IpamIpFiles(data_dir(), kNet), std::vector<std::string>{"10.78.0.2"});
  EXPECT_TRUE(HasAddr(first.name(), "eth0", "10.78.0.2/30"));
  EXPECT_TRUE(Ping(first.name(), "10.78.0.1"));
}

// A second ADD for an interface that already exists must fail without harming the first.
class SecondAddTest : public BridgeTest, public ::testing::WithParamInterface<bool> {};

TEST_P(SecondAddTest, SecondAddOfSameIfnameFailsAndFirstPodKeepsWorking) {
  const bool same_container_id = GetParam();
  auto conf = Conf();
  conf["ipMasq"] = true;
  Pod& pod = NewPod();
  auto first = Add(pod, conf);
  ASSERT_PLUGIN_OK(first);
  const std::string address = FirstAddress(first.json);
  const std::string mac = first.json["interfaces"][2].value("mac", "");
  const auto veths = NodeVeths();

  const std::string id = same_container_id ? pod.id : pod.id + "-other";
  auto second = Call({"ADD", id, pod.path(), "eth0", ""}, conf);
  EXPECT_EQ(second.proc.exit_code, 1) << second.Describe();
  EXPECT_TRUE(second.json.is_object() && second.json.contains("code")) << second.Describe();

  // Rolling back the failed ADD must not undo the first one.
  auto eth0 = Link(pod.name(), "eth0");
  ASSERT_TRUE(eth0.has_value()) << "the first pod's eth0 was removed";
  EXPECT_EQ((*eth0)["address"], mac);
  EXPECT_TRUE(HasAddr(pod.name(), "eth0", address));
  EXPECT_EQ(NodeVeths(), veths);
  EXPECT_EQ(IpamIpFiles(data_dir(), kNet), std::vector<std::string>{WithoutPrefix(address)});
  EXPECT_EQ(ReadFile(data_dir() + "/" + kNet + "/" + WithoutPrefix(address)), pod.id + "\r\neth0");
  EXPECT_NE(NatRules(node()).find(MasqChainName(kNet, pod.id)), std::string::npos);
  EXPECT_TRUE(Ping(pod.name(), kGateway));
  EXPECT_PLUGIN_OK(Check(pod, conf, first.json));
}

INSTANTIATE_TEST_SUITE_P(ContainerId, SecondAddTest, ::testing::Bool(),
                         [](const auto& info) { return info.param ? "Same" : "Different"; });

}  // namespace
}  // namespace cnb::test

namespace cnb::test {
namespace {

// The lines of a `strace -e trace=sendmsg` log, in order, one call each.
std::vector<std::string> SendmsgCalls(const std::string& log) {
  std::vector<std::string> calls;
  size_t start = 0;
  while (start < log.size()) {
    size_t end = log.find('\n', start);
    if (end == std::string::npos) end = log.size();
    std::string line = log.substr(start, end - start);
    if (line.find("sendmsg(") != std::string::npos) calls.push_back(line);
    start = end + 1;
  }
  return calls;
}

// The veth's undo is registered the moment the kernel made it. strace's fault injection makes
// the very next request fail (the lookup of the new host end, found in a traced ADD as the first
// RTM_GETLINK after the veth's RTM_NEWLINK): no veth may stay behind. Before, the undo came
// after that lookup, and the pair leaked.
TEST_F(BridgeErrorTest, AFailureRightAfterTheVethIsMadeLeavesNoVeth) {
  auto conf = Conf();
  ASSERT_PLUGIN_OK(Add(NewPod(), conf));  // the bridge exists from here on: the same path each time
  TempDir dir;
  const std::string trace = dir.path() + "/trace";
  Pod& probe = NewPod();
  ASSERT_PLUGIN_OK(RunPlugin(node(), "bridge", Env({"ADD", probe.id, probe.path(), "eth0", ""}), conf.dump(),
                             {"strace", "-f", "-qq", "-e", "trace=sendmsg", "-o", trace}));
  const std::vector<std::string> calls = SendmsgCalls(ReadFile(trace));
  size_t veth = 0;
  while (veth < calls.size() &&
         !(calls[veth].find("RTM_NEWLINK") != std::string::npos && calls[veth].find("\"veth\"") != std::string::npos)) {
    ++veth;
  }
  ASSERT_LT(veth, calls.size()) << "no veth RTM_NEWLINK in the trace";
  size_t lookup = veth + 1;
  while (lookup < calls.size() && calls[lookup].find("RTM_GETLINK") == std::string::npos) ++lookup;
  ASSERT_LT(lookup, calls.size()) << "no RTM_GETLINK after the veth was made";

  const auto veths_before = NodeVeths();
  Pod& victim = NewPod();
  auto r = RunPlugin(node(), "bridge", Env({"ADD", victim.id, victim.path(), "eth0", ""}), conf.dump(),
                     {"strace", "-f", "-qq", "-o", "/dev/null", "-e", "trace=sendmsg", "-e",
                      "inject=sendmsg:error=ENOBUFS:when=" + std::to_string(lookup + 1)});
  // The injected failure hit the lookup of the new host end, nothing earlier.
  ExpectCniError(r, 999, "failed to look up link \"veth");
  ExpectNothingLeftFor(victim, veths_before);
}

// The IPAM undo is registered as soon as the IPAM plugin reported success, before its answer is
// decoded: an IPAM plugin whose ADD reserves (through host-local) and then prints something
// that is not JSON must not leave the reservation behind.
TEST_F(BridgeErrorTest, AnIpamResultThatCannotBeDecodedIsReleased) {
  TempDir dir;
  const std::string ipam = dir.path() + "/garbled-ipam";
  WriteFile(ipam,
            "#!/bin/sh\n"
            "# host-local's reservation, then an answer nobody can read.\n"
            "if [ \"$CNI_COMMAND\" = ADD ]; then " +
                PluginDir() +
                "/host-local >/dev/null; echo 'not JSON'; exit 0; fi\n"
                "exec " +
                PluginDir() + "/host-local\n",
            0755);
  auto conf = Conf();
  conf["ipam"]["type"] = "garbled-ipam";
  Pod& pod = NewPod();
  const auto veths_before = NodeVeths();
  auto env = Env({"ADD", pod.id, pod.path(), "eth0", ""});
  env["CNI_PATH"] = dir.path() + ":" + PluginDir();
  auto r = RunPlugin(node(), "bridge", env, conf.dump());
  ExpectCniError(r, 6, "failed to decode IPAM result");
  ExpectNothingLeftFor(pod, veths_before);
  EXPECT_TRUE(IpamIpFiles(data_dir(), kNet).empty()) << "the garbled ADD's reservation was not released";
}

}  // namespace
}  // namespace cnb::test

namespace cnb::test {
namespace {

// A spawned IPAM plugin is owned by the bridge from spawn to reaping: when the bridge fails
// while it runs (strace makes the bridge's first poll(), the wait for the plugin, fail), the
// plugin is killed, not left running on its own.
TEST_F(BridgeErrorTest, AFailureWhileTheIpamPluginRunsKillsIt) {
  TempDir dir;
  const std::string marker = dir.path() + "/still-ran";
  const std::string ipam = dir.path() + "/slow-ipam";
  WriteFile(ipam, "#!/bin/sh\nsleep 1\ntouch " + marker + "\nexec " + PluginDir() + "/host-local\n", 0755);
  auto conf = Conf();
  conf["ipam"]["type"] = "slow-ipam";
  Pod& pod = NewPod();
  const auto veths_before = NodeVeths();
  auto env = Env({"ADD", pod.id, pod.path(), "eth0", ""});
  env["CNI_PATH"] = dir.path() + ":" + PluginDir();
  auto r = RunPlugin(node(), "bridge", env, conf.dump(),
                     {"strace", "-qq", "-o", "/dev/null", "-e", "trace=poll", "-e", "inject=poll:error=EINVAL:when=1"});
  ExpectCniError(r, 999, "poll");
  ExpectNothingLeftFor(pod, veths_before);
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));
  EXPECT_FALSE(FileExists(marker)) << "the IPAM plugin ran on after the bridge gave up on it";
}

}  // namespace
}  // namespace cnb::test
