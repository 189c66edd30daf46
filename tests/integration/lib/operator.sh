# The operator under test as a background process (sourced, never run): by
# common.sh for the suites and by bench/run and tests/soak/run. Needs
# $bin_dir (the build's bin/) and KUBECONFIG; sources exit.sh (on_exit).
# shellcheck source=exit.sh
. "$(dirname "${BASH_SOURCE[0]}")/exit.sh"

# Starts the operator in the background, logging to $operator_log (a temp
# file when unset); its pid in $operator_pid. Flags: --operator-namespace
# $operator_ns (default "default"), --namespace $ns when $ns is set, a health
# server on an ephemeral port, then "$@". Stopped (SIGTERM, so it logs its
# counters) by stop_operator, or at exit (pushed on the exit stack once).
operator_pid=
operator_log=
operator__on_exit=
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
  [ -n "$operator__on_exit" ] || { operator__on_exit=1; on_exit stop_operator; }
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
