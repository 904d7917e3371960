// SPDX-License-Identifier: Apache-2.0
#include "netlink/netconf.h"

#include <linux/netconf.h>
#include <linux/rtnetlink.h>
#include <netlink/msg.h>

#include "common/error.h"
#include "netlink/internal.h"

namespace cnb::nl {

namespace {

int OnNetconf(nl_msg* msg, void* arg) {
  nlmsghdr* h = nlmsg_hdr(msg);
  if (h->nlmsg_type != RTM_NEWNETCONF) return NL_SKIP;
  nlattr* tb[NETCONFA_MAX + 1];
  if (nlmsg_parse(h, sizeof(netconfmsg), tb, NETCONFA_MAX, nullptr) < 0 || !tb[NETCONFA_FORWARDING]) return NL_SKIP;
  *static_cast<int*>(arg) = static_cast<int>(nla_get_s32(tb[NETCONFA_FORWARDING]));
  return NL_OK;
}

}  // namespace

bool ForwardingEnabled(RouteSocket& sock, int family) {
  const std::string what = std::string("failed to read ") + (family == AF_INET6 ? "IPv6" : "IPv4") + " forwarding";
  internal::MsgPtr msg(nlmsg_alloc_simple(RTM_GETNETCONF, 0));
  if (!msg) throw InternalError(what + ": out of memory", ENOMEM);
  netconfmsg ncm{};
  ncm.ncm_family = static_cast<uint8_t>(family);
  internal::Put(nlmsg_append(msg.get(), &ncm, sizeof(ncm), NLMSG_ALIGNTO));
  internal::Put(nla_put_s32(msg.get(), NETCONFA_IFINDEX, NETCONFA_IFINDEX_ALL));
  int forwarding = -1;
  internal::Exchange(sock, msg.get(), what, OnNetconf, &forwarding);
  if (forwarding < 0) throw InternalError(what + ": no answer from the kernel", EPROTO);
  return forwarding != 0;
}

}  // namespace cnb::nl
