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
  internal::Check(nl_send_auto(sock.raw(), msg.get()), what);
  // A private copy of the socket's callbacks (with its error hook), plus our reply parser.
  using CbPtr = std::unique_ptr<nl_cb, internal::Deleter<nl_cb, nl_cb_put>>;
  CbPtr socket_cb(nl_socket_get_cb(sock.raw()));
  CbPtr cb(socket_cb ? nl_cb_clone(socket_cb.get()) : nullptr);
  if (!cb) throw InternalError(what + ": out of memory", ENOMEM);
  int forwarding = -1;
  nl_cb_set(cb.get(), NL_CB_VALID, NL_CB_CUSTOM, OnNetconf, &forwarding);
  // The reply (or the error), then the ack that auto-ack asked for: left unread, it would be
  // taken as the answer to the socket's next request.
  internal::Check(nl_recvmsgs(sock.raw(), cb.get()), what);
  if (forwarding < 0) throw InternalError(what + ": no answer from the kernel", EPROTO);
  internal::Check(nl_wait_for_ack(sock.raw()), what);
  return forwarding != 0;
}

}  // namespace cnb::nl
