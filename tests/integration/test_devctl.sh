#!/usr/bin/env bash
# devctl against the real control plane with the operator running: create
# --wait, list in every output format, describe, stop/start, wait, extend,
# delete --wait, render and render --check, policy push (good, bad locally,
# bad on the operator's trial) and policy status, completion; the
# predecessor's forms (pods labelled app=<name>, --name on commands, create's
# default name dev and default time to live 4h, defaultTTL: none, its
# config.yml); and the
# timings the issue asks for (list over 10 and 1,000 DevServers, create
# --wait, describe).
. "$(dirname "$0")/lib/common.sh"
install_crds
make_namespace devctl
operator_ns=$ns
f=t-$$
tmp=$(mktemp -d)
on_exit 'kubectl delete devserverflavor -l test=$f >/dev/null 2>&1'
on_exit 'rm -rf "$tmp"'
devctl="$bin_dir/devctl"
export DEVSERVER_OPERATOR_NAMESPACE=$ns DEVSERVER_POLICY_CONFIGMAP=devserver-policy
export HOME=$tmp          # no config file, no ~/.ssh: every input is explicit
kubectl apply -f - >/dev/null <<YAML
apiVersion: devserver.io/v1
kind: DevServerFlavor
metadata: {name: $f-small, labels: {test: "$f"}}
spec:
  resources: {requests: {cpu: 250m, memory: 512Mi}}
$kwok_placement
YAML
echo "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBt9 dev@laptop" > "$tmp/key.pub"
start_operator
ms() { echo $(( ($(date +%s%N) - $1) / 1000000 )); }
dc() { "$devctl" -n "$ns" "$@"; }

t0=$(date +%s%N)
check "create --wait returns once the DevServer is ready" \
  dc create box --flavor "$f-small" --image example.invalid/dev:1 --ttl 2h \
    --ssh-public-key-file "$tmp/key.pub" --env EDITOR=vim --wait --timeout 60s
echo "     create --wait: $(ms "$t0") ms"
check "it is Running" jp_is devserver box '{.status.phase}' Running
check "the key and env reached the spec" jp_is devserver box '{.spec.ssh.publicKeys[0]}/{.spec.env[0].value}' \
  "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBt9 dev@laptop/vim"
check "create of an existing name fails with exit 1" bash -c "'$devctl' -n $ns create box --flavor $f-small --ssh-public-key-file $tmp/key.pub 2>/dev/null; [ \$? -eq 1 ]"

out=$(dc list)
check "list: table with the DevServer Running" grep -Eq '^box +'"$f"'-small +Running +True' <<<"$out"
check "list -o wide adds the node" bash -c "'$devctl' -n $ns list -o wide | grep -q 'node-0000'"
check "list -o json is a List holding it" bash -c "'$devctl' -n $ns list -o json | grep -q '\"name\": \"box\"'"
check "list -o yaml" bash -c "'$devctl' -n $ns list -o yaml | grep -q 'name: box'"
check "list -o name" bash -c "[ \"\$('$devctl' -n $ns list -o name)\" = devserver.devserver.io/box ]"
check "get NAME" bash -c "'$devctl' -n $ns get box | grep -q '^box '"
check "list -A shows the namespace" bash -c "'$devctl' list -A | grep -q '^$ns '"
t0=$(date +%s%N)
out=$(dc describe box)
echo "     describe: $(ms "$t0") ms"
check "describe shows the conditions" grep -q 'Ready *True' <<<"$out"
check "describe shows the events" grep -q 'Created' <<<"$out"
check "get of a missing DevServer: exit 1, one line" \
  bash -c "out=\$('$devctl' -n $ns get nope 2>&1); [ \$? -eq 1 ] && [ \$(wc -l <<<\"\$out\") -eq 1 ] && grep -q 'not found' <<<\"\$out\""

check "stop" dc stop box
check "wait --for=phase=Stopped" dc wait box --for=phase=Stopped --timeout 30s
check "the Deployment is at zero" jp_is deployment box '{.spec.replicas}' 0
check "start" dc start box
check "wait --for=ready" dc wait box --for=ready --timeout 30s
check "extend --by 1h" dc extend box --by 1h
check "the TTL grew to 3h" jp_is devserver box '{.spec.lifecycle.timeToLive}' 3h
check "wait times out with exit 1 and says so" \
  bash -c "out=\$('$devctl' -n $ns wait box --for=phase=Stopped --timeout 1s 2>&1); [ \$? -eq 1 ] && grep -q 'timed out' <<<\"\$out\""

# --- the predecessor's forms (issue 18) ---------------------------------------
check "pods carry app=<name>, the predecessor's label" \
  wait_until 30 bash -c "kubectl -n $ns get pods -l app=box -o name | grep -q ."
check "  ... outside the Deployment's selector, which is unchanged" \
  jp_is deployment box '{.spec.selector.matchLabels.devserver\.io/name}/{.spec.selector.matchLabels.app}' "box/"
check "describe --name" bash -c "'$devctl' -n $ns describe --name box | grep -q 'Ready *True'"
check "get --name=NAME -o name" bash -c "[ \"\$('$devctl' -n $ns get --name=box -o name)\" = devserver.devserver.io/box ]"
check "wait --name" dc wait --name box --for=ready --timeout 30s
check "a NAME and a different --name: usage error (exit 2), one line" \
  bash -c "out=\$('$devctl' -n $ns describe box --name other 2>&1); [ \$? -eq 2 ] && [ \$(wc -l <<<\"\$out\") -eq 1 ] && grep -q 'give the name once' <<<\"\$out\""
check "create without a name creates dev" \
  dc create --flavor "$f-small" --image example.invalid/dev:1 --ssh-public-key-file "$tmp/key.pub"
check "  ... with the default time to live 4h (the flavor sets none)" \
  jp_is devserver dev '{.spec.lifecycle.timeToLive}' 4h
check "  ... which the operator counts (status.expiresAt)" \
  wait_until 30 bash -c "[ -n \"\$(kubectl -n $ns get devserver dev -o jsonpath='{.status.expiresAt}')\" ]"
kubectl apply -f - >/dev/null <<YAML
apiVersion: devserver.io/v1
kind: DevServerFlavor
metadata: {name: $f-ttl, labels: {test: "$f"}}
spec:
  resources: {requests: {cpu: 100m, memory: 128Mi}}
$kwok_placement
  lifecycle: {defaultTimeToLive: 8h}
YAML
check "create --name with a flavor that has a defaultTimeToLive" \
  dc create --name byflavor --flavor "$f-ttl" --image example.invalid/dev:1 --ssh-public-key-file "$tmp/key.pub"
check "  ... writes the flavor's time to live, which the predecessor's list reads" \
  jp_is devserver byflavor '{.spec.lifecycle.timeToLive}' 8h
printf 'defaultTTL: none\n' > "$tmp/config.yaml"
check "defaultTTL: none in the config turns the default off" \
  env DEVCTL_CONFIG="$tmp/config.yaml" "$devctl" -n "$ns" create nottl --flavor "$f-small" \
    --image example.invalid/dev:1 --ssh-public-key-file "$tmp/key.pub"
check "  ... no time to live" jp_is devserver nottl '{.spec.lifecycle.timeToLive}' ""
mkdir -p "$tmp/.config/devctl"
printf 'ssh:\n  public_key_file: ~/key.pub\n  private_key_file: ~/key\n  forward_agent: false\n' \
  > "$tmp/.config/devctl/config.yml"
check "the predecessor's config.yml gives the key file, with a one-line notice naming config.yaml" \
  bash -c "err=\$('$devctl' -n $ns create fromyml --flavor $f-small --image example.invalid/dev:1 2>&1 >/dev/null) &&
    [ \$(wc -l <<<\"\$err\") -eq 1 ] && grep -q 'config.yml; .*/.config/devctl/config.yaml' <<<\"\$err\""
check "  ... its key reached the spec" jp_is devserver fromyml '{.spec.ssh.publicKeys[0]}' \
  "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBt9 dev@laptop"
rm -r "$tmp/.config"
check "delete --name dev --wait" dc delete --name dev --wait --timeout 60s
check "delete --name byflavor, nottl and fromyml" \
  bash -c "'$devctl' -n $ns delete --name byflavor && '$devctl' -n $ns delete nottl fromyml"

# render, offline
dc create offline --flavor "$f-small" --image example.invalid/dev:1 --ssh-public-key-file "$tmp/key.pub" --dry-run > "$tmp/ds.yaml"
check "create --dry-run wrote nothing" bash -c "! kubectl -n $ns get devserver offline >/dev/null 2>&1"
check "render -f prints the Deployment" bash -c "'$devctl' render -f $tmp/ds.yaml | grep -q 'kind: Deployment'"
check "render --check passes on the fixtures" "$devctl" render --check "$root/tests/fixtures/render"

# policy: good, bad locally, bad on the operator's trial
cp -r "$root/lua" "$tmp/policy"
sed -i 's/^function policy.render(ds, flavor, ctx)$/function policy.render(ds, flavor, ctx) -- pushed by devctl/' "$tmp/policy/policies/devserver.lua"
check "policy test on a good bundle" "$devctl" policy test "$tmp/policy"
pushed=$("$devctl" policy push "$tmp/policy") || pushed=   # exit 0, and the revision it pushed
pushed=$(sed -n 's/^policy revision \([0-9a-f]*\) pushed$/\1/p' <<<"$pushed")
check "policy push of a good bundle" [ -n "$pushed" ]
# the "Active revision:" line only: a last rejection's revision must not count
active() { [ "$("$devctl" policy status | sed -n 's/^Active revision: *//p')" = "$1" ]; }
check "policy status shows the pushed revision as active" wait_until 30 active "$pushed"
cp -r "$tmp/policy" "$tmp/broken"
echo 'this is not lua' >> "$tmp/broken/policies/devserver.lua"
check "policy push of a bundle that does not compile fails locally (exit 1)" \
  bash -c "'$devctl' policy push $tmp/broken 2>/dev/null; [ \$? -eq 1 ]"
cp -r "$tmp/policy" "$tmp/trial"
sed -i 's/^  local req = validate.request(ds, flavor, ctx)$/  error("trial breaks it", 0)/' "$tmp/trial/policies/devserver.lua"
check "a bundle that only the operator's trial render catches is pushed" "$devctl" policy push "$tmp/trial"
rejected() { "$devctl" policy status | grep -q 'trial breaks it'; }
check "policy status shows the rejection and its reason" wait_until 30 rejected

check "completion bash is valid bash" bash -c "'$devctl' completion bash | bash -n"

# delete
check "delete --wait" dc delete box --wait --timeout 60s
check "the DevServer is gone" bash -c "! kubectl -n $ns get devserver box >/dev/null 2>&1"

# list timings: 10 and 1,000 DevServers (objects only; the operator is stopped
# so the measurement is devctl's, not the API server's write load)
stop_operator
make_many() { # from to
  for i in $(seq "$1" "$2"); do
    printf 'apiVersion: devserver.io/v1\nkind: DevServer\nmetadata: {name: l-%04d}\nspec: {flavor: %s}\n---\n' "$i" "$f-small"
  done | kubectl -n "$ns" apply --server-side -f - >/dev/null
}
time_list() { # best of 3, ms
  local best=999999 t
  for _ in 1 2 3; do
    t=$(date +%s%N); "$devctl" -n "$ns" list >/dev/null; t=$(ms "$t")
    [ "$t" -lt "$best" ] && best=$t
  done
  echo "$best"
}
make_many 1 10
echo "     list over 10 DevServers: $(time_list) ms (best of 3)"
make_many 11 1000
check "list shows 1,000 DevServers" bash -c "[ \$('$devctl' -n $ns list -o name | wc -l) -eq 1000 ]"
echo "     list over 1,000 DevServers: $(time_list) ms (best of 3)"
# gone before the next suite starts an operator that would reconcile them
kubectl -n "$ns" delete devservers --all --wait=false >/dev/null
none_left() { [ -z "$(kubectl -n "$ns" get devservers -o name)" ]; }
check "the 1,000 DevServers are deleted" wait_until 120 none_left

finish
