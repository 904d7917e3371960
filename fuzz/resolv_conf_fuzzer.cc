// SPDX-License-Identifier: Apache-2.0
// host-local's resolvConf: the input is the file. It is read from a memfd through its
// /proc/self/fd path, as ParseResolvConf opens any path, and the DNS block must then print as
// part of a result (the file may hold any bytes, including invalid UTF-8).
#include <sys/mman.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <string>

#include "cni/types.h"
#include "fuzz/fuzz_util.h"
#include "ipam/resolv_conf.h"

namespace {

using cnb::fuzz::ExpectOnlyErrors;
using cnb::fuzz::Finding;
namespace cni = cnb::cni;

// One word of a line: never empty, never holding a separator.
void CheckFields(const std::vector<std::string>& fields, const char* what) {
  for (const std::string& f : fields) {
    if (f.empty() || f.find_first_of(" \t\r\n") != std::string::npos) {
      Finding(std::string(what) + " entry \"" + f + "\" is empty or holds a separator");
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const int fd = [] {
    int f = ::memfd_create("resolv.conf", MFD_CLOEXEC);
    if (f < 0) Finding("memfd_create failed");
    return f;
  }();
  static const std::string path = "/proc/self/fd/" + std::to_string(fd);
  if (::ftruncate(fd, 0) != 0 || ::pwrite(fd, data, size, 0) != static_cast<ssize_t>(size)) {
    Finding("cannot write the memfd");
  }
  ExpectOnlyErrors("ParseResolvConf", [&] {
    cni::Result result;
    result.dns = cnb::ipam::ParseResolvConf(path);
    CheckFields(result.dns.nameservers, "nameserver");
    CheckFields(result.dns.search, "search");
    CheckFields(result.dns.options, "options");
    (void)cni::ToOutput(cni::ResultToJson(result, "1.1.0"));
    (void)cni::ToOutput(cni::ResultToJson(result, "0.4.0"));
  });
  return 0;
}
