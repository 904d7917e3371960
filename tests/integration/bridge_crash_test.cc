// SPDX-License-Identifier: Apache-2.0
// kill -9 in the middle of DEL and of GC (a runtime's timeout, the OOM killer, a node reboot):
// the next DEL or GC, as the runtime retries it, converges. Exactly the stale attachments are
// released (their veth, reservation, index entry and masquerade rules) and nothing else is
// touched (the other pods' veths, addresses, reservations and rules), with no temp file left in
// the dataDir.
//
// Two kinds of kill points:
// * at random moments, seeded: the seed is $CNB_FAULT_SEED or random, printed, and named in every
//   failure (CNB_FAULT_SEED=<n> ctest -R <test> replays the same delays);
// * at the entry of each state-changing syscall of a traced run (strace's fault injection), which
//   reaches every state a crash can leave, in order, the same on every run.
#include <chrono>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "support/fault_fixture.h"
#include "support/temp_dir.h"

namespace cnb::test {
namespace {

using nlohmann::json;
using std::chrono::microseconds;

class BridgeCrashTest : public FaultTest {
 protected:
  // GC needs spec 1.1.0; the same config serves ADD and DEL.
  json Net() const { return MasqConf("1.1.0"); }

  // How long a whole DEL takes here and now (the fastest of five), from spawn to exit.
  microseconds DelDuration() {
    std::vector<microseconds> samples;
    for (int i = 0; i < 5; ++i) {
      Attached a = AddAttached(Net());
      KilledRun r = CallKilledAfter(DelCall(a), Net(), std::chrono::seconds(30));
      EXPECT_FALSE(r.killed) << r.Describe();
      EXPECT_EQ(r.proc.exit_code, 0) << r.Describe();
      samples.push_back(r.elapsed);
      a.pod->ns->Remove();
    }
    return Fastest(samples);
  }

  // Two stale attachments: ADDed, then their sandboxes gone without a DEL (the runtime lost them).
  std::vector<Attached> MakeStale() {
    std::vector<Attached> stale = {AddAttached(Net()), AddAttached(Net())};
    for (auto& s : stale) s.pod->ns->Remove();
    return stale;
  }

  // After the retried DEL of `victim` or GC of `stale`: they are gone, `keep` is untouched.
  void ExpectConverged(const std::vector<Attached>& released, const std::vector<Attached>& keep) {
    for (const auto& r : released) ExpectGone(r);
    for (const auto& k : keep) ExpectIntact(k);
    ExpectStoreHoldsExactly(keep);
  }

  // What a killed DEL left of `victim` ("rules+link+ip", ..., "nothing"), or a killed GC of
  // `stale` ("2 ip, 1 rules"): the kill points reached, as the state they leave.
  std::string Leftovers(const std::vector<Attached>& of, bool gc) {
    const std::string rules = NatRules(node());
    int with_rules = 0, with_link = 0, with_ip = 0;
    for (const auto& a : of) {
      with_rules += rules.find(a.chain) != std::string::npos;
      with_ip += FileExists(data_dir() + "/" + kNet + "/" + a.ip);
      if (!gc) with_link += Link(a.pod->name(), a.ifname).has_value();
    }
    if (gc) return std::to_string(with_ip) + " ip, " + std::to_string(with_rules) + " rules";
    std::string s = std::string(with_rules ? "rules+" : "") + (with_link ? "link+" : "") + (with_ip ? "ip+" : "");
    return s.empty() ? "nothing" : s.substr(0, s.size() - 1);
  }

  void TearDownAll(const std::vector<Attached>& keep) {
    for (const auto& k : keep) EXPECT_PLUGIN_OK(DelAttached(k, Net()));
    ExpectStoreHoldsExactly({});
    EXPECT_EQ(NatRules(node()).find("CNI-"), std::string::npos) << NatRules(node());
  }
};

TEST_F(BridgeCrashTest, DelKilledAtRandomMomentsConvergesOnTheRetriedDel) {
  const uint64_t seed = FaultSeed();
  SCOPED_TRACE(SeedNote(seed));
  const std::vector<Attached> keep = {AddAttached(Net()), AddAttached(Net())};
  ASSERT_FALSE(HasFailure());
  KillAtRandomMoments("DEL", seed, DelDuration() * 6 / 5, [&](microseconds delay) {
    Attached victim = AddAttached(Net());
    if (victim.veth.empty()) {
      ADD_FAILURE() << "the victim's ADD gave no host veth";  // and the loop stops
      return false;
    }
    KilledRun r = CallKilledAfter(DelCall(victim), Net(), delay);
    ++states_[Leftovers({victim}, false)];
    if (!r.killed) {
      EXPECT_EQ(r.proc.exit_code, 0) << r.Describe();
    }
    // The runtime retries the DEL until it succeeds; the first retry must.
    EXPECT_PLUGIN_OK(DelAttached(victim, Net())) << r.Describe();
    ExpectConverged({victim}, keep);
    victim.pod->ns->Remove();
    return r.killed;
  });
  TearDownAll(keep);
}

TEST_F(BridgeCrashTest, DelKilledAtEachStateChangingSyscallConvergesOnTheRetriedDel) {
  const std::vector<Attached> keep = {AddAttached(Net()), AddAttached(Net())};
  ASSERT_FALSE(HasFailure());
  const std::vector<SyscallPoint> points = StableTrace(
      [&](const std::string& log) {
        Attached probe = AddAttached(Net());
        PluginRun r = CallTraced(DelCall(probe), Net(), TraceWrapper(log));
        ExpectConverged({probe}, keep);
        return r;
      },
      "DEL");
  ASSERT_GE(points.size(), 5u);
  ASSERT_FALSE(HasFailure());

  KillAtEachPoint("DEL", points, [&](const SyscallPoint& point) {
    Attached victim = AddAttached(Net());
    if (victim.veth.empty()) {
      ADD_FAILURE() << "the victim's ADD gave no host veth";  // and the loop stops
      return false;
    }
    PluginRun r = CallTraced(DelCall(victim), Net(), KillAtWrapper(point));
    ++states_[Leftovers({victim}, false)];
    const bool killed = KilledByStrace(r.proc);
    if (!killed) {
      EXPECT_PLUGIN_OK(r);
    }
    EXPECT_PLUGIN_OK(DelAttached(victim, Net())) << r.Describe();
    ExpectConverged({victim}, keep);
    victim.pod->ns->Remove();
    return killed;
  });
  TearDownAll(keep);
}

TEST_F(BridgeCrashTest, GcKilledAtRandomMomentsConvergesOnTheNextGc) {
  const uint64_t seed = FaultSeed();
  SCOPED_TRACE(SeedNote(seed));
  const std::vector<Attached> keep = {AddAttached(Net()), AddAttached(Net())};
  ASSERT_FALSE(HasFailure());
  const json gc = GcConf(Net(), keep);
  // Calibration: a whole GC with two stale attachments to release.
  std::vector<microseconds> samples;
  for (int i = 0; i < 3; ++i) {
    const std::vector<Attached> stale = MakeStale();
    KilledRun r = GcKilledAfter(gc, std::chrono::seconds(30));
    EXPECT_EQ(r.proc.exit_code, 0) << r.Describe();
    samples.push_back(r.elapsed);
    ExpectConverged(stale, keep);
  }
  ASSERT_FALSE(HasFailure());
  const microseconds span = Fastest(samples) * 6 / 5;
  KillAtRandomMoments("GC", seed, span, [&](microseconds delay) {
    const std::vector<Attached> stale = MakeStale();
    KilledRun r = GcKilledAfter(gc, delay);
    ++states_[Leftovers(stale, true)];
    if (!r.killed) {
      EXPECT_EQ(r.proc.exit_code, 0) << r.Describe();
    }
    EXPECT_PLUGIN_OK(Gc(gc)) << r.Describe();
    ExpectConverged(stale, keep);
    return r.killed;
  });
  TearDownAll(keep);
}

TEST_F(BridgeCrashTest, GcKilledAtEachStateChangingSyscallConvergesOnTheNextGc) {
  const std::vector<Attached> keep = {AddAttached(Net()), AddAttached(Net())};
  ASSERT_FALSE(HasFailure());
  const json gc = GcConf(Net(), keep);
  const std::vector<SyscallPoint> points = StableTrace(
      [&](const std::string& log) {
        const std::vector<Attached> probe = MakeStale();
        PluginRun r = Gc(gc, TraceWrapper(log));
        ExpectConverged(probe, keep);
        return r;
      },
      "GC");
  ASSERT_GE(points.size(), 5u);
  ASSERT_FALSE(HasFailure());

  KillAtEachPoint("GC", points, [&](const SyscallPoint& point) {
    const std::vector<Attached> stale = MakeStale();
    PluginRun r = Gc(gc, KillAtWrapper(point));
    ++states_[Leftovers(stale, true)];
    const bool killed = KilledByStrace(r.proc);
    if (!killed) {
      EXPECT_PLUGIN_OK(r);
    }
    EXPECT_PLUGIN_OK(Gc(gc)) << r.Describe();
    ExpectConverged(stale, keep);
    return killed;
  });
  TearDownAll(keep);
}

}  // namespace
}  // namespace cnb::test
