// SPDX-License-Identifier: Apache-2.0
#include "plugin/bridge/build_ident.h"

#include <elf.h>
#include <fcntl.h>
#include <unistd.h>

#include <cstring>
#include <vector>

#include "cni/version.h"
#include "common/unique_fd.h"

namespace cnb::bridge {
namespace {

bool PReadAll(int fd, void* buf, size_t len, off_t off) {
  return ::pread(fd, buf, len, off) == static_cast<ssize_t>(len);
}

}  // namespace

std::optional<std::string> ReadBuildIdent(const std::string& path) {
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) return std::nullopt;
  Elf64_Ehdr eh;
  if (!PReadAll(fd.get(), &eh, sizeof eh, 0) || std::memcmp(eh.e_ident, ELFMAG, SELFMAG) != 0 ||
      eh.e_ident[EI_CLASS] != ELFCLASS64 || eh.e_shentsize != sizeof(Elf64_Shdr) || eh.e_shnum == 0 ||
      eh.e_shnum > 4096 || eh.e_shstrndx >= eh.e_shnum) {
    return std::nullopt;
  }
  std::vector<Elf64_Shdr> sections(eh.e_shnum);
  if (!PReadAll(fd.get(), sections.data(), sections.size() * sizeof(Elf64_Shdr), static_cast<off_t>(eh.e_shoff))) {
    return std::nullopt;
  }
  const Elf64_Shdr& strtab = sections[eh.e_shstrndx];
  if (strtab.sh_size > (1u << 20)) return std::nullopt;
  std::string names(strtab.sh_size, '\0');
  if (!PReadAll(fd.get(), names.data(), names.size(), static_cast<off_t>(strtab.sh_offset))) return std::nullopt;
  for (const auto& s : sections) {
    if (s.sh_name >= names.size() || std::strcmp(names.c_str() + s.sh_name, cni::kBuildIdentSection) != 0) continue;
    if (s.sh_size == 0 || s.sh_size > 4096) return std::nullopt;
    std::string ident(s.sh_size, '\0');
    if (!PReadAll(fd.get(), ident.data(), ident.size(), static_cast<off_t>(s.sh_offset))) return std::nullopt;
    ident.resize(std::strlen(ident.c_str()));
    return ident;
  }
  return std::nullopt;
}

}  // namespace cnb::bridge
