#!/bin/sh
# Installs the plugin binaries shipped in the image onto a node, as an init container or a
# DaemonSet step: `docker run --rm -v /opt/cni/bin:/host/opt/cni/bin <image>`.
# Each binary is copied to a temp file in the destination directory and renamed over the old
# one, so a runtime exec'ing the plugin at that moment sees either the old or the new file,
# never a half-written one ("text file busy" cannot happen either: rename does not write into
# the running inode).
set -eu
src=${CNI_SRC_DIR:-/opt/cni/bin}
dest=${CNI_DEST_DIR:-/host/opt/cni/bin}
mkdir -p "$dest"
for name in bridge host-local; do
  tmp="$dest/.$name.tmp.$$"
  cp "$src/$name" "$tmp"
  chmod 0755 "$tmp"
  mv -f "$tmp" "$dest/$name"
  echo "installed $dest/$name"
done
