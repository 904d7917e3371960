// SPDX-License-Identifier: Apache-2.0
// A NETLINK_ROUTE socket. It stays bound to the namespace it was opened in, so we open one per
// namespace and never switch namespaces around individual operations.
#pragma once

#include <memory>

#include "netlink/netns.h"

struct nl_sock;

namespace cnb::nl {

class RouteSocket {
 public:
  // In the calling thread's current namespace.
  static RouteSocket Open();
  // Enters `ns` only long enough to create the socket.
  static RouteSocket OpenIn(const Netns& ns);

  RouteSocket(RouteSocket&&) noexcept;
  RouteSocket& operator=(RouteSocket&&) noexcept;
  ~RouteSocket();

  // For netlink/*.cc only.
  nl_sock* raw() const { return sock_; }

 private:
  explicit RouteSocket(nl_sock* sock) : sock_(sock) {}
  nl_sock* sock_ = nullptr;
};

}  // namespace cnb::nl
