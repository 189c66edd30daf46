#!/usr/bin/env bash
# The operator never acts on objects it does not own. A user who may only
# create DevServers names one so that a child's name is an object an admin
# keeps (ConfigMap web-ssh, Service web2-ssh, PVC db-home, Deployment app,
# Secret sec-hostkey): the operator writes nothing, the DevServer reports
# Applied=False with reason ChildConflict naming the object and a Warning
# Event, the admin's object is unchanged (same resourceVersion, no owner) and
# still there after the DevServer is deleted, other DevServers go on, and a
# DevServer heals once the name is free. ctest runs it twice: with the
# default --child-watch auto, which is all here (the suite scopes the
# operator to its namespace: the caches answer) and, as
# test_no_adoption_labelled, with DEVSERVER_CHILD_WATCH=labelled (a GET per
# name the caches cannot see).
. "$(dirname "$0")/lib/common.sh"
echo "     child watch: ${DEVSERVER_CHILD_WATCH:-auto} (the suite scopes the operator to its namespace)"
install_crds
make_namespace noadopt
f=t-$$
on_exit 'kubectl delete devserverflavor -l test=$f >/dev/null 2>&1'
kubectl apply -f - >/dev/null <<YAML
apiVersion: devserver.io/v1
kind: DevServerFlavor
metadata: {name: $f-small, labels: {test: "$f"}}
spec:
  resources: {requests: {cpu: 100m, memory: 128Mi}}
$kwok_placement
YAML

# --- the admin's objects, made before any DevServer exists --------------------
kubectl -n "$ns" apply -f - >/dev/null <<YAML
apiVersion: v1
kind: ConfigMap
metadata: {name: web-ssh, labels: {owner: admin}}
data: {secret-setting: "42"}
---
apiVersion: v1
kind: Service
metadata: {name: web2-ssh, labels: {owner: admin}}
spec: {selector: {app: admin-thing}, ports: [{port: 80}]}
---
apiVersion: v1
kind: PersistentVolumeClaim
metadata: {name: db-home, labels: {owner: admin}}
spec:
  accessModes: [ReadWriteOnce]
  storageClassName: $kwok_home_class
  resources: {requests: {storage: 1Gi}}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: app, labels: {owner: admin}}
spec:
  replicas: 0
  selector: {matchLabels: {app: admin-app}}
  template:
    metadata: {labels: {app: admin-app}}
    spec: {containers: [{name: c, image: example.invalid/admin:1}]}
---
apiVersion: v1
kind: Secret
metadata: {name: sec-hostkey, labels: {owner: admin}}
stringData: {ssh_host_ed25519_key: "the admin's secret"}
YAML
declare -A rv kind_of=([web]=configmap/web-ssh [web2]=service/web2-ssh [db]=pvc/db-home [app]=deployment/app [sec]=secret/sec-hostkey)
for ds in "${!kind_of[@]}"; do
  rv[$ds]=$(kubectl -n "$ns" get "${kind_of[$ds]}" -o jsonpath='{.metadata.resourceVersion}')
done

start_operator
devserver() { # name [extra spec yaml]
  kubectl -n "$ns" apply -f - >/dev/null <<YAML
apiVersion: devserver.io/v1
kind: DevServer
metadata: {name: $1}
spec:
  flavor: $f-small
  image: example.invalid/dev:1
${2:-}
YAML
}
for ds in web web2 app sec; do devserver "$ds"; done
devserver db "  home: {size: 1Gi, storageClassName: $kwok_home_class}"
devserver fine

check "a DevServer with free names still reaches Running" wait_until 60 jp_is devserver fine '{.status.phase}' Running
for ds in web web2 db app sec; do
  obj=${kind_of[$ds]}
  conflict() { jp_is devserver "$1" '{.status.conditions[?(@.type=="Applied")].reason}' ChildConflict; }
  check "$ds: Applied=False, reason ChildConflict" wait_until 30 conflict "$ds"
  check "$ds: the message names $obj" bash -c \
    "kubectl -n $ns get devserver $ds -o jsonpath='{.status.conditions[?(@.type==\"Applied\")].message}' | grep -qi '${obj#*/}'"
  check "$ds: phase Failed" jp_is devserver "$ds" '{.status.phase}' Failed
  event() { kubectl -n "$ns" get events --field-selector "reason=ChildConflict,involvedObject.name=$1" -o name | grep -q .; }
  check "$ds: a Warning Event ChildConflict" wait_until 30 event "$ds"
  check "$ds: $obj is unchanged (resourceVersion, no ownerReferences, labels)" bash -c \
    "[ \"\$(kubectl -n $ns get $obj -o jsonpath='{.metadata.resourceVersion}|{.metadata.ownerReferences}|{.metadata.labels}')\" = '${rv[$ds]}||{\"owner\":\"admin\"}' ]"
done
check "no Deployment was made for a DevServer with a conflict" \
  bash -c "! kubectl -n $ns get deployment web web2 db sec -o name 2>/dev/null | grep -q ."
check "the admin's Deployment keeps its own template" \
  jp_is deployment app '{.spec.template.spec.containers[0].image}' example.invalid/admin:1
check "the admin's Secret keeps its data" \
  bash -c "[ \"\$(kubectl -n $ns get secret sec-hostkey -o jsonpath='{.data.ssh_host_ed25519_key}' | base64 -d)\" = \"the admin's secret\" ]"

# deleting the DevServers leaves the admin's objects alone (nothing of theirs
# carries a controller reference to a DevServer, so GC has nothing to do)
kubectl -n "$ns" delete devserver web web2 db app sec --wait=true >/dev/null
for ds in web web2 db app sec; do
  check "after deleting $ds, ${kind_of[$ds]} is still there" bash -c "kubectl -n $ns get ${kind_of[$ds]} >/dev/null"
done

# once the name is free, a DevServer of that name works
kubectl -n "$ns" delete configmap web-ssh >/dev/null
devserver web
check "with web-ssh gone, DevServer web reaches Running" wait_until 60 jp_is devserver web '{.status.phase}' Running
check "and its ConfigMap web-ssh is its own" bash -c \
  "[ \"\$(kubectl -n $ns get configmap web-ssh -o jsonpath='{.metadata.ownerReferences[0].uid}')\" = \"\$(kubectl -n $ns get devserver web -o jsonpath='{.metadata.uid}')\" ]"

# which path judged the names: the caches, or a GET each
cached=$(operator_metric devserver_name_checks_cached_total)
gets=$(operator_metric 'devserver_api_requests_total{verb="GET"')
echo "     names found free in the caches: ${cached:-?}; GETs: ${gets:-?}"
if [ "${DEVSERVER_CHILD_WATCH:-auto}" = labelled ]; then
  check "labelled: no name was taken as free from the caches" test "${cached:-x}" = 0
  check "labelled: the names were looked up (GETs made)" test "${gets:-0}" -gt 0
else
  check "auto (= all here): the caches said which names were free (devserver_name_checks_cached_total > 0)" \
    test "${cached:-0}" -gt 0
fi
finish
