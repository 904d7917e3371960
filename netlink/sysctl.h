// /proc/sys access. /proc/sys/net resolves against the calling thread's network namespace, so
// write a pod's sysctls while inside the pod (NetnsGuard), the node's while in the node.
#pragma once

#include <optional>
#include <string>

namespace cnb::nl {

// `key` is relative to /proc/sys, e.g. "net/ipv4/ip_forward". Throws on failure.
void WriteSysctl(const std::string& key, const std::string& value);
// nullopt if the key does not exist.
std::optional<std::string> ReadSysctl(const std::string& key);
// Writes only if the current value differs (saves a write on the hot path).
void EnsureSysctl(const std::string& key, const std::string& value);

}  // namespace cnb::nl
