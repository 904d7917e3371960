// SPDX-License-Identifier: Apache-2.0
// What every bridge command starts with: its config parsed once, logging that names the call,
// and named steps whose errors say which step failed and whose times go to the debug log.
#pragma once

#include <chrono>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>

#include "cni/skel.h"
#include "common/error.h"
#include "plugin/bridge/netconf.h"

namespace cnb::bridge {

class Command {
 public:
  // Parses the config (errors: the reference's codes and texts) and sets up this call's logging:
  // level and file from the config, every line tagged with the command, network, container,
  // interface and, when the runtime sent them in CNI_ARGS, the pod's namespace/name.
  Command(const cni::Invocation& inv, const char* name);
  Command(const Command&) = delete;
  Command& operator=(const Command&) = delete;
  // Logs the command's total time (info).
  ~Command();

  const NetConf& conf() const { return conf_; }
  const cni::Invocation& inv() const { return inv_; }

  // Runs one step. An Error it throws gets "<context>: " in front (code and errno kept); when
  // it is done, "<command> <name> at <us>us" goes to the debug log (bench/run.sh's BENCH_TRACE
  // reads these lines).
  template <typename Fn>
  decltype(auto) Step(const char* name, std::string_view context, Fn&& fn) {
    try {
      if constexpr (std::is_void_v<std::invoke_result_t<Fn>>) {
        std::forward<Fn>(fn)();
        Done(name);
      } else {
        decltype(auto) result = std::forward<Fn>(fn)();
        Done(name);
        return result;
      }
    } catch (const Error& e) {
      throw context.empty() ? e : e.Wrap(context);
    }
  }
  // A step whose errors already say everything.
  template <typename Fn>
  decltype(auto) Step(const char* name, Fn&& fn) {
    return Step(name, {}, std::forward<Fn>(fn));
  }
  // Marks the end of a step that ran outside Step().
  void Done(const char* name) const;

 private:
  long long ElapsedUs() const;

  const cni::Invocation& inv_;
  const char* name_;
  NetConf conf_;
  std::chrono::steady_clock::time_point start_;
};

}  // namespace cnb::bridge
