// SPDX-License-Identifier: Apache-2.0
// CHECK: the attachment is still what ADD reported (prevResult), as the reference checks it:
// the bridge, the container interface, the host veth that is its peer, the addresses and routes.
// Beyond the reference: the masquerade and macspoofchk rules the config asks for.
#pragma once

#include "cni/skel.h"
#include "cni/types.h"
#include "netlink/nft/socket.h"
#include "netlink/route_socket.h"
#include "plugin/bridge/netconf.h"

namespace cnb::bridge {

// Throws the reference's error texts (code 999) for the first mismatch; the firewall checks
// come last, so a broken link or address is reported as the reference reports it.
void CheckAttachment(const NetConf& conf, const cni::Invocation& inv, nl::RouteSocket& host, nl::RouteSocket& pod,
                     nl::nft::LazyNftSocket& nft);

}  // namespace cnb::bridge
