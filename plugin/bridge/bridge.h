// SPDX-License-Identifier: Apache-2.0
// The bridge plugin's commands: ADD, DEL, CHECK, STATUS, GC.
#pragma once

#include "cni/skel.h"
#include "cni/types.h"

namespace cnb::bridge {

cni::Result CmdAdd(const cni::Invocation& inv);
void CmdDel(const cni::Invocation& inv);
void CmdCheck(const cni::Invocation& inv);
void CmdStatus(const cni::Invocation& inv);
void CmdGc(const cni::Invocation& inv);

cni::PluginFuncs BridgeFuncs();

}  // namespace cnb::bridge
