// SPDX-License-Identifier: Apache-2.0
#include "ipam/resolv_conf.h"

#include <fcntl.h>

#include <cerrno>
#include <string_view>
#include <vector>

#include "common/error.h"
#include "common/file_util.h"
#include "common/strings.h"
#include "common/unique_fd.h"

namespace cnb::ipam {

namespace {

std::vector<std::string> Fields(std::string_view line) {
  std::vector<std::string> fields;
  size_t i = 0;
  while (i < line.size()) {
    while (i < line.size() && (line[i] == ' ' || line[i] == '\t' || line[i] == '\r')) ++i;
    size_t start = i;
    while (i < line.size() && line[i] != ' ' && line[i] != '\t' && line[i] != '\r') ++i;
    if (i > start) fields.emplace_back(line.substr(start, i - start));
  }
  return fields;
}

}  // namespace

cni::Dns ParseResolvConf(const std::string& path) {
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) throw ErrnoError("open " + path, errno);
  std::string text;
  if (int err = ReadAll(fd.get(), &text); err != 0) throw ErrnoError("read " + path, err);
  cni::Dns dns;
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    std::string line = TrimSpace(std::string_view(text).substr(start, end - start));
    start = end + 1;
    if (line.empty() || line[0] == '#' || line[0] == ';') continue;
    std::vector<std::string> fields = Fields(line);
    if (fields.size() < 2) continue;
    if (fields[0] == "nameserver") {
      dns.nameservers.push_back(fields[1]);
    } else if (fields[0] == "domain") {
      dns.domain = fields[1];
    } else if (fields[0] == "search") {
      dns.search.insert(dns.search.end(), fields.begin() + 1, fields.end());
    } else if (fields[0] == "options") {
      dns.options.insert(dns.options.end(), fields.begin() + 1, fields.end());
    }
  }
  return dns;
}

}  // namespace cnb::ipam
