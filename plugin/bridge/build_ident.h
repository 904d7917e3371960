// SPDX-License-Identifier: Apache-2.0
// Whether a host-local on CNI_PATH is ours from this very build, which lets the bridge run its
// commands in-process instead of exec'ing it.
#pragma once

#include <optional>
#include <string>

namespace cnb::bridge {

// The build identity (cni::BuildIdent) stored in an ELF file's section, if it has one.
std::optional<std::string> ReadBuildIdent(const std::string& path);

}  // namespace cnb::bridge
