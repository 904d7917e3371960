// SPDX-License-Identifier: Apache-2.0
// CHECK: the attachment is still what ADD reported (prevResult), as the reference checks it:
// the bridge, the container interface, the host veth that is its peer, the addresses and routes.
#pragma once

#include "cni/skel.h"
#include "cni/types.h"
#include "netlink/route_socket.h"
#include "plugin/bridge/netconf.h"

namespace cnb::bridge {

// Throws the reference's error texts (code 999) for the first mismatch.
void CheckAttachment(const NetConf& conf, const cni::Invocation& inv, nl::RouteSocket& host, nl::RouteSocket& pod);

}  // namespace cnb::bridge
