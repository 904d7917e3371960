// SPDX-License-Identifier: Apache-2.0
#include "support/plugin_runner.h"

#include <cstdlib>
#include <filesystem>

#include <gtest/gtest.h>

namespace cnb::test {

std::string PluginDir() {
  const char* dir = std::getenv("CNB_PLUGIN_DIR");
  if (dir && *dir) return dir;
  return CNB_BIN_DIR;
}

bool UsingReferencePlugins() {
  std::error_code ec;
  return !std::filesystem::equivalent(PluginDir(), CNB_BIN_DIR, ec);
}

int PluginRun::code() const {
  if (json.is_object() && json.contains("code") && json["code"].is_number_integer()) return json["code"].get<int>();
  return -1;
}

std::string PluginRun::msg() const {
  if (json.is_object() && json.contains("msg") && json["msg"].is_string()) return json["msg"].get<std::string>();
  return "";
}

std::string PluginRun::Describe() const {
  return "plugin exit=" + std::to_string(proc.exit_code) + (proc.timed_out ? " (timed out)" : "") +
         "\nstdout: " + proc.out + "\nstderr: " + proc.err;
}

std::vector<std::string> PluginArgv(const std::string& node_ns, const std::string& plugin,
                                    const std::vector<std::string>& wrapper) {
  std::vector<std::string> argv;
  if (!node_ns.empty()) argv = {"ip", "netns", "exec", node_ns};
  argv.insert(argv.end(), wrapper.begin(), wrapper.end());
  argv.push_back(plugin.starts_with('/') ? plugin : PluginDir() + "/" + plugin);
  return argv;
}

std::map<std::string, std::string> PluginEnv(const std::map<std::string, std::string>& cni_env) {
  std::map<std::string, std::string> env = cni_env;
  // The plugin runs iptables/ip6tables/nft by name, as on a node.
  env["PATH"] = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
  for (const char* keep : {"ASAN_OPTIONS", "UBSAN_OPTIONS", "LSAN_OPTIONS"})
    if (const char* v = std::getenv(keep)) env[keep] = v;
  return env;
}

bool HasSanitizerReport(const std::string& err) {
  return err.find("Sanitizer") != std::string::npos || err.find("runtime error:") != std::string::npos;
}

PluginRun RunPlugin(const std::string& node_ns, const std::string& plugin,
                    const std::map<std::string, std::string>& cni_env, const std::string& stdin_data,
                    const std::vector<std::string>& wrapper) {
  std::map<std::string, std::string> env = PluginEnv(cni_env);
  if (!wrapper.empty()) {
    env["ASAN_OPTIONS"] = (env.contains("ASAN_OPTIONS") ? env["ASAN_OPTIONS"] + ":" : "") + "detect_leaks=0";
  }
  PluginRun run;
  run.proc = RunProcess(PluginArgv(node_ns, plugin, wrapper), env, stdin_data, std::chrono::seconds(60));
  run.json = nlohmann::json::parse(run.proc.out, nullptr, /*allow_exceptions=*/false);
  if (run.json.is_discarded()) run.json = nullptr;
  if (HasSanitizerReport(run.proc.err)) ADD_FAILURE() << "sanitizer report from " << plugin << ":\n" << run.proc.err;
  return run;
}

}  // namespace cnb::test
