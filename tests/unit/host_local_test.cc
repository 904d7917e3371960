// SPDX-License-Identifier: Apache-2.0
// host_local::Add/Del/Check/Status/Gc through an Invocation built here (dataDir in a temp dir),
// and the whole protocol path through cni::PluginMain with fake env and streams.
#include <gtest/gtest.h>

#include <chrono>
#include <sstream>

#include "common/error.h"
#include "plugin/host-local/host_local.h"
#include "support/invocation.h"
#include "support/temp_dir.h"

namespace cnb::host_local {
namespace {

using nlohmann::json;
using test::FileExists;
using test::ListDir;
using test::MakeInvocation;
using test::ReadFile;
using test::WriteFile;

class HostLocalTest : public ::testing::Test {
 protected:
  json Conf(json ranges, const std::string& version = "1.0.0") const {
    return json{{"cniVersion", version},
                {"name", "hlnet"},
                {"type", "bridge"},
                {"ipam", {{"type", "host-local"}, {"dataDir", DataDir()}, {"ranges", std::move(ranges)}}}};
  }
  json DualConf(const std::string& version = "1.0.0") const {
    json c = Conf({{{{"subnet", "10.7.0.0/24"}}}, {{{"subnet", "fd07::/64"}}}}, version);
    c["ipam"]["routes"] = {{{"dst", "0.0.0.0/0"}}, {{"dst", "::/0"}}};
    return c;
  }
  std::string DataDir() const { return tmp_.path() + "/ipam"; }
  std::string F(const std::string& name) const { return DataDir() + "/hlnet/" + name; }
  std::vector<std::string> IpFiles() const {
    std::vector<std::string> out;
    for (const auto& n : ListDir(DataDir() + "/hlnet"))
      if (auto ip = IpAddr::Parse(n); ip && ip->ToString() == n) out.push_back(n);
    return out;
  }
  cni::Result Add(const json& conf, const std::string& id = "ctr1", const std::string& ifname = "eth0",
                  const std::string& args = "") {
    return host_local::Add(MakeInvocation(cni::Command::kAdd, conf, id, ifname, args));
  }
  // The error of `f`, or a test failure when it succeeds.
  template <typename F>
  Error ErrorOf(F&& f) {
    try {
      f();
    } catch (const Error& e) {
      return e;
    }
    ADD_FAILURE() << "expected an error";
    return Error(ErrorCode::kUnknown, "");
  }

  test::TempDir tmp_;
};

TEST_F(HostLocalTest, AddDualStackWithRoutesAndDns) {
  json conf = DualConf();
  std::string resolv = tmp_.path() + "/resolv.conf";
  WriteFile(resolv, "nameserver 10.7.0.53\nsearch example.test\n");
  conf["ipam"]["resolvConf"] = resolv;
  cni::Result r = Add(conf);
  EXPECT_EQ(r.cni_version, "1.0.0");
  EXPECT_TRUE(r.interfaces.empty());
  ASSERT_EQ(r.ips.size(), 2u);
  EXPECT_EQ(r.ips[0].address.ToString(), "10.7.0.2/24");
  EXPECT_EQ(r.ips[0].gateway->ToString(), "10.7.0.1");
  EXPECT_FALSE(r.ips[0].interface);
  EXPECT_EQ(r.ips[1].address.ToString(), "fd07::2/64");
  EXPECT_EQ(r.ips[1].gateway->ToString(), "fd07::1");
  ASSERT_EQ(r.routes.size(), 2u);
  EXPECT_EQ(r.routes[1].dst.ToString(), "::/0");
  EXPECT_EQ(r.dns.nameservers, std::vector<std::string>{"10.7.0.53"});
  EXPECT_EQ(r.dns.search, std::vector<std::string>{"example.test"});
  EXPECT_EQ(IpFiles(), (std::vector<std::string>{"10.7.0.2", "fd07::2"}));
  EXPECT_EQ(ReadFile(F("10.7.0.2")), "ctr1\r\neth0");
  EXPECT_EQ(ReadFile(F("last_reserved_ip.1")), "fd07::2");

  cni::Result second = Add(conf, "ctr2");
  EXPECT_EQ(second.ips[0].address.ToString(), "10.7.0.3/24");
  auto reserved = ReservedIps(MakeInvocation(cni::Command::kDel, conf, "ctr2"));
  EXPECT_EQ(reserved, (std::vector<IpAddr>{*IpAddr::Parse("10.7.0.3"), *IpAddr::Parse("fd07::3")}));
}

TEST_F(HostLocalTest, DuplicateAddIsRefusedWithTheReferenceText) {
  json conf = DualConf();
  Add(conf);
  Error e = ErrorOf([&] { Add(conf); });
  EXPECT_EQ(e.code(), ErrorCode::kInternal);
  EXPECT_EQ(e.msg(),
            "failed to allocate for range 0: 10.7.0.2 has been allocated to ctr1, duplicate allocation is not allowed");
  // The failed ADD did not take anything away from the first one.
  EXPECT_EQ(IpFiles(), (std::vector<std::string>{"10.7.0.2", "fd07::2"}));
}

TEST_F(HostLocalTest, FailureInLaterSetReleasesEarlierOnes) {
  json conf = Conf({{{{"subnet", "10.8.0.0/24"}}}, {{{"subnet", "10.9.0.0/30"}}}});  // second: only .2
  Add(conf, "first");
  Error e = ErrorOf([&] { Add(conf, "second"); });
  EXPECT_EQ(e.msg(), "failed to allocate for range 1: no IP addresses available in range set: 10.9.0.1-10.9.0.2");
  EXPECT_EQ(IpFiles(), (std::vector<std::string>{"10.8.0.2", "10.9.0.2"}));
  EXPECT_EQ(ListDir(F(".index")).size(), 1u) << "only the first ADD's entry";
}

TEST_F(HostLocalTest, RequestedIps) {
  json conf = DualConf();
  cni::Result r = Add(conf, "ctr1", "eth0", "IgnoreUnknown=1;K8S_POD_NAME=p;IP=10.7.0.77/8");
  EXPECT_EQ(r.ips[0].address.ToString(), "10.7.0.77/24");  // prefix from the range
  EXPECT_EQ(r.ips[1].address.ToString(), "fd07::2/64");

  json with_args = conf;
  with_args["args"] = {{"cni", {{"ips", {"fd07::99"}}}}};
  with_args["runtimeConfig"] = {{"ips", {"10.7.0.88"}}};
  r = Add(with_args, "ctr2");
  EXPECT_EQ(r.ips[0].address.ToString(), "10.7.0.88/24");
  EXPECT_EQ(r.ips[1].address.ToString(), "fd07::99/64");

  Error taken = ErrorOf([&] { Add(conf, "ctr3", "eth0", "IP=10.7.0.77"); });
  EXPECT_EQ(taken.msg(),
            "failed to allocate for range 0: requested IP address 10.7.0.77 is not available in range set "
            "10.7.0.1-10.7.0.254");
  Error gw = ErrorOf([&] { Add(conf, "ctr3", "eth0", "IP=10.7.0.1"); });
  EXPECT_EQ(gw.msg(), "failed to allocate for range 0: requested ip 10.7.0.1 is subnet's gateway");

  auto before = IpFiles();
  Error leftover = ErrorOf([&] { Add(conf, "ctr4", "eth0", "IP=192.168.9.9"); });
  EXPECT_EQ(leftover.code(), ErrorCode::kInternal);
  EXPECT_EQ(leftover.msg(), "failed to allocate all requested IPs: 192.168.9.9");
  EXPECT_EQ(IpFiles(), before);  // both sets' reservations were undone
}

TEST_F(HostLocalTest, DelReleasesAndIsIdempotent) {
  json conf = DualConf();
  Add(conf, "ctr1");
  Add(conf, "ctr2");
  Del(MakeInvocation(cni::Command::kDel, conf, "ctr1"));
  EXPECT_EQ(IpFiles(), (std::vector<std::string>{"10.7.0.3", "fd07::3"}));
  Del(MakeInvocation(cni::Command::kDel, conf, "ctr1"));
  Del(MakeInvocation(cni::Command::kDel, conf, "never-added"));
  EXPECT_EQ(IpFiles(), (std::vector<std::string>{"10.7.0.3", "fd07::3"}));
  // A legacy (id only) reservation goes too.
  WriteFile(F("10.7.0.50"), "oldctr");
  Del(MakeInvocation(cni::Command::kDel, conf, "oldctr", "eth0"));
  EXPECT_FALSE(FileExists(F("10.7.0.50")));
  EXPECT_TRUE(FileExists(F("lock")));
}

TEST_F(HostLocalTest, Check) {
  json conf = DualConf();
  Add(conf);
  Check(MakeInvocation(cni::Command::kCheck, conf, "ctr1"));
  Error e = ErrorOf([&] { Check(MakeInvocation(cni::Command::kCheck, conf, "ctr9")); });
  EXPECT_EQ(e.code(), ErrorCode::kInternal);
  EXPECT_EQ(e.msg(), "host-local: Failed to find address added by container ctr9");
  Del(MakeInvocation(cni::Command::kDel, conf, "ctr1"));
  EXPECT_THROW(Check(MakeInvocation(cni::Command::kCheck, conf, "ctr1")), Error);
}

TEST_F(HostLocalTest, StatusReportsExhaustionWithCode50) {
  json conf = Conf({{{{"subnet", "10.9.0.0/24"}}}, {{{"subnet", "10.10.0.0/30"}}}}, "1.1.0");
  Status(MakeInvocation(cni::Command::kStatus, conf, ""));
  Add(conf, "only");
  Error e = ErrorOf([&] { Status(MakeInvocation(cni::Command::kStatus, conf, "")); });
  EXPECT_EQ(e.code(), ErrorCode::kNotAvailable);
  EXPECT_EQ(e.msg(), "no IP addresses available in range set: 10.10.0.1-10.10.0.2");
  Del(MakeInvocation(cni::Command::kDel, conf, "only"));
  Status(MakeInvocation(cni::Command::kStatus, conf, ""));
  // A huge v6 set is never counted as full.
  Status(MakeInvocation(cni::Command::kStatus, Conf({{{{"subnet", "fd10::/64"}}}}, "1.1.0"), ""));
}

TEST_F(HostLocalTest, Gc) {
  json conf = DualConf("1.1.0");
  Add(conf, "a");
  Add(conf, "b");
  Add(conf, "c", "net1");
  WriteFile(F("10.7.0.99"), "");  // leaked by a crashed Go ADD

  // No attachment list at all (cnitool): nothing is released.
  Gc(MakeInvocation(cni::Command::kGc, conf, ""));
  EXPECT_EQ(IpFiles().size(), 7u);

  json gc = conf;
  gc["cni.dev/valid-attachments"] = {{{"containerID", "a"}, {"ifname", "eth0"}},
                                     {{"containerID", "c"}, {"ifname", "net1"}}};
  Gc(MakeInvocation(cni::Command::kGc, gc, ""));
  EXPECT_EQ(IpFiles(), (std::vector<std::string>{"10.7.0.2", "10.7.0.4", "fd07::2", "fd07::4"}));
  EXPECT_TRUE(FileExists(F("lock")));
  EXPECT_TRUE(FileExists(F("last_reserved_ip.0")));
  EXPECT_TRUE(FileExists(F("last_reserved_ip.1")));

  json old_key = conf;
  old_key["cni.dev/attachments"] = {{{"containerID", "c"}, {"ifname", "net1"}}};
  Gc(MakeInvocation(cni::Command::kGc, old_key, ""));
  EXPECT_EQ(IpFiles(), (std::vector<std::string>{"10.7.0.4", "fd07::4"}));

  // Ambiguous lists are errors (code 7), and nothing is released.
  for (json bad : {json(nullptr), json("c"), json::array({5}), json::array({{{"containerID", "c"}}})}) {
    json ambiguous = conf;
    ambiguous["cni.dev/valid-attachments"] = bad;
    Error e = ErrorOf([&] { Gc(MakeInvocation(cni::Command::kGc, ambiguous, "")); });
    EXPECT_EQ(e.code(), ErrorCode::kInvalidConfig) << bad.dump();
    EXPECT_EQ(IpFiles(), (std::vector<std::string>{"10.7.0.4", "fd07::4"})) << bad.dump();
  }
  // An empty list is not ambiguous: nothing is valid.
  json none = conf;
  none["cni.dev/valid-attachments"] = json::array();
  Gc(MakeInvocation(cni::Command::kGc, none, ""));
  EXPECT_TRUE(IpFiles().empty());
  EXPECT_TRUE(ListDir(F(".index")).empty());
}

TEST_F(HostLocalTest, ConfigErrorsAre999) {
  json conf = Conf({{{{"subnet", "10.7.0.0/31"}}}});
  Error e = ErrorOf([&] { Add(conf); });
  EXPECT_EQ(e.code(), ErrorCode::kInternal);
  EXPECT_EQ(e.msg(), "invalid range set 0: Network 10.7.0.0/31 too small to allocate from");
  Error del = ErrorOf([&] { Del(MakeInvocation(cni::Command::kDel, conf)); });
  EXPECT_EQ(del.code(), ErrorCode::kInternal);
}

// The full protocol path: env + stdin in, JSON out.
struct MainRun {
  int status;
  json out;
  std::string raw;
};
MainRun RunMain(const std::map<std::string, std::string>& env, const json& conf) {
  std::string out;
  cni::PluginIo io;
  io.read_stdin = [text = conf.dump()] { return text; };
  io.write_stdout = [&out](std::string_view s) { out += s; };
  io.write_stderr = [](std::string_view) {};
  auto lookup = [env](const std::string& k) {
    auto it = env.find(k);
    return it == env.end() ? std::string() : it->second;
  };
  int status = cni::PluginMain(Funcs(), lookup, io);
  return {status, json::parse(out, nullptr, false), out};
}

TEST_F(HostLocalTest, PluginMainPrintsInTheConfigVersion) {
  std::map<std::string, std::string> env = {{"CNI_COMMAND", "ADD"},
                                            {"CNI_CONTAINERID", "m1"},
                                            {"CNI_NETNS", "/x"},
                                            {"CNI_IFNAME", "eth0"},
                                            {"CNI_PATH", "/opt/cni/bin"}};
  MainRun r040 = RunMain(env, DualConf("0.4.0"));
  ASSERT_EQ(r040.status, 0) << r040.raw;
  EXPECT_EQ(r040.out["cniVersion"], "0.4.0");
  EXPECT_EQ(r040.out["ips"][0]["version"], "4");
  EXPECT_EQ(r040.out["ips"][0]["address"], "10.7.0.2/24");
  EXPECT_FALSE(r040.out["ips"][0].contains("interface"));
  EXPECT_FALSE(r040.out.contains("interfaces"));

  env["CNI_CONTAINERID"] = "m2";
  MainRun r020 = RunMain(env, DualConf("0.2.0"));
  ASSERT_EQ(r020.status, 0) << r020.raw;
  EXPECT_EQ(r020.out["ip4"]["ip"], "10.7.0.3/24");
  EXPECT_EQ(r020.out["ip6"]["ip"], "fd07::3/64");

  env["CNI_CONTAINERID"] = "m3";
  json two_v4 = Conf({{{{"subnet", "10.20.0.0/24"}}}, {{{"subnet", "10.21.0.0/24"}}}}, "0.2.0");
  MainRun bad = RunMain(env, two_v4);
  EXPECT_EQ(bad.status, 1);
  EXPECT_EQ(bad.out["code"], 999);
  EXPECT_EQ(bad.out["msg"], "CNI version 0.2.0 does not support more than 1 address per family");

  env["CNI_COMMAND"] = "STATUS";
  env.erase("CNI_CONTAINERID");
  MainRun status = RunMain(env, Conf({{{{"subnet", "10.30.0.0/30"}}}}, "1.1.0"));
  EXPECT_EQ(status.status, 0) << status.raw;
}

TEST_F(HostLocalTest, ThousandPodsThroughTheIndex) {
  // A functional check only: whether ADD cost stays flat as pods accumulate is measured by
  // bench/run.sh, not asserted by a timed test that a loaded machine would make flaky.
  json conf = Conf({{{{"subnet", "10.40.0.0/20"}}}});
  for (int i = 0; i < 1000; ++i) Add(conf, "pod" + std::to_string(i));
  ASSERT_EQ(IpFiles().size(), 1000u);
  for (int i = 900; i < 1000; ++i) Del(MakeInvocation(cni::Command::kDel, conf, "pod" + std::to_string(i)));
  EXPECT_EQ(IpFiles().size(), 900u);
  // Every remaining pod is still found through the index.
  for (int i = 0; i < 900; i += 99) {
    EXPECT_NO_THROW(Check(MakeInvocation(cni::Command::kCheck, conf, "pod" + std::to_string(i)))) << i;
  }
  EXPECT_THROW(Check(MakeInvocation(cni::Command::kCheck, conf, "pod950")), Error);
}

}  // namespace
}  // namespace cnb::host_local
