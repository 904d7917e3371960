#include "cni/skel.h"

#include <unistd.h>

#include <cerrno>
#include <cstdlib>

#include "cni/args.h"
#include "cni/json_member.h"
#include "cni/version.h"
#include "common/error.h"
#include "common/log.h"
#include "common/read_all.h"

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
  if (!it->is_string()) throw Error(ErrorCode::kDecode, "decoding version from network config: cniVersion must be a string");
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

Outcome Dispatch(const PluginFuncs& funcs, const EnvLookup& env, const PluginIo& io,
                 std::string* version_for_error) {
  Invocation inv;
  inv.env = env;
  std::string cmd = env("CNI_COMMAND");
  std::optional<Command> command = ParseCommand(cmd);
  bool needs_attachment =
      command && (*command == Command::kAdd || *command == Command::kDel || *command == Command::kCheck);
  bool needs_path = needs_attachment || (command && (*command == Command::kGc || *command == Command::kStatus));

  struct Var {
    const char* name;
    std::string* value;
    bool required;
    void (*validate)(const std::string&);
  };
  std::string command_value;
  std::string override_value;
  Var vars[] = {
      {"CNI_COMMAND", &command_value, true, nullptr},
      {"CNI_CONTAINERID", &inv.container_id, needs_attachment, ValidateContainerId},
      {"CNI_NETNS", &inv.netns, command && (*command == Command::kAdd || *command == Command::kCheck), nullptr},
      {"CNI_IFNAME", &inv.ifname, needs_attachment, ValidateInterfaceName},
      {"CNI_ARGS", &inv.args, false, nullptr},
      {"CNI_PATH", &inv.path, needs_path, nullptr},
      {"CNI_NETNS_OVERRIDE", &override_value, false, nullptr},
  };
  std::vector<std::string> missing;
  for (auto& v : vars) {
    *v.value = env(v.name);
    if (v.value->empty()) {
      if (v.required) missing.push_back(v.name);
    } else if (v.required && v.validate) {
      v.validate(*v.value);
    }
  }
  if (!missing.empty()) {
    if (cmd.empty() && !funcs.about.empty()) {
      // Run by hand with no command: say who we are, like the Go plugins.
      std::string about = funcs.about + "\nCNI protocol versions supported: ";
      for (size_t i = 0; i < kSupportedVersions.size(); ++i) {
        about += (i ? ", " : "") + std::string(kSupportedVersions[i]);
      }
      io.write_stderr(about + "\n");
      return {0, ""};
    }
    std::string joined;
    for (size_t i = 0; i < missing.size(); ++i) joined += (i ? "," : "") + missing[i];
    throw Error(ErrorCode::kInvalidEnv, "required env variables [" + joined + "] missing");
  }
  inv.netns_override = ParseArgBool(override_value).value_or(false);

  // Read before answering VERSION too, as the Go skel does: a caller that writes the config
  // and then waits must not get EPIPE because we answered without reading it.
  inv.stdin_data = io.read_stdin();
  if (command && *command == Command::kVersion) return {0, VersionJson()};
  inv.config = json::parse(inv.stdin_data, nullptr, false);
  if (inv.config.is_discarded()) {
    // Say where it broke, as the Go decoder does.
    try {
      json again = json::parse(inv.stdin_data);
      (void)again;
    } catch (const json::parse_error& e) {
      throw Error(ErrorCode::kDecode, std::string("error unmarshall network config: ") + e.what());
    }
    throw Error(ErrorCode::kDecode, "error unmarshall network config");
  }
  // Go decodes into a struct: JSON null is an empty config (so "missing network name"), any
  // other non-object is a decode error.
  if (inv.config.is_null()) inv.config = json::object();
  if (!inv.config.is_object()) {
    throw Error(ErrorCode::kDecode, "error unmarshall network config: config is not a JSON object");
  }
  if (const json* it = FindMember(inv.config, "name"); it && it->is_string()) {
    inv.network_name = it->get<std::string>();
  } else if (it && !it->is_null()) {
    throw Error(ErrorCode::kDecode, "error unmarshall network config: name must be a string");
  }
  if (inv.network_name.empty()) throw Error(ErrorCode::kInvalidConfig, "missing network name");
  ValidateNetworkName(inv.network_name);

  if (!command) throw Error(ErrorCode::kInvalidEnv, "unknown CNI_COMMAND: " + cmd);
  inv.command = *command;
  inv.cni_version = DecodeConfigVersion(inv.config);
  // Errors answer in the caller's version when we speak it (never echo e.g. "9.9.9").
  if (IsSupportedVersion(inv.cni_version)) *version_for_error = inv.cni_version;

  // An unset callback succeeds, as a nil func does in Go (ADD excepted: it owes a result).
  switch (inv.command) {
    case Command::kAdd: {
      RequireSupported(inv.cni_version);
      if (!funcs.add) throw InternalError("ADD is not implemented");
      Result result = funcs.add(inv);
      return {0, ToOutput(ResultToJson(result, inv.cni_version))};
    }
    case Command::kDel:
      RequireSupported(inv.cni_version);
      if (funcs.del) funcs.del(inv);
      return {0, ""};
    case Command::kCheck:
      RequireVerbVersion(inv.cni_version, "0.4.0", "CHECK");
      if (funcs.check) funcs.check(inv);
      return {0, ""};
    case Command::kStatus:
      RequireVerbVersion(inv.cni_version, "1.1.0", "STATUS");
      if (funcs.status) funcs.status(inv);
      return {0, ""};
    case Command::kGc:
      RequireVerbVersion(inv.cni_version, "1.1.0", "GC");
      if (funcs.gc) funcs.gc(inv);
      return {0, ""};
    case Command::kVersion:
      break;
  }
  return {0, ""};
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

namespace {

void WriteAll(int fd, std::string_view data) {
  while (!data.empty()) {
    ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;  // the caller went away; nothing better to do with the answer
    data.remove_prefix(static_cast<size_t>(n));
  }
}

}  // namespace

PluginIo ProcessIo() {
  PluginIo io;
  io.read_stdin = [] {
    std::string data;
    if (int err = ReadAll(STDIN_FILENO, &data); err != 0) {
      throw ErrnoError("error reading from stdin", err, ErrorCode::kIo);
    }
    return data;
  };
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
