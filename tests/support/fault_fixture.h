// SPDX-License-Identifier: Apache-2.0
// The fixture of the fault-injection tests (node changes, crashes, churn, storage): the bridge
// fixture plus attachments remembered with what the checks need of them, the checks themselves
// (all gone, intact, the store holds exactly these), GC calls, and plugin runs that are killed.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "support/bridge_fixture.h"
#include "support/fault_injection.h"

namespace cnb::test {

// One ADD that succeeded, with what the checks below need of it.
struct Attached {
  Pod* pod = nullptr;
  std::string ifname = "eth0";
  nlohmann::json result;
  std::string veth;   // host end
  std::string cidr;   // "10.77.0.2/24"
  std::string ip;     // the same without the prefix
  std::string chain;  // the masquerade chain's name
};

class FaultTest : public BridgeTest {
 protected:
  // Conf(version) with ipMasq on.
  nlohmann::json MasqConf(const std::string& version = "1.0.0") const;

  // ADD of `ifname` in `pod` (a new pod when null); a failure is flagged and returns an
  // Attached with an empty `veth`.
  Attached AddAttached(const nlohmann::json& conf, Pod* pod = nullptr, const std::string& ifname = "eth0");
  PluginRun DelAttached(const Attached& a, const nlohmann::json& conf);

  // Nothing of `a` is left: its pod interface (unless the netns is gone), its host veth, its
  // reservation and its masquerade rules.
  void ExpectGone(const Attached& a);
  // `a` is as its ADD left it: the veth a port of the bridge, the address in the pod, the
  // reservation naming it, its masquerade jump (when `masq`).
  void ExpectIntact(const Attached& a, bool masq = true);
  // The store holds exactly the reservations of `live` (and one index entry each), and no temp
  // files.
  void ExpectStoreHoldsExactly(const std::vector<Attached>& live);

  // GC and STATUS carry no container: only CNI_COMMAND and CNI_PATH, as libcni sends them.
  std::map<std::string, std::string> NoContainerEnv(const std::string& command) const;
  // `conf` with cni.dev/valid-attachments listing `valid`.
  static nlohmann::json GcConf(nlohmann::json conf, const std::vector<Attached>& valid);
  // A GC, under a strace `wrapper` when one is given (see RunPlugin).
  PluginRun Gc(const nlohmann::json& gc_conf, const std::vector<std::string>& wrapper = {});

  // The call under a strace `wrapper` (see RunPlugin).
  PluginRun CallTraced(const CniCall& call, const nlohmann::json& conf, const std::vector<std::string>& wrapper);
  // The call SIGKILLed after `delay` (see RunKilledAfter).
  KilledRun CallKilledAfter(const CniCall& call, const nlohmann::json& conf, std::chrono::microseconds delay);
  KilledRun GcKilledAfter(const nlohmann::json& gc_conf, std::chrono::microseconds delay);

  // The state-changing syscalls (StateChangingPoints) of the run `traced(log)` makes under
  // TraceWrapper(log). Run again (three times at most, the shortest kept) while the trace is out
  // of line, as when a retry loop ran because something disturbed that one run: the kill points
  // are those of an undisturbed run.
  std::vector<SyscallPoint> StableTrace(const std::function<PluginRun(const std::string& log)>& traced,
                                        const std::string& what);

  static CniCall DelCall(const Attached& a) { return {"DEL", a.pod->id, a.pod->path(), a.ifname, ""}; }

  // The seeded kill loop: up to kTimedKills kills (within kKillLoopBudget), each after a delay
  // drawn from [0, span] with `seed`. `kill_one(delay)` makes a victim, runs the call (`what`:
  // "ADD", "DEL", "GC") killed after `delay`, may record what the kill left in states_, checks
  // that the runtime's retry converges, and says whether the kill landed before the call ended.
  // Enough of them must have, or the loop proved nothing.
  void KillAtRandomMoments(const std::string& what, uint64_t seed, std::chrono::microseconds span,
                           const std::function<bool(std::chrono::microseconds)>& kill_one);
  // The traced kill loop: one kill at the entry of each of `points` (within kKillLoopBudget),
  // through `kill_one(point)`, which works as KillAtRandomMoments' does.
  void KillAtEachPoint(const std::string& what, const std::vector<SyscallPoint>& points,
                       const std::function<bool(const SyscallPoint&)>& kill_one);
  static constexpr int kTimedKills = 24;
  // A loop starts no new kill after this; the rest of the test still runs.
  static constexpr std::chrono::seconds kKillLoopBudget{20};

  // What each kill left, by state ("rules+link", "nothing"): printed after a loop, to show
  // which states the retries started from.
  std::map<std::string, int> states_;

 private:
  void PrintStates() const;
};

// The shortest of `samples`, for calibrating kill delays: a run slowed by a busy machine would
// make most delays land after the runs that follow.
std::chrono::microseconds Fastest(const std::vector<std::chrono::microseconds>& samples);

}  // namespace cnb::test
