// SPDX-License-Identifier: Apache-2.0
// One RTM_NEWLINK message decoded into a LinkInfo without a socket, through libnl's own link
// parser: the one rtnl_link_get_kernel and the link cache run on every reply GetLink and
// ListLinks read. For the netlink_reply fuzz target (fuzz/) and byte-level tests.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>

#include "netlink/link.h"

struct rtnl_link;

namespace cnb::nl {

// The LinkInfo of a libnl link object, field by field as link.cc's lookups fill it in.
LinkInfo LinkInfoOf(rtnl_link* link);

// `payload` is what follows the nlmsghdr of an RTM_NEWLINK: an ifinfomsg and its attributes.
// nullopt when libnl rejects the message. Never throws for bad bytes.
std::optional<LinkInfo> ParseLinkMessage(const uint8_t* payload, size_t len);

}  // namespace cnb::nl
