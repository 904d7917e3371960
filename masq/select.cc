// SPDX-License-Identifier: Apache-2.0
// Naming shared with the reference plugins, backend selection and the DEL/GC "both backends"
// masquerader. The backends themselves are in iptables.cc (+ iptables_nft.cc) and nftables.cc.
#include "masq/masq.h"

#include <array>
#include <optional>

#include "common/error.h"
#include "common/error_list.h"
#include "common/log.h"
#include "common/sha512.h"
#include "common/strings.h"
#include "masq/iptables.h"
#include "masq/iptables_nft.h"
#include "masq/nftables.h"

namespace cnb::masq {

std::string IptablesChainName(const std::string& network, const std::string& container_id) {
  // utils.FormatChainName: 28 characters, the longest iptables chain name the Go code allows.
  return "CNI-" + Sha512Hex(network + container_id).substr(0, 24);
}

std::string IptablesComment(const std::string& network, const std::string& container_id) {
  std::string comment = "name: " + GoQuote(network) + " id: " + GoQuote(container_id);
  // What iptables itself keeps of the reference's comment: xt_comment holds 255 bytes and
  // libxtables cuts a longer one there (a long container ID). Cut the same way, our rules carry
  // the very comment the reference's do, and iptables-restore's 1 KiB token limit is never hit.
  if (comment.size() > kMaxIptablesComment) comment.resize(kMaxIptablesComment);
  return comment;
}

std::string FindTool(const std::string& name) {
  std::string found = FindInPath(name);
  if (!found.empty()) return found;
  for (const char* dir : {"/usr/local/sbin", "/usr/sbin", "/sbin"}) {
    found = FindInPath(std::string(dir) + "/" + name);
    if (!found.empty()) return found;
  }
  return "";
}

Tools FindTools() {
  Tools t;
  t.iptables = FindTool("iptables");
  t.iptables_restore = FindTool("iptables-restore");
  t.ip6tables = FindTool("ip6tables");
  t.ip6tables_restore = FindTool("ip6tables-restore");
  t.nft = FindTool("nft");
  t.iptables_nft = ResolvesToIptablesNft(t.iptables) && ResolvesToIptablesNft(t.iptables_restore);
  t.ip6tables_nft = ResolvesToIptablesNft(t.ip6tables) && ResolvesToIptablesNft(t.ip6tables_restore);
  t.probe_nft_table = true;
  return t;
}

namespace {

// DEL and GC: the pod may have been set up by another version or configuration, so both
// backends clean up; a backend whose program is not installed cannot hold anything.
class TeardownAllMasquerader : public Masquerader {
 public:
  TeardownAllMasquerader(const Tools& tools, const Runner& runner, nl::nft::LazyNftSocket& nft)
      : tools_(tools), iptables_(tools, runner, nft), nft_(tools, runner, nft) {}

  void Setup(const MasqTarget&, const std::vector<IpNet>&) override {
    throw InternalError("the teardown masquerader cannot set up rules");
  }

  void Teardown(const MasqTarget& target, const std::vector<IpNet>& ips) override {
    Each([&](Masquerader& m) { m.Teardown(target, ips); });
  }

  void Gc(const std::string& network, const std::vector<Attachment>& valid) override {
    Each([&](Masquerader& m) { m.Gc(network, valid); });
  }

  std::vector<Attachment> List(const std::string& network) override {
    std::vector<Attachment> out;
    Each([&](Masquerader& m) {
      for (auto& a : m.List(network)) out.push_back(std::move(a));
    });
    return out;
  }

 private:
  template <typename Fn>
  void Each(Fn fn) {
    ErrorList errors;
    errors.Try([&] { fn(iptables_); });
    if (!tools_.nft.empty()) errors.Try([&] { fn(nft_); });
    errors.ThrowIfAny();
  }

  Tools tools_;
  IptablesMasquerader iptables_;
  NftMasquerader nft_;
};

// ipMasqBackend unset: iptables unless it is missing or does not work here, then nftables. The
// probe runs only when iptables fails, so the usual ADD costs a single exec.
class AutoMasquerader : public Masquerader {
 public:
  AutoMasquerader(const Tools& tools, const Runner& runner, nl::nft::LazyNftSocket& nft)
      : tools_(tools), runner_(runner), nft_socket_(nft), iptables_(tools, runner, nft), nft_(tools, runner, nft) {}

  void Setup(const MasqTarget& target, const std::vector<IpNet>& ips) override {
    if (chosen_ != nullptr) {
      chosen_->Setup(target, ips);
      return;
    }
    bool have_iptables = !tools_.iptables.empty() && !tools_.iptables_restore.empty();
    if (have_iptables) {
      try {
        iptables_.Setup(target, ips);
        chosen_ = &iptables_;
        return;
      } catch (const Error& e) {
        if (tools_.nft.empty() || iptables_.Works()) throw;
        log::Info("iptables does not work here (" + e.msg() + "); masquerading with nftables");
      }
    } else if (tools_.nft.empty()) {
      throw ProgramNotFound("iptables").Wrap("failed to locate iptables");
    }
    nft_.Setup(target, ips);
    chosen_ = &nft_;
  }

  void Teardown(const MasqTarget& target, const std::vector<IpNet>& ips) override {
    if (chosen_ != nullptr) {
      chosen_->Teardown(target, ips);
    } else {
      TeardownAllMasquerader(tools_, runner_, nft_socket_).Teardown(target, ips);
    }
  }

  void Gc(const std::string& network, const std::vector<Attachment>& valid) override {
    TeardownAllMasquerader(tools_, runner_, nft_socket_).Gc(network, valid);
  }

  std::vector<Attachment> List(const std::string& network) override {
    return TeardownAllMasquerader(tools_, runner_, nft_socket_).List(network);
  }

 private:
  Tools tools_;
  Runner runner_;
  nl::nft::LazyNftSocket& nft_socket_;
  IptablesMasquerader iptables_;
  NftMasquerader nft_;
  Masquerader* chosen_ = nullptr;
};

}  // namespace

std::unique_ptr<Masquerader> MakeMasquerader(const std::string& backend, Tools tools, Runner runner,
                                             nl::nft::LazyNftSocket& nft) {
  if (backend.empty()) return std::make_unique<AutoMasquerader>(tools, runner, nft);
  if (backend == "iptables") return std::make_unique<IptablesMasquerader>(std::move(tools), std::move(runner), nft);
  if (backend == "nftables") return std::make_unique<NftMasquerader>(std::move(tools), std::move(runner), nft);
  CheckBackendName(backend);
  return nullptr;
}

std::unique_ptr<Masquerader> MakeTeardownMasquerader(const Tools& tools, const Runner& runner,
                                                     nl::nft::LazyNftSocket& nft) {
  return std::make_unique<TeardownAllMasquerader>(tools, runner, nft);
}

void CheckBackendName(const std::string& backend) {
  if (!backend.empty() && backend != "iptables" && backend != "nftables") {
    throw InternalError("unknown ipmasq backend " + GoQuote(backend));
  }
}

std::unique_ptr<Masquerader> MakeMasquerader(const std::string& backend, nl::nft::LazyNftSocket& nft) {
  // The name before the programs, so a typo is reported as such.
  CheckBackendName(backend);
  return MakeMasquerader(backend, FindTools(), RunProcess, nft);
}

std::unique_ptr<Masquerader> MakeTeardownMasquerader(nl::nft::LazyNftSocket& nft) {
  return MakeTeardownMasquerader(FindTools(), RunProcess, nft);
}

}  // namespace cnb::masq
