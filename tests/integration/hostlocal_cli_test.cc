// SPDX-License-Identifier: Apache-2.0
// The host-local executable run as a runtime runs it: clean environment, config on stdin,
// JSON on stdout. Needs no root (IPAM touches only its dataDir, here a temp dir).
#include <fcntl.h>
#include <ftw.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <dirent.h>

#include <algorithm>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "support/process.h"

namespace {

using nlohmann::json;

const std::string kHostLocal = std::string(CNB_BIN_DIR) + "/host-local";

struct ExecResult {
  int status = -1;
  std::string out;
  std::string err;
  json doc;  // stdout parsed, null when not JSON
};

// Runs host-local with exactly `env` and `input` on stdin.
ExecResult Exec(const std::vector<std::string>& args, const std::map<std::string, std::string>& env,
                const std::string& input) {
  std::vector<std::string> argv = {kHostLocal};
  argv.insert(argv.end(), args.begin(), args.end());
  cnb::test::ProcessResult p = cnb::test::RunProcess(argv, env, input);
  ExecResult r;
  r.status = p.exit_code;
  r.out = p.out;
  r.err = p.err;
  r.doc = json::parse(r.out, nullptr, false);
  if (r.doc.is_discarded()) r.doc = nullptr;
  return r;
}

class HostLocalExec : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = "/tmp/cnb-hostlocal-exec-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override {
    ::nftw(
        dir_.c_str(), [](const char* p, const struct stat*, int, struct FTW*) { return ::remove(p); }, 16,
        FTW_DEPTH | FTW_PHYS);
  }

  json Conf(const std::string& version = "1.0.0") const {
    return {{"cniVersion", version},
            {"name", "execnet"},
            {"type", "bridge"},
            {"ipam",
             {{"type", "host-local"},
              {"dataDir", dir_},
              {"ranges", {{{{"subnet", "10.55.0.0/24"}}}, {{{"subnet", "fd55::/64"}}}}},
              {"routes", {{{"dst", "0.0.0.0/0"}}}}}}};
  }
  std::map<std::string, std::string> Env(const std::string& cmd, const std::string& id = "exec1") const {
    std::map<std::string, std::string> env = {{"CNI_COMMAND", cmd}, {"CNI_PATH", "/opt/cni/bin"}};
    if (!id.empty()) {
      env["CNI_CONTAINERID"] = id;
      env["CNI_NETNS"] = "/var/run/netns/unused";
      env["CNI_IFNAME"] = "eth0";
    }
    return env;
  }
  std::string NetFile(const std::string& name) const { return dir_ + "/execnet/" + name; }
  bool Exists(const std::string& name) const {
    struct stat st;
    return ::stat(NetFile(name).c_str(), &st) == 0;
  }
  std::vector<std::string> IpFiles() const {
    std::vector<std::string> out;
    if (DIR* d = ::opendir((dir_ + "/execnet").c_str())) {
      while (dirent* e = ::readdir(d)) {
        std::string n = e->d_name;
        if (n.find_first_not_of("0123456789.:abcdef") == std::string::npos && n != "." && n != "..") out.push_back(n);
      }
      ::closedir(d);
    }
    std::sort(out.begin(), out.end());
    return out;
  }

  std::string dir_;
};

TEST_F(HostLocalExec, VersionFlagAndCommand) {
  ExecResult flag = Exec({"--version"}, {}, "");
  EXPECT_EQ(flag.status, 0);
  EXPECT_EQ(flag.out.rfind("host-local ", 0), 0u) << flag.out;

  ExecResult v = Exec({}, {{"CNI_COMMAND", "VERSION"}}, "{}");
  ASSERT_EQ(v.status, 0) << v.err;
  EXPECT_EQ(v.doc["cniVersion"], "1.1.0");
  EXPECT_EQ(v.doc["supportedVersions"].size(), 7u);

  ExecResult about = Exec({}, {}, "");
  EXPECT_EQ(about.status, 0);
  EXPECT_TRUE(about.out.empty());
  EXPECT_NE(about.err.find("CNI host-local plugin"), std::string::npos) << about.err;
}

TEST_F(HostLocalExec, AddCheckDelRoundTrip) {
  ExecResult add = Exec({}, Env("ADD"), Conf().dump());
  ASSERT_EQ(add.status, 0) << add.out << add.err;
  EXPECT_EQ(add.doc["cniVersion"], "1.0.0");
  EXPECT_EQ(add.doc["ips"][0]["address"], "10.55.0.2/24");
  EXPECT_EQ(add.doc["ips"][0]["gateway"], "10.55.0.1");
  EXPECT_EQ(add.doc["ips"][1]["address"], "fd55::2/64");
  EXPECT_EQ(add.doc["routes"][0]["dst"], "0.0.0.0/0");
  EXPECT_EQ(add.out.back(), '}');  // no trailing newline, like the Go plugins
  EXPECT_EQ(IpFiles(), (std::vector<std::string>{"10.55.0.2", "fd55::2"}));
  std::ifstream f(NetFile("10.55.0.2"), std::ios::binary);
  std::string content((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  EXPECT_EQ(content, "exec1\r\neth0");

  ExecResult check = Exec({}, Env("CHECK"), Conf().dump());
  EXPECT_EQ(check.status, 0) << check.out;
  EXPECT_TRUE(check.out.empty());

  ExecResult dup = Exec({}, Env("ADD"), Conf().dump());
  EXPECT_EQ(dup.status, 1);
  EXPECT_EQ(dup.doc["code"], 999);
  EXPECT_EQ(
      dup.doc["msg"],
      "failed to allocate for range 0: 10.55.0.2 has been allocated to exec1, duplicate allocation is not allowed");

  ExecResult del = Exec({}, Env("DEL"), Conf().dump());
  EXPECT_EQ(del.status, 0) << del.out;
  EXPECT_TRUE(IpFiles().empty());
  EXPECT_TRUE(Exists("lock"));
  EXPECT_EQ(Exec({}, Env("DEL"), Conf().dump()).status, 0);  // DEL twice is fine

  ExecResult gone = Exec({}, Env("CHECK"), Conf().dump());
  EXPECT_EQ(gone.status, 1);
  EXPECT_EQ(gone.doc["msg"], "host-local: Failed to find address added by container exec1");
}

TEST_F(HostLocalExec, ErrorsAsJsonOnStdout) {
  json bad = Conf();
  bad["ipam"]["ranges"] = {{{{"subnet", "10.55.0.0/31"}}}};
  ExecResult r = Exec({}, Env("ADD"), bad.dump());
  EXPECT_EQ(r.status, 1);
  EXPECT_EQ(r.doc["code"], 999);
  EXPECT_EQ(r.doc["msg"], "invalid range set 0: Network 10.55.0.0/31 too small to allocate from");

  ExecResult args = Exec(
      {},
      [&] {
        auto e = Env("ADD");
        e["CNI_ARGS"] = "IP=10.55.0.9;FOO=bar";
        return e;
      }(),
      Conf().dump());
  EXPECT_EQ(args.status, 1);
  EXPECT_EQ(args.doc["msg"], "ARGS: unknown args [\"FOO=bar\"]");

  ExecResult old = Exec({}, Env("GC", ""), Conf("1.0.0").dump());
  EXPECT_EQ(old.status, 1);
  EXPECT_EQ(old.doc["code"], 1);
}

TEST_F(HostLocalExec, StatusAndGcVerbs) {
  json conf = Conf("1.1.0");
  conf["ipam"]["ranges"] = {{{{"subnet", "10.56.0.0/30"}}}};
  EXPECT_EQ(Exec({}, Env("STATUS", ""), conf.dump()).status, 0);
  ASSERT_EQ(Exec({}, Env("ADD", "s1"), conf.dump()).status, 0);
  ExecResult full = Exec({}, Env("STATUS", ""), conf.dump());
  EXPECT_EQ(full.status, 1);
  EXPECT_EQ(full.doc["code"], 50);
  EXPECT_EQ(full.doc["msg"], "no IP addresses available in range set: 10.56.0.1-10.56.0.2");

  json gc = conf;
  gc["cni.dev/valid-attachments"] = json::array();
  gc["cni.dev/attachments"] = json::array();
  EXPECT_EQ(Exec({}, Env("GC", ""), gc.dump()).status, 0);
  EXPECT_TRUE(IpFiles().empty());
  EXPECT_EQ(Exec({}, Env("STATUS", ""), conf.dump()).status, 0);
}

TEST_F(HostLocalExec, ConcurrentProcessesGetDistinctAddresses) {
  const int kPods = 24;
  std::vector<ExecResult> runs(kPods);
  std::vector<std::thread> threads;
  for (int i = 0; i < kPods; ++i) {
    threads.emplace_back([&, i] { runs[i] = Exec({}, Env("ADD", "par" + std::to_string(i)), Conf().dump()); });
  }
  for (auto& t : threads) t.join();
  std::set<std::string> v4, v6;
  for (const auto& r : runs) {
    ASSERT_EQ(r.status, 0) << r.out << r.err;
    v4.insert(r.doc["ips"][0]["address"].get<std::string>());
    v6.insert(r.doc["ips"][1]["address"].get<std::string>());
  }
  EXPECT_EQ(v4.size(), static_cast<size_t>(kPods));
  EXPECT_EQ(v6.size(), static_cast<size_t>(kPods));
  EXPECT_EQ(IpFiles().size(), static_cast<size_t>(2 * kPods));
}

}  // namespace
