# Pinned versions of the local control plane (sourced by scripts/cluster and
# scripts/build-cluster-bins). Changing a version here makes the next
# `scripts/cluster up` rebuild that piece into the cache.
KUBE_VERSION=v1.36.3
ETCD_VERSION=v3.6.16
KWOK_VERSION=v0.8.0
# the real node's dynamic PVC provisioner (scripts/lib/node-storage.sh)
LOCAL_PATH_VERSION=v0.0.30

# Built binaries live outside the repository so that a clean clone stays small
# and a rebuild is skipped when the cache already holds these versions.
DEVSERVER_CACHE_DIR=${DEVSERVER_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/devserver-operator}
CLUSTER_BIN_DIR=$DEVSERVER_CACHE_DIR/cluster-bin

# Machines of this kind keep Go in /usr/local/go, which a bare CI shell may not
# have on PATH.
if [ -d /usr/local/go/bin ] && ! command -v go >/dev/null 2>&1; then
  PATH=$PATH:/usr/local/go/bin
fi
