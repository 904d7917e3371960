// SPDX-License-Identifier: Apache-2.0
// Shared plumbing for netlink/*.cc only: libnl object ownership, the one NLE_* -> errno
// translator, and raw message sending.
#pragma once

#include <netlink/addr.h>
#include <netlink/msg.h>
#include <netlink/route/addr.h>
#include <netlink/route/link.h>
#include <netlink/route/route.h>

#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/error.h"
#include "common/ip.h"
#include "common/strings.h"
#include "netlink/route_socket.h"

namespace cnb::nl::internal {

using cnb::ErrnoText;

template <typename T, void (*Free)(T*)>
struct Deleter {
  void operator()(T* p) const {
    if (p) Free(p);
  }
};
using LinkPtr = std::unique_ptr<rtnl_link, Deleter<rtnl_link, rtnl_link_put>>;
using AddrPtr = std::unique_ptr<rtnl_addr, Deleter<rtnl_addr, rtnl_addr_put>>;
using RoutePtr = std::unique_ptr<rtnl_route, Deleter<rtnl_route, rtnl_route_put>>;
using NlAddrPtr = std::unique_ptr<nl_addr, Deleter<nl_addr, nl_addr_put>>;
using MsgPtr = std::unique_ptr<nl_msg, Deleter<nl_msg, nlmsg_free>>;
using CachePtr = std::unique_ptr<nl_cache, Deleter<nl_cache, nl_cache_free>>;

// Installs the error hook that remembers the kernel's exact errno (libnl folds several errnos
// into one NLE_* code, e.g. ENOENT and ESRCH both become NLE_OBJ_NOTFOUND).
void InstallErrorHook(nl_sock* sock);
// Maps an NLE_* code (positive or negative) to the closest errno.
int NleToErrno(int nle);
// The errno for a failed libnl call: the kernel's own when it agrees with `nle`, else the
// translation. Clears the remembered one.
int ErrnoFor(int nle);
// "<what>: <errno text>" with the errno kept in Error::sys_errno().
Error NlError(std::string_view what, int nle);
// Throws NlError when rc < 0.
void Check(int rc, std::string_view what);
// Like Check, but returns `tolerated` (an errno) instead of throwing when the call failed with
// it: an expected outcome such as EEXIST on the hot path costs no exception (the first throw in
// a static binary sorts every unwind table, about a millisecond).
int CheckTolerating(int rc, std::string_view what, int tolerated);

// nl_addr from an IP/prefix; throws on allocation failure.
NlAddrPtr ToNlAddr(const IpAddr& ip, int prefix);
IpAddr FromNlAddr(const nl_addr* addr, int family);

// Sends a complete request (as built by the Build* functions) and waits for the kernel's ack.
void SendRequest(RouteSocket& sock, const std::vector<uint8_t>& request, std::string_view what);
// SendRequest that returns `tolerated` instead of throwing when the kernel answers with it.
int SendRequestTolerating(RouteSocket& sock, const std::vector<uint8_t>& request, std::string_view what, int tolerated);
// The cache `alloc` makes (an rtnl_*_alloc_cache call on `sock`), whole: a dump the kernel
// marks interrupted is thrown away and run again (netlink/dump.h).
CachePtr DumpCache(RouteSocket& sock, const std::function<int(nl_cache**)>& alloc, std::string_view what);
// Sends `msg`, hands each reply to `on_reply` (libnl's NL_CB_VALID callback, with `arg`), then
// reads the ack auto-ack asked for: left unread, it would be taken as the answer to the
// socket's next request.
void Exchange(RouteSocket& sock, nl_msg* msg, std::string_view what, nl_recvmsg_msg_cb_t on_reply, void* arg);
// An Exchange reply callback for a request answered by one `kType` message (family header
// `Header`, attributes up to `kMax`): stores its s32 attribute `kAttr` in the int at `arg`, and
// leaves the int alone when the attribute is missing.
template <int kType, typename Header, int kMax, int kAttr>
int StoreS32Attr(nl_msg* msg, void* arg) {
  nlmsghdr* h = nlmsg_hdr(msg);
  if (h->nlmsg_type != kType) return NL_SKIP;
  nlattr* tb[kMax + 1];
  if (nlmsg_parse(h, sizeof(Header), tb, kMax, nullptr) < 0 || !tb[kAttr]) return NL_SKIP;
  *static_cast<int*>(arg) = static_cast<int>(nla_get_s32(tb[kAttr]));
  return NL_OK;
}
// For message builders: throws EMSGSIZE when an nla_put/nlmsg_append failed (rc < 0).
void Put(int rc);
// nla_nest_start with NLA_F_NESTED set; throws EMSGSIZE when the message is full.
nlattr* Nest(nl_msg* msg, int type);
// Copies a built nl_msg into a byte vector.
std::vector<uint8_t> ToBytes(nl_msg* msg);

}  // namespace cnb::nl::internal
