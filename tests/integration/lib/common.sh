# Shared helpers for the integration test scripts (sourced, never run).
# Each test: `. "$(dirname "$0")/lib/common.sh"`, then check/pass/fail, then `finish`.
# The cluster is the ctest fixture's (DEVSERVER_CLUSTER_NAME=devserver-test);
# run a script by hand with `scripts/cluster up` first.
set -euo pipefail
root=${DEVSERVER_SOURCE_DIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)}
bin_dir=${DEVSERVER_BIN_DIR:-$root/build/bin}
eval "$("$root/scripts/cluster" env)"
passed=0
failed=0

pass() { passed=$((passed + 1)); printf 'ok   %s\n' "$*"; }
fail() { failed=$((failed + 1)); printf 'FAIL %s\n' "$*"; }

# check "description" command... : passes when the command succeeds.
check() {
  local what=$1; shift
  if "$@"; then pass "$what"; else fail "$what"; fi
}

# Polls "$@" until it succeeds or $1 seconds pass; never a fixed sleep.
wait_until() {
  local limit=$1; shift
  local deadline=$(( $(date +%s) + limit ))
  until "$@" >/dev/null 2>&1; do
    [ "$(date +%s)" -lt "$deadline" ] || return 1
    sleep 0.2
  done
}

# Creates a namespace of the test's own in $ns, deleted when the test exits.
# (Call it directly, not in $(...): the trap belongs to the test's shell.)
make_namespace() {
  ns="t-$1-$$"
  kubectl create namespace "$ns" >/dev/null
  trap 'kubectl delete namespace "$ns" --wait=false >/dev/null 2>&1 || true' EXIT
}

finish() {
  echo "$passed passed, $failed failed"
  [ "$failed" -eq 0 ]
}
