#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Builds the installer image (Dockerfile) from the binaries scripts/setup.sh produced in
# build/bin, unchanged: they are copied into a build context with busybox-static's
# /bin/busybox, its applet links and scripts/install-cni.sh, and the image is built FROM
# scratch (offline; no base image). The tag's version is the one compiled into the binaries.
#
#   deploy/build-image.sh                   podman build -> localhost/cni-bridge:<version>
#   deploy/build-image.sh --tag NAME        another name
#   deploy/build-image.sh --context DIR     only lay out the build context in DIR (the test
#                                           builds it with its own podman storage)
#   CONTAINER_ENGINE=docker deploy/build-image.sh
#   CNB_PLUGIN_DIR=DIR ...                  binaries from DIR instead of build/bin
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
bin=${CNB_PLUGIN_DIR:-$root/build/bin}
tag='' context=''
while (($#)); do
  case $1 in
    --tag) tag=${2:?--tag NAME}; shift 2 ;;
    --context) context=${2:?--context DIR}; shift 2 ;;
    -h | --help) sed -n '3,14p' "$0"; exit 0 ;;
    *) echo "build-image: unknown option $1" >&2; exit 2 ;;
  esac
done

# The version and build of the binaries, from the identity section every executable of one
# build carries ("cni-bridge <version> <commit> <date>").
ident_of() { grep -ao 'cni-bridge [0-9][0-9.]*[^[:cntrl:]]*' "$1" | head -n1; }
for b in bridge host-local; do
  [[ -x $bin/$b ]] || { echo "build-image: $bin/$b missing: run scripts/setup.sh first" >&2; exit 1; }
done
ident=$(ident_of "$bin/bridge")
[[ -n $ident && $ident == "$(ident_of "$bin/host-local")" ]] ||
  { echo "build-image: $bin/bridge and host-local are not from one build ('$ident')" >&2; exit 1; }
version=$(awk '{print $2}' <<<"$ident")
if ! /bin/busybox --list >/dev/null 2>&1; then
  echo "build-image: /bin/busybox missing: apt-get install busybox-static" >&2
  exit 1
fi
file -L /bin/busybox 2>/dev/null | grep -q 'statically linked' ||
  { echo "build-image: /bin/busybox is not static (busybox-static provides a static one)" >&2; exit 1; }

build=0
if [[ -z $context ]]; then
  context=$(mktemp -d /tmp/cnb-image.XXXXXX)
  trap 'rm -rf "$context"' EXIT
  build=1
fi
mkdir -p "$context/bin" "$context/cni"
# cp -p of the two files; a copy is checked against its source, so a build/bin being rewritten
# at this moment (by a concurrent build) cannot slip a half-written file into the image.
for b in bridge host-local; do
  cp -p "$bin/$b" "$context/cni/$b"
  cmp -s "$bin/$b" "$context/cni/$b" || { echo "build-image: $bin/$b changed while copying; retry" >&2; exit 1; }
done
[[ $(ident_of "$context/cni/bridge") == "$ident" ]] || { echo "build-image: $bin changed while copying; retry" >&2; exit 1; }
cp /bin/busybox "$context/bin/busybox"
for a in sh cat chmod cmp cp grep head ln ls mkdir mv printf rm sed sleep sort stat tr; do
  ln -sf busybox "$context/bin/$a"
done
cp "$root/scripts/install-cni.sh" "$context/install-cni.sh"
cp "$root/Dockerfile" "$context/Dockerfile"
echo "$ident" >"$context/BUILD_IDENT"
(cd "$context/cni" && sha256sum bridge host-local >"$context/SHA256SUMS")

if ((build)); then
  engine=${CONTAINER_ENGINE:-podman}
  tag=${tag:-localhost/cni-bridge:$version}
  "$engine" build --build-arg "BUILD_IDENT=$ident" -t "$tag" -f "$context/Dockerfile" "$context"
  echo "build-image: $tag ($ident)"
else
  echo "build-image: context for $ident in $context"
fi
