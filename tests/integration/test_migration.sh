#!/usr/bin/env bash
# Migration from the predecessor (the Python/kopf operator), on the local
# cluster's REAL node - the walk-through of docs/migration.md:
#   1. the cluster holds what the predecessor left for a running DevServer
#      "alice": the DevServer with kopf's finalizer and annotation, its
#      Deployment (selector app=alice, immutable) whose real pod has written
#      a file into the user's PVC mounted at /home/dev, its host-key Secret
#      alice-host-keys (ed25519 + ecdsa, made with ssh-keygen as it did), its
#      three ConfigMaps and a Service <name>-headless, all owned by alice;
#      and "bob", stopped, whose ConfigMap namesake belongs to nobody;
#   2. our operator is started;
#   3. alice ends Running on the real node: one new pod (the Deployment
#      replaced once, with an Event), the same home (the file is there), the
#      same host key (plain ssh with only the predecessor's key in
#      known_hosts and strict checking gets in), the leftovers gone, kopf's
#      finalizer and annotations gone, and nothing restarts afterwards; bob's
#      foreign ConfigMap is untouched.
# The predecessor's objects are written here from its documented shapes
# (names, labels, Secret keys), not copied from its code.
. "$(dirname "$0")/lib/common.sh"
install_crds
make_namespace mig
operator_ns=$ns
f=t-$$
tmp=$(mktemp -d)
on_exit 'kubectl delete devserverflavor -l test=$f >/dev/null 2>&1'
on_exit 'rm -rf "$tmp"'
devctl="$bin_dir/devctl"
export HOME=$tmp
export DEVSERVER_OPERATOR_NAMESPACE=$ns DEVSERVER_POLICY_CONFIGMAP=policy
dc() { "$devctl" -n "$ns" "$@"; }

real_node=$(kubectl get nodes -l devserver.io/node-type=real -o jsonpath='{.items[0].metadata.name}' 2>/dev/null || true)
if [ -z "$real_node" ]; then
  if [ "${DEVSERVER_REAL_NODE:-1}" = 0 ]; then
    echo "SKIP DEVSERVER_REAL_NODE=0: this cluster has no real node"
    exit 77
  fi
  fail "the cluster has a real node (label devserver.io/node-type=real)"
  finish; exit 1
fi
base=$("$root/scripts/images" ref base)
tools=$("$root/scripts/images" ref tools)

ssh-keygen -q -t ed25519 -N '' -C tester -f "$tmp/id" </dev/null
# the predecessor's host keys, made the way it made them (ssh-keygen per type)
ssh-keygen -q -t ed25519 -N '' -C root@predecessor -f "$tmp/ssh_host_ed25519_key" </dev/null
ssh-keygen -q -t ecdsa -N '' -C root@predecessor -f "$tmp/ssh_host_ecdsa_key" </dev/null
b64() { base64 -w0 <"$1"; }

kubectl apply -f - >/dev/null <<YAML
apiVersion: devserver.io/v1
kind: DevServerFlavor
metadata: {name: $f-real, labels: {test: "$f"}}
spec:
  resources: {requests: {cpu: 50m, memory: 64Mi}, limits: {cpu: "1", memory: 1Gi}}
  nodeSelector: {devserver.io/node-type: real}
YAML

# --- 1. what the predecessor left ----------------------------------------------
# The user's home claim, labelled shareable: the one step a migration asks of
# its owner (the predecessor let any DevServer mount any claim).
kubectl -n "$ns" apply -f - >/dev/null <<YAML
apiVersion: v1
kind: PersistentVolumeClaim
metadata: {name: alice-home, labels: {devserver.io/shareable: "true"}}
spec:
  accessModes: [ReadWriteOnce]
  resources: {requests: {storage: 1Gi}}
YAML
for who in alice bob; do
  stopped=false vols="volumes: [{claimName: alice-home, mountPath: /home/dev, readOnly: false}]"
  [ "$who" = alice ] || { stopped=true vols=; }
  kubectl -n "$ns" apply -f - >/dev/null <<YAML
apiVersion: devserver.io/v1
kind: DevServer
metadata:
  name: $who
  finalizers: [kopf.zalando.org/KopfFinalizerMarker]
  annotations:
    kopf.zalando.org/last-handled-configuration: '{"spec":{"flavor":"$f-real"}}'
spec:
  flavor: $f-real
  image: $base
  stopped: $stopped
  ssh: {publicKey: "$(cat "$tmp/id.pub")"}
  lifecycle: {timeToLive: 8h}
  $vols
YAML
done
uid=$(jp devserver alice '{.metadata.uid}')
owner="ownerReferences: [{apiVersion: devserver.io/v1, kind: DevServer, name: alice, uid: $uid, controller: true, blockOwnerDeletion: true}]"
kubectl -n "$ns" apply -f - >/dev/null <<YAML
apiVersion: apps/v1
kind: Deployment
metadata: {name: alice, $owner}
spec:
  replicas: 1
  strategy: {type: Recreate}
  selector: {matchLabels: {app: alice}}
  template:
    metadata: {labels: {app: alice}}
    spec:
      nodeSelector: {devserver.io/node-type: real}
      securityContext: {runAsUser: 1000, runAsGroup: 1000, fsGroup: 1000}
      containers:
      - name: devserver
        image: $base
        command: [/bin/sh, -c, 'echo written-by-the-predecessor > /home/dev/marker && exec sleep infinity']
        volumeMounts: [{name: vol-alice-home, mountPath: /home/dev}]
      volumes: [{name: vol-alice-home, persistentVolumeClaim: {claimName: alice-home}}]
---
apiVersion: v1
kind: Secret
metadata: {name: alice-host-keys, $owner}
type: Opaque
data:
  ssh_host_ed25519_key: $(b64 "$tmp/ssh_host_ed25519_key")
  ssh_host_ed25519_key.pub: $(b64 "$tmp/ssh_host_ed25519_key.pub")
  ssh_host_ecdsa_key: $(b64 "$tmp/ssh_host_ecdsa_key")
  ssh_host_ecdsa_key.pub: $(b64 "$tmp/ssh_host_ecdsa_key.pub")
---
apiVersion: v1
kind: ConfigMap
metadata: {name: alice-sshd-config, $owner}
data: {sshd_config: "Port 22\n"}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: alice-startup-script, $owner}
data: {startup.sh: "#!/bin/sh\n"}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: alice-login-script, $owner}
data: {user_login.sh: "#!/bin/sh\n"}
---
apiVersion: v1
kind: Service
metadata: {name: alice-headless, $owner}
spec: {clusterIP: None, selector: {app: alice}}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: bob-startup-script}
data: {note: "an admin's, owned by nobody: must stay"}
YAML
pred_pod() { kubectl -n "$ns" get pod -l app=alice -o jsonpath='{.items[0].metadata.name}' 2>/dev/null; }
pred_running() { [ "$(kubectl -n "$ns" get pod -l app=alice -o jsonpath='{.items[0].status.phase}' 2>/dev/null)" = Running ]; }
check "the predecessor's pod runs on the real node with the home claim" wait_until 180 pred_running
old_pod=$(pred_pod)

# --- 2. our operator ------------------------------------------------------------
start_operator --policy-configmap policy --default-image "$base" --tools-image "$tools"

# --- 3. the takeover ------------------------------------------------------------
check "alice is Running (devctl wait --for=ready)" dc wait alice --for=ready --timeout 240s
ours_pod() { kubectl -n "$ns" get pod -l devserver.io/name=alice -o jsonpath='{.items[*].metadata.name}' 2>/dev/null; }
check "kopf's finalizer is off both" wait_until 60 bash -c \
  "[ -z \"\$(kubectl -n $ns get devserver alice bob -o jsonpath='{.items[*].metadata.finalizers}')\" ]"
# (by key: kubectl's last-applied annotation quotes the manifest, kopf's key included)
unmarked() { [ -z "$(kubectl -n "$ns" get devserver alice bob -o jsonpath='{.items[*].metadata.annotations.kopf\.zalando\.org/last-handled-configuration}')" ]; }
check "kopf's annotations are off both (the migration is done)" wait_until 60 unmarked
check "the Deployment is ours now: our selector, and pods still carry app=alice" \
  jp_is deployment alice '{.spec.selector.matchLabels.devserver\.io/name}/{.spec.template.metadata.labels.app}' alice/alice
check "the replacement has an Event" bash -c \
  "kubectl -n $ns get events --field-selector involvedObject.name=alice,reason=PredecessorDeploymentReplaced -o name | grep -q ."
check "the predecessor's pod is gone" wait_until 120 bash -c "! kubectl -n $ns get pod $old_pod >/dev/null 2>&1"
for o in configmap/alice-sshd-config configmap/alice-startup-script configmap/alice-login-script \
  service/alice-headless secret/alice-host-keys; do
  check "the predecessor's $o is removed" wait_until 60 bash -c "! kubectl -n $ns get $o >/dev/null 2>&1"
done
check "bob's ConfigMap namesake, owned by nobody, is left alone" jp_is configmap bob-startup-script '{.data.note}' "an admin's, owned by nobody: must stay"
check "the leftovers' removal has an Event" bash -c \
  "kubectl -n $ns get events --field-selector involvedObject.name=alice,reason=PredecessorLeftoversRemoved -o name | grep -q ."
pred_pub=$(awk '{print $1" "$2}' "$tmp/ssh_host_ed25519_key.pub")
check "the published host key is the predecessor's ed25519 key" jp_is devserver alice '{.status.ssh.hostKey}' "$pred_pub"
check "our host-key Secret holds the predecessor's bytes" bash -c \
  "[ \"\$(kubectl -n $ns get secret alice-hostkey -o jsonpath='{.data.ssh_host_ed25519_key\.pub}')\" = '$(b64 "$tmp/ssh_host_ed25519_key.pub")' ]"
check "the operator says it reused the key" grep -q "reusing the predecessor's SSH host key" "$operator_log"

# plain ssh, with nothing in known_hosts but the predecessor's key
kubectl -n "$ns" port-forward --address 127.0.0.1 service/alice-ssh :22 >"$tmp/pf.out" 2>&1 &
pf=$!
wait_until 30 grep -q 'Forwarding from 127.0.0.1:' "$tmp/pf.out" || true
port=$(sed -n 's/Forwarding from 127.0.0.1:\([0-9]*\).*/\1/p' "$tmp/pf.out" | head -1)
echo "alice-as-pinned $pred_pub" >"$tmp/known_hosts"
pssh() { ssh -p "$port" -i "$tmp/id" -o IdentitiesOnly=yes -o UserKnownHostsFile="$tmp/known_hosts" \
  -o HostKeyAlias=alice-as-pinned -o StrictHostKeyChecking=yes -o BatchMode=yes dev@127.0.0.1 "$@"; }
marker_seen() { [ "$(pssh cat /home/dev/marker 2>>"$tmp/ssh.err")" = written-by-the-predecessor ]; }
check "ssh with the predecessor's known_hosts entry gets in and finds the file the predecessor's pod wrote" \
  wait_until 60 marker_seen
kill "$pf" 2>/dev/null; wait "$pf" 2>/dev/null || true

# none restarts more than once: one pod of ours, never restarted, and the
# later rounds (unmarking) leave the Deployment as it is
pod=$(ours_pod)
check "exactly one pod of ours" bash -c "[ \$(wc -w <<<'$pod') -eq 1 ]"
gen=$(jp deployment alice '{.metadata.generation}')
rounds_done() { grep -q 'removing the predecessor.s annotations' "$operator_log" && unmarked; }
wait_until 30 rounds_done || true
check "after the migration the Deployment is unchanged and the pod the same, not restarted" bash -c \
  "[ \"\$(kubectl -n $ns get deployment alice -o jsonpath='{.metadata.generation}')\" = '$gen' ] &&
   [ \"\$(kubectl -n $ns get pod -l devserver.io/name=alice -o jsonpath='{.items[*].metadata.name}/{.items[*].status.containerStatuses[0].restartCount}')\" = '$pod/0' ]"
check "the home claim is the user's, still there" jp_is pvc alice-home '{.status.phase}' Bound
check "bob (stopped) is Stopped" dc wait bob --for=phase=Stopped --timeout 60s
check "nothing logged at warn or above" bash -c "! grep -E '^[^ ]+ (warn|error) ' $operator_log | grep -q ."
[ "$failed" -eq 0 ] || { echo "--- operator log"; tail -40 "$operator_log"; cat "$tmp/ssh.err" 2>/dev/null | tail -5; }
finish
