// SPDX-License-Identifier: Apache-2.0
// Storage faults under host-local's dataDir: the disk full (a 16 KiB tmpfs) or read-only (a
// read-only bind mount), both laid over the test's dataDir in a private mount namespace that only
// the plugin runs of the test see; and kill -9 during ADD, after which the runtime's DEL must
// leave nothing, temp files included.
//
// ADD fails with a clear error naming the file, and leaves no veth, no partial or empty IP file,
// no NAT state; once space is back it works again. DEL removes what it can (veth, NAT) even
// when it cannot write, and says what it could not remove. GC says so too.
#include <algorithm>
#include <chrono>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "support/fault_fixture.h"
#include "support/private_mount_ns.h"
#include "support/temp_dir.h"

namespace cnb::test {
namespace {

using nlohmann::json;
using std::chrono::microseconds;

class BridgeStorageTest : public FaultTest {
 protected:
  void TearDown() override {
    mnt_.reset();  // its mounts go with it
    FaultTest::TearDown();
  }

  // The namespace is made after the pods: pods made later are not visible inside it.
  void EnterPrivateMountNs() { mnt_ = std::make_unique<PrivateMountNs>(); }

  // A 16 KiB (4 page) tmpfs over the dataDir, filled up to `pages_free` free pages.
  void MountFullTmpfs(int pages_free) {
    EnterPrivateMountNs();
    const std::string d = data_dir();
    mnt_->ShOrThrow("mount -t tmpfs -o size=16k,mode=0755 cnbt-full " + d);
    mnt_->ShOrThrow("cd " + d +
                    " && i=0 && while dd if=/dev/zero of=fill.$i bs=4096 count=1 status=none 2>/dev/null;"
                    " do i=$((i+1)); done; rm -f fill.$i; ls fill.* | head -n " +
                    std::to_string(pages_free) + " | xargs -r rm -f");
    ASSERT_EQ(AvailableBytes(), 4096L * pages_free) << "the tmpfs is not filled as asked";
  }
  long AvailableBytes() const {
    return std::stol(mnt_->ShOrThrow("df -B1 --output=avail " + data_dir() + " | tail -1"));
  }
  void FreeSpace() { mnt_->ShOrThrow("rm -f " + data_dir() + "/fill.*"); }

  // The dataDir (as it is now) read-only.
  void MakeReadOnly() {
    if (!mnt_) EnterPrivateMountNs();
    const std::string d = data_dir();
    mnt_->ShOrThrow("mount --bind " + d + " " + d + " && mount -o remount,bind,ro " + d);
    ASSERT_NE(mnt_->Sh("touch " + d + "/probe").exit_code, 0) << "the dataDir is still writable";
  }

  // The dataDir as the plugin sees it.
  std::string Store() const { return mnt_ ? mnt_->Path(data_dir()) : data_dir(); }
  std::string NetDir() const { return Store() + "/" + kNet; }

  // A plugin run inside the private mount namespace (and the node's netns).
  PluginRun CallInside(const CniCall& call, const json& conf) {
    std::vector<std::string> wrapper = mnt_->Enter();
    wrapper.insert(wrapper.end(), {"ip", "netns", "exec", node()});
    return RunPlugin("", "bridge", Env(call), conf.dump(), wrapper);
  }
  PluginRun GcInside(const json& gc_conf) {
    std::vector<std::string> wrapper = mnt_->Enter();
    wrapper.insert(wrapper.end(), {"ip", "netns", "exec", node()});
    return RunPlugin("", "bridge", NoContainerEnv("GC"), gc_conf.dump(), wrapper);
  }
  static CniCall AddCall(const Pod& pod) { return {"ADD", pod.id, pod.path(), "eth0", ""}; }

  // The store as the plugin sees it holds no reservation of `pod`, no empty or partial IP file,
  // no temp file; and the node and the pod hold nothing of it.
  void ExpectFailedAddLeftNothing(const Pod& pod, const std::set<std::string>& veths_before,
                                  const std::vector<std::string>& ips_before) {
    EXPECT_FALSE(Link(pod.name(), "eth0").has_value()) << "eth0 left in the pod";
    EXPECT_EQ(NodeVeths(), veths_before) << "a veth was left in the node";
    EXPECT_EQ(NatRules(node()).find(MasqChainName(kNet, pod.id)), std::string::npos) << NatRules(node());
    EXPECT_EQ(IpamIpFiles(Store(), kNet), ips_before) << "a reservation was left";
    for (const auto& f : FilesUnder(NetDir())) {
      if (f == "lock" || f.starts_with(".index/")) continue;
      if (f.starts_with("last_reserved_ip.")) continue;  // only steers round robin
      EXPECT_FALSE(ReadFile(NetDir() + "/" + f).empty()) << "empty file " << f << " left";
    }
    EXPECT_EQ(StoreDebris(Store()), std::vector<std::string>{}) << "temp files left";
  }

  std::unique_ptr<PrivateMountNs> mnt_;
};

// With N pages free an ADD either succeeds wholly or fails leaving nothing; 0 pages (no room for
// anything) must fail. Either way, once the space is back the next ADD works.
class FullDataDirTest : public BridgeStorageTest, public ::testing::WithParamInterface<int> {};

TEST_P(FullDataDirTest, AddEitherSucceedsWhollyOrFailsLeavingNothing) {
  const int pages_free = GetParam();
  Pod& pod = NewPod();
  Pod& later = NewPod();
  MountFullTmpfs(pages_free);
  ASSERT_FALSE(HasFailure());
  const auto veths = NodeVeths();

  auto add = CallInside(AddCall(pod), MasqConf());
  if (add.ok()) {
    EXPECT_NE(pages_free, 0) << "ADD succeeded with no room at all\n" << add.Describe();
    const std::string ip = WithoutPrefix(FirstAddress(add.json));
    EXPECT_EQ(ReadFile(NetDir() + "/" + ip), pod.id + "\r\neth0") << "a partial reservation";
    EXPECT_TRUE(HasAddr(pod.name(), "eth0", FirstAddress(add.json)));
    ASSERT_PLUGIN_OK(CallInside({"DEL", pod.id, pod.path(), "eth0", ""}, MasqConf()));
  } else {
    EXPECT_EQ(add.proc.exit_code, 1) << add.Describe();
    EXPECT_GT(add.code(), 0) << add.Describe();
    EXPECT_NE(add.msg().find("no space left on device"), std::string::npos) << add.Describe();
    EXPECT_NE(add.msg().find(data_dir() + "/" + kNet + "/"), std::string::npos) << "the file is not named\n"
                                                                                << add.Describe();
  }
  ExpectFailedAddLeftNothing(pod, veths, {});

  FreeSpace();
  auto again = CallInside(AddCall(later), MasqConf());
  ASSERT_PLUGIN_OK(again);
  const std::string ip = WithoutPrefix(FirstAddress(again.json));
  EXPECT_EQ(IpamIpFiles(Store(), kNet), std::vector<std::string>{ip});
  EXPECT_EQ(ReadFile(NetDir() + "/" + ip), later.id + "\r\neth0");
  EXPECT_TRUE(Ping(later.name(), kGateway));
  ASSERT_PLUGIN_OK(CallInside({"DEL", later.id, later.path(), "eth0", ""}, MasqConf()));
  ExpectFailedAddLeftNothing(later, veths, {});
}

INSTANTIATE_TEST_SUITE_P(PagesFree, FullDataDirTest, ::testing::Values(0, 1, 2, 3));

// One page free: the index entry (written first) fits, the reservation does not. The failed ADD
// takes its index entry back too (a stale one is ignored by readers, but it is debris all the same).
TEST_F(BridgeStorageTest, AnAddThatFailedHalfWayOnAFullDiskTakesItsIndexEntryBack) {
  Pod& pod = NewPod();
  MountFullTmpfs(1);
  ASSERT_FALSE(HasFailure());
  auto add = CallInside(AddCall(pod), MasqConf());
  EXPECT_EQ(add.proc.exit_code, 1) << add.Describe();
  EXPECT_NE(add.msg().find("no space left on device"), std::string::npos) << add.Describe();
  EXPECT_NE(add.msg().find(data_dir() + "/" + kNet + "/10.77.0."), std::string::npos)
      << "not the reservation's write that failed\n"
      << add.Describe();
  EXPECT_EQ(ListDir(NetDir() + "/.index"), std::vector<std::string>{}) << "index entry left by the failed ADD";
  ExpectFailedAddLeftNothing(pod, {}, {});
}

TEST_F(BridgeStorageTest, DelOnAFullDataDirReleasesEverything) {
  Pod& pod = NewPod();
  MountFullTmpfs(4);
  ASSERT_FALSE(HasFailure());
  auto add = CallInside(AddCall(pod), MasqConf());
  ASSERT_PLUGIN_OK(add);
  const auto veths = NodeVeths();
  mnt_->ShOrThrow("cd " + data_dir() + " && while dd if=/dev/zero of=fill.x$((i=i+1)) bs=4096 count=1 " +
                  "status=none 2>/dev/null; do :; done; true");
  ASSERT_EQ(AvailableBytes(), 0L);

  ASSERT_PLUGIN_OK(CallInside({"DEL", pod.id, pod.path(), "eth0", ""}, MasqConf()));
  EXPECT_FALSE(Link(pod.name(), "eth0").has_value());
  EXPECT_TRUE(LinkGoneWithin(node(), HostVeth(add.json)));
  EXPECT_EQ(NatRules(node()).find("CNI-"), std::string::npos) << NatRules(node());
  EXPECT_EQ(IpamIpFiles(Store(), kNet), std::vector<std::string>{});
  EXPECT_EQ(ListDir(NetDir() + "/.index"), std::vector<std::string>{});
  EXPECT_EQ(StoreDebris(Store()), std::vector<std::string>{});
}

TEST_F(BridgeStorageTest, AddOnAReadOnlyDataDirFailsAndLeavesNothing) {
  Pod& first = NewPod();  // the first ADD ever: the network's directory cannot be made
  Pod& second = NewPod();
  Pod& bystander_pod = NewPod();
  MakeReadOnly();
  ASSERT_FALSE(HasFailure());
  auto veths = NodeVeths();
  auto add = CallInside(AddCall(first), MasqConf());
  EXPECT_EQ(add.proc.exit_code, 1) << add.Describe();
  EXPECT_GT(add.code(), 0) << add.Describe();
  EXPECT_NE(add.msg().find("read-only file system"), std::string::npos) << add.Describe();
  EXPECT_NE(add.msg().find(data_dir()), std::string::npos) << add.Describe();
  ExpectFailedAddLeftNothing(first, veths, {});

  // Now with the network's directory there: the host's view of the dataDir is writable.
  mnt_.reset();
  Attached bystander = AddAttached(MasqConf(), &bystander_pod);
  MakeReadOnly();
  ASSERT_FALSE(HasFailure());
  veths = NodeVeths();
  add = CallInside(AddCall(second), MasqConf());
  EXPECT_EQ(add.proc.exit_code, 1) << add.Describe();
  EXPECT_NE(add.msg().find("read-only file system"), std::string::npos) << add.Describe();
  EXPECT_NE(add.msg().find(data_dir() + "/" + kNet + "/"), std::string::npos) << add.Describe();
  ExpectFailedAddLeftNothing(second, veths, {bystander.ip});
  ExpectIntact(bystander);
}

// DEL cannot remove the reservation: it still removes the veth and the rules, and fails naming
// the file, so that the runtime retries (and the IP is not leaked silently).
TEST_F(BridgeStorageTest, DelOnAReadOnlyDataDirRemovesWhatItCanAndSaysWhatItCouldNot) {
  Pod& pod_a = NewPod();
  Pod& pod_b = NewPod();
  Attached a = AddAttached(MasqConf(), &pod_a);
  Attached b = AddAttached(MasqConf(), &pod_b);
  MakeReadOnly();
  ASSERT_FALSE(HasFailure());

  auto del = CallInside(DelCall(a), MasqConf());
  EXPECT_EQ(del.proc.exit_code, 1) << "DEL said nothing about the reservation it could not release\n" << del.Describe();
  EXPECT_NE(del.msg().find(data_dir() + "/" + kNet + "/" + a.ip), std::string::npos) << del.Describe();
  EXPECT_NE(del.msg().find("read-only file system"), std::string::npos) << del.Describe();
  EXPECT_FALSE(Link(a.pod->name(), "eth0").has_value()) << "the veth was not removed";
  EXPECT_TRUE(LinkGoneWithin(node(), a.veth));
  EXPECT_EQ(NatRules(node()).find(a.chain), std::string::npos) << "the rules were not removed\n" << NatRules(node());
  EXPECT_TRUE(FileExists(NetDir() + "/" + a.ip));
  ExpectIntact(b);

  // Writable again, the runtime's retry finishes the job.
  mnt_.reset();
  ASSERT_PLUGIN_OK(DelAttached(a, MasqConf()));
  ExpectGone(a);
  ExpectStoreHoldsExactly({b});
}

TEST_F(BridgeStorageTest, GcOnAReadOnlyDataDirReportsTheReservationsItCouldNotRelease) {
  Pod& keep_pod = NewPod();
  Pod& stale_pod = NewPod();
  Attached keep = AddAttached(MasqConf("1.1.0"), &keep_pod);
  Attached stale = AddAttached(MasqConf("1.1.0"), &stale_pod);
  stale.pod->ns->Remove();
  MakeReadOnly();
  ASSERT_FALSE(HasFailure());
  const json gc = GcConf(MasqConf("1.1.0"), {keep});

  auto r = GcInside(gc);
  EXPECT_EQ(r.proc.exit_code, 1) << "GC said nothing about the reservation it could not release\n" << r.Describe();
  EXPECT_NE(r.msg().find("read-only file system"), std::string::npos) << r.Describe();
  EXPECT_NE(r.msg().find(data_dir() + "/" + kNet), std::string::npos) << r.Describe();
  EXPECT_TRUE(FileExists(NetDir() + "/" + stale.ip));
  ExpectIntact(keep);

  mnt_.reset();
  ASSERT_PLUGIN_OK(Gc(gc));
  ExpectGone(stale);
  ExpectStoreHoldsExactly({keep});
}

// kill -9 during ADD, then the runtime's DEL (it always sends one for an ADD that did not
// succeed): nothing of the ADD is left, temp files of the store included.
class AddCrashTest : public FaultTest {
 protected:
  // After the runtime's DEL for `pod`, whose ADD was killed: nothing of it anywhere. Temp files
  // are collected (with the kill that left them) in `debris_` and removed, so that each kill is
  // judged on its own and all of them are reported at the end.
  void ExpectDelCleanedUp(const Pod& pod, const std::set<std::string>& veths, const std::vector<Attached>& keep,
                          const std::string& kill) {
    EXPECT_PLUGIN_OK(Del(pod, MasqConf()));
    EXPECT_FALSE(Link(pod.name(), "eth0").has_value());
    EXPECT_EQ(NodeVeths(), veths);
    EXPECT_EQ(NatRules(node()).find(MasqChainName(kNet, pod.id)), std::string::npos) << NatRules(node());
    for (const auto& k : keep) ExpectIntact(k);
    std::vector<std::string> ips;
    for (const auto& k : keep) ips.push_back(k.ip);
    std::sort(ips.begin(), ips.end());
    EXPECT_EQ(IpamIpFiles(data_dir(), kNet), ips);
    for (const auto& f : StoreDebris(data_dir())) {
      debris_ += "  " + f + " after " + kill + "\n";
      ::unlink((data_dir() + "/" + f).c_str());
    }
  }
  void ExpectNoDebris(int kills) {
    EXPECT_EQ(debris_, "") << "temp files left in the dataDir after a killed ADD and the runtime's DEL (of " << kills
                           << " kills):\n"
                           << debris_;
  }

  std::string debris_;
};

TEST_F(AddCrashTest, AddKilledAtEachStateChangingSyscallLeavesNothingAfterTheRuntimesDel) {
  const std::vector<Attached> keep = {AddAttached(MasqConf())};
  ASSERT_FALSE(HasFailure());
  const std::vector<SyscallPoint> points = StableTrace(
      [&](const std::string& log) {
        Pod& probe = NewPod();
        PluginRun r = CallTraced({"ADD", probe.id, probe.path(), "eth0", ""}, MasqConf(), TraceWrapper(log));
        EXPECT_PLUGIN_OK(Del(probe, MasqConf()));
        probe.ns->Remove();
        return r;
      },
      "ADD");
  ASSERT_GE(points.size(), 10u);
  ASSERT_FALSE(HasFailure());

  int killed = 0;
  KillAtEachPoint("ADD", points, [&](const SyscallPoint& point) {
    Pod& pod = NewPod();
    const auto veths = NodeVeths();
    PluginRun r = CallTraced({"ADD", pod.id, pod.path(), "eth0", ""}, MasqConf(), KillAtWrapper(point));
    const bool was_killed = KilledByStrace(r.proc);
    if (was_killed) {
      ++killed;
      ExpectDelCleanedUp(pod, veths, keep, point.ToString());
    } else {
      EXPECT_PLUGIN_OK(r);
      EXPECT_PLUGIN_OK(Del(pod, MasqConf()));
    }
    pod.ns->Remove();
    return was_killed;
  });
  ExpectNoDebris(killed);
}

TEST_F(AddCrashTest, AddKilledAtRandomMomentsLeavesNothingAfterTheRuntimesDel) {
  const uint64_t seed = FaultSeed();
  SCOPED_TRACE(SeedNote(seed));
  const std::vector<Attached> keep = {AddAttached(MasqConf())};
  ASSERT_FALSE(HasFailure());
  std::vector<microseconds> samples;
  for (int i = 0; i < 3; ++i) {
    Pod& pod = NewPod();
    KilledRun r = CallKilledAfter({"ADD", pod.id, pod.path(), "eth0", ""}, MasqConf(), std::chrono::seconds(30));
    EXPECT_EQ(r.proc.exit_code, 0) << r.Describe();
    samples.push_back(r.elapsed);
    EXPECT_PLUGIN_OK(Del(pod, MasqConf()));
    pod.ns->Remove();
  }
  ASSERT_FALSE(HasFailure());
  const microseconds span = Fastest(samples) * 6 / 5;
  int killed = 0;
  KillAtRandomMoments("ADD", seed, span, [&](microseconds delay) {
    Pod& pod = NewPod();
    const auto veths = NodeVeths();
    KilledRun r = CallKilledAfter({"ADD", pod.id, pod.path(), "eth0", ""}, MasqConf(), delay);
    killed += r.killed;
    if (!r.killed) {
      EXPECT_EQ(r.proc.exit_code, 0) << r.Describe();
    }
    ExpectDelCleanedUp(pod, veths, keep, "a kill after " + std::to_string(delay.count()) + " us");
    pod.ns->Remove();
    return r.killed;
  });
  ExpectNoDebris(killed);
}

}  // namespace
}  // namespace cnb::test
