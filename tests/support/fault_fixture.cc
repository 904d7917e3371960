// SPDX-License-Identifier: Apache-2.0
#include "support/fault_fixture.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <random>

#include "support/kernel_state.h"
#include "support/temp_dir.h"

namespace cnb::test {

using nlohmann::json;
using std::chrono::microseconds;

json FaultTest::MasqConf(const std::string& version) const {
  auto conf = Conf(version);
  conf["ipMasq"] = true;
  return conf;
}

Attached FaultTest::AddAttached(const json& conf, Pod* pod, const std::string& ifname) {
  if (!pod) pod = &NewPod();
  Attached a;
  a.pod = pod;
  a.ifname = ifname;
  a.chain = MasqChainName(conf.value("name", ""), pod->id);
  auto r = Add(*pod, conf, ifname);
  EXPECT_PLUGIN_OK(r);
  if (!r.ok() || !r.json.is_object()) return a;
  a.result = r.json;
  a.veth = HostVeth(r.json);
  a.cidr = FirstAddress(r.json);
  a.ip = WithoutPrefix(a.cidr);
  return a;
}

PluginRun FaultTest::DelAttached(const Attached& a, const json& conf) { return Call(DelCall(a), conf); }

void FaultTest::ExpectGone(const Attached& a) {
  std::optional<json> link;
  try {
    link = Link(a.pod->name(), a.ifname);
  } catch (const std::exception&) {
    // The netns itself is gone, and its links with it.
  }
  EXPECT_FALSE(link.has_value()) << a.ifname << " left in pod " << a.pod->id;
  EXPECT_TRUE(LinkGoneWithin(node(), a.veth)) << a.veth << " (of " << a.pod->id << ") left in the node";
  EXPECT_FALSE(FileExists(data_dir() + "/" + kNet + "/" + a.ip)) << "reservation " << a.ip << " left";
  const std::string rules = NatRules(node());
  EXPECT_EQ(rules.find(a.chain), std::string::npos) << "masquerade chain of " << a.pod->id << " left\n" << rules;
  EXPECT_EQ(rules.find("-s " + a.ip + "/32 "), std::string::npos) << "masquerade jump of " << a.ip << " left\n"
                                                                  << rules;
}

void FaultTest::ExpectIntact(const Attached& a, bool masq) {
  auto veth = Link(node(), a.veth);
  ASSERT_TRUE(veth.has_value()) << a.veth << " of " << a.pod->id << " is gone";
  EXPECT_EQ(veth->value("master", ""), kBridge) << a.veth << " is no port of the bridge";
  EXPECT_TRUE(HasAddr(a.pod->name(), a.ifname, a.cidr)) << a.pod->id << " lost " << a.cidr;
  const std::string file = data_dir() + "/" + kNet + "/" + a.ip;
  EXPECT_TRUE(FileExists(file) && ReadFile(file) == a.pod->id + "\r\n" + a.ifname) << "reservation " << a.ip;
  if (masq) {
    const std::string rules = NatRules(node());
    EXPECT_NE(rules.find("-s " + a.ip + "/32 "), std::string::npos) << "masquerade jump of " << a.ip << " gone\n"
                                                                    << rules;
    EXPECT_NE(rules.find("-N " + a.chain), std::string::npos) << "masquerade chain of " << a.pod->id << " gone";
  }
}

void FaultTest::ExpectStoreHoldsExactly(const std::vector<Attached>& live) {
  std::vector<std::string> ips;
  for (const auto& a : live) ips.push_back(a.ip);
  std::sort(ips.begin(), ips.end());
  EXPECT_EQ(IpamIpFiles(data_dir(), kNet), ips) << "the reservations are not exactly those of the live attachments";
  // One index entry per live attachment (how entries are named is the store's business).
  const auto index = ListDir(data_dir() + "/" + kNet + "/.index");
  EXPECT_EQ(index.size(), live.size()) << "index entries of released attachments: " << ::testing::PrintToString(index);
  EXPECT_EQ(StoreDebris(data_dir()), std::vector<std::string>{}) << "temp files left in the dataDir";
}

std::map<std::string, std::string> FaultTest::NoContainerEnv(const std::string& command) const {
  return {{"CNI_COMMAND", command}, {"CNI_PATH", PluginDir()}};
}

json FaultTest::GcConf(json conf, const std::vector<Attached>& valid) {
  json list = json::array();
  for (const auto& a : valid) list.push_back({{"containerID", a.pod->id}, {"ifname", a.ifname}});
  conf["cni.dev/valid-attachments"] = list;
  return conf;
}

PluginRun FaultTest::Gc(const json& gc_conf, const std::vector<std::string>& wrapper) {
  if (wrapper.empty()) return RunPlugin(node(), "bridge", NoContainerEnv("GC"), gc_conf.dump());
  return RunPlugin(node(), "bridge", NoContainerEnv("GC"), gc_conf.dump(), wrapper);
}

PluginRun FaultTest::CallTraced(const CniCall& call, const json& conf, const std::vector<std::string>& wrapper) {
  return RunPlugin(node(), "bridge", Env(call), conf.dump(), wrapper);
}

KilledRun FaultTest::CallKilledAfter(const CniCall& call, const json& conf, std::chrono::microseconds delay) {
  return RunKilledAfter(PluginArgv(node(), "bridge"), PluginEnv(Env(call)), conf.dump(), delay);
}

KilledRun FaultTest::GcKilledAfter(const json& gc_conf, std::chrono::microseconds delay) {
  return RunKilledAfter(PluginArgv(node(), "bridge"), PluginEnv(NoContainerEnv("GC")), gc_conf.dump(), delay);
}

std::vector<SyscallPoint> FaultTest::StableTrace(const std::function<PluginRun(const std::string& log)>& traced,
                                                 const std::string& what) {
  // An undisturbed ADD, DEL or GC makes 15 to 50 of them.
  constexpr size_t kInLine = 150;
  std::vector<SyscallPoint> best;
  for (int attempt = 0; attempt < 3; ++attempt) {
    TempDir dir;
    const std::string log = dir.path() + "/trace";
    PluginRun r = traced(log);
    EXPECT_PLUGIN_OK(r) << "the traced " << what;
    std::vector<SyscallPoint> points = StateChangingPoints(ParseStraceLog(ReadFile(log)));
    if (attempt == 0 || points.size() < best.size()) best = std::move(points);
    if (best.size() <= kInLine) break;
    std::printf("a traced %s made %zu state-changing syscalls (%s): tracing another one\n", what.c_str(), best.size(),
                SyscallHistogram(best).c_str());
  }
  std::printf("%zu state-changing syscalls in a traced %s\n", best.size(), what.c_str());
  return best;
}

std::chrono::microseconds Fastest(const std::vector<std::chrono::microseconds>& samples) {
  if (samples.empty()) throw std::invalid_argument("Fastest of nothing");
  return *std::min_element(samples.begin(), samples.end());
}

void FaultTest::PrintStates() const {
  if (states_.empty()) return;
  std::string line;
  for (const auto& [state, n] : states_) line += (line.empty() ? "" : ", ") + state + ": " + std::to_string(n);
  std::printf("left by the kills (the retry's starting points): %s\n", line.c_str());
}

void FaultTest::KillAtRandomMoments(const std::string& what, uint64_t seed, microseconds span,
                                    const std::function<bool(microseconds)>& kill_one) {
  std::mt19937_64 rng(seed);
  std::printf("one %s takes about %lld us here; kill delays drawn from [0, %lld] us\n", what.c_str(),
              static_cast<long long>(span.count() * 5 / 6), static_cast<long long>(span.count()));
  int kills = 0, killed = 0, window_killed = 0;
  const auto deadline = std::chrono::steady_clock::now() + kKillLoopBudget;
  for (; kills < kTimedKills && std::chrono::steady_clock::now() < deadline && !HasFailure(); ++kills) {
    // The calibration can land on a slow run (an RCU wait under ASan), and then most delays fall
    // after the calls end: narrow the span while too few of the last eight kills land inside.
    if (kills > 0 && kills % 8 == 0) {
      if (window_killed < 3 && span > microseconds(1000)) {
        span = span * 2 / 3;
        std::printf("%d of the last 8 kills landed: delays now drawn from [0, %lld] us\n", window_killed,
                    static_cast<long long>(span.count()));
      }
      window_killed = 0;
    }
    const microseconds delay(std::uniform_int_distribution<int64_t>(0, span.count())(rng));
    SCOPED_TRACE("kill " + std::to_string(kills) + ": " + what + " SIGKILLed after " + std::to_string(delay.count()) +
                 " us");
    const bool landed = kill_one(delay);
    killed += landed;
    window_killed += landed;
  }
  std::printf("%d of %d %ss killed before they finished\n", killed, kills, what.c_str());
  PrintStates();
  if (!HasFailure()) {
    EXPECT_GE(killed, kills / 4) << "too few kills landed inside a " << what << " to prove anything";
  }
}

void FaultTest::KillAtEachPoint(const std::string& what, const std::vector<SyscallPoint>& points,
                                const std::function<bool(const SyscallPoint&)>& kill_one) {
  size_t tried = 0, killed = 0;
  const auto deadline = std::chrono::steady_clock::now() + kKillLoopBudget;
  for (const auto& point : points) {
    if (HasFailure() || std::chrono::steady_clock::now() >= deadline) break;
    SCOPED_TRACE(what + " SIGKILLed at " + point.ToString());
    ++tried;
    killed += kill_one(point);
  }
  std::printf("%zu of %zu kill points tried, %zu reached\n", tried, points.size(), killed);
  PrintStates();
  if (!HasFailure()) {
    EXPECT_GE(killed, tried * 2 / 3) << "the " << what << "s no longer make the syscalls the trace showed";
  }
}

}  // namespace cnb::test
