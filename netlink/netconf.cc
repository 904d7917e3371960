// SPDX-License-Identifier: Apache-2.0
#include "netlink/netconf.h"

#include <linux/netconf.h>
#include <linux/rtnetlink.h>
#include <netlink/msg.h>

#include "common/error.h"
#include "netlink/internal.h"

namespace cnb::nl {

bool ForwardingEnabled(RouteSocket& sock, int family) {
  const std::string what = std::string("failed to read ") + (family == AF_INET6 ? "IPv6" : "IPv4") + " forwarding";
  internal::MsgPtr msg(nlmsg_alloc_simple(RTM_GETNETCONF, 0));
  if (!msg) throw InternalError(what + ": out of memory", ENOMEM);
  netconfmsg ncm{};
  ncm.ncm_family = static_cast<uint8_t>(family);
  internal::Put(nlmsg_append(msg.get(), &ncm, sizeof(ncm), NLMSG_ALIGNTO));
  internal::Put(nla_put_s32(msg.get(), NETCONFA_IFINDEX, NETCONFA_IFINDEX_ALL));
  int forwarding = -1;
  internal::Exchange(sock, msg.get(), what,
                     internal::StoreS32Attr<RTM_NEWNETCONF, netconfmsg, NETCONFA_MAX, NETCONFA_FORWARDING>,
                     &forwarding);
  if (forwarding < 0) throw InternalError(what + ": no answer from the kernel", EPROTO);
  return forwarding != 0;
}

}  // namespace cnb::nl
