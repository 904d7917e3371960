// SPDX-License-Identifier: Apache-2.0
// CNI_ARGS parsing with the Go library's rules and error texts (types.LoadArgs).
#include <gtest/gtest.h>

#include <set>
#include <string>

#include "cni/args.h"
#include "common/error.h"

namespace cnb::cni {
namespace {

const std::set<std::string> kKnown = {"IP", "MAC", "K8S_POD_NAME"};

// The message of the Error Parse throws; fails the test if it does not throw one with code 999.
std::string ParseError(const std::string& text, const std::set<std::string>& known = kKnown) {
  try {
    CniArgs::Parse(text, known);
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kInternal) << text;
    return e.msg();
  }
  ADD_FAILURE() << "no error for " << text;
  return {};
}

TEST(CniArgs, EmptyIsNothing) {
  CniArgs args = CniArgs::Parse("", kKnown);
  EXPECT_TRUE(args.pairs().empty());
  EXPECT_FALSE(args.Get("IP").has_value());
}

TEST(CniArgs, KnownPairsInOrder) {
  CniArgs args = CniArgs::Parse("IP=10.0.0.5;MAC=aa:bb:cc:dd:ee:ff", kKnown);
  ASSERT_EQ(args.pairs().size(), 2u);
  EXPECT_EQ(args.pairs()[0].first, "IP");
  EXPECT_EQ(args.pairs()[0].second, "10.0.0.5");
  EXPECT_EQ(args.pairs()[1].first, "MAC");
  EXPECT_EQ(*args.Get("IP"), "10.0.0.5");
  EXPECT_EQ(*args.Get("MAC"), "aa:bb:cc:dd:ee:ff");
  EXPECT_FALSE(args.Get("ip").has_value());  // keys are case-sensitive
}

TEST(CniArgs, EmptyValueAndEmptyKey) {
  CniArgs args = CniArgs::Parse("IP=", kKnown);
  ASSERT_TRUE(args.Get("IP").has_value());
  EXPECT_EQ(*args.Get("IP"), "");
  // An empty key is just an unknown key.
  EXPECT_EQ(ParseError("=x"), "ARGS: unknown args [\"=x\"]");
}

TEST(CniArgs, LastValueWins) {
  CniArgs args = CniArgs::Parse("IP=10.0.0.1;MAC=m;IP=10.0.0.2", kKnown);
  EXPECT_EQ(*args.Get("IP"), "10.0.0.2");
  EXPECT_EQ(args.pairs().size(), 3u);
}

TEST(CniArgs, InvalidPairs) {
  EXPECT_EQ(ParseError("a"), "ARGS: invalid pair \"a\"");
  EXPECT_EQ(ParseError("IP=a=b"), "ARGS: invalid pair \"IP=a=b\"");
  EXPECT_EQ(ParseError("IP=1;"), "ARGS: invalid pair \"\"");  // trailing ';'
  EXPECT_EQ(ParseError(";IP=1"), "ARGS: invalid pair \"\"");
  EXPECT_EQ(ParseError("IP=1;;MAC=2"), "ARGS: invalid pair \"\"");
  // The first problem wins, even with IgnoreUnknown and unknown keys before it.
  EXPECT_EQ(ParseError("IgnoreUnknown=1;X=1;bad"), "ARGS: invalid pair \"bad\"");
  // Go's %q escaping of the offending text.
  EXPECT_EQ(ParseError("a\"b"), "ARGS: invalid pair \"a\\\"b\"");
  EXPECT_EQ(ParseError("a\tb\\"), "ARGS: invalid pair \"a\\tb\\\\\"");
}

TEST(CniArgs, UnknownKeysListedTogether) {
  EXPECT_EQ(ParseError("X=1"), "ARGS: unknown args [\"X=1\"]");
  EXPECT_EQ(ParseError("X=1;IP=10.0.0.1;ip=2;K8S_POD_NAMESPACE=ns"),
            "ARGS: unknown args [\"X=1\" \"ip=2\" \"K8S_POD_NAMESPACE=ns\"]");
  EXPECT_EQ(ParseError("X=1", {}), "ARGS: unknown args [\"X=1\"]");
}

TEST(CniArgs, IgnoreUnknownTrueValues) {
  for (const char* v : {"1", "true", "TRUE", "True", "tRuE"}) {
    std::string text = std::string("IgnoreUnknown=") + v + ";K8S_POD_NAMESPACE=ns;IP=10.0.0.9";
    CniArgs args = CniArgs::Parse(text, kKnown);
    EXPECT_EQ(*args.Get("IP"), "10.0.0.9") << v;
    EXPECT_EQ(*args.Get("K8S_POD_NAMESPACE"), "ns") << v;  // unknown but kept
    EXPECT_EQ(*args.Get("IgnoreUnknown"), v);
  }
  // Position does not matter: it may come after the unknown keys.
  EXPECT_NO_THROW(CniArgs::Parse("X=1;IgnoreUnknown=1", kKnown));
}

TEST(CniArgs, IgnoreUnknownFalseValues) {
  for (const char* v : {"0", "false", "FALSE"}) {
    EXPECT_EQ(ParseError(std::string("IgnoreUnknown=") + v + ";X=1"), "ARGS: unknown args [\"X=1\"]") << v;
    // Without unknown keys it is fine.
    EXPECT_NO_THROW(CniArgs::Parse(std::string("IgnoreUnknown=") + v + ";IP=1", kKnown));
  }
  // The last IgnoreUnknown wins.
  EXPECT_EQ(ParseError("IgnoreUnknown=1;X=1;IgnoreUnknown=0"), "ARGS: unknown args [\"X=1\"]");
  EXPECT_NO_THROW(CniArgs::Parse("IgnoreUnknown=0;X=1;IgnoreUnknown=true", kKnown));
}

TEST(CniArgs, BadIgnoreUnknownValue) {
  // Go lower-cases the value in the message and ends it with a stray ')'.
  EXPECT_EQ(ParseError("IgnoreUnknown=YES"),
            "ARGS: error parsing value of pair \"IgnoreUnknown=YES\": boolean unmarshal error: invalid input yes)");
  EXPECT_EQ(ParseError("IgnoreUnknown="),
            "ARGS: error parsing value of pair \"IgnoreUnknown=\": boolean unmarshal error: invalid input )");
  // "ignoreunknown" is not the key: it is an unknown arg.
  EXPECT_EQ(ParseError("ignoreunknown=1"), "ARGS: unknown args [\"ignoreunknown=1\"]");
}

TEST(ParseArgBool, Values) {
  EXPECT_EQ(ParseArgBool("1"), true);
  EXPECT_EQ(ParseArgBool("TrUe"), true);
  EXPECT_EQ(ParseArgBool("0"), false);
  EXPECT_EQ(ParseArgBool("False"), false);
  EXPECT_EQ(ParseArgBool(""), std::nullopt);
  EXPECT_EQ(ParseArgBool("yes"), std::nullopt);
  EXPECT_EQ(ParseArgBool(" 1"), std::nullopt);
  EXPECT_EQ(ParseArgBool("2"), std::nullopt);
}

}  // namespace
}  // namespace cnb::cni
