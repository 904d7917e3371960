// SPDX-License-Identifier: Apache-2.0
// A netlink reply: the input is the payload of one RTM_NEWLINK (an ifinfomsg and its
// attributes), decoded by libnl's link parser into the LinkInfo that GetLink and ListLinks
// return (netlink/link_parse.h).
#include <linux/if_link.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "fuzz/fuzz_util.h"
#include "netlink/link_parse.h"

namespace {

// Calls fn(type, value, value length) for each attribute in [data, data + len), as libnl's
// nla_parse walks them (nla_ok: a header, and a length within what is left).
template <typename F>
void EachAttr(const uint8_t* data, size_t len, F fn) {
  while (len >= sizeof(nlattr)) {
    nlattr a;
    std::memcpy(&a, data, sizeof(a));
    if (a.nla_len < sizeof(nlattr) || a.nla_len > len) return;
    fn(a.nla_type & NLA_TYPE_MASK, data + NLA_HDRLEN, static_cast<size_t>(a.nla_len - NLA_HDRLEN));
    const size_t step = NLA_ALIGN(a.nla_len);
    if (step >= len) return;
    data += step;
    len -= step;
  }
}

// libnl's link parser is the kernel-facing side: it only ever reads what the kernel wrote, and
// libnl 3.7.0 relies on that in places. Fuzzing those would test libnl on input no kernel sends,
// and each was found to crash it:
// * a string libnl copies without its policy checking the NUL: the kernel writes every string
//   with nla_put_string, terminated (libnl-unterminated-slave-kind: IFLA_INFO_SLAVE_KIND);
// * IFLA_INFO_XSTATS without IFLA_INFO_DATA: libnl hands the kind's parser the missing data
//   (libnl-xstats-without-data); the kinds that report xstats fill in their data too;
// * a kind's data the kernel does not send: veth reports no IFLA_INFO_DATA at all, and libnl's
//   veth parser writes a VETH_INFO_PEER into state nothing allocated (libnl-veth-peer-in-reply).
// So the harness feeds kernel-shaped messages: strings terminated, and link-info data only for
// the kinds this plugin makes and reads (bridge, vlan; a bridge port's slave data). Everything
// else (every scalar, address, name, nesting and length) is fuzzed. fuzz/regressions/
// netlink_reply/libnl-* keep the skips tested.
bool Terminated(const uint8_t* value, size_t len) { return len > 0 && value[len - 1] == '\0'; }

bool KernelShaped(const uint8_t* payload, size_t len) {
  if (len < NLMSG_ALIGN(sizeof(ifinfomsg))) return true;  // libnl refuses it on its own
  bool shaped = true;
  EachAttr(payload + NLMSG_ALIGN(sizeof(ifinfomsg)), len - NLMSG_ALIGN(sizeof(ifinfomsg)),
           [&](int type, const uint8_t* value, size_t value_len) {
             switch (type) {
               case IFLA_IFNAME:
               case IFLA_QDISC:
               case IFLA_IFALIAS:
               case IFLA_PHYS_PORT_NAME:
               case IFLA_PARENT_DEV_NAME:
               case IFLA_PARENT_DEV_BUS_NAME: shaped = shaped && Terminated(value, value_len); return;
               case IFLA_LINKINFO: break;
               default: return;
             }
             std::string kind, slave_kind;
             bool data = false, slave_data = false, xstats = false;
             EachAttr(value, value_len, [&](int t, const uint8_t* v, size_t n) {
               if (t == IFLA_INFO_KIND || t == IFLA_INFO_SLAVE_KIND) {
                 shaped = shaped && Terminated(v, n);
                 (t == IFLA_INFO_KIND ? kind : slave_kind).assign(reinterpret_cast<const char*>(v), n);
               }
               data = data || t == IFLA_INFO_DATA;
               slave_data = slave_data || t == IFLA_INFO_SLAVE_DATA;
               xstats = xstats || t == IFLA_INFO_XSTATS;
             });
             // As C strings, the way libnl compares them.
             kind = kind.c_str();
             slave_kind = slave_kind.c_str();
             shaped = shaped && !(xstats && !data) && (!data || kind == "bridge" || kind == "vlan") &&
                      (!slave_data || slave_kind == "bridge");
           });
  return shaped;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::vector<uint8_t> payload(data, data + size);
  if (!KernelShaped(payload.data(), payload.size())) return -1;  // -1: not added to the corpus
  cnb::fuzz::ExpectOnlyErrors("ParseLinkMessage", [&] {
    if (auto link = cnb::nl::ParseLinkMessage(payload.data(), payload.size())) {
      if (link->mac.size() != 0 && link->mac.size() != 17) cnb::fuzz::Finding("a MAC of odd length: " + link->mac);
      (void)link->up();
      (void)link->promisc();
    }
  });
  return 0;
}
