#!/usr/bin/env bash
# Lifecycle beyond the TTL itself (kwok nodes: no container needed):
#   - expiry you can see coming: condition ExpiringSoon and a Warning Event
#     --expiry-warning before the TTL runs out, shown by devctl list ("!")
#     and devctl describe; devctl extend clears it; the flavor's
#     maxTimeToLive refuses a longer extension with a clear error;
#   - the predecessor's (kopf's) finalizer: taken off a DevServer the
#     operator takes over (others' finalizers kept), and a DevServer deleted
#     while it carried it goes once the operator runs.
# Prints the detection delay of the warning.
. "$(dirname "$0")/lib/common.sh"
install_crds
make_namespace lifecycle
operator_ns=$ns
f=t-$$
tmp=$(mktemp -d)
on_exit 'kubectl delete devserverflavor -l test=$f >/dev/null 2>&1'
on_exit 'rm -rf "$tmp"'
export HOME=$tmp
devctl="$bin_dir/devctl"
dc() { "$devctl" -n "$ns" "$@"; }
echo "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBt9 dev@laptop" > "$tmp/key.pub"
kubectl apply -f - >/dev/null <<YAML
apiVersion: devserver.io/v1
kind: DevServerFlavor
metadata: {name: $f-small, labels: {test: "$f"}}
spec:
  resources: {requests: {cpu: 100m, memory: 128Mi}}
$kwok_placement
  lifecycle: {maxTimeToLive: 1h}
YAML
warning_s=60
start_operator --expiry-warning ${warning_s}s

t0=$(date +%s)
dc create box --flavor "$f-small" --image example.invalid/dev:1 --ttl 80s \
  --ssh-public-key-file "$tmp/key.pub" --wait --timeout 60s >/dev/null
soon() { jp_is devserver box '{.status.conditions[?(@.type=="ExpiringSoon")].status}' "$1"; }
check "before the warning window: ExpiringSoon False" soon False
check "devctl list shows no warning yet" bash -c "! '$devctl' -n $ns list | grep -q '[0-9]!'"
if wait_until 60 soon True; then
  pass "ExpiringSoon turns True ${warning_s}s before the end"
  echo "     warning shown $(( $(date +%s) - t0 - (80 - warning_s) )) s after it was due"
else
  fail "ExpiringSoon turns True ${warning_s}s before the end"
fi
check "a Warning Event ExpiringSoon" wait_until 30 bash -c \
  "kubectl -n $ns get events --field-selector reason=ExpiringSoon,involvedObject.name=box,type=Warning -o name | grep -q ."
check "devctl list marks EXPIRES with !" bash -c "'$devctl' -n $ns list | grep -Eq '^box .* [0-9a-z]+! '"
check "devctl describe says so and how to extend" bash -c "'$devctl' -n $ns describe box | grep -q 'expiring soon: devctl extend box --by'"
out=$(dc extend box --by 2h 2>&1) && rc=0 || rc=$?
check "extending past the flavor's maxTimeToLive is refused, with what is left (exit 1)" \
  bash -c "[ $rc -eq 1 ] && grep -q 'allows a time to live of at most 1h (maxTimeToLive): box can be extended by at most' <<<'$out'"
check "devctl extend --by 10m" dc extend box --by 10m
check "the warning clears" wait_until 30 soon False
check "and the list shows no mark" bash -c "! '$devctl' -n $ns list | grep -Eq '^box .*!'"

# --- flavor status.schedulable, from the nodes ---------------------------------
kubectl apply -f - >/dev/null <<YAML
apiVersion: devserver.io/v1
kind: DevServerFlavor
metadata: {name: $f-huge, labels: {test: "$f"}}
spec:
  resources: {requests: {cpu: "1000", memory: 1Gi}}
$kwok_placement
---
apiVersion: devserver.io/v1
kind: DevServerFlavor
metadata: {name: $f-gpu, labels: {test: "$f"}}
spec:
  resources: {limits: {nvidia.com/gpu: 1}}
YAML
sched() { jp_is_ns default devserverflavor "$1" '{.status.schedulable}' "$2"; }
check "a flavor the fake nodes can run: schedulable Yes" wait_until 30 sched "$f-small" Yes
check "a flavor no node is big enough for: schedulable No" wait_until 30 sched "$f-huge" No
check "  ... the condition says why" bash -c \
  "kubectl get devserverflavor $f-huge -o jsonpath='{.status.conditions[?(@.type==\"Schedulable\")].message}' | grep -q 'cpu: 1000 requested, 32 allocatable'"
check "a GPU flavor on a cluster without GPUs: schedulable No" wait_until 30 sched "$f-gpu" No
# polled: the real node may register after the fake ones, and until it has,
# "No" names only their taints
check "  ... naming the GPU" wait_until 30 bash -c \
  "kubectl get devserverflavor $f-gpu -o jsonpath='{.status.conditions[?(@.type==\"Schedulable\")].message}' | grep -q 'nvidia.com/gpu: 1 requested, none allocatable'"
check "devctl flavors shows the SCHEDULABLE column" bash -c \
  "'$devctl' flavors | grep -Eq '^$f-huge +.* No ' && '$devctl' flavors | grep -Eq '^$f-small +.* Yes '"

# --- the predecessor's (kopf's) finalizer (issue 18) ----------------------------
kopf=kopf.zalando.org/KopfFinalizerMarker
kubectl -n "$ns" apply -f - >/dev/null <<YAML
apiVersion: devserver.io/v1
kind: DevServer
metadata: {name: kopfbox, finalizers: [test.devserver.io/keep, $kopf]}
spec: {flavor: $f-small, image: example.invalid/dev:1}
YAML
finalizers() { jp devserver "$1" '{.metadata.finalizers[*]}'; }
check "the operator takes kopf's finalizer off a DevServer it takes over" \
  wait_until 30 bash -c "[ \"\$(kubectl -n $ns get devserver kopfbox -o jsonpath='{.metadata.finalizers[*]}')\" = test.devserver.io/keep ]"
check "  ... and leaves every other finalizer" bash -c "[ \"$(finalizers kopfbox)\" = test.devserver.io/keep ]"
check "  ... with a PredecessorFinalizerRemoved Event" wait_until 30 bash -c \
  "kubectl -n $ns get events --field-selector reason=PredecessorFinalizerRemoved,involvedObject.name=kopfbox -o name | grep -q ."
check "  ... and goes on reconciling it (its Deployment exists)" \
  wait_until 30 bash -c "kubectl -n $ns get deployment kopfbox >/dev/null 2>&1"
# a kopf still running somewhere adds it back: no generation changes, yet it goes
kubectl -n "$ns" patch devserver kopfbox --type=json \
  -p "[{\"op\":\"add\",\"path\":\"/metadata/finalizers/-\",\"value\":\"$kopf\"}]" >/dev/null
check "  ... and again when kopf re-adds it (a finalizer change alone is seen)" \
  wait_until 15 bash -c "[ \"\$(kubectl -n $ns get devserver kopfbox -o jsonpath='{.metadata.finalizers[*]}')\" = test.devserver.io/keep ]"
kubectl -n "$ns" patch devserver kopfbox --type=json \
  -p '[{"op":"remove","path":"/metadata/finalizers"}]' >/dev/null
kubectl -n "$ns" delete devserver kopfbox --wait=false >/dev/null
# deleted while the predecessor's finalizer holds it and no operator runs:
# the operator, once it runs, lets it go
stop_operator
kubectl -n "$ns" apply -f - >/dev/null <<YAML
apiVersion: devserver.io/v1
kind: DevServer
metadata: {name: kopfgone, finalizers: [$kopf]}
spec: {flavor: $f-small, image: example.invalid/dev:1}
YAML
kubectl -n "$ns" delete devserver kopfgone --wait=false >/dev/null
check "a DevServer deleted with kopf's finalizer is held without an operator" \
  bash -c "[ -n \"\$(kubectl -n $ns get devserver kopfgone -o jsonpath='{.metadata.deletionTimestamp}')\" ]"
start_operator --expiry-warning ${warning_s}s
gone() { ! kubectl -n "$ns" get devserver "$1" >/dev/null 2>&1; }
check "  ... and gone once the operator runs" wait_until 30 gone kopfgone
check "the DevServer taken over is gone too" wait_until 30 gone kopfbox
finish
