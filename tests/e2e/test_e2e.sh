#!/usr/bin/env bash
# End to end: the packaged operator, installed the way a platform team would,
# running as a pod on the local cluster's real node.
#
#   the image built with no registry (scripts/build-image) and loaded into the
#   real node's containerd -> deploy/ applied (kustomize and plain files) ->
#   the operator's Deployment runs (Pod Security restricted, in-cluster
#   credentials, the `kubernetes` Service through kube-proxy, leader election)
#   -> devctl create, list, describe, ssh (a real login), stop, start, delete
#   -> a needed RBAC rule removed breaks it visibly, restored heals it ->
#   teardown with nothing left behind.
#
# Needs Docker (to build the image) and the cluster's real node; without
# either it exits 77, which ctest reports as skipped.
#
# Reports: image size and build time, pod start -> caches synced -> ready,
# create -> ssh, operator RSS.
. "$(dirname "$0")/../integration/lib/common.sh"

sys_ns=devserver-system
sa=devserver-operator
image=${DEVSERVER_IMAGE:-devserver-operator:dev}
work=$(mktemp -d /tmp/devserver-e2e.XXXXXX)
ns=e2e-$$
crds_were_there=false
kubectl get crd devservers.devserver.io devserverflavors.devserver.io >/dev/null 2>&1 && crds_were_there=true
export HOME=$work    # devctl's known_hosts and config: nothing of the developer's

if ! command -v docker >/dev/null || ! docker info >/dev/null 2>&1; then
  echo "SKIP no working Docker: the operator image cannot be built here"
  exit 77
fi
if [ -z "$(kubectl get nodes -l devserver.io/node-type=real -o name 2>/dev/null)" ]; then
  if [ "${DEVSERVER_REAL_NODE:-1}" = 0 ]; then echo "SKIP DEVSERVER_REAL_NODE=0: no real node to run the operator on"; exit 77; fi
  fail "the cluster has a real node to run the operator on"; finish; exit 1
fi

# --- teardown (also on failure) ------------------------------------------------
# Run by the script at its end, or at exit if it did not get there (once).
torn_down=
teardown() {
  [ -z "$torn_down" ] || return 0
  torn_down=1
  kubectl delete namespace "$ns" --ignore-not-found --wait=false >/dev/null 2>&1 || true
  kubectl delete -k "$root/deploy/flavors/" --ignore-not-found >/dev/null 2>&1 || true
  kubectl delete -f "$root/deploy/manifests/" --ignore-not-found --wait=false >/dev/null 2>&1 || true
  $crds_were_there || kubectl delete -f "$root/crds/" --ignore-not-found --wait=false >/dev/null 2>&1 || true
  rm -rf "$work"
}
on_exit 'rm -rf "$work"'   # last: kubectl keeps writing its cache under HOME=$work
on_exit teardown

# --- helpers -------------------------------------------------------------------
op_pod() { kubectl -n "$sys_ns" get pods -l app.kubernetes.io/name=devserver-operator \
  --field-selector=status.phase=Running -o jsonpath='{.items[0].metadata.name}' 2>/dev/null; }
op_logs() { kubectl -n "$sys_ns" logs deploy/devserver-operator 2>/dev/null; }
now_ms() { echo $(( $(date +%s%N) / 1000000 )); }
# quiet CMD...: CMD's output only when it fails.
quiet() { local o; o=$("$@" 2>&1) || { printf '%s\n' "$o" | tail -5; return 1; }; }
dc() { "$bin_dir/devctl" -n "$ns" "$@"; }
phase_is() { jp_is devserver "$1" '{.status.phase}' "$2"; }
ssh-keygen -q -t ed25519 -N '' -C e2e -f "$work/id" </dev/null

# --- 1. the image, on the real node ----------------------------------------------
t0=$(date +%s)
if size_line=$("$root/scripts/build-image" 2>"$work/build-image.log" | tail -1); then
  pass "scripts/build-image built $image ($(( $(date +%s) - t0 ))s)"
  echo "     image size: ${size_line#* }"
else
  cat "$work/build-image.log"
  fail "scripts/build-image"
  finish; exit 1
fi
check "the image runs as 65532:65532" \
  bash -c "[ \"\$(docker image inspect -f '{{.Config.User}}' $image)\" = 65532:65532 ]"
check "the image holds devctl and the policies" \
  quiet docker run --rm --read-only --entrypoint /bin/sh "$image" -c \
    'devctl --version >/dev/null && test -f /usr/share/devserver/lua/policies/devserver.lua'
check "the image is loaded into the real node's containerd (no registry)" \
  quiet "$root/scripts/cluster" load-image "$image"

# --- 2. install deploy/ --------------------------------------------------------
check "deploy/crds/ is the same as crds/ (kustomize cannot reach ../crds)" \
  diff -r "$root/crds" "$root/deploy/crds"
start_ms=$(now_ms)
check "kubectl apply -k deploy/ succeeds in one run" quiet kubectl apply -k "$root/deploy/" -o name
check "the CRDs are established" quiet kubectl wait --for=condition=Established --timeout=60s \
  crd/devservers.devserver.io crd/devserverflavors.devserver.io crd/devserverusers.devserver.io
check "kubectl apply -k deploy/flavors/ (the default flavors)" quiet kubectl apply -k "$root/deploy/flavors/" -o name
check "the same objects apply as plain files (-f crds/ -f deploy/manifests/)" \
  quiet kubectl apply -f "$root/crds/" -f "$root/deploy/manifests/" -o name
check "and the flavors file on its own" quiet kubectl apply -f "$root/deploy/flavors/flavors.yaml" -o name
check "the namespace enforces Pod Security restricted" \
  bash -c "[ \"\$(kubectl get ns $sys_ns -o jsonpath='{.metadata.labels.pod-security\.kubernetes\.io/enforce}')\" = restricted ]"
# Least privilege, asked of the API server's authorizer as the ServiceAccount.
as_sa=(--as "system:serviceaccount:$sys_ns:$sa")
can() { kubectl auth can-i "${as_sa[@]}" "$@" >/dev/null 2>&1; }
for what in "patch deployments -n default" "create configmaps -n default" "get configmaps -n default" \
            "create secrets -n default" "patch devservers.devserver.io --subresource=status -n default" \
            "delete devservers.devserver.io -n default" "patch devservers.devserver.io -n default" \
            "watch pods -n default" "get pods --subresource=log -n default" "create events -n default" \
            "patch configmaps/devserver-policy -n $sys_ns" "create leases.coordination.k8s.io -n $sys_ns" \
            "update leases.coordination.k8s.io/devserver-operator -n $sys_ns" \
            "watch devserverusers.devserver.io" "bind clusterroles.rbac.authorization.k8s.io/devserver-user" \
            "create rolebindings.rbac.authorization.k8s.io -n dev-someone"; do
  check "the ServiceAccount may $what" can $what
done
for what in "update deployments -n default" "update secrets -n default" "create pods -n default" \
            "create pods --subresource=exec -n default" "update devservers.devserver.io -n default" \
            "create devserverflavors.devserver.io" "delete nodes" "create leases.coordination.k8s.io -n default" \
            "create serviceaccounts --subresource=token -n $sys_ns" "update leases.coordination.k8s.io/other -n $sys_ns" \
            "bind clusterroles.rbac.authorization.k8s.io/cluster-admin" "escalate clusterroles.rbac.authorization.k8s.io" \
            "update devserverusers.devserver.io"; do
  check "the ServiceAccount may not $what" bash -c "! kubectl auth can-i ${as_sa[*]} $what >/dev/null 2>&1"
done

# --- 3. the operator runs as a pod -----------------------------------------------
op_ready() { [ "$(kubectl -n "$sys_ns" get deploy devserver-operator -o jsonpath='{.status.readyReplicas}')" = 1 ]; }
if wait_until 180 op_ready; then
  pass "the operator's pod is admitted (restricted) and Ready (/readyz: caches synced)"
  echo "     apply -> operator Ready: $(( $(now_ms) - start_ms )) ms"
  own_ms=$(op_logs | grep 'caches synced' | head -1 | sed -n -e 's/.*"took_ms":\([0-9]*\).*/\1/p' -e 's/.* took=\([0-9]*\)ms.*/\1/p')
  echo "     the operator's own start -> caches synced: ${own_ms:-?} ms"
else
  fail "the operator's pod is admitted (restricted) and Ready"
  kubectl -n "$sys_ns" describe pods -l app.kubernetes.io/name=devserver-operator | tail -30
  op_logs | tail -20
fi
pod=$(op_pod)
check "it runs on the real node" jp_is_ns "$sys_ns" pod "$pod" '{.spec.nodeName}' real-node
check "it runs the image loaded here" bash -c \
  "kubectl -n $sys_ns get pod $pod -o jsonpath='{.status.containerStatuses[0].image}' | grep -q 'devserver-operator:dev'"
check "as uid 65532, read-only root, no capabilities" bash -c \
  "[ \"\$(kubectl -n $sys_ns exec $pod -- sh -c 'id -u; touch /x 2>/dev/null && echo writable; grep CapEff /proc/1/status')\" = \"\$(printf '65532\nCapEff:\t0000000000000000')\" ]"
check "it authenticated in-cluster (service-account token, kubernetes Service)" \
  bash -c "$(declare -f op_logs); sys_ns=$sys_ns; op_logs | grep -q 'caches synced'"
leader() { op_logs | grep -q 'became the leader'; }
check "it took the Lease (leader election, as deployed)" wait_until 60 leader
check "the Lease names its pod as the holder" \
  bash -c "kubectl -n $sys_ns get lease devserver-operator -o jsonpath='{.spec.holderIdentity}' | grep -q '^$pod'"
check "no permission errors at start" bash -c "$(declare -f op_logs); sys_ns=$sys_ns; ! op_logs | grep -qi forbidden"

# --- 4. devctl as a developer, on a real DevServer ------------------------------
kubectl create namespace "$ns" >/dev/null
t0=$(now_ms)
check "devctl create box --wait (default flavor and image, a home)" \
  dc create box --home-size 1Gi --ssh-public-key-file "$work/id.pub" --wait --timeout 300s
echo "     create -> Running: $(( $(now_ms) - t0 )) ms"
check "devctl ssh box -- whoami prints dev (a real login)" \
  bash -c "[ \"\$('$bin_dir/devctl' -n $ns ssh box -i $work/id -- whoami)\" = dev ]"
echo "     create -> first ssh whoami: $(( $(now_ms) - t0 )) ms"
uid=$(jp devserver box '{.metadata.uid}')
for child in deployment/box service/box-ssh configmap/box-ssh pvc/box-home secret/box-hostkey; do
  check "$child exists, owned by the DevServer" \
    jp_is "${child%/*}" "${child#*/}" '{.metadata.ownerReferences[0].uid}' "$uid"
done
check "the children were applied by field manager devserver-operator" \
  bash -c "kubectl -n $ns get deployment box -o jsonpath='{.metadata.managedFields[*].manager}' | grep -qw devserver-operator"
check "status carries the policy revision and the host key" bash -c \
  "[ -n \"\$(kubectl -n $ns get devserver box -o jsonpath='{.status.policy.revision}')\" ] && kubectl -n $ns get devserver box -o jsonpath='{.status.ssh.hostKey}' | grep -q '^ssh-ed25519 '"
check "devctl list shows box Running" bash -c "'$bin_dir/devctl' -n $ns list | grep -q 'box.*Running'"
check "devctl describe box shows its conditions" bash -c "'$bin_dir/devctl' -n $ns describe box | grep -q 'Ready *True'"
check "a file in the home" dc ssh box -i "$work/id" -- 'echo e2e > ~/mark'
check "devctl stop box" quiet dc stop box
check "stopped: phase Stopped" wait_until 120 phase_is box Stopped
check "stopped: Deployment at zero replicas, home kept" jp_is deployment box '{.spec.replicas}' 0
check "stopped: the home PVC stays" jp_is pvc box-home '{.metadata.ownerReferences[0].uid}' "$uid"
check "devctl start box" quiet dc start box
check "started: Running again" wait_until 180 phase_is box Running
check "started: the file is still in the home" bash -c "[ \"\$('$bin_dir/devctl' -n $ns ssh box -i $work/id -- cat mark)\" = e2e ]"
check "a Running event was recorded" \
  wait_until 30 bash -c "kubectl -n $ns get events --field-selector reason=Running,involvedObject.name=box -o name | grep -q ."

# --- 5. RBAC: a needed rule removed fails visibly; restored, it heals ----------
rule=$(kubectl get clusterrole devserver-operator -o jsonpath='{range .rules[*]}{.resources[0]}{"\n"}{end}' | grep -n '^deployments$' | cut -d: -f1)
rule=$((rule - 1))
kubectl patch clusterrole devserver-operator --type=json -p "[
  {\"op\":\"test\",\"path\":\"/rules/$rule/resources/0\",\"value\":\"deployments\"},
  {\"op\":\"replace\",\"path\":\"/rules/$rule/verbs\",\"value\":[\"get\",\"list\",\"watch\",\"create\",\"delete\"]}]" >/dev/null
echo "     removed 'patch' on deployments from the ClusterRole"
kubectl -n "$ns" apply -f - >/dev/null <<YAML
apiVersion: devserver.io/v1
kind: DevServer
metadata: {name: denied}
spec: {flavor: cpu-small, ssh: {publicKey: "$(cat "$work/id.pub")"}}
YAML
forbidden_in_status() { kubectl -n "$ns" get devserver denied -o jsonpath='{.status.message} {.status.conditions[*].message}' | grep -qi forbidden; }
check "without it the DevServer reports Forbidden in its status" wait_until 60 forbidden_in_status
echo "     status: $(kubectl -n "$ns" get devserver denied -o jsonpath='{.status.phase}: {.status.message}' | cut -c1-200)"
forbidden_in_log() { op_logs | grep -qi 'forbidden'; }
check "and the operator log names the refusal" wait_until 30 forbidden_in_log
check "no Deployment was created for it" bash -c "! kubectl -n $ns get deployment denied >/dev/null 2>&1"
kubectl apply -f "$root/deploy/manifests/20-clusterrole.yaml" >/dev/null
echo "     restored the ClusterRole"
check "restored, the DevServer heals to Running (retry with backoff)" wait_until 300 phase_is denied Running

# --- 6. memory, then delete ----------------------------------------------------
rss_kb=$(kubectl -n "$sys_ns" exec "$pod" -- sh -c "awk '/^VmRSS:/ { print \$2 }' /proc/1/status" 2>/dev/null || echo 0)
anon_kb=$(kubectl -n "$sys_ns" exec "$pod" -- sh -c "awk '/^RssAnon:/ { print \$2 }' /proc/1/status" 2>/dev/null || echo 0)
echo "     operator RSS in its pod ($(kubectl get devservers -A --no-headers | wc -l) DevServers): $(( rss_kb / 1024 )) MiB ($rss_kb kB, RssAnon $anon_kb kB)"
check "devctl delete box --wait" quiet dc delete box --wait --timeout 120s
check "its children are garbage-collected" wait_until 120 bash -c \
  "! kubectl -n $ns get deployment/box service/box-ssh configmap/box-ssh pvc/box-home secret/box-hostkey -o name 2>/dev/null | grep -q ."
check "its pod is gone from the node" wait_until 120 bash -c "[ -z \"\$(kubectl -n $ns get pods -l devserver.io/name=box -o name)\" ]"
check "the operator pod never restarted" jp_is_ns "$sys_ns" pod "$pod" '{.status.containerStatuses[0].restartCount}' 0
check "the operator logged no crashes" bash -c "$(declare -f op_logs); sys_ns=$sys_ns; ! op_logs | grep -qiE 'segfault|abort|assert'"

# --- 7. teardown, and nothing left --------------------------------------------
kubectl -n "$sys_ns" delete deployment devserver-operator --wait=true >/dev/null
check "the operator stops cleanly on SIGTERM and releases the Lease" \
  wait_until 60 bash -c "[ -z \"\$(kubectl -n $sys_ns get lease devserver-operator -o jsonpath='{.spec.holderIdentity}')\" ]"
teardown
gone_ns() { ! kubectl get namespace "$1" >/dev/null 2>&1; }
check "the test namespace is gone" wait_until 120 gone_ns "$ns"
check "devserver-system is gone" wait_until 120 gone_ns "$sys_ns"
check "no ClusterRole or binding left" bash -c "! kubectl get clusterrole,clusterrolebinding -l app.kubernetes.io/part-of=devserver -o name 2>/dev/null | grep -q ."
check "no flavors of ours left" bash -c "! kubectl get devserverflavors cpu-small cpu-large -o name 2>/dev/null | grep -q ."
finish
