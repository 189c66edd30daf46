#!/usr/bin/env bash
# Changes to running DevServers (kwok nodes: the Deployment is what counts):
#   - a flavor change that would replace a running pod waits: the Deployment
#     keeps its template, status.pendingRestart says what waits, a
#     RestartPending Event, devctl describe shows it; it survives an
#     operator restart
#   - devctl restart applies it (and replaces the pod), pendingRestart goes
#   - the user's own spec change applies at once, with what waited
#   - a stopped DevServer takes a flavor change at once; restart refuses it
#   - a flavor with rollout: Immediate is applied at once
#   - a deprecated flavor (replacedBy): new DevServers get the replacement
#     at once, running ones at their restart
# Prints how long a restart took to reach the Deployment.
. "$(dirname "$0")/lib/common.sh"
install_crds
make_namespace rollout
operator_ns=$ns
f=t-$$
tmp=$(mktemp -d)
on_exit 'kubectl delete devserverflavor -l test=$f >/dev/null 2>&1'
on_exit 'rm -rf "$tmp"'
export HOME=$tmp
devctl="$bin_dir/devctl"
dc() { "$devctl" -n "$ns" "$@"; }
echo "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBt9 dev@laptop" > "$tmp/key.pub"
flavor() { # name cpu [extra spec yaml]
  kubectl apply -f - >/dev/null <<YAML
apiVersion: devserver.io/v1
kind: DevServerFlavor
metadata: {name: $1, labels: {test: "$f"}}
spec:
  resources: {requests: {cpu: "$2", memory: 128Mi}}
$kwok_placement
${3:-}
YAML
}
cpu() { jp deployment "$1" '{.spec.template.spec.containers[0].resources.requests.cpu}'; }
cpu_is() { [ "$(cpu "$1")" = "$2" ]; }
pending() { jp devserver "$1" '{.status.pendingRestart.changes}'; }
pending_has() { pending "$1" | grep -q "$2"; }
no_pending() { [ -z "$(pending "$1")" ] && kubectl -n "$ns" get devserver "$1" -o json | jq -e '.status | has("pendingRestart") | not' >/dev/null; }
running() { jp_is devserver "$1" '{.status.phase}' Running; }
available() { jp_is deployment "$1" '{.status.availableReplicas}' 1; }

flavor "$f-small" 100m
start_operator
check "create box" dc create box --flavor "$f-small" --image example.invalid/dev:1 --ssh-public-key-file "$tmp/key.pub" --ttl 4h -o name
check "box is Running" wait_until 60 running box
check "its Deployment has a pod available" wait_until 30 available box
gen0=$(kubectl get devserverflavor "$f-small" -o jsonpath='{.metadata.generation}')

# 1. a flavor change waits for a restart
flavor "$f-small" 200m
check "status.pendingRestart names the flavor change" \
  wait_until 30 pending_has box "flavor $f-small changed (generation $gen0 -> $((gen0 + 1)))"
check "the running Deployment keeps its pod template" cpu_is box 100m
check "status.pendingRestart.since is set" bash -c "[ -n \"\$(kubectl -n $ns get devserver box -o jsonpath='{.status.pendingRestart.since}')\" ]"
check "a RestartPending Event says how to apply it" wait_until 30 bash -c \
  "kubectl -n $ns get events --field-selector reason=RestartPending,involvedObject.name=box -o jsonpath='{.items[*].message}' | grep -q 'devctl restart box applies it'"
check "devctl describe shows the pending restart" bash -c \
  "'$devctl' -n $ns describe box | grep -A1 '^Pending restart:' | grep -q 'devctl restart box applies it'"

# 2. an operator restart neither applies nor forgets it
stop_operator
start_operator
check "after an operator restart: still pending" wait_until 30 pending_has box "flavor $f-small"
check "after an operator restart: the pod template is kept" cpu_is box 100m

# 3. devctl restart applies it
old_pod=$(kubectl -n "$ns" get pods -l devserver.io/name=box -o jsonpath='{.items[0].metadata.name}')
t0=$(now_ms)
check "devctl restart box" bash -c "'$devctl' -n $ns restart box | grep -qx 'devserver.devserver.io/box restarting'"
check "the restart brings the flavor change" wait_until 30 cpu_is box 200m
t1=$(now_ms)
echo "     devctl restart -> Deployment updated: $((t1 - t0)) ms"
check "the pod template carries the restart request" bash -c \
  "[ -n \"\$(kubectl -n $ns get deploy box -o jsonpath='{.spec.template.metadata.annotations.devserver\.io/restart}')\" ]"
check "status.pendingRestart is gone" wait_until 30 no_pending box
check "a new pod replaces the old one" wait_until 60 bash -c \
  "kubectl -n $ns get pods -l devserver.io/name=box -o jsonpath='{.items[*].metadata.name}' | grep -v -w -q '$old_pod'"
check "box is Running again" wait_until 60 running box
check "and available" wait_until 30 available box

# 4. the user's own change applies at once, with what waited
flavor "$f-small" 300m
check "the next flavor change waits" wait_until 30 pending_has box "flavor $f-small"
kubectl -n "$ns" patch devserver box --type=merge -p '{"spec":{"image":"example.invalid/dev:2"}}' >/dev/null
check "a new image from the user applies at once" wait_until 30 jp_is deployment box \
  '{.spec.template.spec.containers[0].image}' example.invalid/dev:2
check "...with the flavor change that waited" cpu_is box 300m
check "...and nothing pending" wait_until 30 no_pending box
check "box is Running again" wait_until 60 running box
check "and available" wait_until 30 available box

# 5. a TTL change is no restart: the flavor's change keeps waiting
flavor "$f-small" 350m
check "a flavor change waits" wait_until 30 pending_has box "flavor $f-small"
expires=$(jp devserver box '{.status.expiresAt}')
check "devctl extend" dc extend box --by 1h -o name
check "the operator saw the extension" wait_until 30 bash -c \
  "[ \"\$(kubectl -n $ns get devserver box -o jsonpath='{.status.expiresAt}')\" != '$expires' ]"
check "the TTL change left the pod template alone" cpu_is box 300m
check "...and the change still waits" pending_has box "flavor $f-small"

# 6. a stopped DevServer takes changes at once; restart refuses it
check "devctl stop" dc stop box -o name
check "box is Stopped" wait_until 30 jp_is devserver box '{.status.phase}' Stopped
check "stopped: what waited is applied" wait_until 30 cpu_is box 350m
flavor "$f-small" 400m
check "stopped: a flavor change applies at once" wait_until 30 cpu_is box 400m
check "stopped: nothing pending" no_pending box
out=$(dc restart box 2>&1) && rc=0 || rc=$?
check "devctl restart of a stopped box fails (exit 1)" [ "$rc" = 1 ]
check "...saying to start it" bash -c "echo '$out' | grep -qx 'devctl restart: devserver box is stopped: devctl start box starts it with the current flavor and policy'"
check "devctl start" dc start box -o name
check "box is Running after start" wait_until 60 running box

# 7. rollout: Immediate does not wait
flavor "$f-now" 100m '  rollout: Immediate'
check "create now" dc create now --flavor "$f-now" --image example.invalid/dev:1 --ssh-public-key-file "$tmp/key.pub" -o name
check "now is Running" wait_until 60 running now
check "and available" wait_until 30 available now
flavor "$f-now" 250m '  rollout: Immediate'
check "rollout Immediate: a flavor change applies at once" wait_until 30 cpu_is now 250m
check "rollout Immediate: nothing pending" no_pending now
# 8. a deprecated flavor: new DevServers get its replacement, running ones at restart
flavor "$f-old" 100m
check "create legacy on the old flavor" dc create legacy --flavor "$f-old" --image example.invalid/dev:1 --ssh-public-key-file "$tmp/key.pub" -o name
check "legacy is Running" wait_until 60 running legacy
check "and available" wait_until 30 available legacy
flavor "$f-new" 150m
flavor "$f-old" 100m "  replacedBy: $f-new"
check "legacy: the move to the replacement waits for a restart" \
  wait_until 30 pending_has legacy "flavor $f-old/[0-9]* -> $f-new/[0-9]*"
check "legacy: its pod template is kept" cpu_is legacy 100m
check "legacy: FlavorResolved says the flavor is replaced" wait_until 30 jp_is devserver legacy \
  '{.status.conditions[?(@.type=="FlavorResolved")].reason}' Replaced
check "create fresh on the old flavor" dc create fresh --flavor "$f-old" --image example.invalid/dev:1 --ssh-public-key-file "$tmp/key.pub" -o name
check "fresh gets the replacement at once" wait_until 30 cpu_is fresh 150m
check "fresh: status.flavor is the replacement" wait_until 30 jp_is devserver fresh '{.status.flavor}' "$f-new"
check "devctl restart legacy" dc restart legacy -o name
check "legacy moves to the replacement on restart" wait_until 30 cpu_is legacy 150m
check "legacy: status.flavor is the replacement" wait_until 30 jp_is devserver legacy '{.status.flavor}' "$f-new"
check "legacy: nothing pending" wait_until 30 no_pending legacy
check "fresh is available" wait_until 60 available fresh
flavor "$f-new" 175m '  rollout: Immediate'
check "...(fresh names $f-old, uses $f-new; the old flavor's rollout decides: held)" \
  wait_until 30 pending_has fresh "flavor $f-new changed"
check "the CRD refuses a flavor replaced by itself" bash -c \
  "! kubectl patch devserverflavor $f-new --type=merge -p '{\"spec\":{\"replacedBy\":\"$f-new\"}}' 2>$tmp/self.err; grep -q 'must name another flavor' $tmp/self.err"

bad_rollout() {
  kubectl apply -f - 2>&1 <<YAML
apiVersion: devserver.io/v1
kind: DevServerFlavor
metadata: {name: $f-bad, labels: {test: "$f"}}
spec: {rollout: Later}
YAML
}
check "the CRD refuses an unknown rollout" bash -c "$(declare -f bad_rollout); f=$f; ! bad_rollout >$tmp/bad.out; grep -q 'Unsupported value' $tmp/bad.out"
finish
