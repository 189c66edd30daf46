#!/usr/bin/env bash
# The operator against the real control plane (kwok nodes): children with
# owners and labels, status from observed objects, spec changes and removals,
# repair of deleted and edited children, flavor propagation, a missing flavor
# healing, stop/start, TTL expiry, unsupported mode, a restart that adopts
# everything with zero writes, and 50 DevServers at once.
. "$(dirname "$0")/lib/common.sh"
install_crds
make_namespace op
f=t-$$   # flavor prefix: flavors are cluster-scoped
on_exit 'kubectl delete devserverflavor -l test=$f >/dev/null 2>&1'

flavor() { # name cpu [extra spec yaml]
  kubectl apply -f - >/dev/null <<YAML
apiVersion: devserver.io/v1
kind: DevServerFlavor
metadata: {name: $1, labels: {test: "$f"}}
spec:
  resources: {requests: {cpu: "$2", memory: 1Gi}, limits: {cpu: "$2", memory: 1Gi}}
$kwok_placement
${3:-}
YAML
}
devserver() { # name flavor [extra spec yaml]
  kubectl -n "$ns" apply -f - >/dev/null <<YAML
apiVersion: devserver.io/v1
kind: DevServer
metadata: {name: $1}
spec:
  flavor: $2
  image: example.invalid/dev:1
  ssh: {publicKey: "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBt9 test"}
${3:-}
YAML
}
phase_is() { jp_is devserver "$1" '{.status.phase}' "$2"; }

flavor "$f-small" 500m
start_operator

# 1. create: children, owners, labels, status
t0=$(date +%s%N)
devserver box "$f-small" "  home: {size: 1Gi, storageClassName: $kwok_home_class}"
check "box reaches Running" wait_until 60 phase_is box Running
t1=$(date +%s%N)
echo "     create -> Running: $(( (t1 - t0) / 1000000 )) ms"
uid=$(jp devserver box '{.metadata.uid}')
for child in deployment/box service/box-ssh pvc/box-home configmap/box-ssh; do
  check "$child is owned by the DevServer (controller)" \
    jp_is "${child%/*}" "${child#*/}" '{.metadata.ownerReferences[0].uid}/{.metadata.ownerReferences[0].controller}' "$uid/true"
  check "$child carries the managed labels" \
    jp_is "${child%/*}" "${child#*/}" '{.metadata.labels.app\.kubernetes\.io/managed-by}/{.metadata.labels.devserver\.io/name}' "devserver-operator/box"
done
check "status: Ready condition True" jp_is devserver box '{.status.conditions[?(@.type=="Ready")].status}' True
check "status: flavor, ssh service, observedGeneration" \
  jp_is devserver box '{.status.flavor}/{.status.ssh.service}/{.status.observedGeneration}' "$f-small/box-ssh/1"
check "status: policy revision recorded" bash -c "[ -n \"\$(kubectl -n $ns get devserver box -o jsonpath='{.status.policy.revision}')\" ]"
check "the home PVC is Bound" wait_until 30 jp_is pvc box-home '{.status.phase}' Bound

port=$(operator_health_port)
check "/readyz answers 200 once the caches synced" curl -fsS -o /dev/null "http://127.0.0.1:$port/readyz"
check "/healthz answers 200" curl -fsS -o /dev/null "http://127.0.0.1:$port/healthz"
metrics=$(curl -fsS "http://127.0.0.1:$port/metrics")
check "/metrics counts reconciles and applies" bash -c "grep -q '^devserver_reconcile_total [1-9]' <<<\"\$0\" && grep -q '^devserver_applies_total [1-9]' <<<\"\$0\"" "$metrics"
check "/metrics has the reconcile histogram and the policy revision" \
  bash -c "grep -q 'devserver_reconcile_duration_seconds_bucket{le=\"+Inf\"}' <<<\"\$0\" && grep -q 'devserver_policy_info{revision=\"' <<<\"\$0\"" "$metrics"
check "/metrics counts API requests by verb and result" bash -c "grep -q 'devserver_api_requests_total{verb=\"PATCH\",result=\"ok\"}' <<<\"\$0\"" "$metrics"

# 2. image change rolls out
kubectl -n "$ns" patch devserver box --type=merge -p '{"spec":{"image":"example.invalid/dev:2"}}' >/dev/null
check "an image change reaches the Deployment" \
  wait_until 30 jp_is deployment box '{.spec.template.spec.containers[0].image}' example.invalid/dev:2

# 3. a volume added, then removed
kubectl -n "$ns" apply -f - >/dev/null <<YAML
apiVersion: v1
kind: PersistentVolumeClaim
metadata: {name: data, labels: {devserver.io/shareable: "true"}}
spec: {accessModes: [ReadWriteOnce], storageClassName: $kwok_home_class, resources: {requests: {storage: 1Gi}}}
YAML
kubectl -n "$ns" patch devserver box --type=merge -p '{"spec":{"volumes":[{"claimName":"data","mountPath":"/data"}]}}' >/dev/null
has_data_mount() { jp deployment box '{.spec.template.spec.containers[0].volumeMounts[*].mountPath}' | grep -qw /data; }
check "an added volume is mounted" wait_until 30 has_data_mount
kubectl -n "$ns" patch devserver box --type=json -p '[{"op":"remove","path":"/spec/volumes"}]' >/dev/null
check "a removed volume is unmounted" wait_until 30 bash -c "! kubectl -n $ns get deploy box -o jsonpath='{.spec.template.spec.containers[0].volumeMounts[*].mountPath}' | grep -qw /data"

# 4. repair: a deleted child comes back, a hand edit is undone
kubectl -n "$ns" delete service box-ssh --wait=true >/dev/null
check "a deleted Service comes back" wait_until 30 jp_is service box-ssh '{.metadata.ownerReferences[0].uid}' "$uid"
kubectl -n "$ns" set image deployment/box devserver=evil.invalid/x:1 >/dev/null
check "a hand-edited image is put back" \
  wait_until 30 jp_is deployment box '{.spec.template.spec.containers[0].image}' example.invalid/dev:2

# 5. a flavor edit propagates
flavor "$f-small" 750m '  rollout: Immediate'   # OnRestart would hold it: test_rollout.sh
check "a flavor change reaches the Deployment" \
  wait_until 30 jp_is deployment box '{.spec.template.spec.containers[0].resources.requests.cpu}' 750m

# 6. missing flavor -> condition; creating it heals
devserver orphan "$f-missing"
check "a missing flavor is a condition" \
  wait_until 30 jp_is devserver orphan '{.status.conditions[?(@.type=="FlavorResolved")].reason}' FlavorNotFound
check "and phase Failed with the flavor named" bash -c "kubectl -n $ns get devserver orphan -o jsonpath='{.status.message}' | grep -q '$f-missing'"
flavor "$f-missing" 250m
check "creating the flavor heals it" wait_until 30 phase_is orphan Running

# 6b. two default flavors: a condition on both, an error on DevServers relying on the default
for d in d1 d2; do flavor "$f-$d" 100m '  default: true'; done
conflict() { [ "$(kubectl get devserverflavor "$1" -o jsonpath='{.status.conditions[?(@.type=="DefaultConflict")].status}')" = True ]; }
check "two default flavors: DefaultConflict on the first" wait_until 30 conflict "$f-d1"
check "and on the second" wait_until 30 conflict "$f-d2"
kubectl -n "$ns" apply -f - >/dev/null <<YAML
apiVersion: devserver.io/v1
kind: DevServer
metadata: {name: nodefault}
spec: {image: example.invalid/dev:1}
YAML
check "a DevServer relying on the default fails, naming the conflict" \
  wait_until 30 bash -c "kubectl -n $ns get devserver nodefault -o jsonpath='{.status.message}' | grep -q 'marked default'"
kubectl delete devserverflavor "$f-d2" >/dev/null
check "removing one default clears the first's condition" wait_until 30 bash -c "! kubectl get devserverflavor $f-d1 -o jsonpath='{.status.conditions[?(@.type==\"DefaultConflict\")].status}' | grep -q True || kubectl get devserverflavors -o jsonpath='{.items[*].spec.default}' | grep -q 'true.*true'"
kubectl delete devserverflavor "$f-d1" >/dev/null
kubectl -n "$ns" delete devserver nodefault --wait=false >/dev/null

# 7. stop and start
kubectl -n "$ns" patch devserver box --type=merge -p '{"spec":{"stopped":true}}' >/dev/null
check "stop: phase Stopped" wait_until 30 phase_is box Stopped
check "stop: Deployment scaled to zero" jp_is deployment box '{.spec.replicas}' 0
check "stop: the home PVC is kept" jp_is pvc box-home '{.status.phase}' Bound
kubectl -n "$ns" patch devserver box --type=merge -p '{"spec":{"stopped":false}}' >/dev/null
check "start: Running again" wait_until 30 phase_is box Running

# 8. unsupported mode
devserver dist "$f-small" '  mode: distributed'
check "mode distributed is reported, not ignored" \
  wait_until 30 jp_is devserver dist '{.status.conditions[?(@.type=="PolicyRendered")].status}' False
check "and says it is unsupported" bash -c "kubectl -n $ns get devserver dist -o jsonpath='{.status.message}' | grep -q 'not supported'"
kubectl -n "$ns" delete devserver dist orphan --wait=false >/dev/null

# 9. time-to-live
devserver brief "$f-small" '  lifecycle: {timeToLive: 4s}'
check "a DevServer with a TTL gets expiresAt" wait_until 30 bash -c "[ -n \"\$(kubectl -n $ns get devserver brief -o jsonpath='{.status.expiresAt}')\" ]"
check "it is deleted when its TTL runs out" wait_until 30 bash -c "! kubectl -n $ns get devserver brief >/dev/null 2>&1"
check "an Expired event was recorded" wait_until 10 bash -c "kubectl -n $ns get events --field-selector reason=Expired -o name | grep -q ."

# 10. restart: adopt, no duplicates, no writes
wait_until 30 phase_is box Running || true
# garbage collection of the deleted DevServers' children must be over first
gc_done() { [ -z "$(kubectl -n "$ns" get deploy,svc,pvc,cm -l 'devserver.io/name in (dist,orphan,brief,nodefault)' -o name)" ]; }
check "children of deleted DevServers are garbage-collected" wait_until 60 gc_done
stop_operator
before=$(kubectl -n "$ns" get deploy,svc,pvc,cm -l app.kubernetes.io/managed-by=devserver-operator -o name | sort | tr '\n' ' ')
start_operator --resync 2s
resyncs_before=$(grep -c 'info  resync' "$operator_log" || true)
# wait for two resyncs (every DevServer re-checked twice) on the operator's own log
check "the restarted operator resyncs" wait_until 30 bash -c \
  "[ \$(grep -c 'info  resync' '$operator_log') -ge $(( resyncs_before + 2 )) ]"
stop_operator
after=$(kubectl -n "$ns" get deploy,svc,pvc,cm -l app.kubernetes.io/managed-by=devserver-operator -o name | sort | tr '\n' ' ')
check "a restart creates no duplicate children" [ "$before" = "$after" ]
writes=$(operator_counter writes)
check "a restart with nothing changed writes nothing (writes=$writes, resyncs included)" [ "$writes" = 0 ]

# 11. fifty at once
start_operator
t0=$(date +%s%N)
for i in $(seq 1 50); do
  printf 'apiVersion: devserver.io/v1\nkind: DevServer\nmetadata: {name: many-%d}\nspec: {flavor: %s, image: example.invalid/dev:1}\n---\n' "$i" "$f-small"
done | kubectl -n "$ns" apply -f - >/dev/null
all_running() { [ "$(kubectl -n "$ns" get devservers -o jsonpath='{range .items[*]}{.metadata.name}={.status.phase}{"\n"}{end}' | grep -c '^many-.*=Running$')" = 50 ]; }
check "50 DevServers created at once all reach Running" wait_until 120 all_running
t1=$(date +%s%N)
echo "     50 DevServers -> Running: $(( (t1 - t0) / 1000000 )) ms"
rss=$(ps -o rss= -p "$operator_pid" 2>/dev/null || echo 0)
echo "     operator RSS with $(kubectl get devservers -A --no-headers | wc -l) DevServers: $(( rss / 1024 )) MiB"
stop_operator
check "the operator reported no reconcile errors" [ "$(operator_counter errors)" = 0 ]

finish
