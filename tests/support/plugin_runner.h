// SPDX-License-Identifier: Apache-2.0
// Running a CNI plugin executable the way a runtime does: a clean environment holding only the
// CNI_* variables given (plus PATH), the config on stdin, inside the "node" namespace.
#pragma once

#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "support/process.h"

namespace cnb::test {

// Where the executables under test live: $CNB_PLUGIN_DIR if set (e.g. /usr/lib/cni to run the
// suite against the reference plugins), else this build's bin/ directory.
std::string PluginDir();
bool UsingReferencePlugins();  // PluginDir() is not this build's bin/
// Where Debian's containernetworking-plugins installs the reference plugins.
inline constexpr const char* kReferencePluginDir = "/usr/lib/cni";

struct PluginRun {
  ProcessResult proc;
  nlohmann::json json;  // stdout parsed; null when empty or not JSON
  bool ok() const { return proc.exit_code == 0 && !proc.timed_out; }
  int code() const;         // the error document's "code", or -1
  std::string msg() const;  // the error document's "msg", or ""
  std::string Describe() const;
};

// Runs <PluginDir()>/<plugin> (or `plugin` itself when it is an absolute path) inside `node_ns` ("" = the test's own
// namespace) with exactly `cni_env` + PATH (+ sanitizer options when set, so an ASan build reports alike). Flags a test
// failure when the plugin's stderr shows a sanitizer report. With a `wrapper` (a command line the plugin's path is
// appended to, e.g. strace with its fault injection), LeakSanitizer is off: it cannot run under ptrace and fails the
// run at exit. The rest of ASan and UBSan still report.
PluginRun RunPlugin(const std::string& node_ns, const std::string& plugin,
                    const std::map<std::string, std::string>& cni_env, const std::string& stdin_data,
                    const std::vector<std::string>& wrapper = {});

// What RunPlugin runs: `ip netns exec <node_ns> [wrapper...] <plugin>` (without the `ip netns
// exec` part when `node_ns` is empty), and exactly `cni_env` plus PATH and the sanitizer options.
std::vector<std::string> PluginArgv(const std::string& node_ns, const std::string& plugin,
                                    const std::vector<std::string>& wrapper = {});
std::map<std::string, std::string> PluginEnv(const std::map<std::string, std::string>& cni_env);
// A sanitizer report in a plugin's stderr.
bool HasSanitizerReport(const std::string& err);

}  // namespace cnb::test
