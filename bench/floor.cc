// SPDX-License-Identifier: Apache-2.0
// cnb-floor: the kernel floor of the benchmark (bench/README.md). It is called like a CNI plugin
// (CNI_COMMAND=ADD|DEL, CNI_NETNS, CNI_IFNAME, CNI_CONTAINERID; the netconf on stdin is ignored)
// and does the kernel work of our bridge plugin's default ADD and DEL the cheapest way we know:
// raw netlink sockets, one request per kernel object, no IPAM (the pod's address comes from
// CNB_FLOOR_ADDR=10.68.a.b/16, the gateway from CNB_FLOOR_GW), no JSON parsing, no rollback.
// What a plugin spends above this floor is its own doing; what the floor spends is the kernel's.
//
// ADD: bridge cnbb-floor (created up with an explicit MAC if missing); one RTM_NEWLINK for the veth
// pair (host end veth<8 hex> with an explicit MAC, enslaved, one queue each way on both ends, peer
// created straight in the pod); disable_ipv6 on the host end, then up; gateway address on the
// bridge; inside the pod: disable_ipv6, address, up, default route; ip_forward; one masquerade
// rule in table ip cnb_floor, chain postrouting (both created only when missing), tagged with
// the container id. DEL: that rule, then the pod's veth, then the netfilter socket is closed.
// CNB_FLOOR_MASQ=0 leaves the NAT rule out (for BENCH_IPMASQ=0).
#include <arpa/inet.h>
#include <fcntl.h>
#include <linux/if.h>
#include <linux/if_link.h>
#include <linux/netconf.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/veth.h>
#include <sched.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

namespace {

constexpr char kBridge[] = "cnbb-floor";
constexpr char kTable[] = "cnb_floor";
constexpr char kChain[] = "postrouting";
constexpr uint8_t kUdataComment = 0;  // libnftnl's NFTNL_UDATA_RULE_COMMENT: nft shows it as a comment

[[noreturn]] void Die(const std::string& what, int err) {
  std::fprintf(stderr, "cnb-floor: %s: %s\n", what.c_str(), std::strerror(err));
  std::exit(1);
}

[[noreturn]] void Usage(const std::string& what) {
  std::fprintf(stderr, "cnb-floor: %s\n", what.c_str());
  std::exit(1);
}

std::string Env(const char* name) {
  const char* v = std::getenv(name);
  if (v == nullptr || *v == '\0') Usage(std::string(name) + " is not set");
  return v;
}

void Random(void* buf, size_t len) {
  if (getrandom(buf, len, 0) != static_cast<ssize_t>(len)) Die("getrandom", errno);
}

// Locally administered unicast.
std::vector<uint8_t> RandomMac() {
  std::vector<uint8_t> mac(6);
  Random(mac.data(), mac.size());
  mac[0] = static_cast<uint8_t>((mac[0] & 0xfe) | 0x02);
  return mac;
}

std::string RandomVethName() {
  uint32_t r = 0;
  Random(&r, sizeof r);
  char name[16];
  std::snprintf(name, sizeof name, "veth%08x", r);
  return name;
}

// Returns 0 or the errno; a missing knob (IPv6 off in the kernel) is the caller's to ignore.
int WriteSysctl(const std::string& key, const char* value) {
  std::string path = "/proc/sys/" + key;
  int fd = open(path.c_str(), O_WRONLY | O_CLOEXEC);
  if (fd < 0) return errno;
  int err = write(fd, value, std::strlen(value)) < 0 ? errno : 0;
  close(fd);
  return err;
}

uint32_t g_seq = 0;

// Netlink messages, one after another in one buffer (several of them make an nf_tables batch).
class Msg {
 public:
  void Begin(uint16_t type, uint16_t flags, const void* hdr, size_t hdr_len) {
    Align();
    start_ = buf_.size();
    nlmsghdr h{};
    h.nlmsg_type = type;
    h.nlmsg_flags = static_cast<uint16_t>(NLM_F_REQUEST | flags);
    h.nlmsg_seq = ++g_seq;
    Raw(&h, sizeof h);
    Raw(hdr, hdr_len);
    if (flags & (NLM_F_ACK | NLM_F_DUMP)) ++replies_;
  }
  void End() {
    uint32_t len = static_cast<uint32_t>(buf_.size() - start_);
    std::memcpy(&buf_[start_], &len, sizeof len);
  }
  void Put(uint16_t type, const void* data, size_t len) {
    Align();
    nlattr a{static_cast<uint16_t>(NLA_HDRLEN + len), type};
    Raw(&a, sizeof a);
    Raw(data, len);
  }
  void Str(uint16_t type, const std::string& s) { Put(type, s.c_str(), s.size() + 1); }
  void U32(uint16_t type, uint32_t v) { Put(type, &v, sizeof v); }
  void Be32(uint16_t type, uint32_t v) { U32(type, htonl(v)); }
  size_t Nest(uint16_t type) {
    Align();
    size_t at = buf_.size();
    nlattr a{NLA_HDRLEN, static_cast<uint16_t>(type | NLA_F_NESTED)};
    Raw(&a, sizeof a);
    return at;
  }
  void EndNest(size_t at) {
    uint16_t len = static_cast<uint16_t>(buf_.size() - at);
    std::memcpy(&buf_[at], &len, sizeof len);
  }
  // A struct inside an attribute (the peer's ifinfomsg in VETH_INFO_PEER).
  void Struct(const void* p, size_t len) {
    Align();
    Raw(p, len);
  }
  const uint8_t* data() const { return buf_.data(); }
  size_t size() const { return buf_.size(); }
  size_t replies() const { return replies_; }

 private:
  void Raw(const void* p, size_t n) {
    size_t at = buf_.size();
    buf_.resize(at + n);
    if (n != 0) std::memcpy(buf_.data() + at, p, n);
  }
  void Align() { buf_.resize(NLMSG_ALIGN(buf_.size())); }

  std::vector<uint8_t> buf_;
  size_t start_ = 0;
  size_t replies_ = 0;
};

// Calls f(type, data, len) for each attribute in [p, p + len).
template <typename F>
void ForEachAttr(const uint8_t* p, size_t len, F&& f) {
  while (len >= NLA_HDRLEN) {
    nlattr a;
    std::memcpy(&a, p, sizeof a);
    if (a.nla_len < NLA_HDRLEN || a.nla_len > len) return;
    f(static_cast<uint16_t>(a.nla_type & NLA_TYPE_MASK), p + NLA_HDRLEN, static_cast<size_t>(a.nla_len - NLA_HDRLEN));
    size_t step = NLA_ALIGN(a.nla_len);
    if (step >= len) return;
    p += step;
    len -= step;
  }
}

struct Reply {
  const nlmsghdr* h;
  const uint8_t* payload;  // after the nlmsghdr
  size_t len;
};

// Sends `m` and reads until every message that asked for an ACK got its NLMSG_ERROR and every
// dump its NLMSG_DONE; other messages go to on_reply. The kernel answers a request (or a whole
// nf_tables batch) before send() returns, so after the first error whatever is left is already
// queued and is drained without blocking. Returns 0 or the first errno the kernel reported.
template <typename F>
int Talk(int fd, const Msg& m, F&& on_reply, bool* dump_intr = nullptr) {
  if (send(fd, m.data(), m.size(), 0) < 0) return errno;
  alignas(nlmsghdr) static uint8_t buf[65536];
  size_t pending = m.replies();
  int first_err = 0;
  while (pending > 0) {
    ssize_t n = recv(fd, buf, sizeof buf, first_err ? MSG_DONTWAIT : 0);
    if (n < 0) {
      if (errno == EINTR) continue;
      if (first_err && (errno == EAGAIN || errno == EWOULDBLOCK)) break;
      return errno;
    }
    size_t left = static_cast<size_t>(n);
    const uint8_t* p = buf;
    while (left >= sizeof(nlmsghdr)) {
      nlmsghdr h;
      std::memcpy(&h, p, sizeof h);
      if (h.nlmsg_len < sizeof h || h.nlmsg_len > left) break;
      const uint8_t* payload = p + NLMSG_HDRLEN;
      size_t plen = h.nlmsg_len - NLMSG_HDRLEN;
      if (h.nlmsg_type == NLMSG_ERROR || h.nlmsg_type == NLMSG_DONE) {
        int err = 0;
        if (plen >= sizeof err) std::memcpy(&err, payload, sizeof err);
        if (err < 0 && first_err == 0) first_err = -err;
        if (pending > 0) --pending;
      } else {
        if (dump_intr != nullptr && (h.nlmsg_flags & NLM_F_DUMP_INTR)) *dump_intr = true;
        on_reply(Reply{reinterpret_cast<const nlmsghdr*>(p), payload, plen});
      }
      size_t step = NLMSG_ALIGN(h.nlmsg_len);
      if (step >= left) break;
      p += step;
      left -= step;
    }
  }
  return first_err;
}

int Talk(int fd, const Msg& m) {
  return Talk(fd, m, [](const Reply&) {});
}

int OpenNetlink(int protocol) {
  int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, protocol);
  if (fd < 0) Die("netlink socket", errno);
  // Never hang the benchmark: a kernel that stays silent this long is an error.
  timeval tv{10, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  return fd;
}

// A socket whose namespace is the pod's: setns there, socket(), setns back (setns is per thread).
// `inside` runs while the thread is in the pod (for /proc/sys/net, which follows the thread).
template <typename F>
int OpenNetlinkIn(int pod_ns, int protocol, F&& inside) {
  int home = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
  if (home < 0) Die("open own netns", errno);
  if (setns(pod_ns, CLONE_NEWNET) != 0) Die("setns into the pod", errno);
  int fd = OpenNetlink(protocol);
  inside();
  if (setns(home, CLONE_NEWNET) != 0) Die("setns back", errno);
  close(home);
  return fd;
}

// ---- rtnetlink ----

struct LinkState {
  int ifindex = 0;
  unsigned flags = 0;
};

int GetLink(int rt, const std::string& name, LinkState* out) {
  ifinfomsg ifi{};
  ifi.ifi_family = AF_UNSPEC;
  Msg m;
  m.Begin(RTM_GETLINK, NLM_F_ACK, &ifi, sizeof ifi);
  m.Str(IFLA_IFNAME, name);
  m.U32(IFLA_EXT_MASK, RTEXT_FILTER_SKIP_STATS);
  m.End();
  return Talk(rt, m, [&](const Reply& r) {
    if (r.h->nlmsg_type != RTM_NEWLINK || r.len < sizeof(ifinfomsg)) return;
    ifinfomsg got;
    std::memcpy(&got, r.payload, sizeof got);
    out->ifindex = got.ifi_index;
    out->flags = got.ifi_flags;
  });
}

// Up by index, or by name when ifindex is 0.
int SetUp(int rt, int ifindex, const std::string& name) {
  ifinfomsg ifi{};
  ifi.ifi_family = AF_UNSPEC;
  ifi.ifi_index = ifindex;
  ifi.ifi_flags = IFF_UP;
  ifi.ifi_change = IFF_UP;
  Msg m;
  m.Begin(RTM_NEWLINK, NLM_F_ACK, &ifi, sizeof ifi);
  if (ifindex == 0) m.Str(IFLA_IFNAME, name);
  m.End();
  return Talk(rt, m);
}

int EnsureBridge(int rt) {
  LinkState br;
  int err = GetLink(rt, kBridge, &br);
  if (err == ENODEV) {
    // Created up, with a MAC of its own (as our plugin does), in one request.
    ifinfomsg ifi{};
    ifi.ifi_family = AF_UNSPEC;
    ifi.ifi_flags = IFF_UP;
    ifi.ifi_change = IFF_UP;
    Msg m;
    m.Begin(RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL | NLM_F_ACK, &ifi, sizeof ifi);
    m.Str(IFLA_IFNAME, kBridge);
    auto mac = RandomMac();
    m.Put(IFLA_ADDRESS, mac.data(), mac.size());
    size_t info = m.Nest(IFLA_LINKINFO);
    m.Str(IFLA_INFO_KIND, "bridge");
    m.EndNest(info);
    m.End();
    err = Talk(rt, m);
    if (err != 0 && err != EEXIST) Die("create bridge", err);  // EEXIST: a concurrent ADD made it
    err = GetLink(rt, kBridge, &br);
  }
  if (err != 0) Die("look up bridge", err);
  if (!(br.flags & IFF_UP) && (err = SetUp(rt, br.ifindex, "")) != 0) Die("bridge up", err);
  return br.ifindex;
}

// One request: the host end in the node, the peer straight in the pod. Returns the host end's name.
std::string CreateVeth(int rt, int pod_ns, int bridge, const std::string& ifname) {
  for (int attempt = 0;; ++attempt) {
    std::string host = RandomVethName();
    ifinfomsg ifi{};
    ifi.ifi_family = AF_UNSPEC;
    Msg m;
    m.Begin(RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL | NLM_F_ACK, &ifi, sizeof ifi);
    m.Str(IFLA_IFNAME, host);
    auto mac = RandomMac();
    m.Put(IFLA_ADDRESS, mac.data(), mac.size());
    m.U32(IFLA_MASTER, static_cast<uint32_t>(bridge));
    // Without these the kernel makes as many queues as CPUs and then shrinks the real count to one
    // under RTNL, an expedited RCU grace period each way.
    m.U32(IFLA_NUM_TX_QUEUES, 1);
    m.U32(IFLA_NUM_RX_QUEUES, 1);
    size_t info = m.Nest(IFLA_LINKINFO);
    m.Str(IFLA_INFO_KIND, "veth");
    size_t data = m.Nest(IFLA_INFO_DATA);
    size_t peer = m.Nest(VETH_INFO_PEER);
    ifinfomsg pifi{};
    pifi.ifi_family = AF_UNSPEC;
    m.Struct(&pifi, sizeof pifi);
    m.Str(IFLA_IFNAME, ifname);
    m.U32(IFLA_NET_NS_FD, static_cast<uint32_t>(pod_ns));
    m.U32(IFLA_NUM_TX_QUEUES, 1);
    m.U32(IFLA_NUM_RX_QUEUES, 1);
    m.EndNest(peer);
    m.EndNest(data);
    m.EndNest(info);
    m.End();
    int err = Talk(rt, m);
    if (err == 0) return host;
    if (err != EEXIST || attempt == 4) Die("create veth pair", err);  // EEXIST: draw another name
  }
}

// Returns 0 or the errno (EEXIST when the address is there already).
int AddAddress(int rt, int ifindex, in_addr addr, int prefix) {
  ifaddrmsg ifa{};
  ifa.ifa_family = AF_INET;
  ifa.ifa_prefixlen = static_cast<uint8_t>(prefix);
  ifa.ifa_scope = RT_SCOPE_UNIVERSE;
  ifa.ifa_index = static_cast<uint32_t>(ifindex);
  Msg m;
  m.Begin(RTM_NEWADDR, NLM_F_CREATE | NLM_F_EXCL | NLM_F_ACK, &ifa, sizeof ifa);
  m.Put(IFA_LOCAL, &addr, sizeof addr);
  m.Put(IFA_ADDRESS, &addr, sizeof addr);
  m.End();
  return Talk(rt, m);
}

int AddDefaultRoute(int rt, int ifindex, in_addr gw) {
  rtmsg r{};
  r.rtm_family = AF_INET;
  r.rtm_table = RT_TABLE_MAIN;
  r.rtm_protocol = RTPROT_BOOT;
  r.rtm_scope = RT_SCOPE_UNIVERSE;
  r.rtm_type = RTN_UNICAST;
  Msg m;
  m.Begin(RTM_NEWROUTE, NLM_F_CREATE | NLM_F_EXCL | NLM_F_ACK, &r, sizeof r);
  m.Put(RTA_GATEWAY, &gw, sizeof gw);
  m.U32(RTA_OIF, static_cast<uint32_t>(ifindex));
  m.End();
  return Talk(rt, m);
}

// net.ipv4.ip_forward is conf/all/forwarding: read over netlink (no /proc walk), written only if 0.
void EnsureForwarding(int rt) {
  netconfmsg ncm{};
  ncm.ncm_family = AF_INET;
  Msg m;
  m.Begin(RTM_GETNETCONF, NLM_F_ACK, &ncm, sizeof ncm);
  int32_t all = NETCONFA_IFINDEX_ALL;
  m.Put(NETCONFA_IFINDEX, &all, sizeof all);
  m.End();
  int32_t forwarding = 0;
  int err = Talk(rt, m, [&](const Reply& r) {
    if (r.h->nlmsg_type != RTM_NEWNETCONF) return;
    size_t hdr = NLMSG_ALIGN(sizeof(netconfmsg));
    if (r.len < hdr) return;
    ForEachAttr(r.payload + hdr, r.len - hdr, [&](uint16_t type, const uint8_t* d, size_t len) {
      if (type == NETCONFA_FORWARDING && len >= sizeof forwarding) std::memcpy(&forwarding, d, sizeof forwarding);
    });
  });
  if (err != 0) Die("read ip_forward", err);
  if (forwarding == 0 && (err = WriteSysctl("net/ipv4/ip_forward", "1")) != 0) Die("write ip_forward", err);
}

// ---- nf_tables ----

void NftBegin(Msg& m, uint16_t msg, uint16_t flags) {
  nfgenmsg g{};
  g.nfgen_family = NFPROTO_IPV4;
  g.version = NFNETLINK_V0;
  m.Begin(static_cast<uint16_t>((NFNL_SUBSYS_NFTABLES << 8) | msg), flags, &g, sizeof g);
}

void BatchMark(Msg& m, uint16_t type) {
  nfgenmsg g{};
  g.nfgen_family = AF_UNSPEC;
  g.version = NFNETLINK_V0;
  g.res_id = htons(NFNL_SUBSYS_NFTABLES);
  m.Begin(type, 0, &g, sizeof g);
  m.End();
}

std::vector<uint8_t> RuleUserdata(const std::string& container_id) {
  // One TLV, as nft writes a comment (length counts the NUL).
  std::string id = container_id.substr(0, NFT_USERDATA_MAXLEN - 3);
  std::vector<uint8_t> u(id.size() + 3, 0);
  u[0] = kUdataComment;
  u[1] = static_cast<uint8_t>(id.size() + 1);
  std::memcpy(u.data() + 2, id.data(), id.size());
  return u;
}

// Does the base chain exist? Asked first because re-sending an existing base chain makes a chain
// update transaction, whose deferred destroy makes the next release of any netfilter socket in
// this netns wait for an RCU grace period.
bool ChainExists(int nf) {
  Msg m;
  NftBegin(m, NFT_MSG_GETCHAIN, NLM_F_ACK);
  m.Str(NFTA_CHAIN_TABLE, kTable);
  m.Str(NFTA_CHAIN_NAME, kChain);
  m.End();
  int err = Talk(nf, m);
  if (err == ENOENT) return false;
  if (err != 0) Die("get chain " + std::string(kTable) + " " + kChain, err);
  return true;
}

// Rule `ip saddr <addr> masquerade`, appended in one batch (with the table and chain if missing).
void AddMasquerade(int nf, in_addr addr, const std::string& container_id) {
  bool have_chain = ChainExists(nf);
  Msg m;
  BatchMark(m, NFNL_MSG_BATCH_BEGIN);
  if (!have_chain) {
    // NLM_F_CREATE without EXCL: a concurrent first ADD may have made them meanwhile.
    NftBegin(m, NFT_MSG_NEWTABLE, NLM_F_CREATE | NLM_F_ACK);
    m.Str(NFTA_TABLE_NAME, kTable);
    m.End();
    NftBegin(m, NFT_MSG_NEWCHAIN, NLM_F_CREATE | NLM_F_ACK);
    m.Str(NFTA_CHAIN_TABLE, kTable);
    m.Str(NFTA_CHAIN_NAME, kChain);
    size_t hook = m.Nest(NFTA_CHAIN_HOOK);
    m.Be32(NFTA_HOOK_HOOKNUM, NF_INET_POST_ROUTING);
    m.Be32(NFTA_HOOK_PRIORITY, 100);
    m.EndNest(hook);
    m.Str(NFTA_CHAIN_TYPE, "nat");
    m.End();
  }
  NftBegin(m, NFT_MSG_NEWRULE, NLM_F_CREATE | NLM_F_APPEND | NLM_F_ACK);
  m.Str(NFTA_RULE_TABLE, kTable);
  m.Str(NFTA_RULE_CHAIN, kChain);
  size_t exprs = m.Nest(NFTA_RULE_EXPRESSIONS);
  {
    size_t e = m.Nest(NFTA_LIST_ELEM);
    m.Str(NFTA_EXPR_NAME, "payload");
    size_t d = m.Nest(NFTA_EXPR_DATA);
    m.Be32(NFTA_PAYLOAD_DREG, NFT_REG_1);
    m.Be32(NFTA_PAYLOAD_BASE, NFT_PAYLOAD_NETWORK_HEADER);
    m.Be32(NFTA_PAYLOAD_OFFSET, 12);  // iphdr.saddr
    m.Be32(NFTA_PAYLOAD_LEN, 4);
    m.EndNest(d);
    m.EndNest(e);
  }
  {
    size_t e = m.Nest(NFTA_LIST_ELEM);
    m.Str(NFTA_EXPR_NAME, "cmp");
    size_t d = m.Nest(NFTA_EXPR_DATA);
    m.Be32(NFTA_CMP_SREG, NFT_REG_1);
    m.Be32(NFTA_CMP_OP, NFT_CMP_EQ);
    size_t v = m.Nest(NFTA_CMP_DATA);
    m.Put(NFTA_DATA_VALUE, &addr, sizeof addr);
    m.EndNest(v);
    m.EndNest(d);
    m.EndNest(e);
  }
  {
    size_t e = m.Nest(NFTA_LIST_ELEM);
    m.Str(NFTA_EXPR_NAME, "masq");
    m.EndNest(e);
  }
  m.EndNest(exprs);
  auto udata = RuleUserdata(container_id);
  m.Put(NFTA_RULE_USERDATA, udata.data(), udata.size());
  m.End();
  BatchMark(m, NFNL_MSG_BATCH_END);
  int err = Talk(nf, m);
  if (err != 0) Die("add masquerade rule", err);
}

// Deletes the rules tagged with the container id: one dump of the chain, one batch. A dump that
// a concurrent commit interrupted is taken again.
void DelMasquerade(int nf, const std::string& container_id) {
  auto want = RuleUserdata(container_id);
  std::vector<uint64_t> handles;  // as the kernel sent them (big endian)
  for (int attempt = 0;; ++attempt) {
    handles.clear();
    bool intr = false;
    Msg m;
    NftBegin(m, NFT_MSG_GETRULE, NLM_F_DUMP);
    m.Str(NFTA_RULE_TABLE, kTable);
    m.Str(NFTA_RULE_CHAIN, kChain);
    m.End();
    int err = Talk(
        nf, m,
        [&](const Reply& r) {
          if (r.h->nlmsg_type != ((NFNL_SUBSYS_NFTABLES << 8) | NFT_MSG_NEWRULE)) return;
          size_t hdr = NLMSG_ALIGN(sizeof(nfgenmsg));
          if (r.len < hdr) return;
          uint64_t handle = 0;
          bool ours = false;
          ForEachAttr(r.payload + hdr, r.len - hdr, [&](uint16_t type, const uint8_t* d, size_t len) {
            if (type == NFTA_RULE_HANDLE && len == sizeof handle) std::memcpy(&handle, d, sizeof handle);
            if (type == NFTA_RULE_USERDATA) ours = len == want.size() && std::memcmp(d, want.data(), len) == 0;
          });
          if (ours) handles.push_back(handle);
        },
        &intr);
    if (err == ENOENT) return;  // no table or chain: nothing to delete
    if (err != 0) Die("list chain " + std::string(kTable) + " " + kChain, err);
    if (!intr) break;
    if (attempt == 9) Die("list chain: dump interrupted ten times", EAGAIN);
  }
  if (handles.empty()) return;
  Msg m;
  BatchMark(m, NFNL_MSG_BATCH_BEGIN);
  for (uint64_t h : handles) {
    NftBegin(m, NFT_MSG_DELRULE, NLM_F_ACK);
    m.Str(NFTA_RULE_TABLE, kTable);
    m.Str(NFTA_RULE_CHAIN, kChain);
    m.Put(NFTA_RULE_HANDLE, &h, sizeof h);
    m.End();
  }
  BatchMark(m, NFNL_MSG_BATCH_END);
  int err = Talk(nf, m);
  if (err != 0 && err != ENOENT) Die("delete masquerade rule", err);
}

struct Prefix {
  in_addr addr{};
  int len = 0;
};

Prefix ParsePrefix(const std::string& s, const char* what) {
  Prefix p;
  auto slash = s.find('/');
  std::string a = s.substr(0, slash);
  p.len = slash == std::string::npos ? 32 : std::atoi(s.c_str() + slash + 1);
  if (inet_pton(AF_INET, a.c_str(), &p.addr) != 1 || p.len < 1 || p.len > 32) {
    Usage(std::string(what) + ": not an IPv4 address/prefix: " + s);
  }
  return p;
}

int Add(const std::string& netns, const std::string& ifname, const std::string& id, bool masq) {
  Prefix addr = ParsePrefix(Env("CNB_FLOOR_ADDR"), "CNB_FLOOR_ADDR");
  Prefix gw = ParsePrefix(Env("CNB_FLOOR_GW"), "CNB_FLOOR_GW");
  int pod_ns = open(netns.c_str(), O_RDONLY | O_CLOEXEC);
  if (pod_ns < 0) Die("open netns " + netns, errno);
  int rt = OpenNetlink(NETLINK_ROUTE);

  int bridge = EnsureBridge(rt);
  std::string host = CreateVeth(rt, pod_ns, bridge, ifname);
  // Off before the link comes up: the port never gets an IPv6 link-local address, DAD or MLD.
  int err = WriteSysctl("net/ipv6/conf/" + host + "/disable_ipv6", "1");
  if (err != 0 && err != ENOENT) Die("disable_ipv6 on " + host, err);
  if ((err = SetUp(rt, 0, host)) != 0) Die("link up " + host, err);
  err = AddAddress(rt, bridge, gw.addr, addr.len);
  if (err != 0 && err != EEXIST) Die("gateway address on the bridge", err);

  int pod = OpenNetlinkIn(pod_ns, NETLINK_ROUTE, [&] {
    int e = WriteSysctl("net/ipv6/conf/" + ifname + "/disable_ipv6", "1");
    if (e != 0 && e != ENOENT) Die("disable_ipv6 on " + ifname + " in the pod", e);
  });
  LinkState cont;
  if ((err = GetLink(pod, ifname, &cont)) != 0) Die("look up " + ifname + " in the pod", err);
  if ((err = AddAddress(pod, cont.ifindex, addr.addr, addr.len)) != 0) Die("address in the pod", err);
  if ((err = SetUp(pod, cont.ifindex, "")) != 0) Die("link up in the pod", err);
  if ((err = AddDefaultRoute(pod, cont.ifindex, gw.addr)) != 0) Die("default route in the pod", err);
  EnsureForwarding(rt);

  if (masq) {
    int nf = OpenNetlink(NETLINK_NETFILTER);
    AddMasquerade(nf, addr.addr, id);
    close(nf);
  }
  char a[INET_ADDRSTRLEN], g[INET_ADDRSTRLEN];
  inet_ntop(AF_INET, &addr.addr, a, sizeof a);
  inet_ntop(AF_INET, &gw.addr, g, sizeof g);
  std::printf(
      "{\"cniVersion\":\"1.0.0\",\"interfaces\":[{\"name\":\"%s\"},{\"name\":\"%s\"},{\"name\":\"%s\"}],"
      "\"ips\":[{\"address\":\"%s/%d\",\"gateway\":\"%s\",\"interface\":2}]}\n",
      kBridge, host.c_str(), ifname.c_str(), a, addr.len, g);
  return 0;
}

int Del(const std::string& netns, const std::string& ifname, const std::string& id, bool masq) {
  // Held until the process ends: releasing it after a deletion waits for an RCU grace period,
  // which then overlaps the one the veth deletion waits for.
  int nf = -1;
  if (masq) {
    nf = OpenNetlink(NETLINK_NETFILTER);
    DelMasquerade(nf, id);
  }
  int pod_ns = open(netns.c_str(), O_RDONLY | O_CLOEXEC);
  if (pod_ns >= 0) {
    int pod = OpenNetlinkIn(pod_ns, NETLINK_ROUTE, [] {});
    ifinfomsg ifi{};
    ifi.ifi_family = AF_UNSPEC;
    Msg m;
    m.Begin(RTM_DELLINK, NLM_F_ACK, &ifi, sizeof ifi);
    m.Str(IFLA_IFNAME, ifname);
    m.End();
    int err = Talk(pod, m);
    if (err != 0 && err != ENODEV) Die("delete " + ifname + " in the pod", err);
  } else if (errno != ENOENT) {
    Die("open netns " + netns, errno);
  }
  if (nf >= 0) close(nf);
  return 0;
}

}  // namespace

int main() {
  std::string command = Env("CNI_COMMAND");
  std::string netns = Env("CNI_NETNS");
  std::string ifname = Env("CNI_IFNAME");
  std::string id = Env("CNI_CONTAINERID");
  const char* masq_env = std::getenv("CNB_FLOOR_MASQ");
  bool masq = masq_env == nullptr || std::strcmp(masq_env, "0") != 0;
  if (ifname.size() >= IFNAMSIZ) Usage("CNI_IFNAME too long: " + ifname);
  if (command == "ADD") return Add(netns, ifname, id, masq);
  if (command == "DEL") return Del(netns, ifname, id, masq);
  Usage("CNI_COMMAND must be ADD or DEL, not " + command);
}
