// SPDX-License-Identifier: Apache-2.0
// File helpers: whole reads and writes, files that readers never see half-written, and the
// owned directory stream.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <set>

#include "common/error.h"
#include "common/file_util.h"
#include "support/temp_dir.h"

namespace cnb {
namespace {

using test::ListDir;
using test::ReadFile;
using test::TempDir;

TEST(FileUtil, WriteAllThenReadAllRoundTrips) {
  TempDir dir;
  const std::string path = dir.path() + "/f";
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT, 0600);
  ASSERT_GE(fd, 0);
  std::string big(100000, 'x');
  EXPECT_EQ(WriteAll(fd, big), 0);
  ::close(fd);
  fd = ::open(path.c_str(), O_RDONLY);
  std::string back;
  EXPECT_EQ(ReadAll(fd, &back), 0);
  EXPECT_EQ(back, big);
  ::lseek(fd, 0, SEEK_SET);
  std::string limited;
  EXPECT_EQ(ReadAll(fd, &limited, 10), EFBIG);
  ::close(fd);
  EXPECT_EQ(WriteAll(-1, "x"), EBADF);
}

TEST(FileUtil, ReadSmallFileRefusesLargeOnesAndSymlinks) {
  TempDir dir;
  WriteNewFile(dir.path() + "/small", "abc");
  WriteNewFile(dir.path() + "/large", std::string(5000, 'y'));
  ASSERT_EQ(::symlink((dir.path() + "/small").c_str(), (dir.path() + "/link").c_str()), 0);
  EXPECT_EQ(ReadSmallFile(dir.path() + "/small"), "abc");
  EXPECT_EQ(ReadSmallFile(dir.path() + "/large"), std::nullopt);
  EXPECT_EQ(ReadSmallFile(dir.path() + "/link"), std::nullopt);
  EXPECT_EQ(ReadSmallFile(dir.path() + "/missing"), std::nullopt);
}

TEST(FileUtil, WriteNewFileIsPrivateAndReplacesAStaleOne) {
  TempDir dir;
  const std::string path = dir.path() + "/r";
  WriteNewFile(path, "first");
  WriteNewFile(path, "second");  // a crashed writer's leftover of the same name
  EXPECT_EQ(ReadFile(path), "second");
  struct stat st;
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  EXPECT_THROW(WriteNewFile(dir.path() + "/no/such/dir/f", "x"), Error);
}

TEST(FileUtil, ReplaceFileLeavesNoTempFile) {
  TempDir dir;
  ReplaceFile(dir.path(), "name", ".name.tmp", "one");
  ReplaceFile(dir.path(), "name", ".name.tmp", "two");
  EXPECT_EQ(ReadFile(dir.path() + "/name"), "two");
  std::set<std::string> names;
  ForEachEntry(dir.path(), [&](const std::string& n, unsigned char) { names.insert(n); });
  EXPECT_EQ(names, std::set<std::string>{"name"});
}

// A reservation appears whole or not at all, an existing one is left alone, and no temp file
// is ever named (so a crash cannot leave one).
TEST(FileUtil, LinkNewFileIsExclusiveAndNamesNoTempFile) {
  TempDir dir;
  EXPECT_TRUE(LinkNewFile(dir.path(), "10.0.0.2", "ctr\r\neth0", ".reserve-x"));
  EXPECT_FALSE(LinkNewFile(dir.path(), "10.0.0.2", "other\r\neth0", ".reserve-x"));
  EXPECT_EQ(ReadFile(dir.path() + "/10.0.0.2"), "ctr\r\neth0");
  struct stat st;
  ASSERT_EQ(::stat((dir.path() + "/10.0.0.2").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  EXPECT_EQ(ListDir(dir.path()), std::vector<std::string>{"10.0.0.2"});
  EXPECT_THROW(LinkNewFile(dir.path() + "/missing", "x", "", ".t"), Error);
}

TEST(FileUtil, UpdateSmallFileRewritesInPlaceAndCreatesWithoutATempFile) {
  TempDir dir;
  UpdateSmallFile(dir.path(), "last", ".last.tmp", "10.0.0.10");
  struct stat before;
  ASSERT_EQ(::stat((dir.path() + "/last").c_str(), &before), 0);
  UpdateSmallFile(dir.path(), "last", ".last.tmp", "10.0.0.9");
  EXPECT_EQ(ReadFile(dir.path() + "/last"), "10.0.0.9");  // cut to the new length
  struct stat after;
  ASSERT_EQ(::stat((dir.path() + "/last").c_str(), &after), 0);
  EXPECT_EQ(after.st_ino, before.st_ino) << "rewritten, not replaced";
  EXPECT_EQ(ListDir(dir.path()), std::vector<std::string>{"last"});
}

TEST(FileUtil, MkdirAllMakesEveryLevelAndRefusesAFile) {
  TempDir dir;
  MkdirAll(dir.path() + "/a/b/c");
  struct stat st;
  ASSERT_EQ(::stat((dir.path() + "/a/b/c").c_str(), &st), 0);
  EXPECT_TRUE(S_ISDIR(st.st_mode));
  MkdirAll(dir.path() + "/a/b/c");  // idempotent
  WriteNewFile(dir.path() + "/file", "");
  EXPECT_THROW(MkdirAll(dir.path() + "/file"), Error);
}

TEST(FileUtil, DirReaderListsEntriesWithoutDotsAndMissingDirIsEmpty) {
  TempDir dir;
  WriteNewFile(dir.path() + "/x", "");
  MkdirAll(dir.path() + "/y");
  auto reader = DirReader::Open(dir.path());
  ASSERT_TRUE(reader.has_value());
  std::set<std::string> names;
  while (const dirent* e = reader->Next()) names.insert(e->d_name);
  EXPECT_EQ(names, (std::set<std::string>{"x", "y"}));
  EXPECT_FALSE(DirReader::Open(dir.path() + "/missing").has_value());
  int calls = 0;
  ForEachEntry(dir.path() + "/missing", [&](const std::string&, unsigned char) { ++calls; });
  EXPECT_EQ(calls, 0);
}

size_t OpenFds() { return ListDir("/proc/self/fd").size(); }

// The directory stream is owned from the moment it is opened: a callback that throws half-way
// through a listing leaves no descriptor open (ForEachEntry used to hold a raw DIR*).
TEST(FileUtil, AThrowingCallbackLeaksNoDirectoryStream) {
  TempDir dir;
  for (const char* name : {"a", "b", "c"}) WriteNewFile(dir.path() + "/" + name, "");
  const size_t before = OpenFds();
  for (int i = 0; i < 20; ++i) {
    EXPECT_THROW(ForEachEntry(dir.path(), [](const std::string&, unsigned char) { throw Error(ErrorCode::kIo, "x"); }),
                 Error);
  }
  EXPECT_EQ(OpenFds(), before);
}

}  // namespace
}  // namespace cnb
