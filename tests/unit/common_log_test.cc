// SPDX-License-Identifier: Apache-2.0
// Logging: level filtering, context, file output; never stdout.
#include <gtest/gtest.h>

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>

#include "common/log.h"

namespace cnb {
namespace {

class LogTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/cnb-log-test-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    path_ = dir_ + "/plugin.log";
    saved_level_ = log::GetLevel();
    log::SetStderr(false);
    log::SetContext("");
  }
  void TearDown() override {
    log::SetFile("/dev/null");  // drop our file before it is removed
    log::SetLevel(saved_level_);
    log::SetContext("");
    log::SetStderr(true);
    std::remove(path_.c_str());
    ::rmdir(dir_.c_str());
  }
  std::string ReadLog() {
    std::ifstream in(path_);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
  }
  std::string dir_, path_;
  log::Level saved_level_ = log::Level::kWarn;
};

TEST(LogParseLevel, Names) {
  log::Level l = log::Level::kError;
  EXPECT_TRUE(log::ParseLevel("debug", &l));
  EXPECT_EQ(l, log::Level::kDebug);
  EXPECT_TRUE(log::ParseLevel("info", &l));
  EXPECT_EQ(l, log::Level::kInfo);
  EXPECT_TRUE(log::ParseLevel("warn", &l));
  EXPECT_EQ(l, log::Level::kWarn);
  EXPECT_TRUE(log::ParseLevel("error", &l));
  EXPECT_EQ(l, log::Level::kError);
  l = log::Level::kInfo;
  EXPECT_FALSE(log::ParseLevel("verbose", &l));
  EXPECT_FALSE(log::ParseLevel("", &l));
  EXPECT_FALSE(log::ParseLevel("DEBUG", &l));
  EXPECT_EQ(l, log::Level::kInfo);  // untouched on failure
}

TEST_F(LogTest, FiltersByLevelAndWritesContext) {
  log::SetFile(path_);
  log::SetLevel(log::Level::kInfo);
  EXPECT_EQ(log::GetLevel(), log::Level::kInfo);
  log::SetContext("cmd=ADD id=abc if=eth0");
  log::Debug("debug-line");
  log::Info("info-line");
  log::Warn("warn-line");
  log::Error("error-line");
  std::string text = ReadLog();
  std::string pid = " pid=" + std::to_string(::getpid()) + " ";
  EXPECT_EQ(text.find("debug-line"), std::string::npos);
  EXPECT_NE(text.find(" info" + pid + "cmd=ADD id=abc if=eth0 info-line\n"), std::string::npos) << text;
  EXPECT_NE(text.find(" warn "), std::string::npos);
  EXPECT_NE(text.find(" error" + pid + "cmd=ADD id=abc if=eth0 error-line\n"), std::string::npos);
  // One line per message, each starting with a UTC timestamp.
  std::istringstream lines(text);
  std::string line;
  int count = 0;
  while (std::getline(lines, line)) {
    ++count;
    ASSERT_GE(line.size(), 28u);
    EXPECT_EQ(line[4], '-');
    EXPECT_EQ(line[10], 'T');
    EXPECT_EQ(line[26], 'Z');
  }
  EXPECT_EQ(count, 3);
}

TEST_F(LogTest, AppendsAcrossOpens) {
  log::SetLevel(log::Level::kWarn);
  log::SetFile(path_);
  log::Warn("one");
  log::SetFile(path_);
  log::Warn("two");
  std::string text = ReadLog();
  EXPECT_NE(text.find("one"), std::string::npos);
  EXPECT_NE(text.find("two"), std::string::npos);
  EXPECT_LT(text.find("one"), text.find("two"));
}

TEST_F(LogTest, UnopenableFileIsIgnored) {
  log::SetFile(path_);
  log::SetFile(dir_ + "/no/such/dir/x.log");  // reported on stderr (disabled here), old file kept
  log::Error("still-here");
  EXPECT_NE(ReadLog().find("still-here"), std::string::npos);
}

}  // namespace
}  // namespace cnb
