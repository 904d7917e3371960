// SPDX-License-Identifier: Apache-2.0
#include "cni/skel.h"

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>

#include "cni/args.h"
#include "cni/json_member.h"
#include "cni/version.h"
#include "common/error.h"
#include "common/file_util.h"
#include "common/log.h"
#include "common/strings.h"

namespace cnb::cni {
namespace {

using nlohmann::json;

// ^[a-zA-Z0-9][a-zA-Z0-9_.\-]*$ by hand: std::regex recurses per character (a long hostile
// name could exhaust the stack) and is slow to build on every call.
bool IsValidName(const std::string& s) {
  auto alnum = [](char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'); };
  if (s.empty() || !alnum(s[0])) return false;
  for (char c : s) {
    if (!alnum(c) && c != '_' && c != '.' && c != '-') return false;
  }
  return true;
}

// Go's unicode.IsSpace beyond ASCII, as UTF-8 byte sequences (U+0085, U+00A0, U+1680,
// U+2000..U+200A, U+2028, U+2029, U+202F, U+205F, U+3000). Returns the sequence length or 0.
size_t UnicodeSpaceAt(const std::string& s, size_t i) {
  auto at = [&](size_t k) { return k < s.size() ? static_cast<unsigned char>(s[k]) : 0; };
  unsigned char b0 = at(i), b1 = at(i + 1), b2 = at(i + 2);
  if (b0 == 0xc2 && (b1 == 0x85 || b1 == 0xa0)) return 2;
  if (b0 == 0xe1 && b1 == 0x9a && b2 == 0x80) return 3;
  if (b0 == 0xe2 && b1 == 0x80 && ((b2 >= 0x80 && b2 <= 0x8a) || b2 == 0xa8 || b2 == 0xa9 || b2 == 0xaf)) {
    return 3;
  }
  if (b0 == 0xe2 && b1 == 0x81 && b2 == 0x9f) return 3;
  if (b0 == 0xe3 && b1 == 0x80 && b2 == 0x80) return 3;
  return 0;
}

std::optional<Command> ParseCommand(const std::string& s) {
  if (s == "ADD") return Command::kAdd;
  if (s == "DEL") return Command::kDel;
  if (s == "CHECK") return Command::kCheck;
  if (s == "STATUS") return Command::kStatus;
  if (s == "GC") return Command::kGc;
  if (s == "VERSION") return Command::kVersion;
  return std::nullopt;
}

std::string VersionJson() {
  json j = {{"cniVersion", std::string(kCurrentVersion)}, {"supportedVersions", json::array()}};
  for (auto v : kSupportedVersions) j["supportedVersions"].push_back(std::string(v));
  return j.dump() + "\n";
}

std::string DecodeConfigVersion(const json& config) {
  const json* it = FindMember(config, "cniVersion");
  if (!it || it->is_null()) return "0.1.0";
  if (!it->is_string())
    throw Error(ErrorCode::kDecode, "decoding version from network config: cniVersion must be a string");
  std::string v = it->get<std::string>();
  return v.empty() ? "0.1.0" : v;
}

// The Go Reconciler: plain membership, no parsing, so ADD/DEL with "abc" is code 1, not 6.
void RequireSupported(const std::string& version) {
  if (!IsSupportedVersion(version)) {
    throw Error(ErrorCode::kIncompatibleVersion, "incompatible CNI versions",
                "config is " + GoQuote(version) + ", plugin supports " + SupportedVersionsQuoted());
  }
}

// The gate skel puts in front of CHECK/GC/STATUS: the version must parse (else 6), reach the
// verb's minimum (else 1), not be newer than everything we support (else 1), and finally be
// one of our versions (RequireSupported).
void RequireVerbVersion(const std::string& version, const char* minimum, const char* verb) {
  if (!VersionAtLeast(version, minimum)) {
    throw Error(ErrorCode::kIncompatibleVersion, std::string("config version does not allow ") + verb);
  }
  bool reachable = false;
  for (auto v : kSupportedVersions) reachable = reachable || VersionAtLeast(v, version);
  if (!reachable) {
    throw Error(ErrorCode::kIncompatibleVersion, std::string("plugin version does not allow ") + verb);
  }
  RequireSupported(version);
}

struct Outcome {
  int status = 0;
  std::string stdout_text;
};

// Which CNI_* variables a command needs (the Go skel's table).
struct EnvVar {
  const char* name;
  std::string Invocation::*field;
  bool required;
  void (*validate)(const std::string&);
};

// Reads the CNI_* variables into `inv`; the names of the required ones that are missing.
std::vector<std::string> ReadEnv(const EnvLookup& env, std::optional<Command> command, Invocation* inv,
                                 std::string* netns_override) {
  auto is = [&](std::initializer_list<Command> set) {
    return command && std::find(set.begin(), set.end(), *command) != set.end();
  };
  const bool attachment = is({Command::kAdd, Command::kDel, Command::kCheck});
  const bool needs_path = attachment || is({Command::kGc, Command::kStatus});
  const EnvVar vars[] = {
      {"CNI_CONTAINERID", &Invocation::container_id, attachment, ValidateContainerId},
      {"CNI_NETNS", &Invocation::netns, is({Command::kAdd, Command::kCheck}), nullptr},
      {"CNI_IFNAME", &Invocation::ifname, attachment, ValidateInterfaceName},
      {"CNI_ARGS", &Invocation::args, false, nullptr},
      {"CNI_PATH", &Invocation::path, needs_path, nullptr},
  };
  // In the skel's order: CNI_COMMAND first.
  std::vector<std::string> missing;
  if (env("CNI_COMMAND").empty()) missing.push_back("CNI_COMMAND");
  for (const auto& v : vars) {
    std::string& value = inv->*v.field;
    value = env(v.name);
    if (value.empty()) {
      if (v.required) missing.push_back(v.name);
    } else if (v.required && v.validate) {
      v.validate(value);
    }
  }
  *netns_override = env("CNI_NETNS_OVERRIDE");
  return missing;
}

// Run by hand with no command: say who we are, like the Go plugins.
std::string About(const PluginFuncs& funcs) {
  std::vector<std::string> versions(kSupportedVersions.begin(), kSupportedVersions.end());
  return funcs.about + "\nCNI protocol versions supported: " + Join(versions, ", ") + "\n";
}

// The stdin config as Go decodes it into its struct: JSON null is an empty config (so "missing
// network name"), any other non-object is a decode error. Says where it broke, as Go does.
json DecodeConfig(const std::string& data) {
  std::string error;
  json config = ParseUntrustedJson(data, &error);
  if (config.is_discarded()) throw Error(ErrorCode::kDecode, "error unmarshall network config: " + error);
  if (config.is_null()) config = json::object();
  if (!config.is_object()) {
    throw Error(ErrorCode::kDecode, "error unmarshall network config: config is not a JSON object");
  }
  return config;
}

std::string NetworkNameOf(const json& config) {
  std::string name;
  if (const json* it = FindMember(config, "name"); it && it->is_string()) {
    name = it->get<std::string>();
  } else if (it && !it->is_null()) {
    throw Error(ErrorCode::kDecode, "error unmarshall network config: name must be a string");
  }
  if (name.empty()) throw Error(ErrorCode::kInvalidConfig, "missing network name");
  ValidateNetworkName(name);
  return name;
}

// The version gates and the plugin function. An unset callback succeeds, as a nil func does in
// Go (ADD excepted: it owes a result).
Outcome RunCommand(const PluginFuncs& funcs, const Invocation& inv) {
  if (inv.command == Command::kAdd) {
    RequireSupported(inv.cni_version);
    if (!funcs.add) throw InternalError("ADD is not implemented");
    Result result = funcs.add(inv);
    return {0, ToOutput(ResultToJson(result, inv.cni_version))};
  }
  // The other commands answer nothing on success; all but DEL have a minimum version.
  struct Gate {
    Command command;
    const char* minimum;  // nullptr: any supported version
    const std::function<void(const Invocation&)>* fn;
  };
  const Gate gates[] = {{Command::kDel, nullptr, &funcs.del},
                        {Command::kCheck, "0.4.0", &funcs.check},
                        {Command::kStatus, "1.1.0", &funcs.status},
                        {Command::kGc, "1.1.0", &funcs.gc}};
  for (const auto& g : gates) {
    if (g.command != inv.command) continue;
    if (g.minimum) {
      RequireVerbVersion(inv.cni_version, g.minimum, CommandName(g.command));
    } else {
      RequireSupported(inv.cni_version);
    }
    if (*g.fn) (*g.fn)(inv);
  }
  return {0, ""};
}

Outcome Dispatch(const PluginFuncs& funcs, const EnvLookup& env, const PluginIo& io, std::string* version_for_error) {
  Invocation inv;
  inv.env = env;
  const std::string cmd = env("CNI_COMMAND");
  const std::optional<Command> command = ParseCommand(cmd);
  std::string netns_override;
  std::vector<std::string> missing = ReadEnv(env, command, &inv, &netns_override);
  if (!missing.empty()) {
    if (cmd.empty() && !funcs.about.empty()) {
      io.write_stderr(About(funcs));
      return {0, ""};
    }
    throw Error(ErrorCode::kInvalidEnv, "required env variables [" + Join(missing, ",") + "] missing");
  }
  inv.netns_override = ParseArgBool(netns_override).value_or(false);

  // Read before answering VERSION too, as the Go skel does: a caller that writes the config
  // and then waits must not get EPIPE because we answered without reading it.
  inv.stdin_data = io.read_stdin();
  if (command == Command::kVersion) return {0, VersionJson()};
  inv.config = DecodeConfig(inv.stdin_data);
  inv.network_name = NetworkNameOf(inv.config);
  if (!command) throw Error(ErrorCode::kInvalidEnv, "unknown CNI_COMMAND: " + cmd);
  inv.command = *command;
  inv.cni_version = DecodeConfigVersion(inv.config);
  // Errors answer in the caller's version when we speak it (never echo e.g. "9.9.9").
  if (IsSupportedVersion(inv.cni_version)) *version_for_error = inv.cni_version;
  return RunCommand(funcs, inv);
}

}  // namespace

const char* CommandName(Command c) {
  switch (c) {
    case Command::kAdd: return "ADD";
    case Command::kDel: return "DEL";
    case Command::kCheck: return "CHECK";
    case Command::kStatus: return "STATUS";
    case Command::kGc: return "GC";
    case Command::kVersion: return "VERSION";
  }
  return "?";
}

EnvLookup ProcessEnv() {
  return [](const std::string& name) -> std::string {
    const char* v = std::getenv(name.c_str());
    return v ? v : "";
  };
}

void ValidateContainerId(const std::string& id) {
  if (id.empty()) throw Error(ErrorCode::kUnknownContainer, "missing containerID");
  if (!IsValidName(id)) {
    throw Error(ErrorCode::kInvalidEnv, "invalid characters in containerID", id);
  }
}

void ValidateInterfaceName(const std::string& name) {
  if (name.empty()) throw Error(ErrorCode::kInvalidEnv, "interface name is empty");
  if (name.size() > 15) {
    throw Error(ErrorCode::kInvalidEnv, "interface name is too long",
                "interface name should be less than 16 characters");
  }
  if (name == "." || name == "..") throw Error(ErrorCode::kInvalidEnv, "interface name is . or ..");
  for (size_t i = 0; i < name.size(); ++i) {
    char c = name[i];
    bool ascii_space = c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r';
    if (c == '/' || c == ':' || ascii_space || UnicodeSpaceAt(name, i)) {
      throw Error(ErrorCode::kInvalidEnv, "interface name contains / or : or whitespace characters");
    }
  }
}

void ValidateNetworkName(const std::string& name) {
  if (name.empty()) throw Error(ErrorCode::kInvalidConfig, "missing network name:");
  if (!IsValidName(name)) {
    throw Error(ErrorCode::kInvalidConfig, "invalid characters found in network name", name);
  }
}

std::string ErrorJson(const Error& e, const std::string& cni_version) {
  json j = {{"cniVersion", cni_version}, {"code", e.code_value()}, {"msg", e.msg()}};
  if (!e.details().empty()) j["details"] = e.details();
  return ToOutput(j);
}

PluginIo ProcessIo() {
  PluginIo io;
  io.read_stdin = [] {
    std::string data;
    if (int err = ReadAll(STDIN_FILENO, &data); err != 0) {
      throw ErrnoError("error reading from stdin", err, ErrorCode::kIo);
    }
    return data;
  };
  // A caller that went away gets no answer; there is nothing better to do with it.
  io.write_stdout = [](std::string_view s) { WriteAll(STDOUT_FILENO, s); };
  io.write_stderr = [](std::string_view s) { WriteAll(STDERR_FILENO, s); };
  return io;
}

int PluginMain(const PluginFuncs& funcs, const EnvLookup& env, const PluginIo& io) {
  std::string version = std::string(kCurrentVersion);
  try {
    Outcome o = Dispatch(funcs, env, io, &version);
    io.write_stdout(o.stdout_text);
    return o.status;
  } catch (const Error& e) {
    log::Error(e.msg() + (e.details().empty() ? "" : " (" + e.details() + ")"));
    io.write_stdout(ErrorJson(e, version));
  } catch (const std::exception& e) {
    log::Error(e.what());
    io.write_stdout(ErrorJson(InternalError(e.what()), version));
  } catch (...) {
    // The contract is one JSON document and exit 1, whatever a plugin function throws.
    log::Error("unknown exception");
    io.write_stdout(ErrorJson(InternalError("unknown error"), version));
  }
  return 1;
}

}  // namespace cnb::cni
