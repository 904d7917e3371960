// SPDX-License-Identifier: Apache-2.0
// Churn: a seeded storm of workers doing ADD, CHECK, DEL and GC on many containers in random
// order (as a busy node's runtime does), with masquerading on; then a final DEL of them all. No
// call may hang or crash (exit 0, or 1 with a clean error document), no IP may ever be held by
// two live attachments, the store and the NAT table hold exactly the live attachments at the end,
// and nothing is left after the last DEL. And many interfaces of one pod at once.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <deque>
#include <map>
#include <mutex>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "support/fault_fixture.h"
#include "support/parallel.h"

namespace cnb::test {
namespace {

using nlohmann::json;

constexpr int kWorkers = 8;
constexpr int kContainers = 20;
constexpr int kCalls = 480;
constexpr auto kBudget = std::chrono::seconds(30);       // no new call is started after this
constexpr auto kCallTimeout = std::chrono::seconds(20);  // a call still running then hung

enum class Op { kNone, kAdd, kReAdd, kCheck, kDel, kGc };
const char* OpName(Op op) {
  switch (op) {
    case Op::kAdd: return "ADD";
    case Op::kReAdd: return "ADD of a live one";
    case Op::kCheck: return "CHECK";
    case Op::kDel: return "DEL";
    case Op::kGc: return "GC";
    case Op::kNone: break;
  }
  return "none";
}

// One container of the storm.
struct Slot {
  Pod* pod = nullptr;
  std::mutex busy;  // held by the worker running a call for it: a runtime never runs two at once
  // Guarded by BridgeChurnTest::state_mu_.
  bool live = false;
  json result;
  std::string ip;
  Op in_flight = Op::kNone;
};

class BridgeChurnTest : public FaultTest {
 protected:
  json Net() const { return MasqConf("1.1.0"); }

  // A plugin run bounded by kCallTimeout; flags a hang, a crash or an answer that is no clean
  // CNI error.
  PluginRun Bounded(const std::map<std::string, std::string>& cni_env, const json& conf, const std::string& what) {
    PluginRun run;
    run.proc = RunProcess(PluginArgv(node(), "bridge"), PluginEnv(cni_env), conf.dump(), kCallTimeout);
    run.json = json::parse(run.proc.out, nullptr, false);
    if (run.json.is_discarded()) run.json = nullptr;
    EXPECT_FALSE(run.proc.timed_out) << what << " hung\n" << run.Describe();
    EXPECT_FALSE(HasSanitizerReport(run.proc.err)) << what << "\n" << run.proc.err;
    if (!run.ok() && !run.proc.timed_out) {
      const bool clean = run.proc.exit_code == 1 && run.json.is_object() && run.code() > 0 &&
                         run.json.contains("msg") && run.json["msg"].is_string();
      EXPECT_TRUE(clean) << what << " crashed or answered no CNI error\n" << run.Describe();
    }
    return run;
  }
  PluginRun BoundedCall(const Slot& s, const std::string& command, json conf, const std::string& what) {
    return Bounded(Env({command, s.pod->id, s.pod->path(), "eth0", ""}), conf, what);
  }

  Op Choose(bool live, std::mt19937_64& rng) {
    const int r = std::uniform_int_distribution<int>(0, 99)(rng);
    if (live) return r < 40 ? Op::kCheck : r < 85 ? Op::kDel : Op::kReAdd;
    return r < 85 ? Op::kAdd : Op::kDel;
  }

  // One call on slot `i` (whose busy lock the caller holds), checked and booked.
  void RunOn(int i, std::mt19937_64& rng) {
    Slot& s = slots_[i];
    Op op;
    json prev;
    {
      std::lock_guard<std::mutex> lock(state_mu_);
      op = Choose(s.live, rng);
      s.in_flight = op;
      prev = s.result;
    }
    const std::string what = std::string(OpName(op)) + " of " + s.pod->id;
    ++counts_[static_cast<int>(op)];
    PluginRun r;
    if (op == Op::kCheck) {
      json conf = Net();
      conf["prevResult"] = prev;
      r = BoundedCall(s, "CHECK", conf, what);
      EXPECT_PLUGIN_OK(r) << what;
    } else if (op == Op::kReAdd) {
      r = BoundedCall(s, "ADD", Net(), what);
      EXPECT_EQ(r.proc.exit_code, 1) << what << " must fail: eth0 exists\n" << r.Describe();
      EXPECT_TRUE(HasAddr(s.pod->name(), "eth0", FirstAddress(prev))) << "the failed " << what << " harmed it";
    } else {
      r = BoundedCall(s, op == Op::kAdd ? "ADD" : "DEL", Net(), what);
      EXPECT_PLUGIN_OK(r) << what;
    }
    std::lock_guard<std::mutex> lock(state_mu_);
    s.in_flight = Op::kNone;
    if (op == Op::kAdd && r.ok()) Booked(i, r.json);
    if (op == Op::kDel && r.ok()) {
      if (holders_.count(s.ip) && holders_[s.ip] == i) holders_.erase(s.ip);
      s.live = false;
      s.result = nullptr;
      s.ip.clear();
    }
  }

  // An ADD of slot `i` succeeded: its IP must not be held by another live attachment (one whose
  // DEL is under way may still be booked as its holder).
  void Booked(int i, const json& result) {
    Slot& s = slots_[i];
    const std::string ip = WithoutPrefix(FirstAddress(result));
    if (auto it = holders_.find(ip); it != holders_.end() && it->second != i) {
      const Slot& t = slots_[it->second];
      EXPECT_FALSE(t.live && t.in_flight != Op::kDel)
          << ip << " given to " << s.pod->id << " while " << t.pod->id << " holds it";
    }
    holders_[ip] = i;
    s.live = true;
    s.result = result;
    s.ip = ip;
  }

  // GC with every attachment that exists or may exist during it listed as valid: containers
  // not live are kept out of it (their busy locks held) for the GC's duration.
  void RunGc() {
    ++counts_[static_cast<int>(Op::kGc)];
    std::vector<std::unique_lock<std::mutex>> held;
    std::vector<Attached> valid;
    for (auto& s : slots_) {
      std::unique_lock<std::mutex> busy(s.busy, std::try_to_lock);
      bool live;
      {
        std::lock_guard<std::mutex> lock(state_mu_);
        live = s.live;
      }
      if (busy && !live) {
        held.push_back(std::move(busy));
      } else {
        Attached a;
        a.pod = s.pod;
        valid.push_back(a);
      }
    }
    PluginRun r = Bounded(NoContainerEnv("GC"), GcConf(Net(), valid), "GC");
    EXPECT_PLUGIN_OK(r);
  }

  void Worker(int w, uint64_t seed, std::chrono::steady_clock::time_point deadline) {
    std::mt19937_64 rng(seed + 0x9e3779b97f4a7c15ULL * static_cast<uint64_t>(w + 1));
    std::uniform_int_distribution<int> pick(0, kContainers - 1);
    while (calls_++ < kCalls && std::chrono::steady_clock::now() < deadline) {
      if (std::uniform_int_distribution<int>(0, 99)(rng) < 4) {
        RunGc();
        continue;
      }
      for (int tries = 0; tries < kContainers; ++tries) {
        const int i = pick(rng);
        std::unique_lock<std::mutex> busy(slots_[i].busy, std::try_to_lock);
        if (!busy) continue;
        RunOn(i, rng);
        break;
      }
    }
  }

  std::mutex state_mu_;
  std::deque<Slot> slots_;
  std::map<std::string, int> holders_;  // IP -> the slot booked as holding it
  std::atomic<int> calls_{0};
  std::atomic<int> counts_[6];  // by Op; value-initialised (C++20)
};

TEST_F(BridgeChurnTest, SeededStormOfAddCheckDelGcThenDelOfAllLeavesNothing) {
  const uint64_t seed = FaultSeed();
  SCOPED_TRACE(SeedNote(seed) + " (the calls' interleaving is not replayed, only each worker's choices)");
  for (int i = 0; i < kContainers; ++i) slots_.emplace_back().pod = &NewPod();

  const auto start = std::chrono::steady_clock::now();
  std::vector<std::thread> workers;
  for (int w = 0; w < kWorkers; ++w) workers.emplace_back([&, w] { Worker(w, seed, start + kBudget); });
  for (auto& t : workers) t.join();
  const double took = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::printf("%d calls in %.1f s: %d ADD, %d ADD of a live one, %d CHECK, %d DEL, %d GC\n",
              std::min<int>(calls_, kCalls), took, counts_[1].load(), counts_[2].load(), counts_[3].load(),
              counts_[4].load(), counts_[5].load());

  // The store and the NAT table hold exactly the live attachments.
  std::vector<Attached> live;
  for (auto& s : slots_) {
    if (!s.live) continue;
    Attached a;
    a.pod = s.pod;
    a.result = s.result;
    a.cidr = FirstAddress(s.result);
    a.ip = s.ip;
    a.veth = HostVeth(s.result);
    a.chain = MasqChainName(kNet, s.pod->id);
    ExpectIntact(a);
    live.push_back(a);
  }
  ExpectStoreHoldsExactly(live);
  const std::string rules = NatRules(node());
  for (auto& s : slots_) {
    if (!s.live) {
      EXPECT_EQ(rules.find(MasqChainName(kNet, s.pod->id)), std::string::npos) << s.pod->id << "\n" << rules;
    }
  }
  EXPECT_EQ(BridgePorts(node(), kBridge).size(), live.size());

  // The final DEL of all of them, in parallel.
  std::atomic<int> next{0};
  workers.clear();
  for (int w = 0; w < kWorkers; ++w)
    workers.emplace_back([&] {
      for (int i = next++; i < kContainers; i = next++)
        EXPECT_PLUGIN_OK(BoundedCall(slots_[i], "DEL", Net(), "final DEL of " + slots_[i].pod->id));
    });
  for (auto& t : workers) t.join();
  EXPECT_EQ(NodeVeths(), std::set<std::string>{});
  EXPECT_TRUE(BridgePorts(node(), kBridge).empty());
  ExpectStoreHoldsExactly({});
  EXPECT_EQ(NatRules(node()).find("CNI-"), std::string::npos) << NatRules(node());
  for (auto& s : slots_) EXPECT_FALSE(Link(s.pod->name(), "eth0").has_value()) << s.pod->id;
}

TEST_F(BridgeChurnTest, ThirtyTwoInterfacesOfOnePodAddedAndDeletedInParallel) {
  constexpr int kInterfaces = 32;
  const json conf = Conf();
  Pod& pod = NewPod();
  auto ifname = [](int i) { return "net" + std::to_string(i + 1); };
  auto adds = InParallel(kWorkers, kInterfaces, [&](int i) { return Add(pod, conf, ifname(i)); });
  std::set<std::string> ips, veths;
  for (int i = 0; i < kInterfaces; ++i) {
    ASSERT_PLUGIN_OK(adds[i]) << ifname(i);
    const std::string cidr = FirstAddress(adds[i].json);
    ips.insert(cidr);
    veths.insert(HostVeth(adds[i].json));
    EXPECT_TRUE(HasAddr(pod.name(), ifname(i), cidr)) << ifname(i);
    EXPECT_EQ(ReadFile(data_dir() + "/" + kNet + "/" + WithoutPrefix(cidr)), pod.id + "\r\n" + ifname(i));
  }
  EXPECT_EQ(ips.size(), static_cast<size_t>(kInterfaces)) << "an IP given twice";
  EXPECT_EQ(veths.size(), static_cast<size_t>(kInterfaces)) << "a host veth named twice";
  EXPECT_EQ(NodeVeths(), veths);
  EXPECT_EQ(BridgePorts(node(), kBridge).size(), static_cast<size_t>(kInterfaces));
  auto checks = InParallel(kWorkers, kInterfaces, [&](int i) { return Check(pod, conf, adds[i].json, ifname(i)); });
  for (int i = 0; i < kInterfaces; ++i) EXPECT_PLUGIN_OK(checks[i]) << ifname(i);

  auto dels = InParallel(kWorkers, kInterfaces, [&](int i) { return Del(pod, conf, ifname(i)); });
  for (int i = 0; i < kInterfaces; ++i) EXPECT_PLUGIN_OK(dels[i]) << ifname(i);
  EXPECT_EQ(NodeVeths(), std::set<std::string>{});
  EXPECT_EQ(Links(pod.name()).size(), 1u) << "only lo may be left in the pod";
  ExpectStoreHoldsExactly({});
}

// Masquerade is per attachment: each interface of one pod keeps its jump while the pod's other
// interfaces come and go, and loses it with its own DEL.
TEST_F(BridgeChurnTest, EachInterfaceOfOnePodKeepsItsMasqueradeWhileTheOthersComeAndGo) {
  const json conf = Net();
  Pod& pod = NewPod();
  std::vector<Attached> attached;
  for (const std::string ifname : {"net1", "net2", "net3"}) attached.push_back(AddAttached(conf, &pod, ifname));
  ASSERT_FALSE(HasFailure());
  for (const auto& a : attached) ExpectIntact(a);

  ASSERT_PLUGIN_OK(DelAttached(attached[1], conf));
  EXPECT_EQ(NatRules(node()).find("-s " + attached[1].ip + "/32 "), std::string::npos) << NatRules(node());
  ExpectIntact(attached[0]);
  ExpectIntact(attached[2]);

  ASSERT_PLUGIN_OK(DelAttached(attached[0], conf));
  ASSERT_PLUGIN_OK(DelAttached(attached[2], conf));
  for (const auto& a : attached) ExpectGone(a);
  ExpectStoreHoldsExactly({});
}

}  // namespace
}  // namespace cnb::test
