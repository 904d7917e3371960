# SPDX-License-Identifier: Apache-2.0
"""Where the runner finds the system tools, and how long a step may take."""

import shutil

# PATH for the plugins and the snapshot shell: the system's, never the caller's.
SYSTEM_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
IP = shutil.which("ip") or "/usr/sbin/ip"
STEP_TIMEOUT = 60
