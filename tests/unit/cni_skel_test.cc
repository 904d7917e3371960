// SPDX-License-Identifier: Apache-2.0
// PluginMain with a fake environment and string streams: the checks, their order, codes and
// texts of the Go library's skel, and the one-document stdout contract.
#include <gtest/gtest.h>

#include <map>
#include <sstream>
#include <stdexcept>
#include <string>

#include "cni/skel.h"
#include "cni/version.h"
#include "common/error.h"
#include "common/log.h"

namespace cnb::cni {
namespace {

using nlohmann::json;
using Env = std::map<std::string, std::string>;

constexpr const char* kAllVersions = R"(["0.1.0" "0.2.0" "0.3.0" "0.3.1" "0.4.0" "1.0.0" "1.1.0"])";

struct Outcome {
  int status = -1;
  std::string out;
  std::string err;
  json doc;  // stdout parsed (null when stdout is empty)
};

std::string Conf(const std::string& version, const std::string& name = "net1") {
  return json{{"cniVersion", version}, {"name", name}, {"type", "bridge"}}.dump();
}

Env AttachEnv(const std::string& command) {
  return {{"CNI_COMMAND", command},       {"CNI_CONTAINERID", "ctr-1"}, {"CNI_NETNS", "/var/run/netns/pod"},
          {"CNI_IFNAME", "eth0"},         {"CNI_PATH", "/opt/cni/bin"}, {"CNI_ARGS", "IgnoreUnknown=1"},
          {"OTHER_VAR", "passed-through"}};
}

class SkelTest : public ::testing::Test {
 protected:
  void SetUp() override {
    log::SetStderr(false);
    funcs_.add = [this](const Invocation& inv) {
      ++calls_;
      last_ = inv;
      return add_result_;
    };
    funcs_.del = [this](const Invocation& inv) {
      ++calls_;
      last_ = inv;
    };
    funcs_.check = funcs_.del;
    funcs_.status = funcs_.del;
    funcs_.gc = funcs_.del;
    add_result_.interfaces.push_back({"eth0", "0a:58:0a:01:00:05", "/var/run/netns/pod", 1500});
    add_result_.ips.push_back({*IpNet::Parse("10.1.0.5/24"), IpAddr::Parse("10.1.0.1"), 0});
    add_result_.routes.push_back({*IpNet::Parse("0.0.0.0/0"), IpAddr::Parse("10.1.0.1")});
  }
  void TearDown() override { log::SetStderr(true); }

  Outcome Run(const Env& env, const std::string& stdin_text) {
    EnvLookup lookup = [env](const std::string& name) {
      auto it = env.find(name);
      return it == env.end() ? std::string() : it->second;
    };
    Outcome o;
    PluginIo io;
    io.read_stdin = [stdin_text] { return stdin_text; };
    io.write_stdout = [&o](std::string_view s) { o.out += s; };
    io.write_stderr = [&o](std::string_view s) { o.err += s; };
    o.status = PluginMain(funcs_, lookup, io);
    if (!o.out.empty()) {
      // Exactly one JSON document: parse() rejects anything after it.
      o.doc = json::parse(o.out, nullptr, false);
      EXPECT_FALSE(o.doc.is_discarded()) << "stdout is not one JSON document:\n" << o.out;
    }
    return o;
  }

  // Runs and checks the error document; returns it for further checks.
  json ExpectError(const Env& env, const std::string& stdin_text, int code, const std::string& msg,
                   const std::string& details = "") {
    Outcome o = Run(env, stdin_text);
    EXPECT_EQ(o.status, 1);
    EXPECT_EQ(o.doc.value("code", -1), code) << o.out;
    EXPECT_EQ(o.doc.value("msg", ""), msg) << o.out;
    if (details.empty()) {
      EXPECT_FALSE(o.doc.contains("details")) << o.out;
    } else {
      EXPECT_EQ(o.doc.value("details", ""), details) << o.out;
    }
    EXPECT_TRUE(o.doc.contains("cniVersion")) << o.out;
    EXPECT_EQ(calls_, 0) << "plugin function ran despite the error";
    return o.doc;
  }

  PluginFuncs funcs_;
  Result add_result_;
  int calls_ = 0;
  Invocation last_;
};

// ---- VERSION and the about text ----

TEST_F(SkelTest, VersionExactOutputIgnoringStdinAndOtherVars) {
  Outcome o = Run({{"CNI_COMMAND", "VERSION"}}, "this is not json");
  EXPECT_EQ(o.status, 0);
  EXPECT_EQ(o.out,
            "{\"cniVersion\":\"1.1.0\",\"supportedVersions\":[\"0.1.0\",\"0.2.0\",\"0.3.0\",\"0.3.1\","
            "\"0.4.0\",\"1.0.0\",\"1.1.0\"]}\n");
  EXPECT_TRUE(o.err.empty());
  EXPECT_EQ(calls_, 0);
  // A bad container id is not looked at for VERSION.
  EXPECT_EQ(Run({{"CNI_COMMAND", "VERSION"}, {"CNI_CONTAINERID", "bad id"}}, "").status, 0);
}

TEST_F(SkelTest, NoCommandWithAboutPrintsItOnStderr) {
  funcs_.about = "CNI bridge plugin v0.1.0";
  Outcome o = Run({{"CNI_CONTAINERID", "x"}}, "");
  EXPECT_EQ(o.status, 0);
  EXPECT_TRUE(o.out.empty());
  EXPECT_EQ(o.err,
            "CNI bridge plugin v0.1.0\n"
            "CNI protocol versions supported: 0.1.0, 0.2.0, 0.3.0, 0.3.1, 0.4.0, 1.0.0, 1.1.0\n");
}

TEST_F(SkelTest, NoCommandWithoutAboutIsAnError) {
  Outcome o = Run({}, "");
  EXPECT_TRUE(o.err.empty());
  ExpectError({}, "", 4, "required env variables [CNI_COMMAND] missing");
}

// ---- environment ----

TEST_F(SkelTest, MissingVarsListedTogetherInOrder) {
  ExpectError({{"CNI_COMMAND", "ADD"}}, Conf("1.0.0"), 4,
              "required env variables [CNI_CONTAINERID,CNI_NETNS,CNI_IFNAME,CNI_PATH] missing");
  Env env = AttachEnv("ADD");
  env["CNI_NETNS"] = "";  // empty is the same as unset
  env.erase("CNI_PATH");
  ExpectError(env, Conf("1.0.0"), 4, "required env variables [CNI_NETNS,CNI_PATH] missing");
  ExpectError({{"CNI_COMMAND", "CHECK"}}, Conf("1.0.0"), 4,
              "required env variables [CNI_CONTAINERID,CNI_NETNS,CNI_IFNAME,CNI_PATH] missing");
  ExpectError({{"CNI_COMMAND", "DEL"}}, Conf("1.0.0"), 4,
              "required env variables [CNI_CONTAINERID,CNI_IFNAME,CNI_PATH] missing");
}

TEST_F(SkelTest, PathRequiredForEveryCommandButVersion) {
  for (const char* cmd : {"ADD", "DEL", "CHECK"}) {
    Env env = AttachEnv(cmd);
    env.erase("CNI_PATH");
    ExpectError(env, Conf("1.1.0"), 4, "required env variables [CNI_PATH] missing");
  }
  for (const char* cmd : {"GC", "STATUS"}) {
    ExpectError({{"CNI_COMMAND", cmd}}, Conf("1.1.0"), 4, "required env variables [CNI_PATH] missing");
  }
}

TEST_F(SkelTest, DelDoesNotNeedNetns) {
  Env env = AttachEnv("DEL");
  env.erase("CNI_NETNS");
  Outcome o = Run(env, Conf("1.0.0"));
  EXPECT_EQ(o.status, 0);
  EXPECT_TRUE(o.out.empty());  // DEL prints nothing on success
  EXPECT_EQ(calls_, 1);
  EXPECT_EQ(last_.command, Command::kDel);
  EXPECT_EQ(last_.netns, "");
}

TEST_F(SkelTest, GcAndStatusNeedOnlyPath) {
  for (const char* cmd : {"GC", "STATUS"}) {
    calls_ = 0;
    // An invalid container id is not even validated for them.
    Outcome o = Run({{"CNI_COMMAND", cmd}, {"CNI_PATH", "/opt/cni/bin"}, {"CNI_CONTAINERID", "bad id"}}, Conf("1.1.0"));
    EXPECT_EQ(o.status, 0) << cmd << o.out;
    EXPECT_TRUE(o.out.empty());
    EXPECT_EQ(calls_, 1) << cmd;
  }
  // Unset STATUS/GC functions mean success.
  funcs_.status = nullptr;
  funcs_.gc = nullptr;
  EXPECT_EQ(Run({{"CNI_COMMAND", "STATUS"}, {"CNI_PATH", "/p"}}, Conf("1.1.0")).status, 0);
  EXPECT_EQ(Run({{"CNI_COMMAND", "GC"}, {"CNI_PATH", "/p"}}, Conf("1.1.0")).status, 0);
}

TEST_F(SkelTest, BadContainerId) {
  for (const char* id : {"bad id", "-leading-dash", "_x", ".x", "a/b", "a:b", "x\n"}) {
    Env env = AttachEnv("ADD");
    env["CNI_CONTAINERID"] = id;
    ExpectError(env, Conf("1.0.0"), 4, "invalid characters in containerID", id);
  }
  // Checked while reading the environment: before stdin, and before later missing vars.
  Env env = AttachEnv("ADD");
  env["CNI_CONTAINERID"] = "bad id";
  env.erase("CNI_PATH");
  ExpectError(env, "{not json", 4, "invalid characters in containerID", "bad id");
  // Valid forms.
  for (const char* id : {"a", "0", "abc-DEF_1.2", "cnitool-77383ca0a0715733ca6f"}) {
    env = AttachEnv("ADD");
    env["CNI_CONTAINERID"] = id;
    EXPECT_EQ(Run(env, Conf("1.0.0")).status, 0) << id;
  }
}

TEST_F(SkelTest, InterfaceNameRules) {
  auto with_ifname = [](const std::string& name) {
    Env env = AttachEnv("ADD");
    env["CNI_IFNAME"] = name;
    return env;
  };
  ExpectError(with_ifname(""), Conf("1.0.0"), 4, "required env variables [CNI_IFNAME] missing");
  ExpectError(with_ifname("abcdefghijklmnop"), Conf("1.0.0"), 4, "interface name is too long",
              "interface name should be less than 16 characters");
  ExpectError(with_ifname("."), Conf("1.0.0"), 4, "interface name is . or ..");
  ExpectError(with_ifname(".."), Conf("1.0.0"), 4, "interface name is . or ..");
  for (const char* bad : {"a/b", "a:b", "a b", "a\tb", "eth0\n",
                          "a\xc2\xa0"
                          "b",
                          "a\xe3\x80\x80"
                          "b"}) {
    ExpectError(with_ifname(bad), Conf("1.0.0"), 4, "interface name contains / or : or whitespace characters");
  }
  for (const char* ok : {"abcdefghijklmno", "eth0", "net1.100", "...", "caf\xc3\xa9"}) {
    calls_ = 0;
    EXPECT_EQ(Run(with_ifname(ok), Conf("1.0.0")).status, 0) << ok;
    EXPECT_EQ(last_.ifname, ok);
  }
}

// ---- stdin ----

TEST_F(SkelTest, MalformedConfig) {
  for (const char* text : {"", "{", "{\"name\":\"n\"} trailing", "[]", "\"str\"", "42", "{\"name\": 5}"}) {
    Outcome o = Run(AttachEnv("ADD"), text);
    EXPECT_EQ(o.status, 1);
    EXPECT_EQ(o.doc.value("code", -1), 6) << text;
    EXPECT_EQ(o.doc.value("msg", "").rfind("error unmarshall network config", 0), 0u) << o.out;
  }
  EXPECT_EQ(calls_, 0);
}

// Hostile stdin the fuzzer found: a number no double holds (999 with the parser's text
// before), and nesting that overflowed the stack when the config was copied (a crash with
// nothing on stdout). Both are code 6, like the reference's decoder (which stops at 10000
// levels; we stop at 1000, see kMaxJsonDepth).
TEST_F(SkelTest, HugeNumbersAndDeepNestingAreDecodeErrors) {
  Outcome o = Run(AttachEnv("ADD"), R"({"cniVersion":"1.0.0","name":"n","type":"bridge","x":1e400})");
  EXPECT_EQ(o.doc.value("code", -1), 6) << o.out;
  EXPECT_EQ(o.doc.value("msg", "").rfind("error unmarshall network config: ", 0), 0u) << o.out;
  const std::string deep = std::string(R"({"cniVersion":"1.0.0","name":"n","ipam":)") + std::string(1000, '[') +
                           std::string(1000, ']') + "}";
  o = Run(AttachEnv("ADD"), deep);
  EXPECT_EQ(o.doc.value("code", -1), 6) << o.out.substr(0, 200);
  EXPECT_EQ(o.doc.value("msg", ""), "error unmarshall network config: exceeded max depth");
  // 1000 levels are fine (the object itself is one), and brackets inside strings do not count.
  const std::string ok = std::string(R"({"cniVersion":"1.0.0","name":"n","x":)") + std::string(999, '[') +
                         std::string(999, ']') + R"(,"y":")" + std::string(20000, '{') + R"("})";
  EXPECT_EQ(Run(AttachEnv("ADD"), ok).status, 0);
  EXPECT_EQ(calls_, 1);
}

TEST_F(SkelTest, NetworkName) {
  ExpectError(AttachEnv("ADD"), R"({"cniVersion":"1.0.0"})", 7, "missing network name");
  ExpectError(AttachEnv("ADD"), R"({"cniVersion":"1.0.0","name":""})", 7, "missing network name");
  ExpectError(AttachEnv("ADD"), R"({"cniVersion":"1.0.0","name":null})", 7, "missing network name");
  ExpectError(AttachEnv("ADD"), "null", 7, "missing network name");
  ExpectError(AttachEnv("ADD"), Conf("1.0.0", "my net"), 7, "invalid characters found in network name", "my net");
  ExpectError(AttachEnv("ADD"), Conf("1.0.0", "-net"), 7, "invalid characters found in network name", "-net");
  ExpectError(AttachEnv("ADD"), Conf("1.0.0", "../etc"), 7, "invalid characters found in network name", "../etc");
  // The name is checked before the command and before the version.
  ExpectError(AttachEnv("FOO"), R"({"cniVersion":"9.9.9"})", 7, "missing network name");
}

TEST_F(SkelTest, UnknownCommandAfterStdinValidation) {
  ExpectError({{"CNI_COMMAND", "FOO"}}, Conf("1.0.0"), 4, "unknown CNI_COMMAND: FOO");
  ExpectError({{"CNI_COMMAND", "add"}}, Conf("1.0.0"), 4, "unknown CNI_COMMAND: add");
  Outcome o = Run({{"CNI_COMMAND", "FOO"}}, "{bad");
  EXPECT_EQ(o.doc.value("code", -1), 6);
}

// ---- versions ----

TEST_F(SkelTest, IncompatibleVersion) {
  json doc = ExpectError(AttachEnv("ADD"), Conf("9.9.9"), 1, "incompatible CNI versions",
                         std::string("config is \"9.9.9\", plugin supports ") + kAllVersions);
  EXPECT_EQ(doc["cniVersion"], "1.1.0");  // not echoing a version we do not speak
  ExpectError(AttachEnv("DEL"), Conf("0.5.0"), 1, "incompatible CNI versions",
              std::string("config is \"0.5.0\", plugin supports ") + kAllVersions);
  // ADD/DEL only test membership: an unparsable version is still code 1.
  ExpectError(AttachEnv("ADD"), Conf("abc"), 1, "incompatible CNI versions",
              std::string("config is \"abc\", plugin supports ") + kAllVersions);
  // A non-string cniVersion cannot be decoded at all.
  Outcome o = Run(AttachEnv("ADD"), R"({"cniVersion":1,"name":"n"})");
  EXPECT_EQ(o.doc.value("code", -1), 6);
  EXPECT_EQ(calls_, 0);
}

TEST_F(SkelTest, CheckVersionGates) {
  ExpectError(AttachEnv("CHECK"), Conf("0.3.1"), 1, "config version does not allow CHECK");
  ExpectError(AttachEnv("CHECK"), R"({"name":"n"})", 1, "config version does not allow CHECK");  // 0.1.0
  ExpectError(AttachEnv("CHECK"), Conf("9.9.9"), 1, "plugin version does not allow CHECK");
  ExpectError(AttachEnv("CHECK"), Conf("0.4.1"), 1, "incompatible CNI versions",
              std::string("config is \"0.4.1\", plugin supports ") + kAllVersions);
  ExpectError(AttachEnv("CHECK"), Conf("abc"), 6,
              "failed to convert major version part \"abc\": strconv.Atoi: parsing \"abc\": invalid syntax");
  for (const char* v : {"0.4.0", "1.0.0", "1.1.0"}) {
    calls_ = 0;
    Outcome o = Run(AttachEnv("CHECK"), Conf(v));
    EXPECT_EQ(o.status, 0) << v << o.out;
    EXPECT_TRUE(o.out.empty());
    EXPECT_EQ(calls_, 1);
    EXPECT_EQ(last_.command, Command::kCheck);
  }
}

TEST_F(SkelTest, GcAndStatusVersionGates) {
  Env gc = {{"CNI_COMMAND", "GC"}, {"CNI_PATH", "/p"}};
  Env status = {{"CNI_COMMAND", "STATUS"}, {"CNI_PATH", "/p"}};
  ExpectError(gc, Conf("1.0.0"), 1, "config version does not allow GC");
  ExpectError(status, Conf("1.0.0"), 1, "config version does not allow STATUS");
  ExpectError(status, Conf("0.4.0"), 1, "config version does not allow STATUS");
  ExpectError(gc, Conf("2.0.0"), 1, "plugin version does not allow GC");
  ExpectError(status, Conf("1.1.0.0"), 6, "invalid version \"1.1.0.0\": too many parts");
}

TEST_F(SkelTest, MissingCniVersionMeans010) {
  Outcome o = Run(AttachEnv("ADD"), R"({"name":"net1","type":"bridge"})");
  EXPECT_EQ(o.status, 0) << o.out;
  EXPECT_EQ(last_.cni_version, "0.1.0");
  EXPECT_EQ(o.doc["cniVersion"], "0.1.0");
  EXPECT_EQ(o.doc["ip4"]["ip"], "10.1.0.5/24");
  Outcome empty = Run(AttachEnv("ADD"), R"({"name":"net1","cniVersion":""})");
  EXPECT_EQ(empty.doc["cniVersion"], "0.1.0");
}

// ---- results ----

TEST_F(SkelTest, AddPrintsTheResultInTheConfigVersion) {
  Outcome v1 = Run(AttachEnv("ADD"), Conf("1.0.0"));
  EXPECT_EQ(v1.status, 0);
  EXPECT_TRUE(v1.err.empty());
  EXPECT_EQ(v1.doc, json::parse(R"({
    "cniVersion": "1.0.0",
    "interfaces": [{"name": "eth0", "mac": "0a:58:0a:01:00:05", "sandbox": "/var/run/netns/pod", "mtu": 1500}],
    "ips": [{"interface": 0, "address": "10.1.0.5/24", "gateway": "10.1.0.1"}],
    "routes": [{"dst": "0.0.0.0/0", "gw": "10.1.0.1"}],
    "dns": {}
  })"));
  // Printed as Go does: 4-space indentation, no trailing newline.
  EXPECT_EQ(v1.out, ToOutput(v1.doc));
  EXPECT_EQ(v1.out.substr(0, 6), "{\n    ");
  EXPECT_NE(v1.out.back(), '\n');

  Outcome v04 = Run(AttachEnv("ADD"), Conf("0.4.0"));
  EXPECT_EQ(v04.doc["cniVersion"], "0.4.0");
  EXPECT_EQ(v04.doc["ips"][0]["version"], "4");
  EXPECT_FALSE(v04.doc["interfaces"][0].contains("mtu"));

  Outcome v02 = Run(AttachEnv("ADD"), Conf("0.2.0"));
  EXPECT_EQ(v02.doc, json::parse(R"({
    "cniVersion": "0.2.0",
    "ip4": {"ip": "10.1.0.5/24", "gateway": "10.1.0.1", "routes": [{"dst": "0.0.0.0/0", "gw": "10.1.0.1"}]},
    "dns": {}
  })"));
}

TEST_F(SkelTest, AddResultThatCannotBeConvertedIsTheOnlyOutput) {
  add_result_.ips.clear();
  add_result_.routes.clear();
  Outcome o = Run(AttachEnv("ADD"), Conf("0.2.0"));
  EXPECT_EQ(o.status, 1);
  EXPECT_EQ(o.doc, json::parse(R"({"cniVersion":"0.2.0","code":999,"msg":"cannot convert: no valid IP addresses"})"));
  EXPECT_EQ(calls_, 1);
}

TEST_F(SkelTest, InvocationCarriesEverything) {
  Env env = AttachEnv("ADD");
  env["CNI_NETNS_OVERRIDE"] = "1";
  std::string conf = R"({"cniVersion":"1.1.0","name":"net1","type":"bridge","bridge":"cni0"})";
  EXPECT_EQ(Run(env, conf).status, 0);
  EXPECT_EQ(last_.command, Command::kAdd);
  EXPECT_EQ(last_.container_id, "ctr-1");
  EXPECT_EQ(last_.netns, "/var/run/netns/pod");
  EXPECT_EQ(last_.ifname, "eth0");
  EXPECT_EQ(last_.args, "IgnoreUnknown=1");
  EXPECT_EQ(last_.path, "/opt/cni/bin");
  EXPECT_TRUE(last_.netns_override);
  EXPECT_EQ(last_.stdin_data, conf);  // the exact bytes, for delegation
  EXPECT_EQ(last_.config["bridge"], "cni0");
  EXPECT_EQ(last_.cni_version, "1.1.0");
  EXPECT_EQ(last_.network_name, "net1");
  ASSERT_TRUE(last_.env);
  EXPECT_EQ(last_.env("OTHER_VAR"), "passed-through");
  EXPECT_EQ(last_.env("UNSET_VAR"), "");
}

TEST_F(SkelTest, NetnsOverrideValues) {
  for (auto [value, expected] : std::map<std::string, bool>{
           {"1", true}, {"true", true}, {"TRUE", true}, {"0", false}, {"false", false}, {"yes", false}, {"", false}}) {
    Env env = AttachEnv("ADD");
    env["CNI_NETNS_OVERRIDE"] = value;
    EXPECT_EQ(Run(env, Conf("1.0.0")).status, 0);
    EXPECT_EQ(last_.netns_override, expected) << "'" << value << "'";
  }
}

// ---- errors from plugin functions ----

TEST_F(SkelTest, PluginErrorKeepsItsCode) {
  funcs_.add = [](const Invocation&) -> Result {
    throw Error(ErrorCode::kTryAgainLater, "IPAM busy", "lock held by pid 7");
  };
  Outcome o = Run(AttachEnv("ADD"), Conf("1.0.0"));
  EXPECT_EQ(o.status, 1);
  EXPECT_EQ(o.doc, json::parse(R"({"cniVersion":"1.0.0","code":11,"msg":"IPAM busy","details":"lock held by pid 7"})"));
}

TEST_F(SkelTest, OtherExceptionsAre999) {
  funcs_.del = [](const Invocation&) { throw std::runtime_error("netlink said no"); };
  Outcome o = Run(AttachEnv("DEL"), Conf("0.4.0"));
  EXPECT_EQ(o.status, 1);
  EXPECT_EQ(o.doc, json::parse(R"({"cniVersion":"0.4.0","code":999,"msg":"netlink said no"})"));

  funcs_.check = [](const Invocation&) { throw 7; };
  Outcome odd = Run(AttachEnv("CHECK"), Conf("1.0.0"));
  EXPECT_EQ(odd.status, 1);
  EXPECT_EQ(odd.doc.value("code", -1), 999);
}

TEST_F(SkelTest, UnsetDelAndCheckSucceedUnsetAddFails) {
  funcs_.del = nullptr;
  funcs_.check = nullptr;
  EXPECT_EQ(Run(AttachEnv("DEL"), Conf("1.0.0")).status, 0);
  EXPECT_EQ(Run(AttachEnv("CHECK"), Conf("1.0.0")).status, 0);
  funcs_.add = nullptr;
  Outcome o = Run(AttachEnv("ADD"), Conf("1.0.0"));
  EXPECT_EQ(o.status, 1);
  EXPECT_EQ(o.doc.value("code", -1), 999);
}

TEST_F(SkelTest, ErrorDocumentFormat) {
  Outcome o = Run({{"CNI_COMMAND", "FOO"}}, Conf("0.3.1"));
  EXPECT_EQ(o.out,
            "{\n"
            "    \"cniVersion\": \"1.1.0\",\n"
            "    \"code\": 4,\n"
            "    \"msg\": \"unknown CNI_COMMAND: FOO\"\n"
            "}");
  EXPECT_EQ(ErrorJson(Error(ErrorCode::kInvalidConfig, "m", "d"), "0.4.0"),
            "{\n"
            "    \"cniVersion\": \"0.4.0\",\n"
            "    \"code\": 7,\n"
            "    \"details\": \"d\",\n"
            "    \"msg\": \"m\"\n"
            "}");
}

TEST_F(SkelTest, ErrorsAfterTheConfigAnswerInItsVersion) {
  funcs_.add = [](const Invocation&) -> Result { throw InternalError("boom"); };
  EXPECT_EQ(Run(AttachEnv("ADD"), Conf("0.3.1")).doc["cniVersion"], "0.3.1");
  // Before the config is read the error speaks our current version.
  EXPECT_EQ(Run({{"CNI_COMMAND", "ADD"}}, Conf("0.3.1")).doc["cniVersion"], "1.1.0");
}

// ---- validators used directly ----

TEST(Validators, Direct) {
  try {
    ValidateContainerId("");
    ADD_FAILURE();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kUnknownContainer);
    EXPECT_EQ(e.msg(), "missing containerID");
  }
  try {
    ValidateNetworkName("");
    ADD_FAILURE();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kInvalidConfig);
    EXPECT_EQ(e.msg(), "missing network name:");  // sic, the Go text
  }
  EXPECT_NO_THROW(ValidateNetworkName("k8s-pod-network"));
  EXPECT_NO_THROW(ValidateInterfaceName("eth0"));
  // Long hostile input is handled without recursion trouble.
  EXPECT_THROW(ValidateContainerId("a" + std::string(200000, 'b') + " "), Error);
  EXPECT_NO_THROW(ValidateContainerId(std::string(200000, 'b')));
}

TEST(CommandNames, All) {
  EXPECT_STREQ(CommandName(Command::kAdd), "ADD");
  EXPECT_STREQ(CommandName(Command::kDel), "DEL");
  EXPECT_STREQ(CommandName(Command::kCheck), "CHECK");
  EXPECT_STREQ(CommandName(Command::kStatus), "STATUS");
  EXPECT_STREQ(CommandName(Command::kGc), "GC");
  EXPECT_STREQ(CommandName(Command::kVersion), "VERSION");
}

}  // namespace
}  // namespace cnb::cni
