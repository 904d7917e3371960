// SPDX-License-Identifier: Apache-2.0
#include "common/sha512.h"

#include <gtest/gtest.h>

#include <string>

namespace cnb {
namespace {

// Bytes 0,1,2,... mod 251: crosses every padding boundary without repeating a block.
std::string Pattern(size_t n) {
  std::string s;
  for (size_t i = 0; i < n; ++i) s.push_back(static_cast<char>(i % 251));
  return s;
}

TEST(Sha512Test, FipsVectors) {
  EXPECT_EQ(Sha512Hex(""),
            "cf83e1357eefb8bdf1542850d66d8007d620e4050b5715dc83f4a921d36ce9ce"
            "47d0d13c5d85f2b0ff8318d2877eec2f63b931bd47417a81a538327af927da3e");
  EXPECT_EQ(Sha512Hex("abc"),
            "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a"
            "2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f");
  EXPECT_EQ(Sha512Hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"),
            "204a8fc6dda82f0a0ced7beb8e08a41657c16ef468b228a8279be331a703c335"
            "96fd15c13b1b07f9aa1d3bea57789ca031ad85c7a71dd70354ec631238ca3445");
  EXPECT_EQ(Sha512Hex(std::string(1000000, 'a')),
            "e718483d0ce769644e2e42c7bc15b4638e1f98b13b2044285632a803afa973eb"
            "de0ff244877ea60a4cb0432ce577c31beb009c5c2c49aa2e4eadb217ad8cc09b");
}

TEST(Sha512Test, PaddingBoundaries) {
  // Lengths around 112 (where the length field no longer fits) and the 128-byte block size.
  const std::pair<size_t, const char*> cases[] = {
      {111,
       "a1a111449b198d9b1f538bad7f3fc1022b3a5b1a5e90a0bc860de8512746cbc31599e6c834de3a3235327af0b51ff57bf7acf1974a73014"
       "d9c3953812edc7c8d"},
      {112,
       "c5fbd731d19d2ae1180f001be72c2c1aaba1d7b094b3748880e24593b8e117a750e11c1bd867cc2f96dace8c8b74abd2d5c4f236be444e7"
       "7d30d1916174070b9"},
      {113,
       "61b2e77db697dfe5571fff3ed06bd60c41e1e7b7c08a80de01cb16526d9a9a52d690dfbe792278a60f6e2b4c57a97c729773f26e258d239"
       "3890c985d645f6715"},
      {127,
       "eab89674feaa34e27aebeeff3c0a4d70070bb872d5e9f186cf1dbbdee517b6e35724d629ff025a5b07185e911ada7e3c8acf830aa0e4f71"
       "777bd2d44f504f7f0"},
      {128,
       "1dffd5e3adb71d45d2245939665521ae001a317a03720a45732ba1900ca3b8351fc5c9b4ca513eba6f80bc7b1d1fdad4abd13491cb824d6"
       "1b08d8c0e1561b3f7"},
      {129,
       "1d9da57fbbdab09afb3506ab2d223d06109d65c1c8ad197f50138f714bc4c3f2fe5787922639c680acad1c651f955990425954ce2cba0c5"
       "cc83f2667d878eb0f"},
      {239,
       "cb4c7fd522756d5781ad3a4f590a1d862906b960e7720136cb3fb36b563caa1ea5689134291fa79c80ccc2b4092b41df32ebdcb36dbe79d"
       "b483440228c1622a8"},
      {240,
       "6c48466c9f6c07e4ab762c696b7eeb35cfe236fca73683e5fab873ac3489b4d2eb3d7afcce7e8165dbbf37aded3b5b0c889c0b7e0f1790a"
       "8330d8677429d91a5"},
      {255,
       "e9746a5516961da1fdc8e6c59350cd147b7d80c120cc7ed621399faeb2462c28f34217a13009a8e6a721f538356db9a9b64d9a5412e0fd0"
       "7d24cac1315d95548"},
      {256,
       "7ff1cd1e9773a4b7ba1f40e642db0d879bd5f6cc151a7d3401a0bc7778b8270c108b530fb195f2383f4cec8cf05778e6af4db5681167337"
       "1674cec1524488f83"},
  };
  for (const auto& [len, hex] : cases) EXPECT_EQ(Sha512Hex(Pattern(len)), hex) << "length " << len;
}

TEST(Sha512Test, IncrementalUpdatesMatchOneShot) {
  const std::string data = Pattern(1000);
  for (size_t chunk : {1u, 7u, 64u, 127u, 128u, 129u, 500u}) {
    Sha512 h;
    for (size_t i = 0; i < data.size(); i += chunk) h.Update(std::string_view(data).substr(i, chunk));
    EXPECT_EQ(h.Final(), Sha512Digest(data)) << "chunk " << chunk;
  }
}

}  // namespace
}  // namespace cnb
