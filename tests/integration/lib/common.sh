# Shared helpers for the integration test scripts (sourced, never run).
# Each test: `. "$(dirname "$0")/lib/common.sh"`, then check/pass/fail, then `finish`.
# The cluster is the ctest fixture's (DEVSERVER_CLUSTER_NAME=devserver-test);
# run a script by hand with `scripts/cluster up` first.
set -euo pipefail
root=${DEVSERVER_SOURCE_DIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)}
bin_dir=${DEVSERVER_BIN_DIR:-$root/build/bin}
# the cache of built binaries and images stays the developer's even when a
# suite points HOME at a scratch directory for devctl's files
export DEVSERVER_CACHE_DIR=${DEVSERVER_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/devserver-operator}
eval "$("$root/scripts/cluster" env)"
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
  trap 'stop_operator; kubectl delete namespace "$ns" --wait=false >/dev/null 2>&1 || true' EXIT
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

# Starts the operator in the background, logging to $operator_log; stopped
# (SIGTERM, so it logs its counters) by stop_operator or on exit.
operator_pid=
operator_log=
start_operator() {
  operator_log=${operator_log:-$(mktemp /tmp/devserver-operator.XXXXXX.log)}
  # An operator an earlier suite left running (killed on a timeout before
  # its trap ran) would write cluster-wide state, such as flavor statuses,
  # beside this one: the suites run one at a time, so none may be left.
  # (Only those talking to this suite's cluster.)
  local stray
  for stray in $(pgrep -f -- "^$bin_dir/devserver-operator --operator-namespace t-" 2>/dev/null); do
    tr '\0' '\n' < "/proc/$stray/environ" 2>/dev/null | grep -qx "KUBECONFIG=$KUBECONFIG" &&
      kill "$stray" 2>/dev/null || true
  done
  # watch only the suite's namespace: other suites' leftovers (a namespace
  # still terminating) must not count in this one's writes and errors
  local scope=()
  [ -z "${ns:-}" ] || scope=(--namespace "$ns")
  "$bin_dir/devserver-operator" --operator-namespace "${operator_ns:-default}" "${scope[@]}" \
    --health-addr 127.0.0.1:0 "$@" >>"$operator_log" 2>&1 &
  operator_pid=$!
}
stop_operator() {
  [ -n "$operator_pid" ] || return 0
  kill -TERM "$operator_pid" 2>/dev/null || true
  wait "$operator_pid" 2>/dev/null || true
  operator_pid=
}
# The port of the running operator's health server (from its log).
operator_health_port() {
  grep 'health server listening' "$operator_log" | tail -1 | sed -n 's/.* port=\([0-9]*\).*/\1/p'
}
# The counter NAME from the operator's last "operator stopping" line.
operator_counter() {
  grep 'operator stopping' "$operator_log" | tail -1 | sed -n "s/.* $1=\([0-9]*\).*/\1/p"
}

# jsonpath of an object: jp KIND NAME JSONPATH (in $ns)
jp() { kubectl -n "$ns" get "$1" "$2" -o jsonpath="$3" 2>/dev/null; }
# Succeeds when jsonpath $3 of $1/$2 equals $4.
jp_is() { [ "$(jp "$1" "$2" "$3")" = "$4" ]; }
# The same in namespace NS: jp_is_ns NS KIND NAME JSONPATH VALUE
jp_is_ns() { [ "$(kubectl -n "$1" get "$2" "$3" -o jsonpath="$4" 2>/dev/null)" = "$5" ]; }

# Milliseconds since the epoch (for measuring recovery times).
now_ms() { echo $(( $(date +%s%N) / 1000000 )); }

# The value of metric NAME (label sets summed; NAME may carry a label filter
# such as 'devserver_api_requests_total{verb="PATCH"') from the operator's
# /metrics on PORT (default: the running operator's); 0 when absent, empty
# when the scrape failed.
operator_metric() {
  local name=$1 port=${2:-$(operator_health_port)} body
  body=$(curl -fsS --max-time 5 "http://127.0.0.1:$port/metrics" 2>/dev/null) || return 0
  awk -v n="$name" 'index($0, n) == 1 && substr($0, length(n) + 1, 1) ~ /[ {,}]/ { s += $NF }
    END { printf "%d\n", s }' <<<"$body"
}
