// SPDX-License-Identifier: Apache-2.0
#include "netlink/internal.h"

#include "common/strings.h"

#include <netlink/errno.h>
#include <netlink/netlink.h>
#include <netlink/socket.h>
#include <sys/socket.h>

#include <cctype>
#include <cerrno>
#include <cstring>

namespace cnb::nl::internal {
namespace {

// Per thread because sockets are used from the thread that owns them; cleared on every read.
thread_local int last_kernel_errno = 0;

int RememberKernelErrno(sockaddr_nl*, nlmsgerr* err, void*) {
  last_kernel_errno = err->error < 0 ? -err->error : err->error;
  return NL_STOP;  // libnl then returns the folded NLE code, as without the hook
}

}  // namespace

void InstallErrorHook(nl_sock* sock) { nl_socket_modify_err_cb(sock, NL_CB_CUSTOM, RememberKernelErrno, nullptr); }

int NleToErrno(int nle) {
  switch (nle < 0 ? -nle : nle) {
    case 0: return 0;
    case NLE_INTR: return EINTR;
    case NLE_BAD_SOCK: return EBADF;
    case NLE_AGAIN: return EAGAIN;
    case NLE_NOMEM: return ENOMEM;
    case NLE_EXIST: return EEXIST;
    case NLE_INVAL: return EINVAL;
    case NLE_RANGE: return ERANGE;
    case NLE_MSGSIZE: return EMSGSIZE;
    case NLE_OPNOTSUPP: return EOPNOTSUPP;
    case NLE_AF_NOSUPPORT: return EAFNOSUPPORT;
    case NLE_OBJ_NOTFOUND: return ENODEV;
    case NLE_NOATTR: return EINVAL;
    case NLE_MISSING_ATTR: return EINVAL;
    case NLE_AF_MISMATCH: return EAFNOSUPPORT;
    case NLE_SEQ_MISMATCH: return EPROTO;
    case NLE_MSG_OVERFLOW: return EOVERFLOW;
    case NLE_MSG_TRUNC: return EMSGSIZE;
    case NLE_NOADDR: return EADDRNOTAVAIL;
    case NLE_SRCRT_NOSUPPORT: return EOPNOTSUPP;
    case NLE_MSG_TOOSHORT: return EPROTO;
    case NLE_MSGTYPE_NOSUPPORT: return EOPNOTSUPP;
    case NLE_OBJ_MISMATCH: return EINVAL;
    case NLE_NOCACHE: return EINVAL;
    case NLE_BUSY: return EBUSY;
    case NLE_PROTO_MISMATCH: return EPROTONOSUPPORT;
    case NLE_NOACCESS: return EACCES;
    case NLE_PERM: return EPERM;
    case NLE_PKTLOC_FILE: return ENOENT;
    case NLE_PARSE_ERR: return EPROTO;
    case NLE_NODEV: return ENODEV;
    case NLE_IMMUTABLE: return EINVAL;
    case NLE_DUMP_INTR: return EINTR;
    case NLE_ATTRSIZE: return ERANGE;
    default: return EIO;  // NLE_FAILURE and anything newer
  }
}

int ErrnoFor(int nle) {
  int kernel = last_kernel_errno;
  last_kernel_errno = 0;
  int code = nle < 0 ? -nle : nle;
  if (kernel != 0 && nl_syserr2nlerr(kernel) == code) return kernel;
  return NleToErrno(code);
}

Error NlError(std::string_view what, int nle) {
  int err = ErrnoFor(nle);
  std::string msg(what);
  msg += ": ";
  msg += ErrnoText(err);
  return Error(ErrorCode::kInternal, std::move(msg), {}, err);
}

void Check(int rc, std::string_view what) {
  if (rc < 0) throw NlError(what, rc);
  last_kernel_errno = 0;
}

int CheckTolerating(int rc, std::string_view what, int tolerated) {
  if (rc >= 0) {
    last_kernel_errno = 0;
    return 0;
  }
  int err = ErrnoFor(rc);
  if (err == tolerated) return err;
  std::string msg(what);
  msg += ": ";
  msg += ErrnoText(err);
  throw Error(ErrorCode::kInternal, std::move(msg), {}, err);
}

NlAddrPtr ToNlAddr(const IpAddr& ip, int prefix) {
  NlAddrPtr addr(nl_addr_build(ip.is_v4() ? AF_INET : AF_INET6, ip.bytes(), ip.size()));
  if (!addr) throw InternalError("out of memory building a netlink address", ENOMEM);
  nl_addr_set_prefixlen(addr.get(), prefix);
  return addr;
}

IpAddr FromNlAddr(const nl_addr* addr, int family) {
  uint8_t zero[16] = {};
  if (!addr) return IpAddr::FromBytes(family, zero);
  auto* a = const_cast<nl_addr*>(addr);  // libnl's getters take non-const pointers
  unsigned len = nl_addr_get_len(a);
  int fam = nl_addr_get_family(a);
  if (fam != AF_INET && fam != AF_INET6) fam = family;
  if ((fam == AF_INET && len != 4) || (fam == AF_INET6 && len != 16)) {
    return IpAddr::FromBytes(fam, zero);  // e.g. a default route's empty destination
  }
  return IpAddr::FromBytes(fam, static_cast<const uint8_t*>(nl_addr_get_binary_addr(a)));
}

std::vector<uint8_t> ToBytes(nl_msg* msg) {
  nlmsghdr* hdr = nlmsg_hdr(msg);
  auto* begin = reinterpret_cast<const uint8_t*>(hdr);
  return std::vector<uint8_t>(begin, begin + hdr->nlmsg_len);
}

void Put(int rc) {
  if (rc < 0) throw InternalError("netlink request too large", EMSGSIZE);
}

nlattr* Nest(nl_msg* msg, int type) {
  nlattr* nest = nla_nest_start(msg, type | NLA_F_NESTED);
  if (!nest) Put(-1);
  return nest;
}

int SendRequestTolerating(RouteSocket& sock, const std::vector<uint8_t>& request, std::string_view what,
                          int tolerated) {
  if (request.size() < sizeof(nlmsghdr)) throw InternalError(std::string(what) + ": empty request");
  // nlmsg_convert copies the header and payload into a fresh nl_msg that libnl can complete.
  std::vector<uint8_t> copy(request);
  MsgPtr msg(nlmsg_convert(reinterpret_cast<nlmsghdr*>(copy.data())));
  if (!msg) throw InternalError(std::string(what) + ": out of memory", ENOMEM);
  // nl_send_sync frees the message whatever happens.
  return CheckTolerating(nl_send_sync(sock.raw(), msg.release()), what, tolerated);
}

void Exchange(RouteSocket& sock, nl_msg* msg, std::string_view what, nl_recvmsg_msg_cb_t on_reply, void* arg) {
  Check(nl_send_auto(sock.raw(), msg), what);
  // A private copy of the socket's callbacks (with its error hook), plus the reply parser.
  using CbPtr = std::unique_ptr<nl_cb, Deleter<nl_cb, nl_cb_put>>;
  CbPtr socket_cb(nl_socket_get_cb(sock.raw()));
  CbPtr cb(socket_cb ? nl_cb_clone(socket_cb.get()) : nullptr);
  if (!cb) throw InternalError(std::string(what) + ": out of memory", ENOMEM);
  nl_cb_set(cb.get(), NL_CB_VALID, NL_CB_CUSTOM, on_reply, arg);
  Check(nl_recvmsgs(sock.raw(), cb.get()), what);
  Check(nl_wait_for_ack(sock.raw()), what);
}

void SendRequest(RouteSocket& sock, const std::vector<uint8_t>& request, std::string_view what) {
  SendRequestTolerating(sock, request, what, 0);
}

}  // namespace cnb::nl::internal
