#!/usr/bin/env bash
# A DevServer creator gains nothing they could not reach themselves.
# spec.volumes[].claimName: a PVC is mounted only with its owner's consent
# (label devserver.io/shareable=true) or the admin's (the flavor names it);
# another DevServer's home is never mounted, label or not; a missing PVC is
# said so. A PVC at /home/dev, which is the home when spec.home is not set,
# passes the same check. Refused: Applied=False, reason VolumeNotAllowed, a Warning Event,
# nothing written. spec.env[].valueFrom (secretKeyRef, configMapKeyRef) does
# not exist in the API: the schema prunes it, so no Secret reaches a pod
# through the operator.
. "$(dirname "$0")/lib/common.sh"
install_crds
make_namespace consent
f=t-$$
on_exit 'kubectl delete devserverflavor -l test=$f >/dev/null 2>&1'
kubectl apply -f - >/dev/null <<YAML
apiVersion: devserver.io/v1
kind: DevServerFlavor
metadata: {name: $f-small, labels: {test: "$f"}}
spec:
  resources: {requests: {cpu: 100m, memory: 128Mi}}
$kwok_placement
---
apiVersion: devserver.io/v1
kind: DevServerFlavor
metadata: {name: $f-datasets, labels: {test: "$f"}}
spec:
  resources: {requests: {cpu: 100m, memory: 128Mi}}
$kwok_placement
  volumes: [{claimName: datasets, mountPath: /datasets, readOnly: true}]
---
apiVersion: devserver.io/v1
kind: DevServerFlavor
metadata: {name: $f-homes, labels: {test: "$f"}}
spec:
  resources: {requests: {cpu: 100m, memory: 128Mi}}
$kwok_placement
  volumes: [{claimName: team-home, mountPath: /home/dev}]
YAML
pvc() { # name [labels yaml]
  kubectl -n "$ns" apply -f - >/dev/null <<YAML
apiVersion: v1
kind: PersistentVolumeClaim
metadata: {name: $1, labels: {${2:-}}}
spec: {accessModes: [ReadWriteOnce], storageClassName: $kwok_home_class, resources: {requests: {storage: 1Gi}}}
YAML
}
pvc private
pvc shared 'devserver.io/shareable: "true"'
pvc datasets
pvc team-home
start_operator
devserver() { # name flavor [extra spec yaml]
  kubectl -n "$ns" apply -f - >/dev/null <<YAML
apiVersion: devserver.io/v1
kind: DevServer
metadata: {name: $1}
spec:
  flavor: $2
  image: example.invalid/dev:1
${3:-}
YAML
}
mounts() { jp deployment "$1" '{.spec.template.spec.volumes[*].persistentVolumeClaim.claimName}'; }
refused() { jp_is devserver "$1" '{.status.conditions[?(@.type=="Applied")].reason}' VolumeNotAllowed; }
home_claim() { jp deployment "$1" '{.spec.template.spec.volumes[?(@.name=="home")].persistentVolumeClaim.claimName}'; }

# someone's home: a DevServer with a persistent home, whose PVC carries the
# home label (and, to be sure, the shareable label too)
devserver victim "$f-small" "  home: {size: 1Gi, storageClassName: $kwok_home_class}"
check "the victim's home exists" wait_until 60 jp_is pvc victim-home '{.metadata.labels.devserver\.io/home}' true
kubectl -n "$ns" label pvc victim-home devserver.io/shareable=true >/dev/null

devserver thief "$f-small" '  volumes: [{claimName: victim-home, mountPath: /loot}]'
devserver nosy "$f-small" '  volumes: [{claimName: private, mountPath: /p}]'
devserver ghost "$f-small" '  volumes: [{claimName: no-such-pvc, mountPath: /g}]'
devserver friend "$f-small" '  volumes: [{claimName: shared, mountPath: /shared}]'
devserver analyst "$f-datasets"

check "another DevServer's home: refused, even labelled shareable" wait_until 30 refused thief
check "  ... the message says whose" bash -c "kubectl -n $ns get devserver thief -o jsonpath='{.status.message}' | grep -q 'belongs to another DevServer (victim)'"
check "  ... nothing was written for it" bash -c "! kubectl -n $ns get deployment thief >/dev/null 2>&1"
check "a PVC without consent: refused" wait_until 30 refused nosy
check "  ... the message says how to consent" bash -c "kubectl -n $ns get devserver nosy -o jsonpath='{.status.message}' | grep -q 'devserver.io/shareable=true'"
check "  ... a Warning Event VolumeNotAllowed" wait_until 30 bash -c \
  "kubectl -n $ns get events --field-selector reason=VolumeNotAllowed,involvedObject.name=nosy -o name | grep -q ."
check "a PVC that does not exist: refused, and said so" wait_until 30 bash -c \
  "kubectl -n $ns get devserver ghost -o jsonpath='{.status.message}' | grep -q 'no-such-pvc (spec.volumes) does not exist'"
check "a PVC labelled devserver.io/shareable=true is mounted" wait_until 30 bash -c "[ \"\$($(declare -f jp mounts); ns=$ns; mounts friend)\" = shared ]"
check "a PVC the flavor names is mounted without a label" wait_until 30 bash -c "[ \"\$($(declare -f jp mounts); ns=$ns; mounts analyst)\" = datasets ]"
check "the victim itself still mounts its home" wait_until 30 bash -c "$(declare -f jp mounts); ns=$ns; mounts victim | grep -qw victim-home"

# the same through the home: a volume at /home/dev is the home, and gets no
# more than any other volume
devserver burglar "$f-small" '  volumes: [{claimName: victim-home, mountPath: /home/dev}]'
devserver squatter "$f-small" '  volumes: [{claimName: private, mountPath: /home/dev}]'
devserver lodger "$f-small" '  volumes: [{claimName: shared, mountPath: /home/dev/}]'
devserver tenant "$f-homes"
devserver landlord "$f-homes" "  home: {size: 1Gi, storageClassName: $kwok_home_class}"
check "another DevServer's home as the home: refused" wait_until 30 refused burglar
check "  ... the message says whose" bash -c "kubectl -n $ns get devserver burglar -o jsonpath='{.status.message}' | grep -q 'belongs to another DevServer (victim)'"
check "a PVC without consent as the home: refused" wait_until 30 refused squatter
check "  ... nothing was written for it" bash -c "! kubectl -n $ns get deployment squatter >/dev/null 2>&1"
check "a shareable PVC at /home/dev/ is the home" wait_until 30 bash -c "[ \"\$($(declare -f jp home_claim); ns=$ns; home_claim lodger)\" = shared ]"
check "the flavor's PVC at /home/dev is the home, without a label" wait_until 30 bash -c "[ \"\$($(declare -f jp home_claim); ns=$ns; home_claim tenant)\" = team-home ]"
check "spec.home wins over the flavor's /home/dev" wait_until 30 bash -c "[ \"\$($(declare -f jp home_claim); ns=$ns; home_claim landlord)\" = landlord-home ]"
check "  ... which is not mounted at all" bash -c "! { $(declare -f jp mounts); ns=$ns; mounts landlord; } | grep -qw team-home"
devserver twohomes "$f-small" "  home: {size: 1Gi, storageClassName: $kwok_home_class}
  volumes: [{claimName: shared, mountPath: /home/dev}]"
check "spec.home beside its own /home/dev: refused, naming both" wait_until 30 bash -c \
  "kubectl -n $ns get devserver twohomes -o jsonpath='{.status.message}' | grep -q 'is the home, which spec.home already provides'"

# consent withdrawn (label removed): the next reconcile refuses, the mount
# goes away only when the DevServer's spec changes (nothing is written while
# refused), and a restored label heals
kubectl -n "$ns" label pvc shared devserver.io/shareable- >/dev/null
kubectl -n "$ns" patch devserver friend --type=merge -p '{"spec":{"image":"example.invalid/dev:2"}}' >/dev/null
check "consent withdrawn: the next change is refused" wait_until 30 refused friend
kubectl -n "$ns" label pvc shared devserver.io/shareable=true >/dev/null
kubectl -n "$ns" patch devserver friend --type=merge -p '{"spec":{"image":"example.invalid/dev:3"}}' >/dev/null
check "consent restored: applied again" wait_until 60 jp_is deployment friend '{.spec.template.spec.containers[0].image}' example.invalid/dev:3

# env valueFrom: not in the API
kubectl -n "$ns" apply --validate=false -f - >/dev/null <<YAML || true
apiVersion: devserver.io/v1
kind: DevServer
metadata: {name: envy}
spec:
  flavor: $f-small
  image: example.invalid/dev:1
  env: [{name: TOKEN, valueFrom: {secretKeyRef: {name: admin-secret, key: token}}}]
YAML
check "spec.env[].valueFrom is pruned by the schema" bash -c \
  "kubectl -n $ns get devserver envy -o jsonpath='{.spec.env[0]}' | grep -q TOKEN && ! kubectl -n $ns get devserver envy -o jsonpath='{.spec}' | grep -q secretKeyRef"
check "  ... and no Secret reference reaches the Deployment" wait_until 30 bash -c \
  "kubectl -n $ns get deployment envy >/dev/null 2>&1 && ! kubectl -n $ns get deployment envy -o yaml | grep -q secretKeyRef"
finish
