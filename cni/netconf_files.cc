// SPDX-License-Identifier: Apache-2.0
#include "cni/netconf_files.h"

#include <fcntl.h>

#include <algorithm>
#include <cerrno>
#include <set>

#include "cni/json_member.h"
#include "common/error.h"
#include "common/file_util.h"
#include "common/unique_fd.h"

namespace cnb::cni {
namespace {

// Far above any real config; a bound, so that a wrong path cannot make us read a huge file.
constexpr size_t kMaxConfigBytes = 1 << 20;

std::string StringMember(const nlohmann::json& obj, std::string_view key) {
  const nlohmann::json* v = FindMember(obj, key);
  return v && v->is_string() ? v->get<std::string>() : "";
}

std::vector<std::string> FilesWithSuffixes(const std::string& dir, std::initializer_list<const char*> suffixes) {
  std::vector<std::string> names;
  ForEachEntry(dir, [&](const std::string& name, unsigned char type) {
    if (type != DT_REG && type != DT_LNK && type != DT_UNKNOWN) return;
    for (const char* s : suffixes) {
      if (name.ends_with(s)) names.push_back(name);
    }
  });
  std::sort(names.begin(), names.end());
  return names;
}

}  // namespace

NetworkConfigFile LoadNetworkConfigFile(const std::string& path) {
  // Followed if a symlink: configs are often links into a package's directory.
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) throw ErrnoError("error reading " + path, errno, ErrorCode::kIo);
  std::string text;
  if (int err = ReadAll(fd.get(), &text, kMaxConfigBytes); err != 0) {
    throw ErrnoError("error reading " + path, err, ErrorCode::kIo);
  }
  std::string error;
  nlohmann::json doc = ParseUntrustedJson(text, &error);
  if (doc.is_discarded() || !doc.is_object()) {
    throw Error(ErrorCode::kDecode, "error parsing configuration: " + path + " is not a JSON object");
  }
  NetworkConfigFile file;
  file.path = path;
  file.name = StringMember(doc, "name");
  file.cni_version = StringMember(doc, "cniVersion");
  if (file.name.empty()) throw ConfigError("error parsing configuration: missing 'name' in " + path);
  const nlohmann::json* plugins = path.ends_with(".conflist") ? FindMember(doc, "plugins") : nullptr;
  if (path.ends_with(".conflist") && (!plugins || !plugins->is_array() || plugins->empty())) {
    throw ConfigError("error parsing configuration list: no 'plugins' key in " + path);
  }
  for (const nlohmann::json& p : plugins ? *plugins : nlohmann::json::array({doc})) {
    if (!p.is_object())
      throw ConfigError("error parsing configuration list: a plugin of " + path + " is not an object");
    nlohmann::json conf = p;
    conf["name"] = file.name;
    if (!file.cni_version.empty()) conf["cniVersion"] = file.cni_version;
    file.plugins.push_back(std::move(conf));
  }
  return file;
}

NetworkConfigScan FindNetworkConfigs(const std::string& dir) {
  NetworkConfigScan scan;
  std::vector<std::string> files = FilesWithSuffixes(dir, {".conflist"});
  for (const auto& name : FilesWithSuffixes(dir, {".conf", ".json"})) files.push_back(name);
  std::set<std::string> seen;
  for (const auto& name : files) {
    const std::string path = dir + "/" + name;
    try {
      NetworkConfigFile file = LoadNetworkConfigFile(path);
      if (seen.insert(file.name).second) scan.networks.push_back(std::move(file));
    } catch (const Error& e) {
      scan.errors.push_back(e.msg());
    }
  }
  return scan;
}

}  // namespace cnb::cni
