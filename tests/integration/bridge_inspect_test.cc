// SPDX-License-Identifier: Apache-2.0
// `bridge inspect` against what real ADDs made in a throwaway node: every key of every
// attachment, each `state` made by breaking one of the three sources behind the plugin's back,
// attachments of the Go plugin (no alias), the pod-side view with --netns (path and PID),
// read-only-ness, and clear errors for bad input.
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <string>

#include <gtest/gtest.h>

#include "support/bridge_fixture.h"
#include "support/process.h"
#include "support/temp_dir.h"

namespace cnb::test {
namespace {

class InspectTest : public BridgeTest {
 protected:
  void SetUp() override {
    BridgeTest::SetUp();
    if (UsingReferencePlugins()) GTEST_SKIP() << "`bridge inspect` is ours: the reference has no such command";
    conf_path_ = conf_dir_.path() + "/10-cnbtnet.conflist";
    WriteConfList(InspectedConf());
  }

  nlohmann::json InspectedConf() const {
    auto conf = Conf();
    conf["ipMasq"] = true;
    conf["macspoofchk"] = true;
    return conf;
  }

  // `conf` as the one plugin of a conflist, the way runtimes keep it in /etc/cni/net.d.
  void WriteConfList(nlohmann::json conf) {
    nlohmann::json list = {{"cniVersion", conf["cniVersion"]}, {"name", conf["name"]}};
    conf.erase("cniVersion");
    conf.erase("name");
    list["plugins"] = nlohmann::json::array({conf});
    WriteFile(conf_path_, list.dump(2));
  }

  // `bridge inspect <args...>` in the node, with NETCONFPATH when given.
  ProcessResult Inspect(const std::vector<std::string>& args, const std::string& netconfpath = "") const {
    std::vector<std::string> argv = {"ip", "netns", "exec", node(), PluginDir() + "/bridge", "inspect"};
    argv.insert(argv.end(), args.begin(), args.end());
    std::map<std::string, std::string> env = {{"PATH", "/usr/sbin:/usr/bin:/sbin:/bin"}};
    if (!netconfpath.empty()) env["NETCONFPATH"] = netconfpath;
    return RunProcess(argv, env, "");
  }

  // The --json listing of our conflist, by container ID; fails the test unless it exits 0.
  std::map<std::string, nlohmann::json> Listing() {
    ProcessResult r = Inspect({"--json", "--config", conf_path_});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    std::map<std::string, nlohmann::json> by_id;
    for (const auto& a : nlohmann::json::parse(r.out)) by_id[a.value("containerID", "")] = a;
    return by_id;
  }

  // Removes the attachment's masquerade jump and chain with nft, as an operator's flush would.
  void RemoveMasquerade(const std::string& container_id) {
    const std::string chain = MasqChainName(kNet, container_id);
    const std::string listing =
        RunOrThrow({"ip", "netns", "exec", node(), "nft", "-a", "list", "chain", "ip", "nat", "POSTROUTING"});
    // "... jump CNI-<hash> # handle <n>" (no std::regex: GCC 12 warns inside it).
    const size_t jump = listing.find("jump " + chain);
    ASSERT_NE(jump, std::string::npos) << listing;
    const size_t handle = listing.find("# handle ", jump);
    ASSERT_NE(handle, std::string::npos) << listing;
    const std::string number = listing.substr(handle + 9, listing.find('\n', handle) - handle - 9);
    RunOrThrow({"ip", "netns", "exec", node(), "nft",
                "delete rule ip nat POSTROUTING handle " + number + "; flush chain ip nat " + chain +
                    "; delete chain ip nat " + chain});
  }

  void RemoveReservation(const std::string& ip_cidr) {
    ASSERT_EQ(::unlink((data_dir() + "/" + kNet + "/" + WithoutPrefix(ip_cidr)).c_str()), 0);
  }

  TempDir conf_dir_;
  std::string conf_path_;
};

TEST_F(InspectTest, ListsEveryKeyOfWhatTheAddsMade) {
  Pod& web = NewPod();
  Pod& plain = NewPod();
  auto add_web = Add(web, InspectedConf(), "eth0", "IgnoreUnknown=1;K8S_POD_NAMESPACE=shop;K8S_POD_NAME=web-0");
  ASSERT_PLUGIN_OK(add_web);
  ASSERT_PLUGIN_OK(Add(plain, InspectedConf()));

  auto listing = Listing();
  ASSERT_EQ(listing.size(), 2u);
  const nlohmann::json& a = listing[web.id];
  EXPECT_EQ(a.value("network", ""), kNet);
  EXPECT_EQ(a.value("ifname", ""), "eth0");
  EXPECT_EQ(a.value("podNamespace", ""), "shop");
  EXPECT_EQ(a.value("podName", ""), "web-0");
  EXPECT_EQ(a.value("hostVeth", ""), HostVeth(add_web.json));
  EXPECT_EQ(a.value("bridge", ""), kBridge);
  EXPECT_EQ(a["ips"], nlohmann::json::array({WithoutPrefix(FirstAddress(add_web.json))}));
  EXPECT_EQ(a.value("mac", ""), add_web.json["interfaces"][2].value("mac", "?"));
  EXPECT_TRUE(a.value("netns", "").ends_with("/" + web.name())) << a.dump();
  EXPECT_EQ(a.value("masquerade", ""), "on");
  EXPECT_EQ(a.value("macspoofchk", ""), "on");
  EXPECT_EQ(a.value("state", ""), "ok");
  EXPECT_EQ(listing[plain.id].value("podName", "?"), "");
  EXPECT_EQ(listing[plain.id].value("state", ""), "ok");

  // The table for people: a header, one line per attachment, the short container ID.
  ProcessResult text = Inspect({"--config", conf_path_});
  ASSERT_EQ(text.exit_code, 0) << text.err;
  EXPECT_TRUE(text.out.starts_with("NETWORK  CONTAINER")) << text.out;
  EXPECT_NE(text.out.find("shop/web-0"), std::string::npos) << text.out;
  EXPECT_NE(text.out.find(HostVeth(add_web.json)), std::string::npos) << text.out;
}

TEST_F(InspectTest, EachStateComesFromOneSourceBrokenBehindThePluginsBack) {
  Pod& ok = NewPod();
  Pod& no_veth = NewPod();
  Pod& no_reservation = NewPod();
  Pod& no_masq = NewPod();
  Pod& orphan = NewPod();
  std::map<std::string, std::string> ip;
  for (Pod* p : {&ok, &no_veth, &no_reservation, &no_masq, &orphan}) {
    auto add = Add(*p, InspectedConf());
    ASSERT_PLUGIN_OK(add);
    ip[p->id] = FirstAddress(add.json);
  }
  Ip(no_veth.name(), {"link", "del", "eth0"});  // takes the host veth along
  RemoveReservation(ip[no_reservation.id]);
  RemoveMasquerade(no_masq.id);
  Ip(orphan.name(), {"link", "del", "eth0"});
  RemoveReservation(ip[orphan.id]);

  auto listing = Listing();
  EXPECT_EQ(listing[ok.id].value("state", ""), "ok");
  EXPECT_EQ(listing[no_veth.id].value("state", ""), "reservation-without-veth");
  EXPECT_EQ(listing[no_veth.id].value("hostVeth", "?"), "");
  EXPECT_EQ(listing[no_veth.id]["ips"], nlohmann::json::array({WithoutPrefix(ip[no_veth.id])}));
  EXPECT_EQ(listing[no_reservation.id].value("state", ""), "veth-without-reservation");
  EXPECT_EQ(listing[no_reservation.id]["ips"], nlohmann::json::array({WithoutPrefix(ip[no_reservation.id])}))
      << "the pod's own address, when no reservation holds one";
  EXPECT_EQ(listing[no_masq.id].value("state", ""), "masq-missing");
  EXPECT_EQ(listing[no_masq.id].value("masquerade", ""), "missing");
  EXPECT_EQ(listing[orphan.id].value("state", ""), "masq-orphan");
  EXPECT_EQ(listing.size(), 5u);
}

TEST_F(InspectTest, FindsTheGoPluginsAttachmentsWithoutAnAlias) {
  Pod& theirs = NewPod();
  auto add = CallReference({"ADD", theirs.id, theirs.path()}, InspectedConf());
  ASSERT_PLUGIN_OK(add);
  ASSERT_EQ(Link(node(), HostVeth(add.json))->value("ifalias", ""), "") << "the reference sets no alias";
  auto listing = Listing();
  ASSERT_EQ(listing.count(theirs.id), 1u) << "found by its pod end's address in the reservations";
  const nlohmann::json& a = listing[theirs.id];
  EXPECT_EQ(a.value("hostVeth", ""), HostVeth(add.json));
  EXPECT_EQ(a.value("ifname", ""), "eth0");
  EXPECT_EQ(a.value("masquerade", ""), "on");
  EXPECT_EQ(a.value("macspoofchk", ""), "on");
  EXPECT_EQ(a.value("state", ""), "ok");
  ASSERT_PLUGIN_OK(Del(theirs, InspectedConf()));
}

TEST_F(InspectTest, NetnsFindsThePodsHostVethByPathAndByPid) {
  Pod& pod = NewPod();
  auto add = Add(pod, InspectedConf(), "eth0", "K8S_POD_NAMESPACE=shop;K8S_POD_NAME=web-0;IgnoreUnknown=1");
  ASSERT_PLUGIN_OK(add);
  Pod& other = NewPod();  // a second pod, so that the right veth must be picked
  ASSERT_PLUGIN_OK(Add(other, InspectedConf()));
  const int host_ifindex = Link(node(), HostVeth(add.json))->value("ifindex", -1);

  // A process inside the pod, for the PID form; killed by the PID we started.
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    int fd = ::open(pod.path().c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0 || ::setns(fd, CLONE_NEWNET) != 0) ::_exit(1);
    ::pause();
    ::_exit(0);
  }
  ::usleep(100 * 1000);  // let it enter the namespace
  for (const std::string& target : {pod.path(), std::to_string(child)}) {
    SCOPED_TRACE(target);
    ProcessResult r = Inspect({"--json", "--netns", target});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    auto doc = nlohmann::json::parse(r.out);
    ASSERT_EQ(doc.size(), 1u) << r.out;
    EXPECT_EQ(doc[0].value("ifname", ""), "eth0");
    EXPECT_EQ(doc[0].value("hostVeth", ""), HostVeth(add.json));
    EXPECT_EQ(doc[0].value("peerIfindex", 0), host_ifindex);
    EXPECT_EQ(doc[0].value("bridge", ""), kBridge);
    EXPECT_EQ(doc[0].value("containerID", ""), pod.id);
    EXPECT_EQ(doc[0].value("podName", ""), "web-0");
    EXPECT_EQ(doc[0]["ips"], nlohmann::json::array({WithoutPrefix(FirstAddress(add.json))}));
  }
  ::kill(child, SIGKILL);
  ::waitpid(child, nullptr, 0);
}

TEST_F(InspectTest, ReadsNetworksFromNetconfpathLikeCnitool) {
  Pod& pod = NewPod();
  ASSERT_PLUGIN_OK(Add(pod, InspectedConf()));
  WriteFile(conf_dir_.path() + "/README", "not a config");  // ignored, as libcni ignores it
  ProcessResult r = Inspect({"--json"}, conf_dir_.path());
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto doc = nlohmann::json::parse(r.out);
  ASSERT_EQ(doc.size(), 1u) << r.out;
  EXPECT_EQ(doc[0].value("containerID", ""), pod.id);
}

// Reservation files may come from any writer: a container ID that is not UTF-8 is listed, with
// the bad byte replaced, and does not cost the listing of everyone else.
TEST_F(InspectTest, AReservationThatIsNotUtf8IsListedNotFatal) {
  Pod& pod = NewPod();
  auto add = Add(pod, InspectedConf());
  ASSERT_PLUGIN_OK(add);
  std::string other_ip = WithoutPrefix(FirstAddress(add.json));
  other_ip = other_ip.substr(0, other_ip.rfind('.')) + ".200";
  WriteFile(data_dir() + "/" + kNet + "/" + other_ip, "ctr\xff\r\neth0");

  auto listing = Listing();
  ASSERT_EQ(listing.size(), 2u);
  EXPECT_EQ(listing[pod.id].value("state", ""), "ok");
  const nlohmann::json& odd = listing["ctr\xEF\xBF\xBD"];  // U+FFFD
  EXPECT_EQ(odd["ips"], nlohmann::json::array({other_ip})) << odd.dump();
  EXPECT_EQ(odd.value("state", ""), "reservation-without-veth");

  ProcessResult text = Inspect({"--config", conf_path_});
  ASSERT_EQ(text.exit_code, 0) << text.err;
  EXPECT_NE(text.out.find(other_ip), std::string::npos) << text.out;
}

TEST_F(InspectTest, ChangesNothing) {
  Pod& pod = NewPod();
  auto add = Add(pod, InspectedConf());
  ASSERT_PLUGIN_OK(add);
  RemoveReservation(FirstAddress(add.json));  // a broken state stays as broken
  // `ip link` without -d, whose bridge timers tick.
  auto snapshot = [&] {
    return RunOrThrow({"ip", "netns", "exec", node(), "nft", "list", "ruleset"}) +
           RunOrThrow({"ip", "-n", node(), "link", "show"}) + RunOrThrow({"ls", "-lAR", data_dir()});
  };
  const std::string before = snapshot();
  // A network whose store does not exist yet: no directory or lock file may appear.
  auto conf = InspectedConf();
  conf["ipam"]["dataDir"] = data_dir() + "/never-made";
  WriteFile(conf_dir_.path() + "/20-other.conf", [&] {
    conf["name"] = "cnbtother";
    return conf.dump();
  }());
  ASSERT_EQ(Inspect({"--json"}, conf_dir_.path()).exit_code, 0);
  ASSERT_EQ(Inspect({"--netns", pod.path()}).exit_code, 0);
  EXPECT_EQ(snapshot(), before);
  EXPECT_FALSE(FileExists(data_dir() + "/never-made"));
}

TEST_F(InspectTest, BadInputGetsAClearMessageAndANonZeroExit) {
  TempDir empty;
  ProcessResult r = Inspect({}, empty.path());
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("no network configuration in " + empty.path()), std::string::npos) << r.err;

  r = Inspect({"--netns", "/run/netns/cnbt-no-such-pod"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("cannot open the network namespace /run/netns/cnbt-no-such-pod"), std::string::npos) << r.err;

  r = Inspect({"--config", conf_dir_.path() + "/missing.conflist"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("missing.conflist: no such file or directory"), std::string::npos) << r.err;

  // A dataDir that is not a directory: listed as far as it can be, and said.
  auto conf = InspectedConf();
  WriteFile(data_dir() + "/a-file", "");
  conf["ipam"]["dataDir"] = data_dir() + "/a-file";
  WriteConfList(conf);
  r = Inspect({"--config", conf_path_});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("cannot read the IPAM store in " + data_dir() + "/a-file"), std::string::npos) << r.err;

  WriteFile(conf_path_, "{not json");
  r = Inspect({"--config", conf_path_});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("is not a JSON object"), std::string::npos) << r.err;

  r = Inspect({"--frobnicate"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("unknown argument \"--frobnicate\""), std::string::npos) << r.err;
  EXPECT_EQ(r.out, "");
}

// A runtime's call is CNI whatever argv says: `inspect` never runs with CNI_COMMAND set.
TEST_F(InspectTest, NeverRunsForACniCall) {
  ProcessResult r =
      RunProcess({"ip", "netns", "exec", node(), PluginDir() + "/bridge", "inspect", "--json"},
                 std::map<std::string, std::string>{{"CNI_COMMAND", "VERSION"}}, R"({"cniVersion":"1.0.0"})");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto doc = nlohmann::json::parse(r.out);
  EXPECT_TRUE(doc.contains("supportedVersions")) << r.out;
}

}  // namespace
}  // namespace cnb::test
