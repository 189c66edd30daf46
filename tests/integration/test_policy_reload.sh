#!/usr/bin/env bash
# Policies edited through the ConfigMap, with the operator running: a good
# new version goes live without a restart and re-renders the children; a
# syntax error, a runtime error and an endless loop are each rejected while
# the last good version keeps serving (Event and annotation on the
# ConfigMap); deleting the ConfigMap returns to the built-in policy.
. "$(dirname "$0")/lib/common.sh"
install_crds
make_namespace policy
operator_ns=$ns
f=t-$$
on_exit 'kubectl delete devserverflavor -l test=$f >/dev/null 2>&1'
kubectl apply -f - >/dev/null <<YAML
apiVersion: devserver.io/v1
kind: DevServerFlavor
metadata: {name: $f-small, labels: {test: "$f"}}
spec:
  resources: {requests: {cpu: 250m, memory: 512Mi}}
$kwok_placement
YAML
start_operator --policy-configmap policy

kubectl -n "$ns" apply -f - >/dev/null <<YAML
apiVersion: devserver.io/v1
kind: DevServer
metadata: {name: box}
spec: {flavor: $f-small, image: example.invalid/dev:1}
YAML
check "box reaches Running on the built-in policy" wait_until 60 jp_is devserver box '{.status.phase}' Running
builtin=$(jp devserver box '{.status.policy.revision}')

# A policy that adds a team label to every child, built on the shipped lib.*.
policy_with() { # body of the render wrapper's loop
  cat <<LUA
local deployment = require("lib.deployment")
local pvc = require("lib.pvc")
local service = require("lib.service")
local sshd = require("lib.sshd")
local validate = require("lib.validate")
local policy = { api = 1 }
function policy.render(ds, flavor, ctx)
  local req = validate.request(ds, flavor, ctx)
  local out = { sshd.configmap(req) }
  local home = pvc.build(req)
  if home then out[#out + 1] = home end
  out[#out + 1] = deployment.build(req)
  out[#out + 1] = service.build(req)
  for _, o in ipairs(out) do
    $1
  end
  return out
end
return policy
LUA
}
push() { # file with devserver.lua
  kubectl -n "$ns" create configmap policy --from-file=devserver.lua="$1" --dry-run=client -o yaml |
    kubectl -n "$ns" apply --server-side --force-conflicts -f - >/dev/null
}
annotation() { jp configmap policy '{.metadata.annotations.devserver\.io/policy-status}'; }
annotation_has() { annotation | grep -q -- "$1"; }
# one field of the annotation's JSON (api/policy_status.h), "" when absent
annotation_field() { annotation | python3 -c 'import json, sys; print(json.load(sys.stdin).get(sys.argv[1], ""))' "$1" 2>/dev/null; }
annotation_is() { [ "$(annotation_field "$1")" = "$2" ]; }
# The revision of the last rejection in the annotation, empty when none.
rejected_revision() { if annotation_is state rejected; then annotation_field revision; fi; }
# Succeeds once the annotation names a rejection of a revision other than $1
# (the one rejected before the latest push): the latest push's own rejection.
rejected_other_than() { local rev; rev=$(rejected_revision); [ -n "$rev" ] && [ "$rev" != "$1" ]; }
event_has() { kubectl -n "$ns" get events --field-selector "involvedObject.name=policy,reason=$1" -o jsonpath='{.items[*].message}' | grep -q -- "$2"; }
tmp=$(mktemp -d)
on_exit 'rm -rf "$tmp"'

policy_with 'o.metadata.labels = o.metadata.labels or {}; o.metadata.labels["example.com/team"] = "platform"' > "$tmp/good.lua"
push "$tmp/good.lua"
check "a good policy goes live: children gain the label without a restart" \
  wait_until 30 jp_is deployment box '{.metadata.labels.example\.com/team}' platform
check "the Service is re-rendered too" wait_until 30 jp_is service box-ssh '{.metadata.labels.example\.com/team}' platform
check "the ConfigMap's status annotation says active" wait_until 30 annotation_is state active
good=$(annotation_field revision)
check "the ConfigMap is annotated with the active revision" [ -n "$good" ]
check "the DevServer records the revision that rendered it" wait_until 30 jp_is devserver box '{.status.policy.revision}' "$good"
check "the new revision differs from the built-in one" [ "$good" != "$builtin" ]
check "a PolicyActivated Event is recorded" wait_until 10 event_has PolicyActivated "$good"

# a new policy that compiles and renders, but fails the fixture it ships with
policy_with 'o.metadata.labels = o.metadata.labels or {}; o.metadata.labels["example.com/team"] = "other"' > "$tmp/fixtured.lua"
kubectl -n "$ns" create configmap policy --from-file=devserver.lua="$tmp/fixtured.lua" \
  --from-literal=fixture.label.devserver.yaml="$(printf 'metadata: {name: fx, namespace: default, uid: u1}\nspec: {image: img:1}\n')" \
  --from-literal=fixture.label.error.txt="an error this policy never raises" \
  --dry-run=client -o yaml | kubectl -n "$ns" apply --server-side --force-conflicts -f - >/dev/null
check "a failing bundled fixture blocks the new version" wait_until 30 annotation_has "bundled fixture: label"
check "and the good version keeps serving" jp_is deployment box '{.metadata.labels.example\.com/team}' platform

printf 'local policy = { api = 1\nfunction policy.render( return policy\n' > "$tmp/syntax.lua"
before=$(rejected_revision)   # the fixture's rejection: still in the annotation until this one is seen
check "the fixture's rejection named its revision" [ -n "$before" ]
push "$tmp/syntax.lua"
check "a syntax error is rejected (annotation names its revision)" wait_until 30 rejected_other_than "$before"
check "with a file:line message" annotation_has "devserver.lua:"
check "and a PolicyRejected Event" wait_until 10 event_has PolicyRejected "devserver.lua"

policy_with 'error("broken on purpose: " .. o.kind)' > "$tmp/runtime.lua"
push "$tmp/runtime.lua"
check "a runtime error is rejected, naming the DevServer it breaks" \
  wait_until 30 annotation_has "broken on purpose"

policy_with 'while true do end' > "$tmp/loop.lua"
push "$tmp/loop.lua"
check "an endless loop is rejected by the time budget" wait_until 30 annotation_has "budget"
check "the last good policy still serves" jp_is deployment box '{.metadata.labels.example\.com/team}' platform
check "the DevServer still records the good revision" jp_is devserver box '{.status.policy.revision}' "$good"
kubectl -n "$ns" apply -f - >/dev/null <<YAML
apiVersion: devserver.io/v1
kind: DevServer
metadata: {name: after}
spec: {flavor: $f-small, image: example.invalid/dev:1}
YAML
check "the operator keeps serving new DevServers with the good policy" \
  wait_until 60 jp_is deployment after '{.metadata.labels.example\.com/team}' platform

# A slow policy on trial (each render burns ~10-20 ms) must not hold up the
# loop: a DevServer created while the trial renders the others is
# reconciled (with the active policy) before the trial ends - the operator's
# log shows the order.
for i in $(seq 1 60); do
  printf 'apiVersion: devserver.io/v1\nkind: DevServer\nmetadata: {name: load-%d}\nspec: {flavor: %s, image: example.invalid/dev:1}\n---\n' "$i" "$f-small"
done | kubectl -n "$ns" apply -f - >/dev/null
check "60 more DevServers are rendered" wait_until 180 bash -c \
  "[ \$(kubectl -n $ns get deployments -o name | grep -c load-) -eq 60 ]"
policy_with 'o.metadata.labels = o.metadata.labels or {}; o.metadata.labels["example.com/team"] = "slow"' |
  sed 's/^function policy.render(ds, flavor, ctx)$/&\n  local burn = 0\n  for i = 1, 1000000 do burn = burn + i end/' > "$tmp/slow.lua"
trials=$(grep -c "policy on trial" "$operator_log" || true)
activations=$(grep -c "policy activated" "$operator_log" || true)
push "$tmp/slow.lua"
trial_started() { [ "$(grep -c "policy on trial" "$operator_log")" -gt "$trials" ]; }
trial_ended() { [ "$(grep -c "policy activated" "$operator_log")" -gt "$activations" ]; }
check "the slow policy goes on trial" wait_until 30 trial_started
t0=$(now_ms)
kubectl -n "$ns" apply -f - >/dev/null <<YAML
apiVersion: devserver.io/v1
kind: DevServer
metadata: {name: during}
spec: {flavor: $f-small, image: example.invalid/dev:1}
YAML
wait_until 60 kubectl -n "$ns" get deployment during && created_ms=$(( $(now_ms) - t0 )) || created_ms=-1
if wait_until 120 trial_ended; then
  pass "then the slow policy went live"
  echo "     trial of 63 DevServers: $(grep "policy activated" "$operator_log" | tail -1 | sed -n 's/.* trial=\([0-9]*\)ms.*/\1/p') ms; a DevServer created meanwhile -> Deployment seen by kubectl: ${created_ms} ms"
else
  fail "then the slow policy went live"
  grep -E "policy (rejected|activated)" "$operator_log" | tail -2 | sed 's/^/       /'
fi
# the log's order: the new DevServer's first reconcile, then the activation
check "the DevServer created during the trial was reconciled before the trial ended" \
  bash -c "[ -n \"\$(grep -n 'host key devserver=$ns/during' '$operator_log')\" ] &&
           [ \$(grep -n 'host key devserver=$ns/during' '$operator_log' | head -1 | cut -d: -f1) -lt \$(grep -n 'policy activated' '$operator_log' | tail -1 | cut -d: -f1) ]"
check "and renders the DevServers" wait_until 60 jp_is deployment box '{.metadata.labels.example\.com/team}' slow

kubectl -n "$ns" delete configmap policy >/dev/null
check "deleting the ConfigMap brings the built-in policy back" \
  wait_until 30 jp_is devserver box '{.status.policy.revision}' "$builtin"
check "and the label goes away" wait_until 30 jp_is deployment box '{.metadata.labels.example\.com/team}' ""
stop_operator
check "the operator never crashed (clean stop logged)" grep -q 'operator stopping' "$operator_log"

finish
