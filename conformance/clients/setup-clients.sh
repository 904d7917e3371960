#!/usr/bin/env bash
# Installs the real CNI clients the checks in this folder drive, from Debian's packages only,
# and builds the two that Debian ships as source: cnitool (source package golang-github-appc-cni;
# the -dev binary package leaves it out) and our go-cni driver. Both are built offline with
# golang-go in GOPATH mode against Debian's Go library packages. Idempotent: apt runs only when
# a package is missing, a binary is rebuilt only when its inputs changed.
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
)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if ((${#missing[@]})); then
  ((EUID == 0)) || { echo "setup-clients: need root to install ${missing[*]}" >&2; exit 1; }
  echo "setup-clients: installing ${missing[*]}"
  DEBIAN_FRONTEND=noninteractive apt-get update -q
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

tmp=$(mktemp -d /tmp/cnbk-setup.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
chmod 755 "$tmp"  # apt's _apt user downloads into it

go_build() {  # go_build <package dir under $tmp/gopath/src> <output>
  (cd "$tmp/gopath/src/$1" &&
    GO111MODULE=off GOPROXY=off GOFLAGS= GOPATH="/usr/share/gocode:$tmp/gopath" \
      GOCACHE="$tmp/gocache" CGO_ENABLED=0 go build -o "$2.new" . && mv "$2.new" "$2")
}

# --- cnitool: same upstream version as the installed library it links against -------------
cni_version=$(dpkg-query -W -f='${Version}' golang-github-appc-cni-dev)
if [[ -x $cache/cnitool && "$(cat "$cache/cnitool.version" 2>/dev/null)" == "$cni_version" ]]; then
  echo "setup-clients: cnitool $cni_version cached"
else
  echo "setup-clients: building cnitool from source package golang-github-appc-cni $cni_version"
  # A deb-src twin of the machine's own Debian sources, in a private apt state dir, so the
  # machine's apt configuration and lists are left as they were.
  mkdir -p "$tmp/parts" "$tmp/lists/partial"
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
  (cd "$tmp" && apt-get "${apt_opts[@]}" source --download-only -q "golang-github-appc-cni=$cni_version" >/dev/null)
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
echo "setup-clients: ready in $cache"
