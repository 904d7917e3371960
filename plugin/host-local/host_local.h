// SPDX-License-Identifier: Apache-2.0
// The host-local IPAM plugin's commands, over the ipam/ library: usable in-process by the bridge
// or as the standalone `host-local` executable. Semantics and on-disk format follow the Go
// host-local.
#pragma once

#include <vector>

#include "cni/skel.h"
#include "cni/types.h"
#include "common/ip.h"

namespace cnb::host_local {

// ADD: one IP per range set. The result has ips (no interface index), routes and dns, like any
// delegated IPAM plugin's. Throws cnb::Error (999 for allocation/config errors, as the reference).
cni::Result Add(const cni::Invocation& inv);
// DEL: releases every reservation of (container id, ifname), falling back to legacy id-only
// files. Succeeds when nothing is reserved.
void Del(const cni::Invocation& inv);
// CHECK: passes if any reservation exists for (id, ifname) or the legacy id.
void Check(const cni::Invocation& inv);
// STATUS: code 50 when some range set has no free address left (ADD would fail).
void Status(const cni::Invocation& inv);
// GC: releases reservations not in cni.dev/valid-attachments (cni::ValidAttachments); nothing
// when the runtime sent no list, and an error (code 7) before anything is released when the list
// is ambiguous.
void Gc(const cni::Invocation& inv);

// IPs currently reserved for (id, ifname) in this network (used by the bridge's DEL to tear down
// masquerade rules even when the pod's netns is gone). Does not take the lock.
std::vector<IpAddr> ReservedIps(const cni::Invocation& inv);

cni::PluginFuncs Funcs();

}  // namespace cnb::host_local
