#!/usr/bin/env bash
# The predecessor's CLI against this operator (issue 18): its create (with and
# without --wait), list, describe and delete, through the stand-in in
# lib/predecessor_devctl.py (the same requests and the same reads, with the
# same client library; see its header). Both ways round: what the old CLI
# creates, our operator runs and our devctl shows; what our devctl creates,
# the old CLI lists and describes without the KeyError it raised on a
# DevServer lacking spec.flavor or spec.lifecycle.timeToLive. Deleting with
# the old CLI leaves nothing of the DevServer behind.
#
# The namespace comes from the kubeconfig context, as the old CLI took it: the
# suite points it at a copy whose context names the suite's namespace. Needs
# Debian's python3-kubernetes (scripts/install-deps); without it the suite is
# skipped (exit 77), never passed.
. "$(dirname "$0")/lib/common.sh"
py=/usr/bin/python3
if ! "$py" -c 'import kubernetes, yaml' 2>/dev/null; then
  echo "skip: $py cannot import kubernetes and yaml (python3-kubernetes; scripts/install-deps)"
  exit 77
fi
install_crds
make_namespace predcli
operator_ns=$ns
f=t-$$
tmp=$(mktemp -d)
on_exit 'kubectl delete devserverflavor -l test=$f >/dev/null 2>&1'
on_exit 'rm -rf "$tmp"'
devctl="$bin_dir/devctl"
export DEVSERVER_OPERATOR_NAMESPACE=$ns DEVSERVER_POLICY_CONFIGMAP=devserver-policy
export HOME=$tmp          # no config file; the key where both CLIs look first
mkdir -m 700 "$tmp/.ssh"
key="ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIPred old@laptop"
echo "$key" > "$tmp/.ssh/id_ed25519.pub"
cp "$KUBECONFIG" "$tmp/kubeconfig"
kubectl --kubeconfig "$tmp/kubeconfig" config set-context --current --namespace "$ns" >/dev/null
pred_cmd=(env "KUBECONFIG=$tmp/kubeconfig" "$py" "$root/tests/integration/lib/predecessor_devctl.py")
pred() { "${pred_cmd[@]}" "$@"; }
dc() { "$devctl" -n "$ns" "$@"; }
# run CMD...: CMD's stdout and stderr into $out, its exit code into $rc
run() { rc=0; out=$("$@" 2>&1) || rc=$?; }
# has RE...: $out matches every extended regular expression (a line each)
has() { local re; for re; do grep -Eq -- "$re" <<<"$out" || return 1; done; }
# ok RE...: the last run exited 0 and $out matches them all
ok() { [ "$rc" -eq 0 ] && has "$@"; }
exited_with() { [ "$rc" -eq "$1" ] && shift && has "$@"; }

# The old CLI names no flavor by default: it takes the one marked default.
others=$(kubectl get devserverflavors -o json |
  jq -r '[.items[] | select(.spec.default == true) | .metadata.name] | join(" ")')
if [ -n "$others" ]; then
  echo "FAIL another suite left a default flavor ($others); this one needs its own"
  exit 1
fi
kubectl apply -f - >/dev/null <<YAML
apiVersion: devserver.io/v1
kind: DevServerFlavor
metadata: {name: $f-small, labels: {test: "$f"}}
spec:
  default: true
  resources: {requests: {cpu: 250m, memory: 512Mi}}
$kwok_placement
---
apiVersion: devserver.io/v1
kind: DevServerFlavor
metadata: {name: $f-ttl, labels: {test: "$f"}}
spec:
  resources: {requests: {cpu: 100m, memory: 128Mi}}
$kwok_placement
  lifecycle: {defaultTimeToLive: 8h}
YAML
start_operator

# --- the old CLI creates, our operator runs it, both CLIs show it ------------
t0=$(date +%s%N)
run timeout 120 "${pred_cmd[@]}" create --wait --image example.invalid/dev:1
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
echo "     predecessor create --wait: $ms ms"
check "old create --wait (no name, no flavor, no --time) returns within 120s, exit 0" [ "$rc" -eq 0 ]
check "  ... having found the default flavor and waited for the pod" \
  has "^Using default flavor: '$f-small'\$" "^DevServer 'dev' is ready\.\$"
check "  ... it wrote dev with its fields: flavor, the key as publicKey, 4h" \
  jp_is devserver dev '{.spec.flavor}|{.spec.ssh.publicKey}|{.spec.lifecycle.timeToLive}' "$f-small|$key|4h"
check "  ... Running, its pod labelled app=dev Running" \
  bash -c "[ \"\$(kubectl -n $ns get devserver dev -o jsonpath='{.status.phase}')\" = Running ] &&
    kubectl -n $ns get pods -l app=dev -o jsonpath='{.items[*].status.phase}' | grep -qw Running"
check "  ... and the operator counted the TTL (status.expiresAt)" \
  wait_until 30 bash -c "[ -n \"\$(kubectl -n $ns get devserver dev -o jsonpath='{.status.expiresAt}')\" ]"
run pred create
check "old create of an existing name says so (and exits 0, as it did)" \
  ok "^Error: DevServer 'dev' already exists\.\$"

run pred list
check "old list: exit 0" [ "$rc" -eq 0 ]
check "  ... dev Running, its image, flavor and TTL" has "^dev +Running +example.invalid/dev:1 +$f-small +4h\$"
run pred describe
check "old describe (default name dev): exit 0, the object as YAML" ok "^  flavor: $f-small\$" "^  phase: Running\$"
run dc list
check "our list shows dev Running on the default flavor" ok "^dev +$f-small +Running +True"
run dc describe dev
check "our describe shows it ready with its one key" ok "Ready +True" "^SSH keys: +1\$"
# authorized_keys of the ConfigMap the DevServer NAME owns
authorized_keys() {
  kubectl -n "$ns" get configmaps -o json |
    jq -r --arg n "$1" '[.items[] | select(any(.metadata.ownerReferences[]?; .kind == "DevServer" and .name == $n))
      | .data.authorized_keys // empty][0] // ""'
}
check "the operator installed the old CLI's publicKey" [ "$(authorized_keys dev)" = "$key" ]

# --- our devctl creates, the old CLI reads it ----------------------------------
check "our create without --flavor and --ttl, --wait" \
  dc create box --image example.invalid/dev:1 --wait --timeout 60s
check "  ... writes what the old CLI reads: the default flavor's name, 4h, publicKey" \
  jp_is devserver box '{.spec.flavor}|{.spec.lifecycle.timeToLive}|{.spec.ssh.publicKey}|{.spec.ssh.publicKeys[0]}' \
    "$f-small|4h|$key|$key"
check "our create with a flavor that has a defaultTimeToLive" \
  dc create ttlbox --flavor "$f-ttl" --image example.invalid/dev:1
check "  ... writes that time to live" jp_is devserver ttlbox '{.spec.lifecycle.timeToLive}' 8h
run pred list
check "old list reads our DevServers: exit 0" [ "$rc" -eq 0 ]
check "  ... box Running on $f-small, 4h" has "^box +Running +example.invalid/dev:1 +$f-small +4h\$"
check "  ... ttlbox on $f-ttl, 8h" has "^ttlbox +[A-Za-z]+ +example.invalid/dev:1 +$f-ttl +8h\$"
run pred describe --name box
check "old describe reads ours: exit 0, flavor and publicKey" \
  ok "^  flavor: $f-small\$" "^    publicKey: $key\$"
check "the key in both publicKey and publicKeys is installed once" [ "$(authorized_keys box)" = "$key" ]

# --- the old CLI deletes; nothing is left ----------------------------------------
uid=$(jp devserver dev '{.metadata.uid}')
children() { # everything of dev's: owned by it, or labelled with its name
  kubectl -n "$ns" get deployments,replicasets,pods,services,configmaps,secrets,persistentvolumeclaims -o json |
    jq -r --arg uid "$uid" '.items[] | select(any(.metadata.ownerReferences[]?; .uid == $uid)
      or .metadata.labels["devserver.io/name"] == "dev" or .metadata.labels.app == "dev")
      | "\(.kind)/\(.metadata.name)"'
}
n=$(children | wc -l)
check "dev has children before the delete ($n), so the check after it means something" [ "$n" -gt 0 ]
run pred delete
check "old delete (default name dev): exit 0, says deleted" ok "^DevServer 'dev' in namespace '$ns' deleted\.\$"
check "  ... the DevServer is gone (our finalizer released)" \
  wait_until 60 bash -c "! kubectl -n $ns get devserver dev >/dev/null 2>&1"
nothing_left() { [ -z "$(children)" ]; }
check "  ... and nothing of it is left" wait_until 60 nothing_left
run pred delete
check "old delete of a missing one: not found" has "^Error: DevServer 'dev' not found in namespace '$ns'\.\$"
run pred describe
check "old describe of a missing one: not found" has "^Error: DevServer 'dev' not found in namespace '$ns'\.\$"
run pred delete --name box
check "old delete of ours: box deleted" ok "^DevServer 'box' in namespace '$ns' deleted\.\$"
run pred delete --name ttlbox
check "  ... ttlbox deleted" ok "^DevServer 'ttlbox' in namespace '$ns' deleted\.\$"
no_devservers() { [ -z "$(kubectl -n "$ns" get devservers -o name)" ]; }
check "  ... both gone" wait_until 60 no_devservers
run pred list
check "old list of an empty namespace" ok "^No DevServers found in namespace '$ns'\.\$"

# --- the stand-in fails where the old CLI failed -----------------------------------
# A DevServer without spec.flavor and spec.lifecycle (valid here, and what our
# devctl wrote before) breaks the old list for the whole namespace: the check
# the suite makes of our devctl's objects is a real one.
kubectl -n "$ns" apply -f - >/dev/null <<YAML
apiVersion: devserver.io/v1
kind: DevServer
metadata: {name: bare}
spec:
  ssh: {publicKeys: ["$key"]}
YAML
run pred list
check "old list on a DevServer without spec.flavor: KeyError, exit 1" \
  exited_with 1 "^KeyError: 'flavor'\$"
kubectl -n "$ns" delete devserver bare --wait=false >/dev/null

check "the operator is still running" kill -0 "$operator_pid"
finish
