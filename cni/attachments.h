// SPDX-License-Identifier: Apache-2.0
// Attachments as the runtime names them, and the one parser of the GC list a runtime sends
// (cni.dev/valid-attachments, or cni.dev/attachments from older libcni; libcni sends both).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace cnb::cni {

// (container id, ifname): one interface of one container in one network.
struct Attachment {
  std::string container_id;
  std::string ifname;
  auto operator<=>(const Attachment&) const = default;
};

// Ends a container ID of which only the beginning is known: a host veth's alias or an iptables
// comment had to cut it.
inline constexpr std::string_view kCutIdMark = "...";
// Whether two container IDs name the same container, either of them perhaps cut.
bool SameContainer(std::string_view a, std::string_view b);

// The attachments still in use that a GC call lists. nullopt when the config carries neither
// key (cnitool sends none): then nothing may be released. Both keys: their union. Keys match
// as every other config key does (the exact key, else one that differs only in case).
// Throws Error code 7 before anything can be released when the list is ambiguous: null, not a
// list, or an entry that is not an object with a string containerID and a string ifname.
std::optional<std::vector<Attachment>> ValidAttachments(const nlohmann::json& config);

}  // namespace cnb::cni
