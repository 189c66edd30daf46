#!/usr/bin/env bash
# The local control plane is real and complete enough for the operator's tests:
# nodes Ready through kwok, Deployments reaching Running/Ready pods (needs the
# controller-manager, scheduler and kwok's pod stages), PVCs binding (kwok's
# volume stages), garbage collection of owned objects, and every component
# listening on loopback only.
. "$(dirname "$0")/lib/common.sh"
make_namespace cluster

nodes_ready() {
  [ "$(kubectl get nodes -o jsonpath='{range .items[*]}{.status.conditions[?(@.type=="Ready")].status}{"\n"}{end}' | grep -c True)" -ge 2 ]
}
check "at least 2 nodes are Ready" wait_until 60 nodes_ready

kubectl -n "$ns" create deployment web --image=example.invalid/web:1 --replicas=2 >/dev/null
pods_ready() {
  [ "$(kubectl -n "$ns" get deploy web -o jsonpath='{.status.readyReplicas}')" = 2 ]
}
check "a Deployment's pods reach Running/Ready" wait_until 60 pods_ready

kubectl -n "$ns" apply -f - >/dev/null <<YAML
apiVersion: v1
kind: PersistentVolumeClaim
metadata: {name: home}
spec:
  accessModes: [ReadWriteOnce]
  resources: {requests: {storage: 1Gi}}
YAML
pvc_bound() { [ "$(kubectl -n "$ns" get pvc home -o jsonpath='{.status.phase}')" = Bound ]; }
check "a PVC of the default StorageClass binds" wait_until 60 pvc_bound

# Garbage collection: a ConfigMap owned by the Deployment goes with it.
uid=$(kubectl -n "$ns" get deploy web -o jsonpath='{.metadata.uid}')
kubectl -n "$ns" apply -f - >/dev/null <<YAML
apiVersion: v1
kind: ConfigMap
metadata:
  name: owned
  ownerReferences:
  - {apiVersion: apps/v1, kind: Deployment, name: web, uid: $uid, controller: true}
YAML
kubectl -n "$ns" delete deploy web >/dev/null
cm_gone() { ! kubectl -n "$ns" get configmap owned >/dev/null 2>&1; }
check "owned objects are garbage-collected" wait_until 60 cm_gone

check "the API server reports the pinned version" \
  bash -c "kubectl version -o json | grep -q '\"gitVersion\": \"v1.36.3\"'"

on_loopback_only() {
  local pids
  pids=$(pgrep -f -- "clusters/${DEVSERVER_CLUSTER_NAME:-devserver}/" | tr '\n' '|')
  pids=${pids%|}
  [ -n "$pids" ] || return 1
  # every listening socket of the cluster's processes is on 127.0.0.1
  ! ss -Hltnp | grep -E "pid=($pids)," | awk '{print $4}' | grep -vq '^127\.0\.0\.1:'
}
check "every component listens on 127.0.0.1 only" on_loopback_only

finish
