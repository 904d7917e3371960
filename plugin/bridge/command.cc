// SPDX-License-Identifier: Apache-2.0
#include "plugin/bridge/command.h"

#include "common/log.h"
#include "plugin/bridge/alias.h"

namespace cnb::bridge {
namespace {

// The pod's "namespace/name" from CNI_ARGS (containerd and CRI-O send both), "" otherwise.
std::string PodName(const std::string& cni_args) {
  const AttachmentAlias a = AliasFor("", "", cni_args);
  return a.pod_name.empty() ? "" : a.pod_namespace + "/" + a.pod_name;
}

void SetupLogging(const NetConf& conf, const cni::Invocation& inv) {
  log::Level level = log::Level::kWarn;
  if (!conf.log_level.empty() && !log::ParseLevel(conf.log_level, &level)) {
    log::Warn("unknown logLevel \"" + conf.log_level + "\", using warn");
  }
  log::SetLevel(level);
  if (!conf.log_file.empty()) log::SetFile(conf.log_file);
  std::string ctx = std::string("cmd=") + cni::CommandName(inv.command) + " net=" + conf.name;
  if (!inv.container_id.empty()) ctx += " id=" + inv.container_id;
  if (!inv.ifname.empty()) ctx += " if=" + inv.ifname;
  if (std::string pod = PodName(inv.args); !pod.empty()) ctx += " pod=" + pod;
  log::SetContext(ctx);
}

}  // namespace

Command::Command(const cni::Invocation& inv, const char* name)
    : inv_(inv), name_(name), conf_(ParseNetConf(inv)), start_(std::chrono::steady_clock::now()) {
  SetupLogging(conf_, inv_);
}

Command::~Command() { log::Info(std::string(name_) + " took " + std::to_string(ElapsedUs()) + "us"); }

void Command::Done(const char* name) const {
  if (log::GetLevel() >= log::Level::kDebug) {
    log::Debug(std::string(name_) + " " + name + " at " + std::to_string(ElapsedUs()) + "us");
  }
}

long long Command::ElapsedUs() const {
  return std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - start_).count();
}

}  // namespace cnb::bridge
