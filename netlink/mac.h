// SPDX-License-Identifier: Apache-2.0
// Ethernet MAC addresses: parsing, printing, and random locally administered ones.
#pragma once

#include <cstdint>
#include <string>

namespace cnb::nl {

// Six hex pairs separated by ':' or '-' (either case, as Go's net.ParseMAC takes a 6-byte MAC)
// into bytes; false when malformed.
bool ParseMac(const std::string& text, uint8_t out[6]);
// "aa:bb:cc:dd:ee:ff", lower case.
std::string FormatMac(const uint8_t mac[6]);
// A random locally administered unicast MAC, from getrandom().
std::string RandomMac();
// A host veth name: "veth" + 8 random hex digits.
std::string RandomVethName();

}  // namespace cnb::nl
