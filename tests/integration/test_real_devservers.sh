#!/usr/bin/env bash
# DevServers on the local cluster's REAL node (kubelet + containerd, images
# built by scripts/images): what a developer touches through a running box.
#   - create -> `devctl ssh NAME -- whoami` prints the login user, on the
#     project's base image, on a Debian minbase image without openssh and on
#     a busybox-only image with no libc of its own;
#   - the host key is the one the operator published (status vs. the key
#     sshd presents), a changed key is refused by devctl, a server with
#     another key is refused by ssh;
#   - plain `ssh` through the `devctl ssh-config` entry;
#   - a file written in a persistent home survives a pod deletion, a
#     stop/start and a devctl restart;
#   - an image that does not exist is ImagePullBackOff in the status, a
#     container that exits is CrashLoopBackOff;
#   - `devctl logs` shows sshd's log.
# It also prints create -> first successful `ssh whoami` over
# REAL_SSH_TRIES (default 10) DevServers, one at a time: a measurement, not
# an assertion.
. "$(dirname "$0")/lib/common.sh"
install_crds
make_namespace real
# the boxes run where Pod Security "restricted" is enforced: a pod the policy
# renders outside it would not even be created
kubectl label namespace "$ns" pod-security.kubernetes.io/enforce=restricted \
  pod-security.kubernetes.io/enforce-version=latest >/dev/null
operator_ns=$ns
f=t-$$
tmp=$(mktemp -d)
on_exit 'kubectl delete devserverflavor -l test=$f >/dev/null 2>&1'
on_exit 'rm -rf "$tmp"'
devctl="$bin_dir/devctl"
export HOME=$tmp      # devctl's known_hosts and ssh's files live here, nowhere else
export DEVSERVER_OPERATOR_NAMESPACE=$ns DEVSERVER_POLICY_CONFIGMAP=policy
dc() { "$devctl" -n "$ns" "$@"; }
ms() { echo $(( ($(date +%s%N) - $1) / 1000000 )); }

real_node=$(kubectl get nodes -l devserver.io/node-type=real -o jsonpath='{.items[0].metadata.name}' 2>/dev/null || true)
if [ -z "$real_node" ]; then
  # a cluster started without one on purpose is a skip; otherwise the real
  # node failed to join, and that is a failure, never a silent pass
  if [ "${DEVSERVER_REAL_NODE:-1}" = 0 ]; then
    echo "SKIP DEVSERVER_REAL_NODE=0: this cluster has no real node"
    exit 77
  fi
  fail "the cluster has a real node (label devserver.io/node-type=real)"
  finish; exit 1
fi
ref() { "$root/scripts/images" ref "$1"; }

ssh-keygen -q -t ed25519 -N '' -C tester -f "$tmp/id" </dev/null
kubectl apply -f - >/dev/null <<YAML
apiVersion: devserver.io/v1
kind: DevServerFlavor
metadata: {name: $f-real, labels: {test: "$f"}}
spec:
  description: the local cluster's real node
  resources: {requests: {cpu: 50m, memory: 64Mi}, limits: {cpu: "1", memory: 1Gi}}
  nodeSelector: {devserver.io/node-type: real}
YAML
start_operator --policy-configmap policy --default-image "$(ref base)" --tools-image "$(ref tools)"

create() { # name [devctl create flags...]
  local name=$1; shift
  dc create "$name" --flavor "$f-real" --ssh-public-key-file "$tmp/id.pub" "$@" >/dev/null
}
whoami_is_dev() { [ "$(dc ssh "$1" -i "$tmp/id" -- whoami 2>>"$tmp/ssh.err")" = dev ]; }

# --- 1. ssh on three images -------------------------------------------------
create box-base --env EDITOR=vim --env 'QUOTED=say "hi" \\ bye' --wait --timeout 180s
create box-minbase --image "$(ref minbase)" --wait --timeout 180s
create box-busybox --image "$(ref busybox)" --wait --timeout 180s
for img in base minbase busybox; do
  check "box-$img: Running on the real node" jp_is pod "$(kubectl -n "$ns" get pod -l devserver.io/name=box-$img -o jsonpath='{.items[0].metadata.name}')" '{.spec.nodeName}' "$real_node"
  check "box-$img: devctl ssh -- whoami prints dev" whoami_is_dev "box-$img"
done
shell_base=$(dc ssh box-base -i "$tmp/id" -- 'echo $SHELL' 2>>"$tmp/ssh.err" || true)
env_base=$(dc ssh box-base -i "$tmp/id" -- 'printf "%s|%s" "$EDITOR" "$QUOTED"' 2>>"$tmp/ssh.err" || true)
check "spec.env reaches the ssh session, quotes and backslashes intact" [ "$env_base" = 'vim|say "hi" \\ bye' ]
shell_busybox=$(dc ssh box-busybox -i "$tmp/id" -- 'echo $SHELL' 2>>"$tmp/ssh.err" || true)
check "the base image logs in with bash" [ "$shell_base" = /bin/bash ]
check "the busybox image logs in with its sh" [ "$shell_busybox" = /bin/sh ]
check "a terminal session works (devctl ssh -t)" bash -c "'$devctl' -n $ns ssh box-minbase -i $tmp/id -t -- tty 2>/dev/null </dev/null | grep -q '^/dev/pts/'"
check "the session runs as uid 1000 in its home" \
  bash -c "[ \"\$('$devctl' -n $ns ssh box-busybox -i $tmp/id -- 'id -u; pwd')\" = \"\$(printf '1000\n/home/dev')\" ]"
check "the image's own files are untouched (passwd is a mount, not an edit)" \
  bash -c "'$devctl' -n $ns ssh box-minbase -i $tmp/id -- 'grep -c ^root: /etc/passwd; ! touch /etc/passwd' >/dev/null 2>&1"

# --- 2. host keys ------------------------------------------------------------
published=$(jp devserver box-base '{.status.ssh.hostKey}')
check "status.ssh publishes an ed25519 host key and its fingerprint" \
  bash -c "[[ '$published' == ssh-ed25519\ * ]] && [[ \"\$(kubectl -n $ns get devserver box-base -o jsonpath='{.status.ssh.hostKeyFingerprint}')\" == SHA256:* ]]"
check "the fingerprint is that key's (ssh-keygen -l)" \
  bash -c "[ \"\$(echo '$published' | ssh-keygen -lf - | awk '{print \$2}')\" = \"\$(kubectl -n $ns get devserver box-base -o jsonpath='{.status.ssh.hostKeyFingerprint}')\" ]"
check "the host key lives in a Secret owned by the DevServer" \
  jp_is secret box-base-hostkey '{.metadata.ownerReferences[0].name}/{.immutable}' box-base/true
check "the private key is not in the status" bash -c "! kubectl -n $ns get devserver box-base -o yaml | grep -q 'PRIVATE KEY'"
priv_b64=$(kubectl -n "$ns" get secret box-base-hostkey -o jsonpath='{.data.ssh_host_ed25519_key}' | cut -c1-40)
check "no private key in the operator's log or the Events (neither the text nor its base64)" bash -c \
  "! grep -qE 'PRIVATE KEY|$priv_b64' $operator_log && ! kubectl -n $ns get events -o yaml | grep -qE 'PRIVATE KEY|$priv_b64'"
check "known_hosts holds the pinned key, mode 0600 in a 0700 directory" \
  bash -c "grep -q \"box-base.$ns.devserver $published\" $tmp/.config/devctl/known_hosts && [ \"\$(stat -c %a $tmp/.config/devctl/known_hosts)/\$(stat -c %a $tmp/.config/devctl)\" = 600/700 ]"
# the key sshd presents is the published one: ssh-keyscan through a port-forward
kubectl -n "$ns" port-forward --address 127.0.0.1 service/box-base-ssh :22 >"$tmp/pf.out" 2>&1 &
pf=$!
wait_until 30 grep -q 'Forwarding from 127.0.0.1:' "$tmp/pf.out"
port=$(sed -n 's/Forwarding from 127.0.0.1:\([0-9]*\).*/\1/p' "$tmp/pf.out" | head -1)
check "sshd presents exactly the published host key" \
  bash -c "[ \"\$(ssh-keyscan -t ed25519 -p $port 127.0.0.1 2>/dev/null | awk '{print \$2\" \"\$3}')\" = '$published' ]"
# another DevServer's sshd behind box-base's alias: ssh must refuse it
alias_base=$(awk -v s=".box-base.$ns.devserver" 'index($1, s) { print $1 }' "$tmp/.config/devctl/known_hosts")
kubectl -n "$ns" port-forward --address 127.0.0.1 service/box-minbase-ssh :22 >"$tmp/pf2.out" 2>&1 &
pf2=$!
wait_until 30 grep -q 'Forwarding from 127.0.0.1:' "$tmp/pf2.out"
port2=$(sed -n 's/Forwarding from 127.0.0.1:\([0-9]*\).*/\1/p' "$tmp/pf2.out" | head -1)
ssh -p "$port2" -i "$tmp/id" -o IdentitiesOnly=yes -o UserKnownHostsFile="$tmp/.config/devctl/known_hosts" \
  -o HostKeyAlias="$alias_base" -o StrictHostKeyChecking=yes -o BatchMode=yes dev@127.0.0.1 true \
  >"$tmp/mitm.out" 2>&1 && mitm=0 || mitm=$?
check "a server presenting another host key is refused by ssh" \
  bash -c "[ $mitm -eq 255 ] && grep -q 'REMOTE HOST IDENTIFICATION HAS CHANGED' $tmp/mitm.out"
kill "$pf" "$pf2" 2>/dev/null; wait "$pf" "$pf2" 2>/dev/null || true
# a pinned key that differs from the published one: devctl refuses before ssh
cp "$tmp/.config/devctl/known_hosts" "$tmp/kh.good"
other=$(jp devserver box-minbase '{.status.ssh.hostKey}')
sed -i "s|^\($alias_base\) .*|\1 $other|" "$tmp/.config/devctl/known_hosts"
out=$(dc ssh box-base -i "$tmp/id" -- whoami 2>&1) && rc=0 || rc=$?
check "devctl ssh refuses a published key that differs from the pinned one (exit 1, says why)" \
  bash -c "[ $rc -eq 1 ] && grep -q 'refusing to connect' <<<'$out'"
cp "$tmp/kh.good" "$tmp/.config/devctl/known_hosts"

# --- 3. plain ssh through the ssh-config entry --------------------------------
dc ssh-config box-busybox > "$tmp/ssh_config"
check "ssh-config names the pinned key file and strict checking" \
  bash -c "grep -q 'StrictHostKeyChecking yes' $tmp/ssh_config && grep -q 'UserKnownHostsFile \"$tmp/.config/devctl/known_hosts\"' $tmp/ssh_config"
check "plain ssh with the ssh-config entry runs a command" \
  bash -c "[ \"\$(ssh -F $tmp/ssh_config -i $tmp/id -o IdentitiesOnly=yes -o BatchMode=yes box-busybox.$ns.devserver whoami)\" = dev ]"

# --- 4. a persistent home ----------------------------------------------------
create box-home --home-size 1Gi --wait --timeout 180s
check "the home PVC is Bound to real storage on the real node" \
  bash -c "pv=\$(kubectl -n $ns get pvc box-home-home -o jsonpath='{.spec.volumeName}'); [ -n \"\$pv\" ] && [ \"\$(kubectl get pv \$pv -o jsonpath='{.spec.storageClassName}')\" != $kwok_home_class ]"
check "a file written in the home" dc ssh box-home -i "$tmp/id" -- 'echo persisted > ~/keep.txt'
pod_of() { kubectl -n "$ns" get pod -l devserver.io/name="$1" -o jsonpath='{.items[0].metadata.name}' 2>/dev/null; }
old_pod=$(pod_of box-home)
kubectl -n "$ns" delete pod "$old_pod" --wait=false >/dev/null
new_pod_ready() { local p; p=$(pod_of box-home); [ -n "$p" ] && [ "$p" != "$old_pod" ] && whoami_is_dev box-home; }
check "after the pod is deleted a new one serves ssh" wait_until 180 new_pod_ready
check "the file survived the pod deletion" bash -c "[ \"\$('$devctl' -n $ns ssh box-home -i $tmp/id -- cat keep.txt)\" = persisted ]"
check "stop" dc stop box-home
check "it reaches Stopped" dc wait box-home --for=phase=Stopped --timeout 120s
check "no pod while stopped" wait_until 120 bash -c "[ -z \"\$(kubectl -n $ns get pod -l devserver.io/name=box-home -o name)\" ]"
check "start" dc start box-home
check "it is Running again" dc wait box-home --for=ready --timeout 180s
check "the file survived stop/start" bash -c "[ \"\$('$devctl' -n $ns ssh box-home -i $tmp/id -- cat keep.txt)\" = persisted ]"
old_pod=$(pod_of box-home)
t0=$(date +%s%N)
check "devctl restart" dc restart box-home
check "after devctl restart a new pod serves ssh" wait_until 180 new_pod_ready
echo "     devctl restart -> ssh works again: $(( ($(date +%s%N) - t0) / 1000000 )) ms"
check "the file survived devctl restart" bash -c "[ \"\$('$devctl' -n $ns ssh box-home -i $tmp/id -- cat keep.txt)\" = persisted ]"

# --- 5. what goes wrong is in the status ---------------------------------------
create box-noimage --image localhost/devserver/does-not-exist:1
pull_backoff() { jp devserver box-noimage '{.status.conditions[?(@.type=="Available")].reason}' | grep -Eq 'ImagePullBackOff|ErrImagePull'; }
check "an image that does not exist: ImagePullBackOff in the status" wait_until 120 pull_backoff
check "and the phase is Failed with the image named" \
  bash -c "[ \"\$(kubectl -n $ns get devserver box-noimage -o jsonpath='{.status.phase}')\" = Failed ] && kubectl -n $ns get devserver box-noimage -o jsonpath='{.status.message}' | grep -q does-not-exist"
# a main container that exits: a policy (pushed like an admin would) whose
# container command is replaced for the DevServer named box-crash
cp -r "$root/lua" "$tmp/policy"
cat >> "$tmp/policy/policies/devserver.lua" <<'LUA'
local base_render = policy.render
policy.render = function(ds, flavor, ctx)
  local out = base_render(ds, flavor, ctx)
  if ds.metadata.name == "box-crash" then
    for _, obj in ipairs(out) do
      if obj.kind == "Deployment" then
        obj.spec.template.spec.containers[1].command = { "/devserver/bin/busybox", "sh", "-c", "echo giving up >&2; exit 3" }
      end
    end
  end
  return out
end
return policy
LUA
# the file's own `return policy` came first: drop it so ours is the last statement
python3 - "$tmp/policy/policies/devserver.lua" <<'PY'
import sys
p = sys.argv[1]
s = open(p).read()
i = s.index("\nreturn policy\n")
s = s[:i] + "\n" + s[i + len("\nreturn policy\n"):]
open(p, "w").write(s)
PY
check "policy push (crash for box-crash only)" "$devctl" policy push "$tmp/policy"
active() { "$devctl" policy status -o json | grep -q '"source": "ConfigMap"' && ! "$devctl" policy status -o json | grep -q lastRejection; }
check "the pushed policy is active" wait_until 60 active
create box-crash
crash_loop() { jp devserver box-crash '{.status.conditions[?(@.type=="Available")].reason}' | grep -q CrashLoopBackOff; }
check "a container that exits: CrashLoopBackOff in the status" wait_until 180 crash_loop
check "and the phase is Failed" jp_is devserver box-crash '{.status.phase}' Failed

# --- 6. logs -------------------------------------------------------------------
check "devctl logs shows sshd listening" bash -c "'$devctl' -n $ns logs box-base | grep -q 'Server listening on .* port 2222'"
check "devctl logs shows the logins" bash -c "'$devctl' -n $ns logs box-base | grep -q 'Accepted publickey for dev'"

# --- 7. create -> first successful ssh whoami ----------------------------------
tries=${REAL_SSH_TRIES:-10}
times=()
for i in $(seq 1 "$tries"); do
  t0=$(date +%s%N)
  create "lat-$i"
  if wait_until 300 whoami_is_dev "lat-$i"; then times+=("$(ms "$t0")"); else fail "lat-$i never answered ssh"; fi
  dc delete "lat-$i" >/dev/null
done
if [ ${#times[@]} -gt 0 ]; then
  sorted=$(printf '%s\n' "${times[@]}" | sort -n)
  p50=$(sed -n "$(( (${#times[@]} + 1) / 2 ))p" <<<"$sorted")
  echo "     create -> first ssh whoami over ${#times[@]} DevServers (ms): $(tr '\n' ' ' <<<"$sorted")"
  echo "     p50 ${p50} ms, min $(head -1 <<<"$sorted") ms, max $(tail -1 <<<"$sorted") ms"
fi

check "nothing logged at warn or above but for the two broken boxes" \
  bash -c "! grep -E '^[^ ]+ (warn|error) ' $operator_log | grep -vE 'box-(noimage|crash)' | grep -q ."
finish
