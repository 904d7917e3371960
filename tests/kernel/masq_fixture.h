// SPDX-License-Identifier: Apache-2.0
// Helpers for the masquerade kernel tests. Every netfilter rule these tests make lives in a
// throwaway namespace (support/netns.h); the machine's root namespace is never touched.
#pragma once

#include <gtest/gtest.h>

#include <functional>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "masq/masq.h"
#include "netlink/netns.h"
#include "netlink/nft/socket.h"
#include "support/netns.h"
#include "support/process.h"

namespace cnb::test {

using MasqNetns = ScopedNetns;

// Moves the calling thread into a namespace for the lifetime of the object; everything it
// spawns (iptables, nft) inherits that namespace. Aborts if it cannot switch back.
class InNetns {
 public:
  explicit InNetns(const ScopedNetns& ns) : target_(nl::Netns::Open(ns.path())), guard_(target_) {}

 private:
  nl::Netns target_;
  nl::NetnsGuard guard_;
};

// A masquerader bundled with the netfilter socket it uses, which opens in the namespace where
// it is first used. Neither copied nor moved (the masquerader refers to the socket), so made
// in place: `auto m = Masq("iptables");` or `Masq("nftables")->Setup(...)`.
class OwnedMasquerader {
 public:
  using Factory = std::function<std::unique_ptr<masq::Masquerader>(nl::nft::LazyNftSocket&)>;
  explicit OwnedMasquerader(const Factory& make) : masq_(make(nft_)) {}
  OwnedMasquerader(const OwnedMasquerader&) = delete;
  OwnedMasquerader& operator=(const OwnedMasquerader&) = delete;
  masq::Masquerader* operator->() const { return masq_.get(); }

 private:
  nl::nft::LazyNftSocket nft_;
  std::unique_ptr<masq::Masquerader> masq_;
};

inline OwnedMasquerader Masq(const std::string& backend) {
  return OwnedMasquerader([&backend](nl::nft::LazyNftSocket& nft) { return masq::MakeMasquerader(backend, nft); });
}
inline OwnedMasquerader TeardownMasq() {
  return OwnedMasquerader([](nl::nft::LazyNftSocket& nft) { return masq::MakeTeardownMasquerader(nft); });
}

// Lines of `iptables -S` output that are not chain policies ("-P ...").
inline std::vector<std::string> RuleLines(const std::string& listing) {
  std::vector<std::string> out;
  std::istringstream in(listing);
  std::string line;
  while (std::getline(in, line)) {
    if (!line.empty() && !line.starts_with("-P ")) out.push_back(line);
  }
  return out;
}

}  // namespace cnb::test
