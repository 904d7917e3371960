// SPDX-License-Identifier: Apache-2.0
// The text the host veth carries as its alias (IFLA_IFALIAS), naming its attachment, so that
// `ip -d link show` on the node tells which pod a veth belongs to:
//
//   cni-bridge id=<containerID> if=<ifname> [pod=<namespace>/<name>]
//
// Space-separated key=value words after the "cni-bridge" tag; the pod is there when the runtime
// sent K8S_POD_NAMESPACE and K8S_POD_NAME in CNI_ARGS (containerd and CRI-O do). At most 254
// bytes: the kernel takes fewer than IFALIASZ (256) counting the NUL that libnl sends. A longer
// text drops the pod, then cuts the id (ending it in "...").
#pragma once

#include <optional>
#include <string>

namespace cnb::bridge {

struct AttachmentAlias {
  std::string container_id;  // cut when it ends in "..."
  std::string ifname;
  std::string pod_namespace;  // "" when unknown
  std::string pod_name;
};

std::string FormatAlias(const AttachmentAlias& alias);
// nullopt for an alias that is not ours.
std::optional<AttachmentAlias> ParseAlias(const std::string& text);
// The pod's namespace and name from CNI_ARGS, read leniently (for names, not for validation).
AttachmentAlias AliasFor(const std::string& container_id, const std::string& ifname, const std::string& cni_args);

}  // namespace cnb::bridge
