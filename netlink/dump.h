// SPDX-License-Identifier: Apache-2.0
// Dumps (links, addresses, routes) that survive a changing table. The kernel marks a dump
// NLM_F_DUMP_INTR when the table changed while it was being sent, so its entries may be
// inconsistent (a link missing, or listed twice); the only fix is to dump again. libnl's own
// refill restarts without limit; ours restarts a bounded number of times, then says "try again
// later" (code 11), which a runtime does for a pod it cannot set up now.
#pragma once

#include <functional>
#include <string_view>

namespace cnb::nl {

inline constexpr int kDumpAttempts = 10;
// libnl's codes for the outcomes the policy tells apart (static_asserted in dump.cc), so that
// callers and tests need no libnl header.
inline constexpr int kNleNoMem = 5;      // NLE_NOMEM
inline constexpr int kNlePerm = 28;      // NLE_PERM
inline constexpr int kNleDumpIntr = 33;  // NLE_DUMP_INTR

// Runs `dump` (returning 0 or a negative libnl NLE_* code) until it is not interrupted: an
// interrupted dump (-NLE_DUMP_INTR) or a receive-buffer overrun (ENOBUFS, which libnl reports as
// -NLE_NOMEM: messages were lost) is run again, up to kDumpAttempts runs in all. Throws
// Error(kTryAgainLater) when every run was cut short, and the usual netlink error for another
// failure, both prefixed with `what`.
void RetryInterruptedDump(std::string_view what, const std::function<int()>& dump);

}  // namespace cnb::nl
