// SPDX-License-Identifier: Apache-2.0
// The protocol entrypoint shared by both executables: environment and stdin in, exactly one JSON
// document (result, VERSION answer or error) out on stdout, exit status 0 or 1. Mirrors the
// checks and their order in the Go library's skel so callers see the same codes.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "cni/types.h"
#include "common/error.h"

namespace cnb::cni {

enum class Command { kAdd, kDel, kCheck, kStatus, kGc, kVersion };

const char* CommandName(Command c);

// Getenv with Go semantics: unset and empty are the same.
using EnvLookup = std::function<std::string(const std::string&)>;
EnvLookup ProcessEnv();

// One plugin call: CNI_* variables, stdin bytes and the decoded config.
struct Invocation {
  Command command = Command::kAdd;
  std::string container_id;
  std::string netns;
  std::string ifname;
  std::string args;
  std::string path;
  bool netns_override = false;
  std::string stdin_data;
  nlohmann::json config;     // stdin decoded
  std::string cni_version;   // config cniVersion ("0.1.0" when absent)
  std::string network_name;  // config name
  EnvLookup env;             // the rest of the environment, for delegation
};

struct PluginFuncs {
  std::function<Result(const Invocation&)> add;
  std::function<void(const Invocation&)> del;
  std::function<void(const Invocation&)> check;
  std::function<void(const Invocation&)> status;  // may be empty: success
  std::function<void(const Invocation&)> gc;      // may be empty: success
  std::string about;                              // "CNI bridge plugin <version>"
};

// Where a call reads its config and writes its answer. The executables use the process's file
// descriptors directly: iostreams would initialise every locale facet and map in over half a
// megabyte of library code, the larger part of a plugin's memory.
struct PluginIo {
  std::function<std::string()> read_stdin;  // all of it; throws Error (code 5) on failure
  std::function<void(std::string_view)> write_stdout;
  std::function<void(std::string_view)> write_stderr;
};
PluginIo ProcessIo();

// Runs one call. Never throws; returns the process exit status.
int PluginMain(const PluginFuncs& funcs, const EnvLookup& env, const PluginIo& io);

// The error document of the spec, 4-space indented.
std::string ErrorJson(const Error& e, const std::string& cni_version);

// Validators shared with the tests (throw Error with the reference's codes and texts).
void ValidateContainerId(const std::string& id);
void ValidateInterfaceName(const std::string& name);
void ValidateNetworkName(const std::string& name);

}  // namespace cnb::cni
