# Shared helpers for the integration test scripts (sourced, never run).
# Each test: `. "$(dirname "$0")/lib/common.sh"`, then check/pass/fail, then `finish`.
# Cleanups go on the exit stack (on_exit, lib/exit.sh), polls through
# wait_until (lib/poll.sh), the operator through start_operator
# (lib/operator.sh); bench/run and tests/soak/run source those three alone.
# The cluster is the ctest fixture's (DEVSERVER_CLUSTER_NAME=devserver-test);
# run a script by hand with `scripts/cluster up` first.
set -euo pipefail
root=${DEVSERVER_SOURCE_DIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)}
bin_dir=${DEVSERVER_BIN_DIR:-$root/build/bin}
# the cache of built binaries and images stays the developer's even when a
# suite points HOME at a scratch directory for devctl's files
export DEVSERVER_CACHE_DIR=${DEVSERVER_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/devserver-operator}
eval "$("$root/scripts/cluster" env)"
lib_dir=$(dirname "${BASH_SOURCE[0]}")
# shellcheck source=poll.sh
. "$lib_dir/poll.sh"
# shellcheck source=operator.sh
. "$lib_dir/operator.sh"
passed=0
failed=0

# Flavor spec lines that place DevServers on the kwok fake nodes. The local
# cluster taints those (kwok.x-k8s.io/node=fake:NoSchedule) so that ordinary
# pods run on its real node; suites that exercise only the control loop put
# their DevServers on the fakes, where a pod costs nothing and never pulls an
# image. Their homes use kwok's StorageClass (kwok_home_class): the default
# class provisions real storage on the real node, which a fake node has not.
kwok_placement='  nodeSelector: {type: kwok}
  tolerations: [{key: kwok.x-k8s.io/node, operator: Exists, effect: NoSchedule}]'
kwok_home_class=kwok-volume

pass() { passed=$((passed + 1)); printf 'ok   %s\n' "$*"; }
# fail WHAT [FILE]: FILE (a command's output), when not empty, is shown under it.
fail() {
  failed=$((failed + 1)); printf 'FAIL %s\n' "$1"
  if [ -n "${2:-}" ] && [ -s "$2" ]; then sed 's/^/     | /' "$2"; fi
}

# check "description" command... : passes when the command succeeds.
check() {
  local what=$1; shift
  if "$@"; then pass "$what"; else fail "$what"; fi
}

# Creates a namespace of the test's own in $ns, deleted when the test exits
# (the first cleanup pushed, so the last run: after the operator stopped)
# unless a later cleanup set keep_namespace (test_faults' FAULTS_KEEP).
# (Call it directly, not in $(...): the exit stack belongs to the test's shell.)
make_namespace() {
  ns="t-$1-$$"
  kubectl create namespace "$ns" >/dev/null
  on_exit '[ -n "${keep_namespace:-}" ] || kubectl delete namespace "$ns" --wait=false >/dev/null 2>&1'
}

finish() {
  echo "$passed passed, $failed failed"
  [ "$failed" -eq 0 ]
}

# Installs (or updates) the CRDs and waits until the API server serves them.
install_crds() {
  kubectl apply --server-side --force-conflicts -f "$root/crds/" >/dev/null
  # poll: `kubectl wait` errors out if a just-created CRD has no conditions yet
  wait_until 60 crds_established
}
crds_established() {
  local crd
  for crd in devservers.devserver.io devserverflavors.devserver.io devserverusers.devserver.io; do
    [ "$(kubectl get crd "$crd" -o jsonpath='{.status.conditions[?(@.type=="Established")].status}')" = True ] || return 1
  done
}

# jsonpath of an object: jp KIND NAME JSONPATH (in $ns)
jp() { kubectl -n "$ns" get "$1" "$2" -o jsonpath="$3" 2>/dev/null; }
# Succeeds when jsonpath $3 of $1/$2 equals $4.
jp_is() { [ "$(jp "$1" "$2" "$3")" = "$4" ]; }
# The same in namespace NS: jp_is_ns NS KIND NAME JSONPATH VALUE
jp_is_ns() { [ "$(kubectl -n "$1" get "$2" "$3" -o jsonpath="$4" 2>/dev/null)" = "$5" ]; }

# Milliseconds since the epoch (for measuring recovery times).
now_ms() { echo $(( $(date +%s%N) / 1000000 )); }
