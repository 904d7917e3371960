// SPDX-License-Identifier: Apache-2.0
// Per-namespace IP settings the kernel reports over netlink (RTM_GETNETCONF), read without a
// /proc/sys path walk (see netlink/sysctl.h for what a walk costs).
#pragma once

#include "netlink/route_socket.h"

namespace cnb::nl {

// The namespace-wide forwarding switch of `family` (AF_INET: net.ipv4.ip_forward, AF_INET6:
// net.ipv6.conf.all.forwarding), read with RTM_GETNETCONF rather than through /proc/sys.
bool ForwardingEnabled(RouteSocket& sock, int family);

}  // namespace cnb::nl
