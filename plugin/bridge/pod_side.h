// SPDX-License-Identifier: Apache-2.0
// The pod's side of an attachment: what the container interface gets once IPAM has answered.
#pragma once

#include <string>

#include "cni/types.h"
#include "netlink/netns.h"
#include "netlink/route_socket.h"
#include "plugin/bridge/netconf.h"

namespace cnb::bridge {

struct PodSide {
  nl::RouteSocket& sock;  // opened inside the pod's netns
  const nl::Netns& ns;
  const NetConf& conf;
  const std::string& ifname;
  int ifindex;
};

// Sysctls, addresses, link up (and the DAD wait when asked for), routes: in that order, so that
// nothing about IPv6 changes once the link is up.
void ConfigurePod(const PodSide& pod, const cni::Result& result);

}  // namespace cnb::bridge
