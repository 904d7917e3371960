// SPDX-License-Identifier: Apache-2.0
#include "netlink/route_socket.h"

#include <netlink/netlink.h>
#include <netlink/socket.h>

#include <utility>

#include "common/error.h"
#include "netlink/internal.h"

namespace cnb::nl {
namespace {

// Large enough that a dump of a busy node's links or routes is not truncated or dropped.
constexpr int kBufferBytes = 1 << 20;

}  // namespace

RouteSocket RouteSocket::Open() {
  nl_sock* sock = nl_socket_alloc();
  if (!sock) throw InternalError("failed to allocate netlink socket", ENOMEM);
  RouteSocket owner(sock);
  internal::Check(nl_connect(sock, NETLINK_ROUTE), "failed to connect netlink socket");
  // Requests keep libnl's automatic ACK so every change reports its own error synchronously.
  nl_socket_set_buffer_size(sock, kBufferBytes, kBufferBytes);
  // Peek at each message's size first so large dump parts are never truncated.
  nl_socket_enable_msg_peek(sock);
  internal::InstallErrorHook(sock);
  return owner;
}

RouteSocket RouteSocket::OpenIn(const Netns& ns) {
  // The socket binds to the namespace of the thread that creates it, and stays there.
  NetnsGuard inside(ns);
  return Open();
}

RouteSocket::RouteSocket(RouteSocket&& other) noexcept : sock_(std::exchange(other.sock_, nullptr)) {}

RouteSocket& RouteSocket::operator=(RouteSocket&& other) noexcept {
  if (this != &other) {
    if (sock_) nl_socket_free(sock_);
    sock_ = std::exchange(other.sock_, nullptr);
  }
  return *this;
}

RouteSocket::~RouteSocket() {
  if (sock_) nl_socket_free(sock_);
}

}  // namespace cnb::nl
