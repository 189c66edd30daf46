#!/usr/bin/env bash
# The operator's health port under hostile clients (issue 17 item 4), the
# operator running against the real control plane:
#   - slow clients (a byte every 1.5 s, the reported attack) are cut at the
#     whole-request deadline and /healthz keeps answering fast throughout;
#   - more idle connections than the server serves at once do not lock out
#     a probe (the longest-waiting one is dropped);
#   - an oversized request is refused (431) and the server goes on;
#   - the shipped NetworkPolicy is valid for the API server (whether it is
#     enforced depends on the cluster's network plugin; the local cluster's
#     bridge plugin enforces none, so that part is not tested here).
# Prints the slowest /healthz answer under attack.
. "$(dirname "$0")/lib/common.sh"
install_crds
make_namespace health
operator_ns=$ns
pids=()
on_exit 'for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done   # most have exited already'

start_operator
check "the operator reports its health port" wait_until 30 bash -c "grep -q 'health server listening' '$operator_log'"
port=$(operator_health_port)
healthz() { curl -fsS --max-time 2 -o /dev/null -w '%{time_total}\n' "http://127.0.0.1:$port/healthz"; }
check "/healthz answers" bash -c "curl -fsS --max-time 2 -o /dev/null http://127.0.0.1:$port/healthz"
check "/readyz turns 200 once the caches synced" wait_until 30 curl -fsS --max-time 2 -o /dev/null "http://127.0.0.1:$port/readyz"

# slow clients: GET /healthz, one byte every 1.5 s; each records when the
# server closed on it (the read returns) and what it answered
slow_client() { # out-file
  local req='GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n' t0 i
  t0=$(now_ms)
  exec 3<>"/dev/tcp/127.0.0.1/$port" || return 0
  # writer: stops at the first failed write (the server closed)
  ( for ((i = 0; i < ${#req}; i++)); do printf '%s' "${req:i:1}" >&3 2>/dev/null || exit 0; sleep 1.5; done ) &
  local w=$!
  local answer
  answer=$(timeout 20 head -c 200 <&3 | head -1 | tr -d '\r')
  echo "$(( $(now_ms) - t0 )) ${answer:-closed}" >"$1"
  kill "$w" 2>/dev/null
  exec 3>&-
}
tmp=$(mktemp -d)
on_exit 'rm -rf "$tmp"'
for i in 1 2 3 4; do slow_client "$tmp/slow-$i" & pids+=($!); done
worst=0
for i in $(seq 1 20); do
  t=$(healthz) || t=9
  ms=$(awk -v t="$t" 'BEGIN { printf "%d", t * 1000 }')
  [ "$ms" -gt "$worst" ] && worst=$ms
  sleep 0.1
done
echo "     slowest /healthz of 20 during 4 slow clients: $worst ms"
check "/healthz stayed under 500 ms while 4 slow clients were connected" [ "$worst" -lt 500 ]
for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
pids=()
cut_ok() { # every slow client was closed within 3 s, with 408 or no answer
  local f ms rest
  for f in "$tmp"/slow-*; do
    read -r ms rest <"$f"
    echo "     slow client: closed after $ms ms ($rest)"
    [ "$ms" -lt 3000 ] || return 1
    case $rest in *408*|closed) ;; *) return 1 ;; esac
  done
}
check "each slow client was cut at the request deadline (1 s), never served" cut_ok

# more idle connections than the server serves at once (16)
for i in $(seq 1 24); do
  ( exec 3<>"/dev/tcp/127.0.0.1/$port"; sleep 5 ) 2>/dev/null & pids+=($!)
done
check "/healthz answers with 24 idle connections open" wait_until 3 healthz
for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
pids=()

big=$(head -c 8192 /dev/zero | tr '\0' a)
check "a request past 4 KiB is refused with 431" bash -c \
  "[ \"\$(curl -s --max-time 3 -o /dev/null -w '%{http_code}' -H 'X-Big: $big' http://127.0.0.1:$port/healthz)\" = 431 ]"
check "and the server goes on" bash -c "curl -fsS --max-time 2 -o /dev/null http://127.0.0.1:$port/healthz"
check "the operator is still running" kill -0 "$operator_pid"

netpol_valid() {
  sed "s/namespace: devserver-system/namespace: $ns/" "$root/deploy/manifests/60-networkpolicy.yaml" |
    kubectl apply --dry-run=server -f - >/dev/null
}
check "deploy/'s NetworkPolicy is accepted by the API server" netpol_valid
rm -rf "$tmp"
finish
