#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Builds the local pod-sandbox ("pause") image without a registry or an image builder: the
# static pause.c is the whole root filesystem, packed by hand as an OCI image layout
# (oci-layout, index.json, blobs/sha256/{layer,config,manifest}) in one tar, which
# `ctr -n k8s.io images import` accepts. The index annotates the image name containerd gives
# it (io.containerd.image.name), the one cri-check.sh names in sandbox_image.
#
#   pause/build-image.sh OUT.tar IMAGE_NAME      e.g. localhost/cnb/pause:1
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
out=${1:?usage: build-image.sh OUT.tar IMAGE_NAME}
name=${2:?usage: build-image.sh OUT.tar IMAGE_NAME}

case $(dpkg --print-architecture 2>/dev/null || uname -m) in
  amd64 | x86_64) arch=amd64 ;;
  arm64 | aarch64) arch=arm64 ;;
  *) arch=$(dpkg --print-architecture) ;;
esac

tmp=$(mktemp -d /tmp/cnbk-pause.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/rootfs" "$tmp/layout/blobs/sha256"
gcc -static -Os -s -Wall -Wextra -Werror -o "$tmp/rootfs/pause" "$here/pause.c"
chmod 0755 "$tmp/rootfs/pause"

blob() {  # blob FILE: moves FILE into the layout under its digest, prints "<hex> <size>"
  local hex size
  hex=$(sha256sum "$1" | cut -d' ' -f1)
  size=$(stat -c %s "$1")
  mv "$1" "$tmp/layout/blobs/sha256/$hex"
  echo "$hex $size"
}

# The layer: an uncompressed tar, reproducible (fixed owner, mtime and order).
tar --sort=name --owner=0 --group=0 --numeric-owner --mtime=@0 --format=posix \
  --pax-option=exthdr.name=%d/PaxHeaders/%f,delete=atime,delete=ctime \
  -C "$tmp/rootfs" -cf "$tmp/layer.tar" pause
read -r layer layer_size < <(blob "$tmp/layer.tar")

printf '{"architecture":"%s","os":"linux","config":{"Entrypoint":["/pause"],"User":"65535:65535"},"rootfs":{"type":"layers","diff_ids":["sha256:%s"]},"history":[{"created_by":"conformance/clients/pause/build-image.sh"}]}' \
  "$arch" "$layer" >"$tmp/config.json"
read -r config config_size < <(blob "$tmp/config.json")

printf '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"sha256:%s","size":%s},"layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar","digest":"sha256:%s","size":%s}]}' \
  "$config" "$config_size" "$layer" "$layer_size" >"$tmp/manifest.json"
read -r manifest manifest_size < <(blob "$tmp/manifest.json")

printf '{"schemaVersion":2,"manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:%s","size":%s,"platform":{"architecture":"%s","os":"linux"},"annotations":{"io.containerd.image.name":"%s","org.opencontainers.image.ref.name":"%s"}}]}' \
  "$manifest" "$manifest_size" "$arch" "$name" "${name##*:}" >"$tmp/layout/index.json"
printf '{"imageLayoutVersion":"1.0.0"}' >"$tmp/layout/oci-layout"

tar --sort=name --owner=0 --group=0 --numeric-owner --mtime=@0 -C "$tmp/layout" -cf "$out.new" .
mv "$out.new" "$out"
echo "pause image $name: manifest sha256:$manifest, $(stat -c %s "$out") bytes -> $out"
