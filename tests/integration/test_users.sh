#!/usr/bin/env bash
# Users and namespaces (kwok nodes: no container needed):
#   - scope: an operator given two --namespace values and a
#     --namespace-selector reconciles DevServers there and leaves every
#     other namespace's alone; a namespace labelled to match later is taken
#     up without a restart;
#   - DevServerUser: a namespace dev-<username>, a ServiceAccount and a
#     RoleBinding to the ClusterRole devserver-user; the developer (a real
#     client certificate, a context without a namespace) runs devctl and
#     lands in that namespace; suspension takes the RoleBinding away and
#     gives it back; a deleted RoleBinding comes back; a namespace someone
#     else made is never taken; deleting the user keeps the namespace.
. "$(dirname "$0")/lib/common.sh"
install_crds
make_namespace users
operator_ns=$ns
f=t-$$
ns2=t-users2-$$
ns3=t-users3-$$
user=Ann$$               # mixed case: the namespace is lower case, the RBAC subject is not
user_ns=dev-ann$$
taken=Tak$$
taken_ns=dev-tak$$
tmp=$(mktemp -d)
role_file=$root/deploy/manifests/25-clusterrole-devserver-user.yaml
on_exit 'rm -rf "$tmp"'
on_exit 'for n in "$ns2" "$ns3" "$user_ns" "$taken_ns"; do kubectl delete namespace "$n" --wait=false >/dev/null 2>&1; done'
on_exit 'kubectl delete -f "$role_file" >/dev/null 2>&1'
on_exit 'kubectl delete devserverflavor -l test=$f >/dev/null 2>&1'
on_exit 'kubectl delete devserveruser -l test=$f --wait=false >/dev/null 2>&1'
export HOME=$tmp
devctl="$bin_dir/devctl"
kubectl create namespace "$ns2" >/dev/null
kubectl create namespace "$ns3" >/dev/null
kubectl create namespace "$taken_ns" >/dev/null
kubectl apply -f "$role_file" >/dev/null
echo "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBt9 dev@laptop" > "$tmp/key.pub"
kubectl apply -f - >/dev/null <<YAML
apiVersion: devserver.io/v1
kind: DevServerFlavor
metadata: {name: $f-small, labels: {test: "$f"}}
spec:
  resources: {requests: {cpu: 100m, memory: 128Mi}}
$kwok_placement
YAML
mk() { "$devctl" -n "$1" create "$2" --flavor "$f-small" --image example.invalid/dev:1 \
         --ssh-public-key-file "$tmp/key.pub" "${@:3}" >/dev/null; }
phase_in() { kubectl -n "$1" get devserver "$2" -o jsonpath='{.status.phase}' 2>/dev/null; }
running_in() { [ "$(phase_in "$1" "$2")" = Running ]; }

# --- 1. scope ---------------------------------------------------------------------
check "a DevServer in a namespace outside the scope is created" mk "$ns3" outside
start_operator --namespace "$ns2" --namespace "$user_ns" --namespace "$taken_ns" \
  --namespace-selector "test-scope=$f"
check "in the first --namespace it runs" mk "$ns" one --wait --timeout 60s
check "in the second --namespace it runs" mk "$ns2" two --wait --timeout 60s
check "outside the scope it is left alone: no status" bash -c "[ -z \"\$(kubectl -n $ns3 get devserver outside -o jsonpath='{.status}')\" ]"
check "and no children" bash -c "[ -z \"\$(kubectl -n $ns3 get deployments -o name)\" ]"
kubectl label namespace "$ns3" "test-scope=$f" >/dev/null
t0=$(now_ms)
if wait_until 60 running_in "$ns3" outside; then
  pass "labelled to match the selector, its namespace is taken up without a restart"
  echo "     namespace labelled -> its DevServer Running: $(( $(now_ms) - t0 )) ms"
else
  fail "labelled to match the selector, its namespace is taken up without a restart"
fi
check "the operator logs its scope" \
  grep -q "reconciling DevServers.*namespaces $ns,$ns2,$user_ns,$taken_ns + selector test-scope=$f" "$operator_log"

# --- 2. a DevServerUser -----------------------------------------------------------
kubectl apply -f - >/dev/null <<YAML
apiVersion: devserver.io/v1
kind: DevServerUser
metadata: {name: ann-$$, labels: {test: "$f"}}
spec: {username: $user}
YAML
user_ready() { [ "$(kubectl get devserveruser "ann-$$" -o jsonpath='{.status.conditions[?(@.type=="Ready")].reason}')" = "$1" ]; }
t0=$(now_ms)
if wait_until 60 user_ready Active; then
  pass "the DevServerUser is Ready (Active)"
  echo "     DevServerUser created -> Ready: $(( $(now_ms) - t0 )) ms"
else
  fail "the DevServerUser is Ready (Active)"
  kubectl get devserveruser "ann-$$" -o yaml | sed 's/^/       /' | tail -20
fi
check "status.namespace is $user_ns" jp_is_ns default devserveruser "ann-$$" '{.status.namespace}' "$user_ns"
check "the namespace carries the user's labels and Pod Security restricted" bash -c \
  "[ \"\$(kubectl get ns $user_ns -o jsonpath='{.metadata.labels.devserver\.io/user}/{.metadata.labels.devserver\.io/managed}/{.metadata.labels.pod-security\.kubernetes\.io/enforce}')\" = '$user/true/restricted' ]"
check "the namespace is not owned by the user (it outlives it)" bash -c \
  "[ -z \"\$(kubectl get ns $user_ns -o jsonpath='{.metadata.ownerReferences}')\" ]"
check "the ServiceAccount ann$$-sa is owned by the user" \
  jp_is_ns "$user_ns" serviceaccount "ann$$-sa" '{.metadata.ownerReferences[0].kind}' DevServerUser
check "the RoleBinding binds the ClusterRole devserver-user" \
  jp_is_ns "$user_ns" rolebinding devserver-user '{.roleRef.kind}/{.roleRef.name}' ClusterRole/devserver-user
can() { kubectl auth can-i --as "$user" "$@" >/dev/null 2>&1; }
check "the user may create DevServers in their namespace" can create devservers.devserver.io -n "$user_ns"
check "and exec into their pods" can create pods --subresource=exec -n "$user_ns"
check "but not in another namespace" bash -c "! kubectl auth can-i --as '$user' create devservers.devserver.io -n '$ns' >/dev/null 2>&1"
check "nor delete pods" bash -c "! kubectl auth can-i --as '$user' delete pods -n '$user_ns' >/dev/null 2>&1"

# The developer: a client certificate with CN=<username>, signed by the
# cluster's CA, and a context that names no namespace.
pki=$(dirname "$KUBECONFIG")/pki
if [ -f "$pki/ca.key" ]; then
  openssl ecparam -name prime256v1 -genkey -noout -out "$tmp/user.key" 2>/dev/null
  openssl req -new -key "$tmp/user.key" -subj "/CN=$user" -out "$tmp/user.csr" 2>/dev/null
  openssl x509 -req -in "$tmp/user.csr" -CA "$pki/ca.crt" -CAkey "$pki/ca.key" -CAcreateserial \
    -days 1 -out "$tmp/user.crt" 2>/dev/null
  server=$(kubectl config view --minify -o jsonpath='{.clusters[0].cluster.server}')
  KUBECONFIG=$tmp/user.kubeconfig kubectl config set-cluster c --server "$server" \
    --certificate-authority "$pki/ca.crt" --embed-certs >/dev/null
  KUBECONFIG=$tmp/user.kubeconfig kubectl config set-credentials "$user" \
    --client-certificate "$tmp/user.crt" --client-key "$tmp/user.key" --embed-certs >/dev/null
  KUBECONFIG=$tmp/user.kubeconfig kubectl config set-context dev --cluster c --user "$user" >/dev/null
  KUBECONFIG=$tmp/user.kubeconfig kubectl config use-context dev >/dev/null
  as_dev() { KUBECONFIG=$tmp/user.kubeconfig "$devctl" "$@"; }
  check "the developer's devctl create (no -n) lands in $user_ns and runs" \
    as_dev create box --flavor "$f-small" --image example.invalid/dev:1 \
      --ssh-public-key-file "$tmp/key.pub" --wait --timeout 60s
  check "the DevServer is in $user_ns" jp_is_ns "$user_ns" devserver box '{.metadata.name}' box
  check "devctl list (no -n) shows it" bash -c "KUBECONFIG=$tmp/user.kubeconfig '$devctl' list | grep -q '^box '"
  check "the developer may not read DevServerUsers (the namespace came from the naming rule)" \
    bash -c "! KUBECONFIG=$tmp/user.kubeconfig kubectl get devserverusers >/dev/null 2>&1"
else
  fail "the cluster's CA key is at $pki/ca.key (to make the developer's certificate)"
fi

# --- 3. suspension, drift ----------------------------------------------------------
kubectl patch devserveruser "ann-$$" --type merge -p '{"spec":{"suspended":true}}' >/dev/null
check "suspended: the RoleBinding goes" wait_until 60 bash -c "! kubectl -n $user_ns get rolebinding devserver-user >/dev/null 2>&1"
check "suspended: status says so" wait_until 30 user_ready Suspended
check "suspended: the user may no longer create DevServers" bash -c "! kubectl auth can-i --as '$user' create devservers.devserver.io -n '$user_ns' >/dev/null 2>&1"
check "suspended: the namespace stays" bash -c "kubectl get namespace $user_ns >/dev/null"
[ ! -f "$pki/ca.key" ] || check "suspended: the developer's DevServer stays" \
  bash -c "kubectl -n $user_ns get devserver box >/dev/null"
kubectl patch devserveruser "ann-$$" --type merge -p '{"spec":{"suspended":false}}' >/dev/null
check "resumed: the RoleBinding is back" wait_until 60 kubectl -n "$user_ns" get rolebinding devserver-user
check "resumed: Active again" wait_until 30 user_ready Active
kubectl -n "$user_ns" delete rolebinding devserver-user >/dev/null
t0=$(now_ms)
if wait_until 60 kubectl -n "$user_ns" get rolebinding devserver-user; then
  pass "a deleted RoleBinding comes back"
  echo "     RoleBinding deleted -> back: $(( $(now_ms) - t0 )) ms"
else
  fail "a deleted RoleBinding comes back"
fi

# --- 4. a namespace someone else made; a bad username --------------------------------
kubectl apply -f - >/dev/null <<YAML
apiVersion: devserver.io/v1
kind: DevServerUser
metadata: {name: tak-$$, labels: {test: "$f"}}
spec: {username: $taken}
YAML
check "a namespace someone else made: Ready False, NamespaceTaken" wait_until 60 bash -c \
  "[ \"\$(kubectl get devserveruser tak-$$ -o jsonpath='{.status.conditions[?(@.type==\"Ready\")].reason}')\" = NamespaceTaken ]"
check "and that namespace is left as it was" bash -c "[ -z \"\$(kubectl get ns $taken_ns -o jsonpath='{.metadata.labels.devserver\.io/user}')\" ]"
check "no RoleBinding in it" bash -c "! kubectl -n $taken_ns get rolebinding devserver-user >/dev/null 2>&1"
kubectl apply -f - >"$tmp/bad.out" 2>&1 <<YAML && rc=0 || rc=$?
apiVersion: devserver.io/v1
kind: DevServerUser
metadata: {name: bad-$$, labels: {test: "$f"}}
spec: {username: "ann@example.com"}
YAML
check "a username that is no DNS label is refused by the API server" \
  bash -c "[ $rc -ne 0 ] && grep -q 'spec.username' '$tmp/bad.out'"

# --- 5. deleting the user --------------------------------------------------------------
kubectl delete devserveruser "ann-$$" >/dev/null
check "deleted: its RoleBinding and ServiceAccount go (garbage collection)" wait_until 60 bash -c \
  "! kubectl -n $user_ns get rolebinding devserver-user >/dev/null 2>&1 && ! kubectl -n $user_ns get serviceaccount ann$$-sa >/dev/null 2>&1"
check "deleted: the namespace stays" bash -c "kubectl get namespace $user_ns >/dev/null"
check "no request of the operator about users failed" bash -c "! grep -Eq 'user: request failed|Segmentation' '$operator_log'"
finish
