// SPDX-License-Identifier: Apache-2.0
#include "plugin/bridge/alias.h"

#include <vector>

#include "cni/attachments.h"
#include "common/strings.h"

namespace cnb::bridge {
namespace {

constexpr const char* kTag = "cni-bridge";
// dev_set_alias() wants fewer than IFALIASZ (256) bytes, and the NUL libnl sends counts.
constexpr size_t kMaxAlias = 254;

// A value that cannot break the word structure: whitespace and controls become '_'.
std::string Word(const std::string& s) {
  std::string out = s;
  for (char& c : out) {
    if (static_cast<unsigned char>(c) <= ' ' || c == 0x7f) c = '_';
  }
  return out;
}

}  // namespace

std::string FormatAlias(const AttachmentAlias& a) {
  const std::string head = std::string(kTag) + " id=";
  const std::string tail = " if=" + Word(a.ifname);
  std::string pod;
  if (!a.pod_name.empty()) pod = " pod=" + Word(a.pod_namespace) + "/" + Word(a.pod_name);
  std::string id = Word(a.container_id);
  if (head.size() + id.size() + tail.size() + pod.size() > kMaxAlias) pod.clear();
  if (head.size() + id.size() + tail.size() > kMaxAlias)
    id = id.substr(0, kMaxAlias - head.size() - tail.size() - cni::kCutIdMark.size()) + std::string(cni::kCutIdMark);
  return head + id + tail + pod;
}

std::optional<AttachmentAlias> ParseAlias(const std::string& text) {
  std::vector<std::string> words = SplitNonEmpty(text, ' ');
  if (words.empty() || words[0] != kTag) return std::nullopt;
  AttachmentAlias a;
  for (size_t i = 1; i < words.size(); ++i) {
    const std::string& w = words[i];
    if (w.starts_with("id=")) a.container_id = w.substr(3);
    if (w.starts_with("if=")) a.ifname = w.substr(3);
    if (w.starts_with("pod=")) {
      const std::string pod = w.substr(4);
      const size_t slash = pod.find('/');
      a.pod_namespace = pod.substr(0, slash);
      a.pod_name = slash == std::string::npos ? "" : pod.substr(slash + 1);
    }
  }
  if (a.container_id.empty() || a.ifname.empty()) return std::nullopt;
  return a;
}

AttachmentAlias AliasFor(const std::string& container_id, const std::string& ifname, const std::string& cni_args) {
  AttachmentAlias a{container_id, ifname, "", ""};
  for (const auto& pair : SplitNonEmpty(cni_args, ';')) {
    if (pair.starts_with("K8S_POD_NAMESPACE=")) a.pod_namespace = pair.substr(18);
    if (pair.starts_with("K8S_POD_NAME=")) a.pod_name = pair.substr(13);
  }
  return a;
}

}  // namespace cnb::bridge
