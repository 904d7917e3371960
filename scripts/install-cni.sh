#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# The installer of the cni-bridge image (Dockerfile), run by the DaemonSet's init container
# (deploy/daemonset.yaml) with the node's /opt/cni/bin and /etc/cni/net.d mounted under /host.
# POSIX sh: runs under the image's static busybox, and under dash/bash on a node.
#
#   install-cni.sh [install]   copy bridge + host-local into $CNI_BIN_DIR and, when a pod CIDR
#                              is given, write the conflist into $CNI_NET_DIR
#   install-cni.sh rollback    put back the binaries that were there before the first install
#                              (the Go plugins), or those in $ROLLBACK_SRC_DIR
#   install-cni.sh sleep       stay running until SIGTERM (the DaemonSet's main container)
#
# Every file is written to a temp name in its destination directory and renamed over the old
# one, so a runtime exec'ing a plugin or reading the config at that moment sees the old or the
# new file, never a half-written one (and never "text file busy": rename does not write into
# the running inode). Temp names start with "." and do not end in .conf/.conflist/.json, so
# no runtime loads them as configs.
#
# Environment (defaults in brackets):
#   CNI_SRC_DIR [/opt/cni/bin]        the binaries to install (the image's)
#   CNI_BIN_DIR [/host/opt/cni/bin]   the node's plugin directory
#   CNI_NET_DIR [/host/etc/cni/net.d] the node's config directory
#   POD_CIDR                          the node's pod CIDR, e.g. 10.244.1.0/24; may also be a
#                                     comma-separated pair, one per family (node.spec.podCIDRs)
#   POD_CIDR_V6                       the node's IPv6 pod CIDR, e.g. fd00:10:244:1::/64
#   POD_CIDRS_DIR + NODE_NAME         read the CIDR(s) from the file $POD_CIDRS_DIR/$NODE_NAME
#                                     (a ConfigMap keyed by node name) when POD_CIDR is unset
#   BRIDGE [cni0]   MTU [kernel default]   IP_MASQ [true]   HAIRPIN [true]
#   PORTMAP [true]                    chain portmap (hostPorts; from the node's /opt/cni/bin)
#   CNI_CONF_NAME [10-cni-bridge.conflist]   CNI_NETWORK_NAME [cni-bridge]
#   IPAM_DATA_DIR [host-local's default, /var/lib/cni/networks]   host-local's dataDir
#   FORCE [0]                         1: replace an existing, different conflist of that name
#                                     (the old one is kept as .<name>.replaced)
#
# No pod CIDR: binaries only. Exit status: 0 done (or already in place), 2 bad input (nothing
# was changed), 3 a different conflist is in the way (nothing was changed), 1 anything else.
set -eu

CNI_SRC_DIR=${CNI_SRC_DIR:-/opt/cni/bin}
CNI_BIN_DIR=${CNI_BIN_DIR:-/host/opt/cni/bin}
CNI_NET_DIR=${CNI_NET_DIR:-/host/etc/cni/net.d}
CNI_CONF_NAME=${CNI_CONF_NAME:-10-cni-bridge.conflist}
CNI_NETWORK_NAME=${CNI_NETWORK_NAME:-cni-bridge}
BRIDGE=${BRIDGE:-cni0}
MTU=${MTU:-}
IPAM_DATA_DIR=${IPAM_DATA_DIR:-}
IP_MASQ=${IP_MASQ:-true}
HAIRPIN=${HAIRPIN:-true}
PORTMAP=${PORTMAP:-true}
FORCE=${FORCE:-0}
BINARIES="bridge host-local"
BACKUP_DIR=$CNI_BIN_DIR/.cni-bridge-orig

say() { echo "install-cni: $*"; }
fail() { echo "install-cni: error: $*" >&2; exit 1; }
bad() { echo "install-cni: bad input: $*" >&2; exit 2; }

# --- input validation (everything is checked before anything is written) ----------------------

# An IPv4 network in CIDR form with no host bits set, prefix 1..30 (host-local needs room for
# the gateway and at least one pod).
check_v4_cidr() {  # check_v4_cidr VAR VALUE
  case $2 in */*) ;; *) bad "$1=$2 is not a CIDR (expected a.b.c.d/len)" ;; esac
  _addr=${2%/*} _len=${2#*/}
  case $_len in '' | *[!0-9]*) bad "$1=$2: prefix length '$_len' is not a number" ;; esac
  if [ "$_len" -lt 1 ] || [ "$_len" -gt 30 ]; then bad "$1=$2: prefix length must be 1..30"; fi
  _n=0 _i=0 _rest=$_addr.
  while [ -n "$_rest" ]; do
    _o=${_rest%%.*} _rest=${_rest#*.}
    case $_o in 0 | [1-9] | [1-9][0-9] | [1-9][0-9][0-9]) ;; *) bad "$1=$2: '$_addr' is not an IPv4 address" ;; esac
    [ "$_o" -le 255 ] || bad "$1=$2: '$_addr' is not an IPv4 address"
    _n=$((_n * 256 + _o)) _i=$((_i + 1))
  done
  [ "$_i" -eq 4 ] || bad "$1=$2: '$_addr' is not an IPv4 address"
  _host=$((_n & ((1 << (32 - _len)) - 1)))
  if [ "$_host" -ne 0 ]; then
    _net=$((_n - _host))
    bad "$1=$2 has host bits set; the network is $((_net >> 24 & 255)).$((_net >> 16 & 255)).$((_net >> 8 & 255)).$((_net & 255))/$_len"
  fi
}

# An IPv6 network in CIDR form (hex groups, at most one "::"), no host bits set, prefix 8..126.
check_v6_cidr() {  # check_v6_cidr VAR VALUE
  case $2 in */*) ;; *) bad "$1=$2 is not a CIDR (expected an IPv6 prefix such as fd00:10:244:1::/64)" ;; esac
  _addr=${2%/*} _len=${2#*/}
  case $_len in '' | *[!0-9]*) bad "$1=$2: prefix length '$_len' is not a number" ;; esac
  if [ "$_len" -lt 8 ] || [ "$_len" -gt 126 ]; then bad "$1=$2: prefix length must be 8..126"; fi
  case $_addr in '' | *[!0-9a-fA-F:]* | *:::* | *::*::*) bad "$1=$2: '$_addr' is not an IPv6 address" ;; esac
  case $_addr in
    *::*) _head=${_addr%%::*} _tail=${_addr#*::} _gap=1 ;;
    *) _head=$_addr _tail='' _gap=0 ;;
  esac
  # The groups before and after "::", as 16-bit numbers.
  _hg=$(v6_groups "$1" "$2" "$_head") || exit 2
  _tg=$(v6_groups "$1" "$2" "$_tail") || exit 2
  # shellcheck disable=SC2086 # split into the groups on purpose
  set -- "$1" "$2" $_hg
  _nh=$(($# - 2))
  # shellcheck disable=SC2086
  set -- "$1" "$2" $_tg
  _nt=$(($# - 2))
  if [ "$_gap" -eq 0 ] && [ "$_nh" -ne 8 ]; then bad "$1=$2: '$_addr' does not have 8 groups"; fi
  if [ "$_gap" -eq 1 ] && [ $((_nh + _nt)) -gt 7 ]; then bad "$1=$2: '$_addr' has too many groups"; fi
  _zeros=$((8 - _nh - _nt)) _all=$_hg
  while [ "$_zeros" -gt 0 ]; do _all="$_all 0" _zeros=$((_zeros - 1)); done
  _all="$_all $_tg"
  _bit=0
  for _g in $_all; do
    if [ "$_len" -le "$_bit" ]; then _keep=0
    elif [ "$_len" -ge $((_bit + 16)) ]; then _keep=65535
    else _keep=$((65535 - ((1 << (_bit + 16 - _len)) - 1)))
    fi
    [ $((_g & ~_keep & 65535)) -eq 0 ] || bad "$1=$2 has host bits set (prefix length $_len)"
    _bit=$((_bit + 16))
  done
}
v6_groups() {  # v6_groups VAR VALUE PART: the ':'-separated hex groups of PART as numbers
  [ -n "$3" ] || return 0
  case $3 in :* | *:) bad "$1=$2: '$3' is not an IPv6 address" ;; esac
  _r=$3:
  while [ -n "$_r" ]; do
    _g=${_r%%:*} _r=${_r#*:}
    case $_g in ? | ?? | ??? | ????) ;; *) bad "$1=$2: group '$_g' is not 1-4 hex digits" ;; esac
    printf '%d ' "0x$_g"
  done
}

check_bool() {  # check_bool VAR VALUE
  case $2 in true | false) ;; *) bad "$1=$2: expected true or false" ;; esac
}

validate() {
  # POD_CIDR may name both families ("10.244.1.0/24,fd00:10:244:1::/64", as node.spec.podCIDRs).
  if [ -z "${POD_CIDR:-}" ] && [ -n "${POD_CIDRS_DIR:-}" ]; then
    [ -n "${NODE_NAME:-}" ] || bad "POD_CIDRS_DIR is set but NODE_NAME is not (pass spec.nodeName through the downward API)"
    [ -f "$POD_CIDRS_DIR/$NODE_NAME" ] || bad "no pod CIDR for node '$NODE_NAME': $POD_CIDRS_DIR/$NODE_NAME does not exist"
    POD_CIDR=$(cat "$POD_CIDRS_DIR/$NODE_NAME")
    [ -n "$POD_CIDR" ] || bad "$POD_CIDRS_DIR/$NODE_NAME is empty"
    say "pod CIDR(s) of node $NODE_NAME from $POD_CIDRS_DIR/$NODE_NAME"
  fi
  V4='' V6=''
  for _c in $(echo "${POD_CIDR:-}" | tr ',' ' ') ${POD_CIDR_V6:+"v6=$POD_CIDR_V6"}; do
    case $_c in
      v6=*) _c=${_c#v6=}; check_v6_cidr POD_CIDR_V6 "$_c"; [ -z "$V6" ] || bad "two IPv6 pod CIDRs: $V6 and $_c"; V6=$_c ;;
      *:*) check_v6_cidr POD_CIDR "$_c"; [ -z "$V6" ] || bad "two IPv6 pod CIDRs: $V6 and $_c"; V6=$_c ;;
      *) check_v4_cidr POD_CIDR "$_c"; [ -z "$V4" ] || bad "two IPv4 pod CIDRs: $V4 and $_c"; V4=$_c ;;
    esac
  done
  if [ -n "$V6" ] && [ -z "$V4" ] && [ -z "${POD_CIDR:-}" ]; then
    bad "POD_CIDR_V6 without POD_CIDR (an IPv6-only node passes its CIDR as POD_CIDR)"
  fi
  # A Linux interface name: 1-15 characters, no '/', no whitespace, not '.' or '..'.
  case $BRIDGE in
    '' | . | .. | *[!A-Za-z0-9_.-]*) bad "BRIDGE=$BRIDGE is not a valid interface name" ;;
  esac
  [ "${#BRIDGE}" -le 15 ] || bad "BRIDGE=$BRIDGE is longer than 15 characters"
  if [ -n "$MTU" ]; then
    case $MTU in *[!0-9]* | 0*) bad "MTU=$MTU is not a positive number" ;; esac
    if [ "$MTU" -lt 576 ] || [ "$MTU" -gt 65535 ]; then bad "MTU=$MTU: expected 576..65535"; fi
    [ -z "$V6" ] || [ "$MTU" -ge 1280 ] || bad "MTU=$MTU: IPv6 needs at least 1280"
  fi
  check_bool IP_MASQ "$IP_MASQ"
  check_bool HAIRPIN "$HAIRPIN"
  check_bool PORTMAP "$PORTMAP"
  case $FORCE in 0 | 1) ;; *) bad "FORCE=$FORCE: expected 0 or 1" ;; esac
  case $CNI_CONF_NAME in
    */* | .* | '') bad "CNI_CONF_NAME=$CNI_CONF_NAME must be a plain file name" ;;
    *.conflist) ;;
    *) bad "CNI_CONF_NAME=$CNI_CONF_NAME must end in .conflist" ;;
  esac
  case $IPAM_DATA_DIR in
    '') ;;
    /*[!A-Za-z0-9_./-]* | [!/]*) bad "IPAM_DATA_DIR=$IPAM_DATA_DIR: an absolute path of letters, digits, '_', '.', '-', '/'" ;;
  esac
  case $CNI_NETWORK_NAME in
    '' | *[!A-Za-z0-9_.-]*) bad "CNI_NETWORK_NAME=$CNI_NETWORK_NAME: letters, digits, '_', '.', '-' only" ;;
  esac
  for _b in $BINARIES; do
    if [ ! -f "$CNI_SRC_DIR/$_b" ] || [ ! -x "$CNI_SRC_DIR/$_b" ]; then fail "$CNI_SRC_DIR/$_b missing or not executable"; fi
  done
}

# --- writing ------------------------------------------------------------------------------------

# put_file SRC DIR NAME MODE: SRC becomes DIR/NAME through a temp file in DIR and a rename.
put_file() {
  _tmp="$2/.$3.tmp.$$"
  rm -f "$_tmp"
  cp "$1" "$_tmp" || { rm -f "$_tmp"; fail "cannot write $_tmp"; }
  chmod "$4" "$_tmp"
  cmp -s "$1" "$_tmp" || { rm -f "$_tmp"; fail "copy of $1 to $_tmp differs"; }
  mv -f "$_tmp" "$2/$3" || { rm -f "$_tmp"; fail "cannot rename $_tmp to $2/$3"; }
}

is_ours() {  # is_ours FILE: one of our executables (they carry "cni-bridge <version>")
  grep -q 'cni-bridge [0-9]' "$1" 2>/dev/null
}

install_binaries() {
  mkdir -p "$CNI_BIN_DIR"
  for _b in $BINARIES; do
    _dst=$CNI_BIN_DIR/$_b
    if [ -f "$_dst" ] && cmp -s "$CNI_SRC_DIR/$_b" "$_dst" && [ "$(stat -c %a "$_dst")" = 755 ]; then
      say "$_dst unchanged"
      continue
    fi
    # The first time: keep what was there (the Go plugin) for `rollback`. A hard link, so the
    # plugin's inode lives on unchanged; the rename below only swaps the directory entry.
    if [ -f "$_dst" ] && ! is_ours "$_dst" && [ ! -e "$BACKUP_DIR/$_b" ]; then
      mkdir -p "$BACKUP_DIR"
      ln "$_dst" "$BACKUP_DIR/$_b" 2>/dev/null || put_file "$_dst" "$BACKUP_DIR" "$_b" 0755
      say "kept the previous $_b as $BACKUP_DIR/$_b"
    fi
    put_file "$CNI_SRC_DIR/$_b" "$CNI_BIN_DIR" "$_b" 0755
    say "installed $_dst"
  done
  if [ "$PORTMAP" = true ] && [ -n "$V4$V6" ] && [ ! -x "$CNI_BIN_DIR/portmap" ]; then
    say "warning: $CNI_BIN_DIR/portmap is missing; ADD fails until it is installed (containernetworking-plugins / kubernetes-cni), or set PORTMAP=false"
  fi
  if [ ! -x "$CNI_BIN_DIR/loopback" ]; then
    say "warning: $CNI_BIN_DIR/loopback is missing; containerd and CRI-O need it for the pod's lo"
  fi
}

conflist() {  # the conflist for $V4 / $V6, on stdout
  _ranges='' _routes=''
  if [ -n "$V4" ]; then
    _ranges="[{\"subnet\": \"$V4\"}]"
    _routes="{\"dst\": \"0.0.0.0/0\"}"
  fi
  if [ -n "$V6" ]; then
    _ranges="${_ranges:+$_ranges, }[{\"subnet\": \"$V6\"}]"
    _routes="${_routes:+$_routes, }{\"dst\": \"::/0\"}"
  fi
  printf '{\n  "cniVersion": "1.0.0",\n  "name": "%s",\n  "plugins": [\n' "$CNI_NETWORK_NAME"
  printf '    {\n      "type": "bridge",\n      "bridge": "%s",\n      "isGateway": true,\n' "$BRIDGE"
  printf '      "ipMasq": %s,\n      "hairpinMode": %s,\n' "$IP_MASQ" "$HAIRPIN"
  [ -z "$MTU" ] || printf '      "mtu": %s,\n' "$MTU"
  printf '      "ipam": {\n        "type": "host-local",\n'
  [ -z "$IPAM_DATA_DIR" ] || printf '        "dataDir": "%s",\n' "$IPAM_DATA_DIR"
  printf '        "ranges": [%s],\n        "routes": [%s]\n      }\n    }' "$_ranges" "$_routes"
  [ "$PORTMAP" = false ] || printf ',\n    {"type": "portmap", "capabilities": {"portMappings": true}}'
  printf '\n  ]\n}\n'
}

# Decides about the conflist before anything is written, so a conflict changes nothing:
# sets CONF_ACTION to none|unchanged|write|replace and leaves the new content in $CONF_NEW.
plan_conflist() {
  CONF_ACTION=none CONF_NEW=''
  [ -n "$V4$V6" ] || return 0
  mkdir -p "$CNI_NET_DIR"
  CONF_NEW="$CNI_NET_DIR/.$CNI_CONF_NAME.new.$$"
  conflist >"$CONF_NEW"
  chmod 0644 "$CONF_NEW"
  CONF_ACTION='write'
  _dst=$CNI_NET_DIR/$CNI_CONF_NAME
  [ -f "$_dst" ] || return 0
  if cmp -s "$CONF_NEW" "$_dst"; then
    rm -f "$CONF_NEW"
    CONF_ACTION=unchanged
  elif [ "$FORCE" = 1 ]; then
    CONF_ACTION=replace
  else
    rm -f "$CONF_NEW"
    echo "install-cni: refusing to replace $_dst, which differs from the config for ${V4:+$V4 }${V6:+$V6 }(bridge $BRIDGE); nothing was changed; set FORCE=1 to replace it" >&2
    exit 3
  fi
}

# After the binaries: a runtime (and the kubelet's node readiness) acts on the config as soon
# as it appears, and by then the plugins it names are in place.
commit_conflist() {
  _dst=$CNI_NET_DIR/$CNI_CONF_NAME
  case $CONF_ACTION in
    none) say "no POD_CIDR: binaries only, no conflist written"; return 0 ;;
    unchanged) say "$_dst unchanged"; return 0 ;;
    replace)
      put_file "$_dst" "$CNI_NET_DIR" ".$CNI_CONF_NAME.replaced" 0644
      say "FORCE=1: replacing $_dst (the old one is $CNI_NET_DIR/.$CNI_CONF_NAME.replaced)"
      ;;
  esac
  mv -f "$CONF_NEW" "$_dst" || { rm -f "$CONF_NEW"; fail "cannot rename $CONF_NEW to $_dst"; }
  say "wrote $_dst (${V4:+$V4 }${V6:+$V6 }on $BRIDGE)"
  # The runtime uses the first config file in lexical order.
  for _f in "$CNI_NET_DIR"/*.conf "$CNI_NET_DIR"/*.conflist "$CNI_NET_DIR"/*.json; do
    [ -e "$_f" ] || continue
    if [ "$(printf '%s\n%s\n' "${_f##*/}" "$CNI_CONF_NAME" | sort | head -n1)" != "$CNI_CONF_NAME" ]; then
      say "warning: ${_f##*/} sorts before $CNI_CONF_NAME: runtimes will use it instead"
    fi
  done
}

rollback() {
  _from=${ROLLBACK_SRC_DIR:-$BACKUP_DIR}
  for _b in $BINARIES; do
    [ -f "$_from/$_b" ] || fail "nothing to roll back to: $_from/$_b does not exist (set ROLLBACK_SRC_DIR to a directory with the Go plugins)"
    ! is_ours "$_from/$_b" || fail "$_from/$_b is cni-bridge itself, not the plugin to roll back to"
  done
  for _b in $BINARIES; do
    put_file "$_from/$_b" "$CNI_BIN_DIR" "$_b" 0755
    say "restored $CNI_BIN_DIR/$_b from $_from"
  done
  say "the conflist stays: the Go plugins read it, and the IPAM files and NAT chains as they are"
}

case ${1:-install} in
  install)
    validate
    plan_conflist
    trap '[ -z "$CONF_NEW" ] || rm -f "$CONF_NEW"' EXIT
    install_binaries
    commit_conflist
    ;;
  rollback) rollback ;;
  sleep)
    trap 'exit 0' TERM INT
    while :; do
      sleep 3600 &
      wait $! || true
    done
    ;;
  -h | --help) sed -n '3,41p' "$0" ;;
  *) bad "unknown command '$1' (install, rollback, sleep)" ;;
esac
