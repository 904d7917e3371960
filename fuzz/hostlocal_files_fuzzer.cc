// SPDX-License-Identifier: Apache-2.0
// host-local's files as another program (the Go host-local, an operator, a crash) may have left
// them: the input is cut at each "\n--\n" line into
//   0 the name of a reservation file     1 its content ("<id>\r\n<ifname>")
//   2 last_reserved_ip.0's content
//   3 an index entry's name, "<id>:<ifname>" (also the attachment looked up)
//   4 its content (one IP a line)
//   5 a second reservation file's name   6 its content
// written into a fresh <dataDir>/<network>/, then every read path of DiskStore runs on it.
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include "common/log.h"
#include "fuzz/fuzz_util.h"
#include "ipam/disk_store.h"

namespace {

using cnb::IpAddr;
using cnb::fuzz::ExpectOnlyErrors;
using cnb::fuzz::Finding;
using cnb::ipam::Attachment;
using cnb::ipam::DiskStore;

constexpr const char* kNetwork = "fuzznet";

// <TMPDIR>/cnb-fuzz-XXXXXX, made once; scripts/fuzz.sh points TMPDIR at a directory it removes.
const std::string& DataDir() {
  static const std::string dir = [] {
    const char* tmp = std::getenv("TMPDIR");
    std::string templ = std::string(tmp && *tmp ? tmp : "/tmp") + "/cnb-fuzz-XXXXXX";
    if (!::mkdtemp(templ.data())) Finding("mkdtemp " + templ + " failed");
    return templ;
  }();
  return dir;
}

// A name that is one path component; the others cannot be a file of the directory.
bool IsComponent(const std::string& name) {
  return !name.empty() && name.size() <= 255 && name != "." && name != ".." &&
         name.find_first_of(std::string("/\0", 2)) == std::string::npos;
}

void WriteFile(const std::string& dir, const std::string& name, const std::string& content) {
  if (!IsComponent(name)) return;
  int fd = ::open((dir + "/" + name).c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0) return;  // e.g. a name the input used twice for a file and the index directory
  if (::write(fd, content.data(), content.size()) < 0) {
    // A short file is as good an input as any.
  }
  ::close(fd);
}

Attachment AttachmentOf(const std::string& entry) {
  const size_t colon = entry.find(':');
  if (colon == std::string::npos) return {entry, "eth0"};
  return {entry.substr(0, colon), entry.substr(colon + 1)};
}

bool Contains(const std::vector<IpAddr>& list, const IpAddr& ip) {
  return std::find(list.begin(), list.end(), ip) != list.end();
}

// The read paths, and what they promise each other: an address held by the attachment is a
// reserved one, and a reserved one is named by its own canonical text.
void ReadBack(const Attachment& a) {
  DiskStore store = DiskStore::OpenExisting(DataDir(), kNetwork);
  std::vector<IpAddr> reserved;
  ExpectOnlyErrors("ListReserved", [&] { reserved = store.ListReserved(); });
  for (const IpAddr& ip : reserved) {
    if (IpAddr::Parse(ip.ToString()) != ip) Finding("reserved " + ip.ToString() + " does not parse back");
  }
  ExpectOnlyErrors("Reservations", [&] { (void)store.Reservations(); });
  ExpectOnlyErrors("LastReservedIp", [&] { (void)store.LastReservedIp(0); });
  ExpectOnlyErrors("FindByAttachment", [&] { (void)store.FindByAttachment(a); });
  ExpectOnlyErrors("GetByAttachment", [&] {
    for (const IpAddr& ip : store.GetByAttachment(a)) {
      if (!Contains(reserved, ip)) Finding("GetByAttachment gave " + ip.ToString() + ", which is not reserved");
    }
  });
  ExpectOnlyErrors("ReservedIps", [&] {
    for (const IpAddr& ip : store.ReservedIps(a)) {
      if (!Contains(reserved, ip)) Finding("ReservedIps gave " + ip.ToString() + ", which is not reserved");
    }
  });
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  cnb::log::SetStderr(false);
  (void)DataDir();  // made before the exit handler is registered, so destroyed after it ran
  std::atexit([] {
    std::error_code ec;
    std::filesystem::remove_all(DataDir(), ec);
  });
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::vector<std::string> part =
      cnb::fuzz::Split(std::string_view(reinterpret_cast<const char*>(data), size), "\n--\n", 7);
  auto at = [&](size_t i) { return i < part.size() ? part[i] : std::string(); };
  const std::string dir = DataDir() + "/" + kNetwork;
  std::error_code ec;
  std::filesystem::remove_all(dir, ec);
  std::filesystem::create_directories(dir + "/.index", ec);
  if (ec) Finding("cannot create " + dir + "/.index: " + ec.message());

  if (part.size() > 1) WriteFile(dir, at(0), at(1));
  if (part.size() > 2) WriteFile(dir, "last_reserved_ip.0", at(2));
  if (part.size() > 4) WriteFile(dir + "/.index", at(3), at(4));
  if (part.size() > 6) WriteFile(dir, at(5), at(6));
  ReadBack(AttachmentOf(part.size() > 3 ? at(3) : "3f1c0a9e2b7d:eth0"));
  return 0;
}
