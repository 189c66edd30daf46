#!/usr/bin/env bash
# The local control plane is real and complete enough for the operator's tests.
# The kwok fake nodes: Ready, Deployments on them reach Running/Ready pods
# (controller-manager, scheduler and kwok's pod stages), PVCs of kwok's
# StorageClass bind, owned objects are garbage-collected, every control-plane
# component listens on loopback only. The real node (unless the cluster was
# started with DEVSERVER_REAL_NODE=0): Ready and not managed by kwok, a pod
# without a toleration lands there and runs a real container (exec, logs),
# the default StorageClass gives it real storage that outlives the pod, a
# ClusterIP Service answers from inside a pod (kube-proxy), and the API
# server is reachable from a pod through the `kubernetes` Service.
. "$(dirname "$0")/lib/common.sh"
make_namespace cluster
busybox=$("$root/scripts/images" ref busybox)

# --- the kwok fake nodes -------------------------------------------------------
fake_nodes_ready() {
  [ "$(kubectl get nodes -l type=kwok -o jsonpath='{range .items[*]}{.status.conditions[?(@.type=="Ready")].status}{"\n"}{end}' | grep -c True)" -ge 2 ]
}
check "at least 2 fake nodes are Ready" wait_until 60 fake_nodes_ready
check "the fake nodes are tainted, so only pods that tolerate it go there" \
  bash -c "[ \"\$(kubectl get nodes -l type=kwok -o jsonpath='{.items[0].spec.taints[?(@.key==\"kwok.x-k8s.io/node\")].effect}')\" = NoSchedule ]"

kubectl -n "$ns" apply -f - >/dev/null <<YAML
apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  replicas: 2
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      nodeSelector: {type: kwok}
      tolerations: [{key: kwok.x-k8s.io/node, operator: Exists, effect: NoSchedule}]
      containers: [{name: web, image: example.invalid/web:1}]
YAML
pods_ready() {
  [ "$(kubectl -n "$ns" get deploy web -o jsonpath='{.status.readyReplicas}')" = 2 ]
}
check "a Deployment's pods on the fake nodes reach Running/Ready" wait_until 60 pods_ready

kubectl -n "$ns" apply -f - >/dev/null <<YAML
apiVersion: v1
kind: PersistentVolumeClaim
metadata: {name: fake-home}
spec:
  accessModes: [ReadWriteOnce]
  storageClassName: $kwok_home_class
  resources: {requests: {storage: 1Gi}}
YAML
pvc_bound() { [ "$(kubectl -n "$ns" get pvc "$1" -o jsonpath='{.status.phase}')" = Bound ]; }
check "a PVC of kwok's StorageClass binds" wait_until 60 pvc_bound fake-home

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
  local pids p
  # the control plane's own processes (kwokctl runs them from the cluster
  # directory's bin/); the real node's live in a network namespace of their own
  pids=$(pgrep -f -- "clusters/${DEVSERVER_CLUSTER_NAME:-devserver}/bin/" | tr '\n' '|')
  pids=${pids%|}
  [ -n "$pids" ] || return 1
  ! ss -Hltnp | grep -E "pid=($pids)," | awk '{print $4}' | grep -vq '^127\.0\.0\.1:'
}
check "every control-plane component listens on 127.0.0.1 only" on_loopback_only

# --- the real node -------------------------------------------------------------
if [ "${DEVSERVER_REAL_NODE:-1}" = 0 ]; then
  echo "     DEVSERVER_REAL_NODE=0: no real node to check"
  finish; exit
fi
real=$(kubectl get nodes -l devserver.io/node-type=real -o jsonpath='{.items[0].metadata.name}')
check "the real node exists (label devserver.io/node-type=real)" [ -n "$real" ]
check "it is Ready" wait_until 60 bash -c "[ \"\$(kubectl get node $real -o jsonpath='{.status.conditions[?(@.type==\"Ready\")].status}')\" = True ]"
check "a real kubelet and containerd run it, not kwok" bash -c \
  "kubectl get node $real -o jsonpath='{.status.nodeInfo.kubeletVersion} {.status.nodeInfo.containerRuntimeVersion}' | grep -Eq '^v1\.36\.3 containerd://'"
check "it carries no kwok annotation" bash -c "[ -z \"\$(kubectl get node $real -o jsonpath='{.metadata.annotations.kwok\.x-k8s\.io/node}')\" ]"

kubectl -n "$ns" apply -f - >/dev/null <<YAML
apiVersion: v1
kind: PersistentVolumeClaim
metadata: {name: real-home}
spec:
  accessModes: [ReadWriteOnce]
  resources: {requests: {storage: 1Gi}}
---
apiVersion: v1
kind: Service
metadata: {name: echo}
spec: {selector: {app: echo}, ports: [{port: 80, targetPort: 8080}]}
YAML
pod_yaml() { # name command (sh -c), with the PVC at /data, as uid 1000 (Pod Security restricted)
  cat <<YAML
apiVersion: v1
kind: Pod
metadata: {name: $1, labels: {app: $1}}
spec:
  restartPolicy: Never
  securityContext: {runAsNonRoot: true, runAsUser: 1000, runAsGroup: 1000, fsGroup: 1000, seccompProfile: {type: RuntimeDefault}}
  containers:
  - name: c
    image: $busybox
    imagePullPolicy: Never
    command: ["sh", "-c", "$2"]
    securityContext: {allowPrivilegeEscalation: false, capabilities: {drop: [ALL]}}
    volumeMounts: [{name: data, mountPath: /data}]
  volumes: [{name: data, persistentVolumeClaim: {claimName: real-home}}]
YAML
}
pod_phase_is() { [ "$(kubectl -n "$ns" get pod "$1" -o jsonpath='{.status.phase}' 2>/dev/null)" = "$2" ]; }

pod_yaml writer 'echo kept > /data/f && echo written' | kubectl -n "$ns" apply -f - >/dev/null
check "a pod without a toleration runs to completion on the real node" wait_until 120 pod_phase_is writer Succeeded
check "  ... scheduled on $real" jp_is pod writer '{.spec.nodeName}' "$real"
check "  ... kubectl logs reads its real output" bash -c "[ \"\$(kubectl -n $ns logs writer)\" = written ]"
check "the PVC of the default StorageClass is Bound" pvc_bound real-home
check "  ... to storage that is not kwok's" bash -c \
  "[ \"\$(kubectl get pv \$(kubectl -n $ns get pvc real-home -o jsonpath='{.spec.volumeName}') -o jsonpath='{.spec.storageClassName}')\" != $kwok_home_class ]"
kubectl -n "$ns" delete pod writer --wait=true >/dev/null
pod_yaml reader 'cat /data/f' | kubectl -n "$ns" apply -f - >/dev/null
check "a new pod reads what the deleted one wrote" wait_until 120 pod_phase_is reader Succeeded
check "  ... the same bytes" bash -c "[ \"\$(kubectl -n $ns logs reader)\" = kept ]"
kubectl -n "$ns" delete pod reader --wait=true >/dev/null

# a long-running pod: exec, a ClusterIP Service through kube-proxy, the API server
pod_yaml echo 'while :; do echo hello | nc -l -p 8080 >/dev/null; done' | kubectl -n "$ns" apply -f - >/dev/null
check "a long-running pod is Running" wait_until 120 pod_phase_is echo Running
check "kubectl exec runs a command in it" bash -c "[ \"\$(kubectl -n $ns exec echo -- id -u)\" = 1000 ]"
svc_ip=$(kubectl -n "$ns" get svc echo -o jsonpath='{.spec.clusterIP}')
answers() { [ "$(kubectl -n "$ns" exec echo -- sh -c "nc $svc_ip 80 </dev/null" 2>/dev/null)" = hello ]; }
check "a ClusterIP Service answers from inside a pod (kube-proxy)" wait_until 60 answers
api_tcp() { kubectl -n "$ns" exec echo -- sh -c 'nc -w 3 "$KUBERNETES_SERVICE_HOST" "$KUBERNETES_SERVICE_PORT" </dev/null'; }
check "the API server is reachable from a pod at KUBERNETES_SERVICE_HOST" wait_until 60 api_tcp
kubectl -n "$ns" delete pod echo --wait=false >/dev/null

finish
