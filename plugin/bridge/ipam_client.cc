// SPDX-License-Identifier: Apache-2.0
#include "plugin/bridge/ipam_client.h"

#include <sys/stat.h>

#include <cerrno>
#include <chrono>
#include <optional>
#include <thread>

#include "cni/json_member.h"
#include "cni/version.h"
#include "common/error.h"
#include "common/log.h"
#include "common/process.h"
#include "common/strings.h"
#include "plugin/bridge/build_ident.h"
#include "plugin/host-local/host_local.h"

namespace cnb::bridge {
namespace {

// A binary being replaced in place answers ETXTBSY; libcni retries the same way.
ProcessResult RunRetryingTextBusy(const ProcessRequest& req) {
  for (int attempt = 0;; ++attempt) {
    try {
      return RunProcess(req);
    } catch (const Error& e) {
      if (e.sys_errno() != ETXTBSY || attempt >= 5) throw;
      std::this_thread::sleep_for(std::chrono::seconds(1));
    }
  }
}

// The plugin's error document, passed through with its code.
[[noreturn]] void ThrowPluginError(const ProcessResult& res) {
  if (res.out.empty()) throw InternalError("netplugin failed: \"" + res.err + "\"");
  std::string error;
  auto j = cni::ParseUntrustedJson(res.out, &error);
  const nlohmann::json* code = j.is_object() ? cni::FindMember(j, "code") : nullptr;
  const std::optional<int> code_value = code ? cni::IntInRange(*code) : std::nullopt;
  if (!code_value) {
    throw InternalError("netplugin failed but error parsing its diagnostic message \"" + res.out + "\"");
  }
  auto text = [&j](const char* key) {
    const nlohmann::json* v = cni::FindMember(j, key);
    return v && v->is_string() ? v->get<std::string>() : std::string();
  };
  throw Error(static_cast<ErrorCode>(*code_value), text("msg"), text("details"));
}

}  // namespace

std::string FindPlugin(const std::string& name, const std::string& cni_path) {
  for (const auto& dir : SplitNonEmpty(cni_path, ':')) {
    std::string candidate = dir + "/" + name;
    struct stat st;
    if (::stat(candidate.c_str(), &st) == 0 && S_ISREG(st.st_mode)) return candidate;
  }
  return {};
}

IpamClient::IpamClient(const cni::Invocation& inv, std::string type) : inv_(inv), type_(std::move(type)) {
  if (type_.find('/') != std::string::npos) throw InternalError("invalid plugin name: " + type_);
  plugin_path_ = FindPlugin(type_, inv_.path);
  if (type_ == "host-local" && !plugin_path_.empty()) {
    auto ident = ReadBuildIdent(plugin_path_);
    in_process_ = ident && *ident == cni::BuildIdent();
  }
  log::Debug("ipam " + type_ + (in_process_ ? " in-process" : " exec " + plugin_path_));
}

cni::Invocation IpamClient::With(cni::Command command) const {
  cni::Invocation copy = inv_;
  copy.command = command;
  return copy;
}

std::string IpamClient::Exec(cni::Command command) {
  if (plugin_path_.empty()) {
    // libcni's wording, so callers see the same message.
    throw InternalError("failed to find plugin \"" + type_ + "\" in path [" + Join(SplitNonEmpty(inv_.path, ':'), " ") +
                        "]");
  }
  ProcessRequest req;
  req.argv = {plugin_path_};
  req.stdin_data = inv_.stdin_data;
  req.env = {std::string("CNI_COMMAND=") + cni::CommandName(command)};  // over our own environment
  ProcessResult res = RunRetryingTextBusy(req);
  if (!res.err.empty()) log::Info("ipam " + type_ + " stderr: " + res.err);
  if (res.exit_code != 0) ThrowPluginError(res);
  return res.out;
}

cni::Result IpamClient::Add(Rollback& rollback) {
  if (in_process_) {
    // host_local::Add reserves all or nothing, so a failed one leaves nothing to release.
    cni::Result result = host_local::Add(With(cni::Command::kAdd));
    rollback.Add("release IPs", [this] { Del(); });
    return result;
  }
  std::string out = Exec(cni::Command::kAdd);
  rollback.Add("release IPs", [this] { Del(); });
  std::string error;
  auto j = cni::ParseUntrustedJson(out, &error);
  if (j.is_discarded()) throw Error(ErrorCode::kDecode, "failed to decode IPAM result: " + error + ": " + out);
  return cni::ResultFromJson(j, inv_.cni_version);
}

void IpamClient::Call(cni::Command command, void (*in_process)(const cni::Invocation&)) {
  if (in_process_) return in_process(With(command));
  Exec(command);
}

void IpamClient::Del() { Call(cni::Command::kDel, host_local::Del); }
void IpamClient::Check() { Call(cni::Command::kCheck, host_local::Check); }
void IpamClient::Status() { Call(cni::Command::kStatus, host_local::Status); }
void IpamClient::Gc() { Call(cni::Command::kGc, host_local::Gc); }

std::vector<IpAddr> IpamClient::ReservedIps() {
  if (!in_process_) return {};
  try {
    return host_local::ReservedIps(inv_);
  } catch (const Error& e) {
    log::Warn("cannot read reserved IPs: " + e.msg());
    return {};
  }
}

}  // namespace cnb::bridge
