// Calls the IPAM plugin named by `ipam.type`: in-process when it is the host-local of this same
// build (saves a fork/exec per call), otherwise by exec'ing it from CNI_PATH exactly as the spec
// says (same stdin, same environment with CNI_COMMAND overridden), passing its errors through.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "cni/skel.h"
#include "cni/types.h"
#include "common/ip.h"

namespace cnb::bridge {

class IpamClient {
 public:
  IpamClient(const cni::Invocation& inv, std::string type);

  cni::Result Add();
  void Del();
  void Check();
  void Status();
  void Gc();
  // Reserved IPs of this attachment when the in-process host-local owns them (empty otherwise).
  std::vector<IpAddr> ReservedIps();

  bool in_process() const { return in_process_; }

 private:
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

// The build identity (cni::BuildIdent) stored in an ELF file's section, if it has one: tells
// whether a host-local on CNI_PATH is one of ours from the same build.
std::optional<std::string> ReadBuildIdent(const std::string& path);

}  // namespace cnb::bridge
