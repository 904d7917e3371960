// SPDX-License-Identifier: Apache-2.0
// The helper programs the exec-based backends run, and the seam that runs them: the backends
// take a Runner so that unit tests can answer for iptables and nft.
#pragma once

#include <chrono>
#include <functional>
#include <string>

#include "common/process.h"

namespace cnb::masq {

// How long a helper program may take before it is killed (it waits 5 s for the xtables lock).
inline constexpr std::chrono::seconds kToolTimeout{30};

// Runs one helper program; the real one is RunProcess.
using Runner = std::function<ProcessResult(const ProcessRequest&)>;

// Absolute paths of the helper programs; "" when not installed.
struct Tools {
  std::string iptables;
  std::string iptables_restore;
  std::string ip6tables;
  std::string ip6tables_restore;
  std::string nft;
  // iptables / ip6tables are iptables-nft: write their rules over netlink (see
  // masq/iptables_nft.cc) instead of exec'ing the restore tool.
  bool iptables_nft = false;
  bool ip6tables_nft = false;
  // Ask the kernel whether the nftables backend's table exists before exec'ing nft to list it.
  bool probe_nft_table = false;
};
// Looks in PATH, then in the sbin directories (runtimes often exec plugins with a PATH that
// lacks them).
std::string FindTool(const std::string& name);
Tools FindTools();

}  // namespace cnb::masq
