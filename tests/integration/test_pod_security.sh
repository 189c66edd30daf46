#!/usr/bin/env bash
# Every pod the default policy renders passes Pod Security "restricted", as
# the API server's own admission judges it: for each fixture under
# tests/fixtures/render with a Deployment, a Pod with that pod template is
# created (server-side dry run, so admission runs and nothing is stored) in a
# namespace that enforces restricted. A variant of one that allows privilege escalation is
# refused there, which shows the namespace does enforce.
. "$(dirname "$0")/lib/common.sh"
make_namespace podsec
kubectl label namespace "$ns" pod-security.kubernetes.io/enforce=restricted \
  pod-security.kubernetes.io/enforce-version=latest >/dev/null
fixtures=$root/tests/fixtures/render
conv=$root/tests/integration/lib/pod_of_deployment.lua
tmp=$(mktemp -d)
on_exit 'rm -rf "$tmp"'

count=0
for dir in "$fixtures"/*/; do
  case=$(basename "$dir")
  [ -f "$dir/expected.yaml" ] || continue
  lua5.4 "$conv" "$dir/expected.yaml" "fx-$count" > "$tmp/pod.json"
  [ -s "$tmp/pod.json" ] || continue
  count=$((count + 1))
  if out=$(kubectl -n "$ns" create --dry-run=server -f "$tmp/pod.json" 2>&1); then
    pass "fixture $case: its pod is admitted under restricted"
  else
    fail "fixture $case: its pod is admitted under restricted"
    printf '       %s\n' "$out" | head -5
  fi
done
check "the fixtures held pods to check" [ "$count" -gt 20 ]

# the control: the same pod allowing privilege escalation is refused here
lua5.4 "$conv" "$fixtures/full/expected.yaml" privileged |
  sed 's/"allowPrivilegeEscalation":false/"allowPrivilegeEscalation":true/' > "$tmp/bad.json"
out=$(kubectl -n "$ns" create --dry-run=server -f "$tmp/bad.json" 2>&1) && rc=0 || rc=$?
check "a variant allowing privilege escalation is refused by the namespace (it enforces restricted)" \
  bash -c "[ $rc -ne 0 ] && grep -q 'violates PodSecurity' <<<'$out'"
finish
