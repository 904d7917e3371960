#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Installs the real CNI clients the checks in this folder drive, from Debian's packages only,
# and builds what Debian ships as source: cnitool (source package golang-github-appc-cni;
# the -dev binary package leaves it out), our go-cni driver, and our CRI v1 client against the
# k8s.io/cri-api vendored in the containerd source package. All are built offline with
# golang-go in GOPATH mode against Debian's Go library packages. Also builds the local pause
# image (pause/) the CRI check's sandboxes run. Idempotent: apt runs only when a package is
# missing, a binary is rebuilt only when its inputs changed.
#
#   conformance/clients/setup-clients.sh     -> binaries in .cache/clients/ (override: CNB_CLIENTS_CACHE)
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
cache=${CNB_CLIENTS_CACHE:-$root/.cache/clients}
mkdir -p "$cache"

packages=(
  golang-go golang-github-appc-cni-dev golang-github-containerd-go-cni-dev
  podman runc conmon busybox-static
  dpkg-dev                      # dpkg-source, to unpack cnitool's source package
  containernetworking-plugins   # loopback, portmap, firewall, tuning and the reference bridge
  iproute2 iputils-ping iptables util-linux python3
  # cri-check.sh: containerd 1.6 with its CRI plugin; cri-client's Go dependencies; gcc and a
  # static libc for the pause image
  containerd golang-google-grpc-dev golang-github-gogo-protobuf-dev gcc libc6-dev
  python3-yaml file             # installer-check.sh: parse deploy/daemonset.yaml; build-image.sh
)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if ((${#missing[@]})); then
  ((EUID == 0)) || { echo "setup-clients: need root to install ${missing[*]}" >&2; exit 1; }
  echo "setup-clients: installing ${missing[*]}"
  # On a machine booted with systemd, installing containerd would start the machine's own
  # containerd (/run/containerd, /var/lib/containerd). The checks start private ones only, so
  # the package's service is kept from starting (Debian's policy-rc.d: 101 = action forbidden).
  policy=/usr/sbin/policy-rc.d policy_ours=0
  if [[ -d /run/systemd/system && ! -e $policy ]]; then
    printf '#!/bin/sh\nexit 101\n' >"$policy"
    chmod 755 "$policy"
    policy_ours=1
    trap 'rm -f "$policy"' EXIT
  fi
  DEBIAN_FRONTEND=noninteractive apt-get update -q
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}"
  if ((policy_ours)); then
    rm -f "$policy"
    trap - EXIT
  fi
fi

tmp=$(mktemp -d /tmp/cnbk-setup.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
chmod 755 "$tmp"  # apt's _apt user downloads into it

go_build() {  # go_build <package dir under $tmp/gopath/src> <output>
  (cd "$tmp/gopath/src/$1" &&
    GO111MODULE=off GOPROXY=off GOFLAGS='' GOPATH="/usr/share/gocode:$tmp/gopath" \
      GOCACHE="$tmp/gocache" CGO_ENABLED=0 go build -o "$2.new" . && mv "$2.new" "$2")
}

# A deb-src twin of the machine's own Debian sources, in a private apt state dir, so the
# machine's apt configuration and lists are left as they were. Set up once per run.
apt_opts=()
source_package() {  # source_package NAME VERSION: downloads the source package into $tmp
  if ((${#apt_opts[@]} == 0)); then
    mkdir -p "$tmp/parts" "$tmp/lists/partial"
    local f
    for f in /etc/apt/sources.list.d/*.sources; do
      [[ -e $f ]] || continue
      # deb822 stanzas of Debian archives only; their Types becomes deb-src.
      awk 'BEGIN{RS=""; ORS="\n\n"} /URIs:[^\n]*debian/ { sub(/Types:[^\n]*/, "Types: deb-src"); print }' \
        "$f" >"$tmp/parts/$(basename "$f")"
    done
    for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
      [[ -e $f ]] || continue
      sed -n -E 's/^[[:space:]]*deb[[:space:]]+(.*debian.*)$/deb-src \1/p' "$f" >"$tmp/parts/$(basename "$f" .list).list"
    done
    apt_opts=(-o Dir::Etc::sourcelist=/dev/null -o Dir::Etc::sourceparts="$tmp/parts"
              -o Dir::State::Lists="$tmp/lists" -o Dir::Cache::archives="$tmp"
              -o APT::Sandbox::User=root)
    apt-get "${apt_opts[@]}" update -q >/dev/null
  fi
  (cd "$tmp" && apt-get "${apt_opts[@]}" source --download-only -q "$1=$2" >/dev/null)
}

# --- cnitool: same upstream version as the installed library it links against -------------
cni_version=$(dpkg-query -W -f='${Version}' golang-github-appc-cni-dev)
if [[ -x $cache/cnitool && "$(cat "$cache/cnitool.version" 2>/dev/null)" == "$cni_version" ]]; then
  echo "setup-clients: cnitool $cni_version cached"
else
  echo "setup-clients: building cnitool from source package golang-github-appc-cni $cni_version"
  source_package golang-github-appc-cni "$cni_version"
  (cd "$tmp" && dpkg-source -x --no-check ./golang-github-appc-cni_*.dsc src >/dev/null)
  mkdir -p "$tmp/gopath/src/cnitool"
  cp "$tmp/src/cnitool/"*.go "$tmp/gopath/src/cnitool/"
  rm -f "$tmp/gopath/src/cnitool/"*_test.go
  go_build cnitool "$cache/cnitool"
  echo "$cni_version" >"$cache/cnitool.version"
fi

# --- go-cni driver: rebuilt when its source or the go-cni package changes --------------------
driver_key="$(dpkg-query -W -f='${Version}' golang-github-containerd-go-cni-dev) $(sha256sum "$here/gocni-driver/main.go" | cut -d' ' -f1)"
if [[ -x $cache/gocni-driver && "$(cat "$cache/gocni-driver.version" 2>/dev/null)" == "$driver_key" ]]; then
  echo "setup-clients: gocni-driver cached"
else
  echo "setup-clients: building gocni-driver"
  mkdir -p "$tmp/gopath/src/gocni-driver"
  cp "$here/gocni-driver/main.go" "$tmp/gopath/src/gocni-driver/"
  go_build gocni-driver "$cache/gocni-driver"
  echo "$driver_key" >"$cache/gocni-driver.version"
fi
# --- cri-client: our CRI v1 client against the cri-api vendored in containerd's source ----------
ctrd_version=$(dpkg-query -W -f='${Version}' containerd)
cri_key="$ctrd_version $(dpkg-query -W -f='${Version}' golang-google-grpc-dev golang-github-gogo-protobuf-dev | tr '\n' ' ')$(sha256sum "$here/cri-client/main.go" | cut -d' ' -f1)"
if [[ -x $cache/cri-client && "$(cat "$cache/cri-client.version" 2>/dev/null)" == "$cri_key" ]]; then
  echo "setup-clients: cri-client cached"
else
  echo "setup-clients: building cri-client against k8s.io/cri-api from source package containerd $ctrd_version"
  source_package containerd "$ctrd_version"
  (cd "$tmp" && dpkg-source -x --no-check ./containerd_*.dsc containerd-src >/dev/null)
  [[ -d $tmp/containerd-src/vendor/k8s.io/cri-api/pkg/apis/runtime/v1 ]] ||
    { echo "setup-clients: containerd $ctrd_version's source has no vendored k8s.io/cri-api v1" >&2; exit 1; }
  mkdir -p "$tmp/gopath/src/k8s.io" "$tmp/gopath/src/cri-client"
  cp -r "$tmp/containerd-src/vendor/k8s.io/cri-api" "$tmp/gopath/src/k8s.io/"
  cp "$here/cri-client/main.go" "$tmp/gopath/src/cri-client/"
  go_build cri-client "$cache/cri-client"
  echo "$cri_key" >"$cache/cri-client.version"
fi

# --- the pause image for the CRI check's sandboxes --------------------------------------------
pause_key="$(gcc -dumpfullversion) $(cat "$here/pause/pause.c" "$here/pause/build-image.sh" | sha256sum | cut -d' ' -f1)"
if [[ -f $cache/pause.tar && "$(cat "$cache/pause.version" 2>/dev/null)" == "$pause_key" ]]; then
  echo "setup-clients: pause image cached"
else
  "$here/pause/build-image.sh" "$cache/pause.tar" localhost/cnb/pause:1
  echo "$pause_key" >"$cache/pause.version"
fi
echo "setup-clients: ready in $cache"
