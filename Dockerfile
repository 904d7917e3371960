# cni-bridge: build the static `bridge` and `host-local` executables on Debian 12 and ship them
# in a minimal carrier image. The image is not meant to run a service: an init container (or a
# DaemonSet) runs its entrypoint once to copy the binaries onto the node's /opt/cni/bin with
# temp file + rename (scripts/install-cni.sh).
#
#   docker build -t cni-bridge .
#   docker run --rm -v /opt/cni/bin:/host/opt/cni/bin cni-bridge

FROM debian:bookworm AS build
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      build-essential cmake pkg-config git file ca-certificates \
      libnl-3-dev libnl-route-3-dev nlohmann-json3-dev libgtest-dev \
      busybox-static \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY . .
# Only the unit tests can run here: the kernel and integration suites need root and network
# namespaces, which an image build does not have (CI runs them through scripts/test.sh).
# -O2, not -O3: GCC 12's -O3 raises a false -Wrestrict in std::string (GCC bug 105329).
RUN cmake -S . -B /build -DCMAKE_BUILD_TYPE=Release -DCMAKE_CXX_FLAGS_RELEASE="-O2 -DNDEBUG" -DCNB_STATIC=ON \
 && cmake --build /build -j"$(nproc)" \
 && ctest --test-dir /build -L unit --output-on-failure \
 && strip /build/bin/bridge /build/bin/host-local \
 && for b in bridge host-local; do \
      file /build/bin/$b; \
      file /build/bin/$b | grep -q 'statically linked' || { echo "$b is not static" >&2; exit 1; }; \
    done \
 && mkdir -p /rootfs/bin /rootfs/opt/cni/bin \
 && cp /bin/busybox /rootfs/bin/busybox \
 && for a in sh cp mv chmod mkdir; do ln -s busybox /rootfs/bin/$a; done \
 && cp /build/bin/bridge /build/bin/host-local /rootfs/opt/cni/bin/

FROM scratch
# A static busybox (sh, cp, chmod, mv, mkdir as applet links) is the whole userland the install
# step needs; the rest of the image is the two static executables.
COPY --from=build /rootfs/ /
COPY scripts/install-cni.sh /install-cni.sh
ENV PATH=/bin
ENTRYPOINT ["/bin/sh", "/install-cni.sh"]
