// host-local IPAM: the command handlers, usable in-process by the bridge or as the standalone
// `host-local` executable. Semantics and on-disk format follow the Go host-local.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "cni/skel.h"
#include "cni/types.h"

namespace cnb::ipam {

// ADD: one IP per range set. The result has ips (no interface index), routes and dns, like any
// delegated IPAM plugin's. Throws cnb::Error (999 for allocation/config errors, as the reference).
cni::Result HostLocalAdd(const cni::Invocation& inv);
// DEL: releases every reservation of (container id, ifname), falling back to legacy id-only
// files. Succeeds when nothing is reserved.
void HostLocalDel(const cni::Invocation& inv);
// CHECK: passes if any reservation exists for (id, ifname) or the legacy id.
void HostLocalCheck(const cni::Invocation& inv);
// STATUS: code 50 when some range set has no free address left (ADD would fail).
void HostLocalStatus(const cni::Invocation& inv);
// GC: releases reservations not in cni.dev/valid-attachments (or cni.dev/attachments).
void HostLocalGc(const cni::Invocation& inv);

// IPs currently reserved for (id, ifname) in this network (used by the bridge's DEL to tear down
// masquerade rules even when the pod's netns is gone). Does not take the lock.
std::vector<IpAddr> HostLocalReservedIps(const cni::Invocation& inv);

cni::PluginFuncs HostLocalFuncs();

}  // namespace cnb::ipam
