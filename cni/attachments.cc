// SPDX-License-Identifier: Apache-2.0
#include "cni/attachments.h"

#include <algorithm>

#include "cni/json_member.h"
#include "common/error.h"

namespace cnb::cni {
namespace {

using nlohmann::json;

[[noreturn]] void Ambiguous(const char* key, const std::string& why) {
  throw Error(ErrorCode::kInvalidConfig,
              std::string("invalid ") + key + ": " + why +
                  "; nothing was released (a list of {\"containerID\", \"ifname\"} objects is expected)");
}

std::string StringMember(const json& entry, const char* key, const char* list_key, size_t index) {
  const json* value = FindMember(entry, key);
  if (!value || !value->is_string()) {
    Ambiguous(list_key, "entry " + std::to_string(index) + " has no string " + key);
  }
  return value->get<std::string>();
}

void AppendList(const json& list, const char* key, std::vector<Attachment>* out) {
  if (list.is_null()) Ambiguous(key, "null");
  if (!list.is_array()) Ambiguous(key, std::string("a ") + list.type_name() + ", not a list");
  for (size_t i = 0; i < list.size(); ++i) {
    const json& entry = list[i];
    if (!entry.is_object()) Ambiguous(key, "entry " + std::to_string(i) + " is not an object");
    out->push_back({StringMember(entry, "containerID", key, i), StringMember(entry, "ifname", key, i)});
  }
}

}  // namespace

std::optional<std::vector<Attachment>> ValidAttachments(const json& config) {
  std::optional<std::vector<Attachment>> valid;
  for (const char* key : {"cni.dev/valid-attachments", "cni.dev/attachments"}) {
    const json* list = FindMember(config, key);
    if (!list) continue;
    if (!valid) valid.emplace();
    AppendList(*list, key, &*valid);
  }
  if (valid) {
    std::sort(valid->begin(), valid->end());
    valid->erase(std::unique(valid->begin(), valid->end()), valid->end());
  }
  return valid;
}

bool SameContainer(std::string_view a, std::string_view b) {
  const bool a_cut = a.ends_with(kCutIdMark), b_cut = b.ends_with(kCutIdMark);
  if (a_cut) a.remove_suffix(kCutIdMark.size());
  if (b_cut) b.remove_suffix(kCutIdMark.size());
  if (a_cut && b_cut) return a.starts_with(b) || b.starts_with(a);
  if (a_cut) return b.starts_with(a);
  if (b_cut) return a.starts_with(b);
  return a == b;
}

}  // namespace cnb::cni
