#!/usr/bin/env bash
# Idle shutdown on the real node: a DevServer with spec.lifecycle.idleTimeout
# stays up while an SSH session is open and while a process its user started
# runs (the session closed), and stops itself - scaled to zero, home kept,
# phase Stopped with reason Idle, an Idle Event, status.lastActivityTime -
# once it has been unused for the timeout; devctl start brings it back. The
# activity is measured in the pod by its activity container and read by the
# operator from that container's log. Prints the detection delays.
. "$(dirname "$0")/lib/common.sh"
install_crds
make_namespace idle
kubectl label namespace "$ns" pod-security.kubernetes.io/enforce=restricted >/dev/null
operator_ns=$ns
f=t-$$
tmp=$(mktemp -d)
bg=()
on_exit 'kubectl delete devserverflavor -l test=$f >/dev/null 2>&1'
on_exit 'rm -rf "$tmp"'
on_exit 'for p in "${bg[@]}"; do kill "$p" 2>/dev/null || true; done   # most have exited already'
export HOME=$tmp
devctl="$bin_dir/devctl"
dc() { "$devctl" -n "$ns" "$@"; }
now() { date +%s; }
if [ -z "$(kubectl get nodes -l devserver.io/node-type=real -o name)" ]; then
  if [ "${DEVSERVER_REAL_NODE:-1}" = 0 ]; then echo "SKIP DEVSERVER_REAL_NODE=0"; exit 77; fi
  fail "the cluster has a real node"; finish; exit 1
fi
timeout_s=30
ssh-keygen -q -t ed25519 -N '' -f "$tmp/id" </dev/null
kubectl apply -f - >/dev/null <<YAML
apiVersion: devserver.io/v1
kind: DevServerFlavor
metadata: {name: $f-real, labels: {test: "$f"}}
spec:
  resources: {requests: {cpu: 50m, memory: 64Mi}, limits: {cpu: "1", memory: 1Gi}}
  nodeSelector: {devserver.io/node-type: real}
  lifecycle: {idleTimeout: ${timeout_s}s}
YAML
start_operator
phase() { jp devserver box '{.status.phase}'; }
stopped_idle() { [ "$(phase)" = Stopped ] && jp_is devserver box '{.status.conditions[?(@.type=="Available")].reason}' Idle; }
# Polls for N seconds; fails as soon as the box is Stopped.
stays_up_for() {
  local end=$(( $(now) + $1 ))
  while [ "$(now)" -lt "$end" ]; do
    [ "$(phase)" != Stopped ] || return 1
    sleep 1
  done
}

dc create box --flavor "$f-real" --home-size 1Gi --ssh-public-key-file "$tmp/id.pub" --wait --timeout 180s >/dev/null
check "the box is Running with the flavor's idle timeout" jp_is devserver box '{.status.phase}' Running

# 1. an open SSH session keeps it up past the timeout
dc ssh box -i "$tmp/id" -- sleep $(( timeout_s + 25 )) >/dev/null 2>&1 &
bg+=($!)
check "an open SSH session keeps it up past the timeout ($(( timeout_s + 20 ))s)" stays_up_for $(( timeout_s + 20 ))
wait "${bg[0]}" 2>/dev/null || true
session_end=$(now)

# 2. a process the user started keeps it up after the session ended
dc ssh box -i "$tmp/id" -- "nohup sleep $(( timeout_s + 20 )) >/dev/null 2>&1 &"
job_start=$(now)
check "a process of the user keeps it up after the session closed" stays_up_for $(( timeout_s + 10 ))
job_end=$(( job_start + timeout_s + 20 ))

# 3. unused for the timeout: it stops itself
if wait_until $(( timeout_s * 3 + 30 )) stopped_idle; then
  stopped_at=$(now)
  pass "unused for ${timeout_s}s, it stopped itself (phase Stopped, reason Idle)"
  echo "     idle stop detected $(( stopped_at - job_end )) s after the last activity ended (timeout ${timeout_s}s, sampling 5s)"
else
  fail "unused for ${timeout_s}s, it stopped itself (phase Stopped, reason Idle)"
  kubectl -n "$ns" logs deploy/box -c activity 2>&1 | tail -5 | sed 's/^/       /'
fi
check "spec.stopped is set, with the reason annotation" \
  jp_is devserver box '{.spec.stopped}/{.metadata.annotations.devserver\.io/stopped-by}' true/idle
check "an Idle Event says so" wait_until 30 bash -c \
  "kubectl -n $ns get events --field-selector reason=Idle,involvedObject.name=box -o name | grep -q ."
check "status.lastActivityTime is set" bash -c "[ -n \"\$(kubectl -n $ns get devserver box -o jsonpath='{.status.lastActivityTime}')\" ]"
check "the message says how to resume" bash -c "kubectl -n $ns get devserver box -o jsonpath='{.status.message}' | grep -q 'devctl start'"
check "the home is kept" jp_is pvc box-home '{.status.phase}' Bound

# 4. devctl start resumes it, and clears the reason
check "devctl start" dc start box
check "it is Running again" dc wait box --for=ready --timeout 180s
check "the idle reason is gone" bash -c "[ -z \"\$(kubectl -n $ns get devserver box -o jsonpath='{.metadata.annotations.devserver\.io/stopped-by}')\" ]"
check "and it does not stop at once (the timeout counts from the new pod)" stays_up_for $(( timeout_s / 2 ))
finish
