// SPDX-License-Identifier: Apache-2.0
// Calls the IPAM plugin named by `ipam.type`: in-process when it is the host-local of this same
// build (saves a fork/exec per call), otherwise by exec'ing it from CNI_PATH exactly as the spec
// says (same stdin, same environment with CNI_COMMAND overridden), passing its errors through.
#pragma once

#include <string>
#include <vector>

#include "cni/skel.h"
#include "cni/types.h"
#include "common/ip.h"
#include "common/rollback.h"

namespace cnb::bridge {

class IpamClient {
 public:
  IpamClient(const cni::Invocation& inv, std::string type);

  // Registers the release of what IPAM reserved in `rollback` as soon as the plugin said it
  // reserved it, before its answer is decoded: a result we cannot read must not leak the IP.
  cni::Result Add(Rollback& rollback);
  void Del();
  void Check();
  void Status();
  void Gc();
  // Reserved IPs of this attachment when the in-process host-local owns them (empty otherwise).
  std::vector<IpAddr> ReservedIps();

  bool in_process() const { return in_process_; }

 private:
  // A command without a result: in-process through `in_process`, else by exec.
  void Call(cni::Command command, void (*in_process)(const cni::Invocation&));
  // Runs the external plugin; returns stdout on success, throws its error otherwise.
  std::string Exec(cni::Command command);
  cni::Invocation With(cni::Command command) const;

  const cni::Invocation& inv_;
  std::string type_;
  std::string plugin_path_;  // "" when not found
  bool in_process_ = false;
};

// The first "<dir>/<name>" that is a regular file, over the ':'-separated `cni_path`.
std::string FindPlugin(const std::string& name, const std::string& cni_path);

}  // namespace cnb::bridge
