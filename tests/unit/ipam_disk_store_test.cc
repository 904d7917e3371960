// SPDX-License-Identifier: Apache-2.0
// The disk store's format and behaviour on a temp dir: names, contents and modes that the Go
// host-local shares, the index, legacy and Go-made files, crash leftovers, GC, and several
// processes allocating at once through the flock.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <set>
#include <thread>

#include "common/sha512.h"
#include "ipam/allocator.h"
#include "ipam/disk_store.h"
#include "support/invocation.h"
#include "support/temp_dir.h"

namespace cnb::ipam {
namespace {

using test::FileExists;
using test::FileMode;
using test::ListDir;
using test::ReadFile;
using test::WriteFile;

IpAddr Ip(const char* s) { return *IpAddr::Parse(s); }

// The documented index entry name: 32 hex digits of sha512(containerID NUL ifname).
std::string IndexName(const std::string& id, const std::string& ifname) {
  return ".index/" + Sha512Hex(id + std::string(1, '\0') + ifname).substr(0, 32);
}

RangeSet Set(const char* subnet) {
  Range r;
  r.subnet = *IpNet::Parse(subnet);
  RangeSet set{r};
  CanonicalizeRangeSet(set);
  return set;
}

class DiskStoreTest : public ::testing::Test {
 protected:
  void SetUp() override { old_umask_ = ::umask(022); }
  void TearDown() override { ::umask(old_umask_); }
  std::string NetDir() const { return tmp_.path() + "/data/net1"; }
  std::string F(const std::string& name) const { return NetDir() + "/" + name; }

  test::TempDir tmp_;
  mode_t old_umask_ = 0;
};

TEST_F(DiskStoreTest, LayoutMatchesGoHostLocal) {
  DiskStore store(tmp_.path() + "/data", "net1");
  EXPECT_EQ(FileMode(tmp_.path() + "/data"), 0755u);
  EXPECT_EQ(FileMode(NetDir()), 0755u);
  ASSERT_TRUE(FileExists(F("lock")));
  EXPECT_EQ(FileMode(F("lock")), 0750u);
  EXPECT_EQ(ReadFile(F("lock")), "");

  StoreLock lock(store);
  Attachment a{"ctr1", "eth0"};
  EXPECT_TRUE(store.Reserve(a, Ip("10.1.2.7"), 0));
  EXPECT_TRUE(store.Reserve(a, Ip("fd00::a:7"), 1));
  EXPECT_EQ(ReadFile(F("10.1.2.7")), "ctr1\r\neth0");  // no trailing newline
  EXPECT_EQ(FileMode(F("10.1.2.7")), 0600u);
  EXPECT_EQ(ReadFile(F("fd00::a:7")), "ctr1\r\neth0");  // RFC 5952 name
  EXPECT_EQ(ReadFile(F("last_reserved_ip.0")), "10.1.2.7");
  EXPECT_EQ(ReadFile(F("last_reserved_ip.1")), "fd00::a:7");
  EXPECT_EQ(FileMode(F("last_reserved_ip.0")), 0600u);
  EXPECT_EQ(ReadFile(F(IndexName("ctr1", "eth0"))), "10.1.2.7\nfd00::a:7\n");
  // Nothing else: no temp files left behind.
  EXPECT_EQ(ListDir(NetDir()), (std::vector<std::string>{".index", "10.1.2.7", "fd00::a:7", "last_reserved_ip.0",
                                                         "last_reserved_ip.1", "lock"}));
  EXPECT_EQ(*store.LastReservedIp(0), Ip("10.1.2.7"));
  EXPECT_FALSE(store.LastReservedIp(5));
  // Taken addresses are refused and left untouched.
  EXPECT_FALSE(store.Reserve(Attachment{"other", "eth0"}, Ip("10.1.2.7"), 0));
  EXPECT_EQ(ReadFile(F("10.1.2.7")), "ctr1\r\neth0");
  EXPECT_EQ(ReadFile(F("last_reserved_ip.0")), "10.1.2.7");
}

TEST_F(DiskStoreTest, RoundRobinMarkerIsRewrittenInPlace) {
  DiskStore store(tmp_.path() + "/data", "net1");
  StoreLock lock(store);
  ASSERT_TRUE(store.Reserve(Attachment{"a", "eth0"}, Ip("10.1.2.100"), 0));
  struct stat before;
  ASSERT_EQ(::stat(F("last_reserved_ip.0").c_str(), &before), 0);
  // A shorter address: no stale tail of the longer one may follow it.
  ASSERT_TRUE(store.Reserve(Attachment{"b", "eth0"}, Ip("10.1.2.7"), 0));
  struct stat after;
  ASSERT_EQ(::stat(F("last_reserved_ip.0").c_str(), &after), 0);
  EXPECT_EQ(ReadFile(F("last_reserved_ip.0")), "10.1.2.7");
  // The same file, not a replacement: replacing frees a block per ADD (see UpdateSmallFile).
  EXPECT_EQ(after.st_ino, before.st_ino);
  ASSERT_TRUE(store.Reserve(Attachment{"c", "eth0"}, Ip("10.1.2.255"), 0));
  EXPECT_EQ(ReadFile(F("last_reserved_ip.0")), "10.1.2.255");
  EXPECT_EQ(*store.LastReservedIp(0), Ip("10.1.2.255"));
}

TEST_F(DiskStoreTest, LockIsAnExclusiveFlock) {
  DiskStore store(tmp_.path() + "/data", "net1");
  store.Lock();
  // Another open file description (as another process would have) cannot take it.
  int fd = ::open(F("lock").c_str(), O_RDONLY);
  ASSERT_GE(fd, 0);
  EXPECT_NE(::flock(fd, LOCK_EX | LOCK_NB), 0);
  store.Unlock();
  EXPECT_EQ(::flock(fd, LOCK_EX | LOCK_NB), 0);
  ::close(fd);
}

TEST_F(DiskStoreTest, ReleaseThroughIndexVerifiesOwnership) {
  DiskStore store(tmp_.path() + "/data", "net1");
  StoreLock lock(store);
  Attachment a{"ctr1", "eth0"};
  ASSERT_TRUE(store.Reserve(a, Ip("10.1.2.7"), 0));
  ASSERT_TRUE(store.Reserve(a, Ip("10.1.3.7"), 1));
  // The Go binary released 10.1.3.7 and gave it to someone else meanwhile.
  WriteFile(F("10.1.3.7"), "someone\r\neth0");
  EXPECT_EQ(store.GetByAttachment(a), (std::vector<IpAddr>{Ip("10.1.2.7")}));
  store.ReleaseByAttachment(a);
  EXPECT_FALSE(FileExists(F("10.1.2.7")));
  EXPECT_EQ(ReadFile(F("10.1.3.7")), "someone\r\neth0");
  EXPECT_FALSE(FileExists(F(".index/ctr1:eth0")));
  EXPECT_TRUE(FileExists(F("lock")));
  EXPECT_TRUE(FileExists(F("last_reserved_ip.0")));
}

TEST_F(DiskStoreTest, GoMadeAndLegacyFilesFoundAndReleasedByFullScan) {
  DiskStore store(tmp_.path() + "/data", "net1");
  StoreLock lock(store);
  // Written as the Go binary does (trailing whitespace is tolerated by the trimming match).
  WriteFile(F("10.1.2.2"), "gopod\r\neth0\n");
  WriteFile(F("10.1.2.3"), "oldpod");  // pre-v0.8.0 format
  WriteFile(F("10.1.2.4"), "oldpod\r\neth1");
  EXPECT_FALSE(store.Reserve(Attachment{"x", "eth0"}, Ip("10.1.2.2"), 0));
  EXPECT_TRUE(store.FindByAttachment(Attachment{"gopod", "eth0"}));
  EXPECT_FALSE(store.FindByAttachment(Attachment{"gopod", "eth1"}));
  EXPECT_TRUE(store.FindByAttachment(Attachment{"oldpod", "eth9"}));  // legacy id match

  store.ReleaseByAttachment(Attachment{"gopod", "eth0"});
  EXPECT_FALSE(FileExists(F("10.1.2.2")));
  // A full match exists for oldpod/eth1: only it goes, the legacy file stays.
  store.ReleaseByAttachment(Attachment{"oldpod", "eth1"});
  EXPECT_FALSE(FileExists(F("10.1.2.4")));
  EXPECT_TRUE(FileExists(F("10.1.2.3")));
  // No full match for eth0: the legacy id-only file is released.
  store.ReleaseByAttachment(Attachment{"oldpod", "eth0"});
  EXPECT_FALSE(FileExists(F("10.1.2.3")));
  // Releasing what is not there is fine.
  store.ReleaseByAttachment(Attachment{"nobody", "eth0"});
}

TEST_F(DiskStoreTest, StaleIndexEntryFallsBackToFullScan) {
  DiskStore store(tmp_.path() + "/data", "net1");
  StoreLock lock(store);
  ::mkdir(F(".index").c_str(), 0755);
  WriteFile(F(IndexName("pod", "eth0")), "10.1.2.9\n");  // file since released by the Go binary
  WriteFile(F("10.1.2.20"), "pod\r\neth0");              // and re-added by it elsewhere
  store.ReleaseByAttachment(Attachment{"pod", "eth0"});
  EXPECT_FALSE(FileExists(F("10.1.2.20")));
  EXPECT_FALSE(FileExists(F(IndexName("pod", "eth0"))));
}

TEST_F(DiskStoreTest, CrashLeftoverTempFileIsIgnoredAndCollected) {
  DiskStore store(tmp_.path() + "/data", "net1");
  StoreLock lock(store);
  WriteFile(F(".reserve-10.1.2.9-99999"), "ghost\r\neth0");
  EXPECT_FALSE(store.FindByAttachment(Attachment{"ghost", "eth0"}));
  EXPECT_TRUE(store.ListReserved().empty());
  // The address itself is still free.
  EXPECT_TRUE(store.Reserve(Attachment{"real", "eth0"}, Ip("10.1.2.9"), 0));
  EXPECT_EQ(store.Gc({Attachment{"real", "eth0"}}), 0u);
  EXPECT_FALSE(FileExists(F(".reserve-10.1.2.9-99999")));
  EXPECT_EQ(ReadFile(F("10.1.2.9")), "real\r\neth0");
}

// A crash cut an index write short: its readers see that and scan instead of trusting it.
TEST_F(DiskStoreTest, TornIndexEntryFallsBackToFullScan) {
  DiskStore store(tmp_.path() + "/data", "net1");
  StoreLock lock(store);
  ASSERT_TRUE(store.Reserve(Attachment{"pod", "eth0"}, Ip("10.1.2.2"), 0));
  ASSERT_TRUE(store.Reserve(Attachment{"pod", "eth0"}, Ip("fd00::2"), 1));
  for (const char* torn : {"", "10.1.2.2\nfd0", "10.1.2.2\n\n", "fd00::2\n.2.2\n"}) {
    SCOPED_TRACE(testing::PrintToString(torn));
    WriteFile(F(IndexName("pod", "eth0")), torn);
    EXPECT_EQ(store.GetByAttachment(Attachment{"pod", "eth0"}).size(), 2u) << "the ADD duplicate check must see both";
  }
  // Writing it again repairs it, from the scan.
  ASSERT_FALSE(store.Reserve(Attachment{"pod", "eth0"}, Ip("10.1.2.2"), 0));
  ASSERT_TRUE(store.Reserve(Attachment{"pod", "eth0"}, Ip("10.1.2.3"), 0));
  std::vector<IpAddr> listed = store.GetByAttachment(Attachment{"pod", "eth0"});
  std::sort(listed.begin(), listed.end());
  EXPECT_EQ(listed, (std::vector<IpAddr>{Ip("10.1.2.2"), Ip("10.1.2.3"), Ip("fd00::2")}));
  EXPECT_TRUE(ReadFile(F(IndexName("pod", "eth0"))).ends_with("10.1.2.3\n")) << "whole again";
  store.ReleaseByAttachment(Attachment{"pod", "eth0"});
  EXPECT_TRUE(store.ListReserved().empty());
}

// The spec sets no limit on a container ID (the reference takes 1024 bytes); only the index
// names files after the attachment, and it hashes.
TEST_F(DiskStoreTest, ContainerIdsOfAnyLengthWork) {
  DiskStore store(tmp_.path() + "/data", "net1");
  StoreLock lock(store);
  const std::string id(1024, 'c');
  ASSERT_TRUE(store.Reserve(Attachment{id, "eth0"}, Ip("10.1.2.2"), 0));
  EXPECT_EQ(ReadFile(F("10.1.2.2")), id + "\r\neth0");
  EXPECT_EQ(store.GetByAttachment(Attachment{id, "eth0"}), std::vector<IpAddr>{Ip("10.1.2.2")});
  EXPECT_TRUE(FileExists(F(IndexName(id, "eth0"))));
  // IDs that would be paths elsewhere are just names here.
  ASSERT_TRUE(store.Reserve(Attachment{"../../etc", "eth0"}, Ip("10.1.2.3"), 0));
  store.ReleaseByAttachment(Attachment{id, "eth0"});
  store.ReleaseByAttachment(Attachment{"../../etc", "eth0"});
  EXPECT_TRUE(store.ListReserved().empty());
  EXPECT_TRUE(ListDir(F(".index")).empty());
}

TEST_F(DiskStoreTest, GcReleasesWhatIsNotValid) {
  DiskStore store(tmp_.path() + "/data", "net1");
  StoreLock lock(store);
  ASSERT_TRUE(store.Reserve(Attachment{"keep", "eth0"}, Ip("10.1.2.2"), 0));
  ASSERT_TRUE(store.Reserve(Attachment{"gone", "eth0"}, Ip("10.1.2.3"), 0));
  ASSERT_TRUE(store.Reserve(Attachment{"keep", "eth1"}, Ip("10.1.2.4"), 0));
  WriteFile(F("10.1.2.5"), "keep");   // legacy file of a valid container: kept
  WriteFile(F("10.1.2.6"), "stale");  // legacy file of an unknown container
  WriteFile(F("10.1.2.7"), "");       // the empty file a crashed Go ADD leaves
  WriteFile(F("10.1.2.8"), "gopod\r\neth0");
  EXPECT_EQ(store.Gc({Attachment{"keep", "eth0"}, Attachment{"gopod", "eth0"}}), 4u);
  EXPECT_EQ(ListDir(NetDir()),
            (std::vector<std::string>{".index", "10.1.2.2", "10.1.2.5", "10.1.2.8", "last_reserved_ip.0", "lock"}));
  EXPECT_EQ(ListDir(F(".index")), (std::vector<std::string>{IndexName("keep", "eth0").substr(7)}));
  // An empty valid list releases everything but never the lock or the round-robin marker.
  EXPECT_EQ(store.Gc({}), 3u);
  EXPECT_EQ(ListDir(NetDir()), (std::vector<std::string>{".index", "last_reserved_ip.0", "lock"}));
}

TEST_F(DiskStoreTest, ReservedIpsWithoutLockAndWithoutCreating) {
  DiskStore missing = DiskStore::OpenExisting(tmp_.path() + "/data", "nonet");
  EXPECT_FALSE(missing.exists());
  EXPECT_TRUE(missing.ReservedIps(Attachment{"a", "eth0"}).empty());
  EXPECT_FALSE(FileExists(tmp_.path() + "/data/nonet"));

  {
    DiskStore store(tmp_.path() + "/data", "net1");
    StoreLock lock(store);
    ASSERT_TRUE(store.Reserve(Attachment{"a", "eth0"}, Ip("10.1.2.2"), 0));
    WriteFile(F("10.1.2.3"), "b\r\neth0");
  }
  DiskStore view = DiskStore::OpenExisting(tmp_.path() + "/data", "net1");
  EXPECT_EQ(view.ReservedIps(Attachment{"a", "eth0"}), (std::vector<IpAddr>{Ip("10.1.2.2")}));
  EXPECT_EQ(view.ReservedIps(Attachment{"b", "eth0"}), (std::vector<IpAddr>{Ip("10.1.2.3")}));  // scan
}

// Each child process allocates `per_child` addresses through its own store and reports them.
std::vector<std::string> AllocateInChildren(const std::string& data_dir, int children, int per_child) {
  std::vector<std::pair<pid_t, int>> kids;
  for (int c = 0; c < children; ++c) {
    int fds[2];
    if (::pipe(fds) != 0) return {};
    pid_t pid = ::fork();
    if (pid == 0) {
      ::close(fds[0]);
      int status = 0;
      try {
        DiskStore store(data_dir, "net1");
        RangeSet set = Set("10.5.0.0/24");
        for (int i = 0; i < per_child; ++i) {
          StoreLock lock(store);
          Allocator alloc(set, store, 0);
          std::string line =
              alloc.Get(Attachment{"p" + std::to_string(c) + "-" + std::to_string(i), "eth0"}, std::nullopt)
                  .address.addr()
                  .ToString() +
              "\n";
          if (::write(fds[1], line.data(), line.size()) != static_cast<ssize_t>(line.size())) status = 2;
        }
      } catch (...) {
        status = 1;
      }
      ::_exit(status);
    }
    ::close(fds[1]);
    kids.emplace_back(pid, fds[0]);
  }
  std::vector<std::string> out;
  for (auto [pid, fd] : kids) {
    std::string data;
    char buf[256];
    ssize_t n;
    while ((n = ::read(fd, buf, sizeof buf)) > 0) data.append(buf, static_cast<size_t>(n));
    ::close(fd);
    int status = 0;
    ::waitpid(pid, &status, 0);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "child " << pid << " status " << status;
    size_t start = 0;
    for (size_t nl; (nl = data.find('\n', start)) != std::string::npos; start = nl + 1)
      out.push_back(data.substr(start, nl - start));
  }
  return out;
}

TEST_F(DiskStoreTest, ParallelProcessesGetDistinctAddresses) {
  const int kChildren = 8;
  const int kEach = 10;
  std::vector<std::string> got = AllocateInChildren(tmp_.path() + "/data", kChildren, kEach);
  ASSERT_EQ(got.size(), static_cast<size_t>(kChildren * kEach));
  std::set<std::string> distinct(got.begin(), got.end());
  EXPECT_EQ(distinct.size(), got.size());
  EXPECT_EQ(distinct.count("10.5.0.1"), 0u);  // never the gateway
  // Exactly one file per address, each with its owner's content.
  size_t ip_files = 0;
  for (const auto& name : ListDir(NetDir()))
    if (IpAddr::Parse(name)) ++ip_files;
  EXPECT_EQ(ip_files, got.size());
  // Serialized by the lock, nothing released: exactly the first addresses after the gateway.
  std::set<std::string> expected;
  for (int i = 0; i < kChildren * kEach; ++i) expected.insert("10.5.0." + std::to_string(2 + i));
  EXPECT_EQ(distinct, expected);
}

TEST_F(DiskStoreTest, ParallelThreadsWithSeparateStoresGetDistinctAddresses) {
  const int kThreads = 6;
  const int kEach = 15;
  std::vector<std::vector<std::string>> per(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      DiskStore store(tmp_.path() + "/data", "net1");  // own open file description: real flock contention
      RangeSet set = Set("10.6.0.0/24");
      for (int i = 0; i < kEach; ++i) {
        StoreLock lock(store);
        per[t].push_back(Allocator(set, store, 0)
                             .Get(Attachment{"t" + std::to_string(t) + "-" + std::to_string(i), "eth0"}, std::nullopt)
                             .address.addr()
                             .ToString());
      }
    });
  }
  for (auto& th : threads) th.join();
  std::set<std::string> distinct;
  for (const auto& v : per) distinct.insert(v.begin(), v.end());
  EXPECT_EQ(distinct.size(), static_cast<size_t>(kThreads * kEach));
}

}  // namespace
}  // namespace cnb::ipam
