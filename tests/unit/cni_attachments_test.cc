// SPDX-License-Identifier: Apache-2.0
// The one parser of the GC list: both keys, case-insensitive keys, and every ambiguous form an
// error (code 7) rather than "nothing is valid", which would release everything.
#include <gtest/gtest.h>

#include "cni/attachments.h"
#include "common/error.h"

namespace cnb::cni {
namespace {

using nlohmann::json;

std::vector<Attachment> Valid(const std::string& config) {
  auto v = ValidAttachments(json::parse(config));
  EXPECT_TRUE(v.has_value()) << config;
  return v.value_or(std::vector<Attachment>{});
}

void ExpectAmbiguous(const std::string& config, const std::string& msg_part) {
  try {
    ValidAttachments(json::parse(config));
    ADD_FAILURE() << "no error for " << config;
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kInvalidConfig) << config;
    EXPECT_NE(e.msg().find(msg_part), std::string::npos) << e.msg();
    EXPECT_NE(e.msg().find("nothing was released"), std::string::npos) << e.msg();
  }
}

TEST(ValidAttachments, AbsentKeysMeanNoList) {
  EXPECT_FALSE(ValidAttachments(json::parse(R"({"name":"n"})")).has_value());
}

TEST(ValidAttachments, AnEmptyListMeansNothingIsValid) {
  EXPECT_TRUE(Valid(R"({"cni.dev/valid-attachments":[]})").empty());
}

TEST(ValidAttachments, EntriesAreRead) {
  EXPECT_EQ(Valid(R"({"cni.dev/valid-attachments":[{"containerID":"a","ifname":"eth0"},
                                                     {"containerID":"b","ifname":"net1"}]})"),
            (std::vector<Attachment>{{"a", "eth0"}, {"b", "net1"}}));
}

TEST(ValidAttachments, BothKeysAreJoinedAsLibcniSendsBoth) {
  EXPECT_EQ(Valid(R"({"cni.dev/valid-attachments":[{"containerID":"a","ifname":"eth0"}],
                     "cni.dev/attachments":[{"containerID":"a","ifname":"eth0"},{"containerID":"c","ifname":"eth0"}]})"),
            (std::vector<Attachment>{{"a", "eth0"}, {"c", "eth0"}}));
  EXPECT_EQ(Valid(R"({"cni.dev/attachments":[{"containerID":"old","ifname":"eth0"}]})"),
            (std::vector<Attachment>{{"old", "eth0"}}));
}

TEST(ValidAttachments, KeysMatchAsEveryConfigKeyDoes) {
  EXPECT_EQ(Valid(R"({"CNI.dev/Valid-Attachments":[{"ContainerId":"a","IFNAME":"eth0"}]})"),
            (std::vector<Attachment>{{"a", "eth0"}}));
}

TEST(ValidAttachments, AmbiguousListsAreErrors) {
  ExpectAmbiguous(R"({"cni.dev/valid-attachments":null})", "null");
  ExpectAmbiguous(R"({"cni.dev/valid-attachments":"a"})", "not a list");
  ExpectAmbiguous(R"({"cni.dev/valid-attachments":{"containerID":"a","ifname":"eth0"}})", "not a list");
  ExpectAmbiguous(R"({"cni.dev/valid-attachments":[5]})", "entry 0 is not an object");
  ExpectAmbiguous(R"({"cni.dev/valid-attachments":[{"containerID":"a"}]})", "entry 0 has no string ifname");
  ExpectAmbiguous(R"({"cni.dev/valid-attachments":[{"containerID":1,"ifname":"eth0"}]})", "has no string containerID");
  // One good key does not make a bad one acceptable.
  ExpectAmbiguous(R"({"cni.dev/valid-attachments":[],"cni.dev/attachments":null})", "cni.dev/attachments");
}

// A host veth's alias and an iptables comment may hold only the beginning of a long ID.
TEST(SameContainer, ACutIdMatchesWhatItBeginsWith) {
  EXPECT_TRUE(SameContainer("abc", "abc"));
  EXPECT_FALSE(SameContainer("abc", "abcd"));
  EXPECT_TRUE(SameContainer("abc...", "abcdef"));
  EXPECT_TRUE(SameContainer("abcdef", "abc..."));
  EXPECT_FALSE(SameContainer("abd...", "abcdef"));
  EXPECT_TRUE(SameContainer("ab...", "abcd..."));  // cut at two lengths
  EXPECT_FALSE(SameContainer("ab...", "ac..."));
}

}  // namespace
}  // namespace cnb::cni
