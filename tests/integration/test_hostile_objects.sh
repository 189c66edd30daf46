#!/usr/bin/env bash
# Hostile objects (issue 17, items 1 and 2), as a user allowed only to create
# DevServers and ConfigMaps in one namespace:
#   - the CRD refuses what made the operator fail before: ncclSettings nested
#     130 levels, or 100,000 small keys;
#   - an object that gets through anyway is skipped, alone: a DevServer
#     nesting 130 levels stored while the schema was still free-form (the
#     CRD is put back that way for a moment), eight DevServers of ~1.4 MB of
#     small-key labels (labels are the one part of an object no CRD can
#     bound), a 1 MB ConfigMap labelled managed-by=devserver-operator. Each
#     skipped DevServer gets a Warning Event ObjectSkipped, a log line at warn
#     and phase Failed with Ready=False/ObjectSkipped; every other DevServer
#     keeps reconciling (new ones reach Running, a TTL still expires),
#     /readyz is 200, a restarted operator syncs at once;
#   - the operator's resident memory (VmRSS and VmHWM from /proc) stays far
#     below the Deployment's 128Mi limit - the suite asserts < 96 MiB and
#     prints every number - and comes back down once the objects are deleted.
. "$(dirname "$0")/lib/common.sh"
install_crds
make_namespace hostile
operator_ns=$ns
f=t-$$
user=hostile-user-$$
tmp=$(mktemp -d)
restore_crds() { kubectl apply --server-side --force-conflicts -f "$root/crds/" >/dev/null 2>&1 || true; }
on_exit 'rm -rf "$tmp"'
on_exit 'kubectl delete devserverflavor -l test=$f >/dev/null 2>&1'
on_exit restore_crds
rss_limit_kib=$((96 * 1024))

# --- the user: may create DevServers and ConfigMaps here, nothing else ------
kubectl -n "$ns" apply -f - >/dev/null <<YAML
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {name: devserver-user}
rules:
  - apiGroups: [devserver.io]
    resources: [devservers]
    verbs: [create, get, list, watch, delete]
  - apiGroups: [""]
    resources: [configmaps]
    verbs: [create, get, delete]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: devserver-user}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: devserver-user}
subjects: [{apiGroup: rbac.authorization.k8s.io, kind: User, name: $user}]
YAML
as_user() { kubectl --as="$user" -n "$ns" "$@"; }
check "the user may create DevServers, and not patch their status" bash -c \
  "kubectl --as=$user -n $ns auth can-i create devservers.devserver.io >/dev/null &&
   ! kubectl --as=$user -n $ns auth can-i patch devservers.devserver.io/status >/dev/null 2>&1"

kubectl apply -f - >/dev/null <<YAML
apiVersion: devserver.io/v1
kind: DevServerFlavor
metadata: {name: $f-small, labels: {test: "$f"}}
spec:
  resources: {requests: {cpu: 100m, memory: 128Mi}}
$kwok_placement
YAML

# JSON generators (awk: no dependency beyond the base system)
deep_devserver() { # name levels
  awk -v name="$1" -v n="$2" -v flavor="$f-small" 'BEGIN {
    printf "{\"apiVersion\":\"devserver.io/v1\",\"kind\":\"DevServer\",\"metadata\":{\"name\":\"%s\"},", name
    printf "\"spec\":{\"flavor\":\"%s\",\"image\":\"example.invalid/dev:1\",\"distributed\":{\"ncclSettings\":", flavor
    for (i = 0; i < n; i++) printf "{\"a\":"
    printf "1"; for (i = 0; i < n; i++) printf "}"
    printf "}}}\n" }'
}
many_keys_devserver() { # name keys
  awk -v name="$1" -v n="$2" -v flavor="$f-small" 'BEGIN {
    printf "{\"apiVersion\":\"devserver.io/v1\",\"kind\":\"DevServer\",\"metadata\":{\"name\":\"%s\"},", name
    printf "\"spec\":{\"flavor\":\"%s\",\"distributed\":{\"ncclSettings\":{", flavor
    for (i = 0; i < n; i++) printf "%s\"K%06d\":\"1\"", (i ? "," : ""), i
    printf "}}}}\n" }'
}
labelled_devserver() { # name labels
  awk -v name="$1" -v n="$2" -v flavor="$f-small" 'BEGIN {
    printf "{\"apiVersion\":\"devserver.io/v1\",\"kind\":\"DevServer\",\"metadata\":{\"name\":\"%s\",\"labels\":{", name
    for (i = 0; i < n; i++) printf "%s\"k%06d\":\"v\"", (i ? "," : ""), i
    printf "}},\"spec\":{\"flavor\":\"%s\",\"image\":\"example.invalid/dev:1\"}}\n", flavor }'
}
devserver() { # name [extra spec yaml]
  as_user apply -f - >/dev/null <<YAML
apiVersion: devserver.io/v1
kind: DevServer
metadata: {name: $1}
spec:
  flavor: $f-small
  image: example.invalid/dev:1
${2:-}
YAML
}
running() { jp_is devserver "$1" '{.status.phase}' Running; }
skipped_status() {
  jp_is devserver "$1" '{.status.phase}|{.status.conditions[?(@.type=="Ready")].status}|{.status.conditions[?(@.type=="Ready")].reason}' \
    "Failed|False|ObjectSkipped"
}
skipped_event() {
  kubectl -n "$ns" get events --field-selector "reason=ObjectSkipped,involvedObject.name=$1,type=Warning" -o name | grep -q .
}
readyz() { curl -fsS -o /dev/null --max-time 2 "http://127.0.0.1:$(operator_health_port)/readyz"; }
kib() { awk -v k="$2" '$1 == k":" {print $2}' "/proc/$1/status"; }
mib() { awk -v k="$1" 'BEGIN {printf "%.1f", k / 1024}'; }
rss_line() { # label: prints and remembers VmRSS / VmHWM of the operator
  rss=$(kib "$operator_pid" VmRSS); hwm=$(kib "$operator_pid" VmHWM)
  printf 'rss  %-44s VmRSS %6s MiB   VmHWM %6s MiB\n' "$1" "$(mib "$rss")" "$(mib "$hwm")"
}
under_limit() { [ "$(kib "$operator_pid" VmHWM)" -lt "$rss_limit_kib" ]; }

# --- 1. the CRD refuses what broke the operator -----------------------------
deep_devserver refused-deep 130 >"$tmp/deep.json"
for v in strict false; do
  check "CRD refuses ncclSettings nested 130 levels (--validate=$v)" bash -c \
    "! kubectl --as=$user -n $ns create --validate=$v -f $tmp/deep.json >/dev/null 2>&1"
done
many_keys_devserver refused-keys 100000 | as_user create -f - >"$tmp/keys.out" 2>&1 || true
check "CRD refuses 100,000 ncclSettings keys (Too many ... at most 128)" \
  grep -q 'spec.distributed.ncclSettings: Too many: 100000: must have at most 128 items' "$tmp/keys.out"

# --- 2. the operator, and DevServers that must keep working -----------------
start_operator
devserver ok1
devserver ttl "  lifecycle: {timeToLive: 45s}"
check "ok1 reaches Running" wait_until 90 running ok1
check "/readyz is 200" wait_until 30 readyz
sleep 2
rss_line "base (2 DevServers)"; base_rss=$rss

# --- 3. a DevServer nesting 130 levels, stored under the old free-form schema
# (the CRD is put back as it was before this change for a while): the API
# server stores any depth then, and serves it to an operator that lists
# through that schema - the failure of issue 17 item 1. (An operator already
# watching keeps the old storage's view, pruned; hence the restart.)
stop_operator
kubectl patch crd devservers.devserver.io --type=json -p '[{"op": "replace",
  "path": "/spec/versions/0/schema/openAPIV3Schema/properties/spec/properties/distributed/properties/ncclSettings",
  "value": {"type": "object", "x-kubernetes-preserve-unknown-fields": true}}]' >/dev/null
refuses_deep() { ! as_user create --dry-run=server -f "$tmp/deep.json" >/dev/null 2>&1; }
sed 's/"name":"refused-deep"/"name":"legacy"/' "$tmp/deep.json" >"$tmp/legacy.json"
create_legacy() { as_user create -f "$tmp/legacy.json" >/dev/null 2>&1; }
check "under the old schema, a DevServer nesting 130 levels is stored" wait_until 60 create_legacy
start_operator
check "an operator started now syncs: /readyz 200 within 20 s" wait_until 20 readyz
check "legacy: a Warning Event ObjectSkipped" wait_until 60 skipped_event legacy
check "legacy: phase Failed, Ready=False with reason ObjectSkipped" wait_until 30 skipped_status legacy
check "legacy: a warn log line names it and the limit" bash -c \
  "grep -q 'warn  object skipped kind=DevServer object=$ns/legacy .*deeper than' $operator_log"
devserver after-deep
check "a DevServer created after it reaches Running" wait_until 90 running after-deep
check "/readyz stays 200" readyz
check "ok1 is still Running" running ok1
restore_crds
wait_until 60 crds_established
check "the CRD refuses 130 levels again once restored" wait_until 60 refuses_deep

# a restarted operator syncs at once: the API server now prunes legacy to
# the new schema, and its managedFields (still 130 levels) are skipped unread
stop_operator
start_operator
check "restarted: /readyz 200 within 20 s" wait_until 20 readyz
check "restarted: legacy (pruned on read) is reconciled again" wait_until 90 running legacy
no_relists() { [ "$(operator_metric devserver_watch_relists_total)" = 0 ]; }
check "restarted: no relist loop (devserver_watch_relists_total 0)" no_relists
as_user delete devserver legacy after-deep --wait=true >/dev/null
sleep 2
rss_line "after the 130-level DevServer"

# --- 4. eight DevServers of ~1.4 MB of small-key labels -----------------------
labelled_devserver x 100000 >"$tmp/labels.json"
# one at a time: the API server needs seconds for each (a create that times
# out is tried again; one that went through meanwhile counts)
create_labelled() {
  as_user get devserver "labels$1" >/dev/null 2>&1 ||
    sed "s/\"name\":\"x\"/\"name\":\"labels$1\"/" "$tmp/labels.json" | as_user create -f - >/dev/null 2>&1
}
for i in 1 2 3 4 5 6 7 8; do
  wait_until 300 create_labelled "$i" || fail "labels$i could not be created"
done
size=$(kubectl get --raw "/apis/devserver.io/v1/namespaces/$ns/devservers/labels1" | wc -c)
echo "     each of labels1..8 is $size bytes of JSON (100,000 labels)"
all_skipped() { [ "$(operator_metric 'devserver_objects_skipped{cache="devservers"')" = 8 ]; }
check "all 8 skipped (devserver_objects_skipped{cache=\"devservers\"} 8)" wait_until 120 all_skipped
for i in 1 8; do
  check "labels$i: a Warning Event ObjectSkipped" wait_until 30 skipped_event "labels$i"
  check "labels$i: phase Failed, Ready=False with reason ObjectSkipped" wait_until 30 skipped_status "labels$i"
done
check "the message names the limit (KUBE_OBJECT_MAX_NODES)" bash -c \
  "kubectl -n $ns get devserver labels3 -o jsonpath='{.status.message}' | grep -q 'metadata.labels: more than 16384 values (KUBE_OBJECT_MAX_NODES)'"
devserver during-labels
check "a DevServer created meanwhile reaches Running" wait_until 90 running during-labels
check "ok1 is still Running" running ok1
sleep 3
rss_line "with 8 x ~1.4 MB DevServers"; with_rss=$rss
check "VmHWM < 96 MiB with them" under_limit
stop_operator
start_operator
check "restarted with them: /readyz 200 within 30 s" wait_until 30 readyz
sleep 3
rss_line "restarted with them (relist)"; relist_hwm=$hwm
check "VmHWM < 96 MiB through a relist of them" under_limit
as_user delete devserver labels1 labels2 labels3 labels4 labels5 labels6 labels7 labels8 --wait=true >/dev/null
sleep 3
rss_line "after deleting them"; after_rss=$rss
check "RSS back within 8 MiB of the base after deleting them" \
  test "$after_rss" -lt $((base_rss + 8 * 1024))
check "the TTL of another DevServer still expired" wait_until 60 bash -c "! kubectl -n $ns get devserver ttl >/dev/null 2>&1"

# --- 5. a 1 MB ConfigMap carrying the operator's label, owned by nobody ------
head -c 1000000 /dev/zero | tr '\0' x >"$tmp/blob"
rss_line "before the 1 MB ConfigMap"; cm_before=$rss
kubectl -n "$ns" create configmap not-ours --from-file=blob="$tmp/blob" --dry-run=client -o yaml |
  kubectl label --local -f - app.kubernetes.io/managed-by=devserver-operator -o yaml | as_user create -f - >/dev/null
cm_small() { b=$(operator_metric 'devserver_cache_bytes{cache="configmaps"'); [ -n "$b" ] && [ "$b" -gt 0 ] && [ "$b" -lt 65536 ]; }
check "the configmaps cache holds a stub of it (devserver_cache_bytes{cache=\"configmaps\"} < 64 KiB)" \
  wait_until 30 cm_small
sleep 3
rss_line "with the 1 MB ConfigMap"
check "it costs less than 2 MiB of RSS" test "$rss" -lt $((cm_before + 2048))
devserver after-cm
check "a DevServer created after it reaches Running" wait_until 90 running after-cm
echo "     cache bytes: $(curl -fsS "http://127.0.0.1:$(operator_health_port)/metrics" | grep '^devserver_cache_bytes' | tr '\n' ' ')"
echo "     summary: base $(mib "$base_rss") MiB; 8 x ~1.4 MB DevServers $(mib "$with_rss") MiB; relist peak $(mib "$relist_hwm") MiB; after deletion $(mib "$after_rss") MiB; ceiling asserted: 96 MiB"
finish
