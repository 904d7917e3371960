// SPDX-License-Identifier: Apache-2.0
// The shared string helpers: Go-compatible quoting both ways, trimming, list splitting and the
// Go-style errno text.
#include <gtest/gtest.h>

#include <cerrno>

#include "common/strings.h"

namespace cnb {
namespace {

TEST(GoQuote, MatchesStrconvQuote) {
  EXPECT_EQ(GoQuote(""), "\"\"");
  EXPECT_EQ(GoQuote("plain"), "\"plain\"");
  EXPECT_EQ(GoQuote("a\"b\\c"), "\"a\\\"b\\\\c\"");
  EXPECT_EQ(GoQuote("\n\r\t\v\f\a\b"), "\"\\n\\r\\t\\v\\f\\a\\b\"");
  EXPECT_EQ(GoQuote(std::string("\x01\x7f", 2)), "\"\\x01\\x7f\"");
  EXPECT_EQ(GoQuote("caf\xc3\xa9"), "\"caf\xc3\xa9\"");  // printable UTF-8 stays
  EXPECT_EQ(GoQuote("\xc2\x85"), "\"\\u0085\"");         // a C1 control does not
  EXPECT_EQ(GoQuote("\xff"), "\"\\xff\"");               // invalid UTF-8
  EXPECT_EQ(GoQuote(std::string("nul\0x\x1f", 6)), R"("nul\x00x\x1f")");
  EXPECT_EQ(GoQuote("\xe2\x82"), R"("\xe2\x82")");  // a truncated sequence
  EXPECT_EQ(GoQuoteList({"a", "b c"}), "[\"a\" \"b c\"]");
}

TEST(GoUnquote, InvertsGoQuote) {
  for (std::string s : {"", "plain", "a\"b\\c", "\n\r\t", "caf\xc3\xa9", "\x01\x7f", "\xc2\x85"}) {
    EXPECT_EQ(GoUnquote(GoQuote(s)), s) << GoQuote(s);
  }
  EXPECT_EQ(GoUnquote("abc"), std::nullopt);
  EXPECT_EQ(GoUnquote(R"("a"b")"), std::nullopt);
  EXPECT_EQ(GoUnquote(R"("\q")"), std::nullopt);
  EXPECT_EQ(GoUnquote(R"("\x4")"), std::nullopt);
}

TEST(TrimSpace, AsciiWhitespaceOnBothEnds) {
  EXPECT_EQ(TrimSpace(" \t ctr1\r\n"), "ctr1");
  EXPECT_EQ(TrimSpace("a b"), "a b");
  EXPECT_EQ(TrimSpace(" \n "), "");
}

TEST(SplitNonEmpty, DropsEmptyPieces) {
  EXPECT_EQ(SplitNonEmpty("/opt/cni/bin::/usr/lib/cni:", ':'),
            (std::vector<std::string>{"/opt/cni/bin", "/usr/lib/cni"}));
  EXPECT_TRUE(SplitNonEmpty("", ';').empty());
  EXPECT_EQ(Join({"a", "b", "c"}, " "), "a b c");
  EXPECT_EQ(Join({}, ","), "");
}

TEST(ErrnoText, LowerCaseAsGoPrintsIt) {
  EXPECT_EQ(ErrnoText(EEXIST), "file exists");
  EXPECT_EQ(ErrnoText(ENOENT), "no such file or directory");
  EXPECT_EQ(ErrnoText(EBUSY), "device or resource busy");
}

}  // namespace
}  // namespace cnb
