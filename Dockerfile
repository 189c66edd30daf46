# The devserver-operator image: the operator, devctl and the default policies
# on Debian bookworm, running as a non-root user on a read-only root filesystem.
#
#   docker build -t devserver-operator:dev .                      # debian:bookworm-slim from a registry
#   docker build --build-arg BASE_IMAGE=devserver/bookworm-slim:local -t devserver-operator:dev .
#
# Without a registry, scripts/build-image makes the base image locally
# (debootstrap + docker import) and runs the second form; see docs/deploy.md.
#
# Stages (in this order because the classic builder, used when buildx is not
# installed, builds every stage before the target):
#   runtime-base  the base plus only the shared libraries the programs link
#   builder       compilers and -dev packages; a Release build of the two programs
#   runtime       runtime-base plus the programs (the default target)
# Both stages that install packages need the Debian mirror; nothing else
# reaches the network.

ARG BASE_IMAGE=debian:bookworm-slim

FROM ${BASE_IMAGE} AS runtime-base
# `ldd devserver-operator` on bookworm: liblua5.4, libcurl (with its own
# dependencies, libssl3's libcrypto among them, which the SSH host keys use
# too), libyaml, libc/libm. lua-cjson is not linked (the JSON bridge
# is ours). No ca-certificates: in a pod the API server's CA comes from the
# service-account mount, not from the system store.
RUN set -eux; \
    apt-get update; \
    DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
        liblua5.4-0 libcurl4 libyaml-0-2; \
    apt-get clean; \
    rm -rf /var/lib/apt/lists/* /var/cache/debconf/*-old /var/log/apt /var/log/dpkg.log; \
    # A name for uid 65532, so tools that look the user up (getpwuid) get an
    # answer; the home directory does not exist on purpose (read-only root).
    echo 'devserver:x:65532:65532:devserver-operator:/nonexistent:/usr/sbin/nologin' >> /etc/passwd; \
    echo 'devserver:x:65532:' >> /etc/group

FROM ${BASE_IMAGE} AS builder
# Lets scripts/build-image prune its own superseded images, and only those.
LABEL devserver.io/image-build=builder
RUN set -eux; \
    apt-get update; \
    DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
        gcc libc6-dev make cmake pkg-config binutils \
        liblua5.4-dev libcurl4-openssl-dev libyaml-dev libssl-dev
WORKDIR /src
# The build reads `git describe` for the version string; .git is not in the
# build context, so the caller passes it (scripts/build-image does) and a
# one-line stand-in for git answers CMake's question. Empty: "unknown".
ARG DEVSERVER_GIT=
RUN if [ -n "$DEVSERVER_GIT" ]; then \
      printf '#!/bin/sh\necho "%s"\n' "$DEVSERVER_GIT" > /usr/local/bin/git && chmod +x /usr/local/bin/git; \
    fi
# The whole source tree (minus .dockerignore): the top-level CMakeLists.txt
# configures tests/, bench/ and whatever comes next, so copying a hand-picked
# subset breaks whenever a directory is added. Only the two programs are built.
COPY . .
# Warnings stay warnings here: the developer and CI builds keep -Werror, but a
# new compiler diagnostic (Release optimises harder than RelWithDebInfo and
# warns about other things) must not make the image unbuildable.
RUN set -eux; \
    cmake -S . -B build -DCMAKE_BUILD_TYPE=Release -DDEVSERVER_WERROR=OFF; \
    cmake --build build -j"$(nproc)" --target devserver-operator devctl; \
    strip build/bin/devserver-operator build/bin/devctl; \
    build/bin/devserver-operator --version; \
    build/bin/devctl --version

FROM runtime-base AS runtime
ARG DEVSERVER_GIT=
LABEL devserver.io/image-build=runtime \
      org.opencontainers.image.title="devserver-operator" \
      org.opencontainers.image.description="DevServer operator and devctl" \
      org.opencontainers.image.version="${DEVSERVER_GIT}"
COPY --from=builder /src/build/bin/devserver-operator /src/build/bin/devctl /usr/local/bin/
# For reference only: the operator runs the copies compiled into it unless the
# policy ConfigMap overrides them. Admins can start a ConfigMap from these.
COPY lua/ /usr/share/devserver/lua/
# Numeric, so that runAsNonRoot can verify it without reading /etc/passwd.
USER 65532:65532
# The operator writes nothing to disk: logs go to stderr, the policy lives in
# memory, the token is re-read from the service-account mount.
ENTRYPOINT ["/usr/local/bin/devserver-operator"]
