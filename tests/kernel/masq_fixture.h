// Throwaway namespaces for the masquerade kernel tests. Every netfilter rule these tests make
// lives in a namespace named "cnbt-masq-<pid>-<n>"; the machine's root namespace is never touched.
#pragma once

#include <fcntl.h>
#include <sched.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <atomic>
#include <cstdlib>
#include <functional>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "netlink/nftables.h"
#include "plugin/masq.h"
#include "support/process.h"

namespace cnb::test {

class MasqNetns {
 public:
  MasqNetns() {
    static std::atomic<int> counter{0};
    name_ = "cnbt-masq-" + std::to_string(::getpid()) + "-" + std::to_string(counter++);
    RunOrThrow({"ip", "netns", "add", name_});
  }
  ~MasqNetns() {
    // Deleting the namespace drops its netfilter tables with it.
    RunProcess({"ip", "netns", "delete", name_}, std::nullopt, "");
  }
  MasqNetns(const MasqNetns&) = delete;
  MasqNetns& operator=(const MasqNetns&) = delete;

  const std::string& name() const { return name_; }
  std::string path() const { return "/var/run/netns/" + name_; }

  // Runs a command inside the namespace and returns its stdout (throws unless it exits 0).
  std::string Exec(std::vector<std::string> argv, const std::string& stdin_data = {}) const {
    argv.insert(argv.begin(), {"ip", "netns", "exec", name_});
    return RunOrThrow(argv, stdin_data);
  }

 private:
  std::string name_;
};

// Moves the calling thread into a namespace for the lifetime of the object; everything it
// spawns (iptables, nft) inherits that namespace. Aborts if it cannot switch back, since going
// on in the wrong namespace could touch the host.
class InNetns {
 public:
  explicit InNetns(const MasqNetns& ns) {
    saved_ = ::open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
    int target = ::open(ns.path().c_str(), O_RDONLY | O_CLOEXEC);
    if (saved_ < 0 || target < 0 || ::setns(target, CLONE_NEWNET) != 0) {
      if (target >= 0) ::close(target);
      if (saved_ >= 0) ::close(saved_);
      throw std::runtime_error("cannot enter netns " + ns.name());
    }
    ::close(target);
  }
  ~InNetns() {
    if (::setns(saved_, CLONE_NEWNET) != 0) std::abort();
    ::close(saved_);
  }
  InNetns(const InNetns&) = delete;
  InNetns& operator=(const InNetns&) = delete;

 private:
  int saved_ = -1;
};

// A masquerader bundled with the netfilter socket it uses, which opens in the namespace where
// it is first used. Neither copied nor moved (the masquerader refers to the socket), so made
// in place: `auto m = Masq("iptables");` or `Masq("nftables")->Setup(...)`.
class OwnedMasquerader {
 public:
  using Factory = std::function<std::unique_ptr<bridge::Masquerader>(nl::nft::LazySocket&)>;
  explicit OwnedMasquerader(const Factory& make) : masq_(make(nft_)) {}
  OwnedMasquerader(const OwnedMasquerader&) = delete;
  OwnedMasquerader& operator=(const OwnedMasquerader&) = delete;
  bridge::Masquerader* operator->() const { return masq_.get(); }

 private:
  nl::nft::LazySocket nft_;
  std::unique_ptr<bridge::Masquerader> masq_;
};

inline OwnedMasquerader Masq(const std::string& backend) {
  return OwnedMasquerader([&backend](nl::nft::LazySocket& nft) { return bridge::MakeMasquerader(backend, nft); });
}
inline OwnedMasquerader TeardownMasq() {
  return OwnedMasquerader([](nl::nft::LazySocket& nft) { return bridge::MakeTeardownMasquerader(nft); });
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
