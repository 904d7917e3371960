// SPDX-License-Identifier: Apache-2.0
#include "netlink/dump.h"

#include <netlink/errno.h>
#include <netlink/handlers.h>
#include <netlink/socket.h>

#include <string>

#include "common/error.h"
#include "netlink/internal.h"

namespace cnb::nl {

static_assert(kNleNoMem == NLE_NOMEM && kNlePerm == NLE_PERM && kNleDumpIntr == NLE_DUMP_INTR);

void RetryInterruptedDump(std::string_view what, const std::function<int()>& dump) {
  int err = 0;
  for (int attempt = 0; attempt < kDumpAttempts; ++attempt) {
    err = dump();
    if (err != -NLE_DUMP_INTR && err != -NLE_NOMEM) {
      internal::Check(err, what);
      return;
    }
  }
  throw Error(ErrorCode::kTryAgainLater, std::string(what) + ": the kernel's table kept changing during " +
                                             std::to_string(kDumpAttempts) + " dumps; try again");
}

namespace internal {
namespace {

int OnDumpInterrupted(nl_msg*, void* arg) {
  *static_cast<bool*>(arg) = true;
  return NL_OK;  // parse it as usual; the whole dump is thrown away and run again
}

// Flags NLM_F_DUMP_INTR on the socket for as long as it lives. Without such a callback libnl's
// refill restarts the dump itself, without limit.
class DumpInterruptedHook {
 public:
  DumpInterruptedHook(RouteSocket& sock, bool* flag) : cb_(nl_socket_get_cb(sock.raw())) {
    if (cb_) nl_cb_set(cb_, NL_CB_DUMP_INTR, NL_CB_CUSTOM, OnDumpInterrupted, flag);
  }
  ~DumpInterruptedHook() {
    if (!cb_) return;
    nl_cb_set(cb_, NL_CB_DUMP_INTR, NL_CB_DEFAULT, nullptr, nullptr);
    nl_cb_put(cb_);
  }
  DumpInterruptedHook(const DumpInterruptedHook&) = delete;
  DumpInterruptedHook& operator=(const DumpInterruptedHook&) = delete;

 private:
  nl_cb* cb_;
};

}  // namespace

CachePtr DumpCache(RouteSocket& sock, const std::function<int(nl_cache**)>& alloc, std::string_view what) {
  bool interrupted = false;
  DumpInterruptedHook hook(sock, &interrupted);
  CachePtr cache;
  RetryInterruptedDump(what, [&] {
    interrupted = false;
    nl_cache* raw = nullptr;
    const int err = alloc(&raw);
    cache.reset(raw);
    if (err < 0) return err;
    return interrupted ? -NLE_DUMP_INTR : 0;
  });
  return cache;
}

}  // namespace internal
}  // namespace cnb::nl
