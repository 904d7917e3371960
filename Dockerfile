# SPDX-License-Identifier: Apache-2.0
# cni-bridge installer image: the static `bridge` and `host-local` exactly as scripts/setup.sh
# built them (build/bin, nothing recompiled here), a static busybox and scripts/install-cni.sh.
# FROM scratch, so it builds offline: no base image to pull, no RUN step.
#
# The build context is laid out by deploy/build-image.sh (the binaries, busybox-static's
# /bin/busybox with its applet links, the installer), which also passes BUILD_IDENT:
#
#   scripts/setup.sh && deploy/build-image.sh                # -> localhost/cni-bridge:<version>
#   CONTAINER_ENGINE=docker deploy/build-image.sh             # the same with docker
#
# The DaemonSet (deploy/daemonset.yaml) runs it as an init container with the node's
# /opt/cni/bin and /etc/cni/net.d mounted under /host; by hand:
#
#   podman run --rm -v /opt/cni/bin:/host/opt/cni/bin -v /etc/cni/net.d:/host/etc/cni/net.d \
#     -e POD_CIDR=10.244.1.0/24 localhost/cni-bridge:0.1.0
FROM scratch
ARG BUILD_IDENT=unknown
LABEL org.opencontainers.image.title="cni-bridge" \
      org.opencontainers.image.description="bridge + host-local CNI plugins (C++), and their installer" \
      io.cni-bridge.build="${BUILD_IDENT}"
COPY bin/ /bin/
COPY cni/ /opt/cni/bin/
COPY install-cni.sh /install-cni.sh
ENV PATH=/bin
ENTRYPOINT ["/bin/sh", "/install-cni.sh"]
CMD ["install"]
