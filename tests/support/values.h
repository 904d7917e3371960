// SPDX-License-Identifier: Apache-2.0
// Addresses written as text in tests.
#pragma once

#include "common/ip.h"

namespace cnb::test {

inline IpNet Net(const char* text) { return *IpNet::Parse(text); }
inline IpAddr Ip(const char* text) { return *IpAddr::Parse(text); }

}  // namespace cnb::test
