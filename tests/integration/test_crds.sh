#!/usr/bin/env bash
# Integration test of the CRDs against the real local control plane.
#
# Installs crds/, waits until they are Established and served, applies the
# examples (all must be accepted), then runs the data-driven cases under
# tests/fixtures/crds (see its README.md): valid objects are accepted, invalid
# ones are rejected with the expected message. Finally it checks the
# behaviours that are not a single accept/reject: defaulting, pruning of
# unknown fields, the status subresource and the printer columns.
#
# Run by ctest after the `cluster` fixture (scripts/cluster up); by hand:
#   scripts/cluster up && bash tests/integration/test_crds.sh
# It creates one namespace of its own and deletes it at the end, together
# with the cluster-scoped objects it created. The CRDs stay installed (other
# suites need them; deleting a CRD deletes every object of its kind).
. "$(dirname "$0")/lib/common.sh"
FIXTURES="$root/tests/fixtures/crds"
cd "$root"

FIELD_MANAGER=devserver-crd-test
NS="crd-test-$(date +%s)-$$"
TMP="$(mktemp -d)"
CREATED_FLAVORS=()   # example flavors this run created (deleted at the end)

cleanup() {
  kubectl delete namespace "$NS" --ignore-not-found --wait=false >/dev/null 2>&1
  kubectl delete devserverflavors -l devserver.io/test=crds --ignore-not-found >/dev/null 2>&1
  local f
  for f in "${CREATED_FLAVORS[@]}"; do
    kubectl delete devserverflavor "$f" --ignore-not-found >/dev/null 2>&1
  done
  rm -rf "$TMP"
}
on_exit cleanup

# --- 1. install the CRDs ---------------------------------------------------
if kubectl apply --server-side --force-conflicts --field-manager="$FIELD_MANAGER" \
     -f crds/ >"$TMP/out" 2>&1; then
  pass "CRDs applied"
else
  fail "CRDs applied" "$TMP/out"; finish; exit 1
fi
for crd in devservers.devserver.io devserverflavors.devserver.io devserverusers.devserver.io; do
  # poll: `kubectl wait` errors out while a just-created CRD has no conditions
  if wait_until 60 bash -c "[ \"\$(kubectl get crd/$crd -o jsonpath='{.status.conditions[?(@.type==\"Established\")].status}')\" = True ]" &&
     [[ -z "$(kubectl get "crd/$crd" -o jsonpath='{.status.conditions[?(@.type=="NonStructuralSchema")].status}')" ]]; then
    pass "$crd Established and structural"
  else
    fail "$crd Established and structural" "$TMP/out"
  fi
done
# Established means the API server accepted the CRD; kubectl's discovery may
# lag a moment behind, so wait until the kinds are served.
if wait_until 60 kubectl get devservers.devserver.io -A && wait_until 60 kubectl get devserverflavors.devserver.io; then
  pass "kinds served"
else
  fail "kinds served"
fi

kubectl create namespace "$NS" >/dev/null
kubectl label namespace "$NS" devserver.io/test=crds >/dev/null

# --- 2. examples -------------------------------------------------------------
for f in examples/*.yaml; do
  kind="$(sed -n 's/^kind: *//p' "$f" | head -n1)"
  name="$(sed -n '/^metadata:/,/^[a-z]/s/^  name: *//p' "$f" | head -n1)"
  if [[ "$kind" == DevServerFlavor ]] &&
     ! kubectl get devserverflavor "$name" >/dev/null 2>&1; then
    CREATED_FLAVORS+=("$name")
  fi
  if kubectl apply --server-side --field-manager="$FIELD_MANAGER" -n "$NS" -f "$f" >"$TMP/out" 2>&1; then
    pass "example accepted: $f"
  else
    fail "example accepted: $f" "$TMP/out"
  fi
done

# --- 3. data-driven cases --------------------------------------------------
# Every case goes through both write paths, because their messages differ for
# some rules (duplicate list-map keys, unknown fields):
#   write   POST/PUT, as kubectl create/replace/apply and devctl do
#           (kubectl create, or kubectl replace when there is a .before file);
#   ssa     server-side apply, as the operator and kubectl apply --server-side.
# Both run with --dry-run=server: the full validation, nothing is stored.
# <case>.expect holds the write path's messages; <case>.ssa.expect, when it
# exists, the server-side apply path's (else .expect serves both).
submit() { # PATH FILE HAS_BEFORE: output to $TMP/out
  local args=(--dry-run=server -n "$NS" -f "$2")
  case "$1" in
    write) if [[ "$3" == yes ]]; then kubectl replace "${args[@]}"; else kubectl create "${args[@]}"; fi ;;
    ssa) kubectl apply --server-side --field-manager="$FIELD_MANAGER" "${args[@]}" ;;
  esac >"$TMP/out" 2>&1
}

# prepare CASE_FILE: apply <case>.before.yaml for real when it exists.
prepare() {
  local before="${1%.yaml}.before.yaml"
  [[ -f "$before" ]] || return 0
  kubectl apply --server-side --field-manager="$FIELD_MANAGER" -n "$NS" -f "$before" >"$TMP/out" 2>&1
}
unprepare() {
  local before="${1%.yaml}.before.yaml"
  [[ -f "$before" ]] || return 0
  kubectl delete -n "$NS" -f "$before" --ignore-not-found --wait=true --timeout=30s >/dev/null 2>&1 || true
}
has_before() { if [[ -f "${1%.yaml}.before.yaml" ]]; then echo yes; else echo no; fi; }

for f in "$FIXTURES"/valid/*.yaml; do
  [[ "$f" == *.before.yaml ]] && continue
  for path in write ssa; do
    c="valid/$(basename "$f" .yaml) ($path)"
    if ! prepare "$f"; then fail "$c setup" "$TMP/out"; continue; fi
    if submit "$path" "$f" "$(has_before "$f")"; then pass "$c accepted"; else fail "$c accepted" "$TMP/out"; fi
    unprepare "$f"
  done
done

for f in "$FIXTURES"/invalid/*.yaml; do
  [[ "$f" == *.before.yaml ]] && continue
  for path in write ssa; do
    c="invalid/$(basename "$f" .yaml) ($path)"
    expect="${f%.yaml}.expect"
    if [[ "$path" == ssa && -f "${f%.yaml}.ssa.expect" ]]; then expect="${f%.yaml}.ssa.expect"; fi
    if [[ ! -s "$expect" ]]; then fail "$c: no $(basename "$expect")"; continue; fi
    if ! prepare "$f"; then fail "$c setup" "$TMP/out"; continue; fi
    if submit "$path" "$f" "$(has_before "$f")"; then
      fail "$c rejected (it was accepted)" "$TMP/out"
    else
      missing=""
      while IFS= read -r line || [[ -n "$line" ]]; do
        [[ -z "$line" ]] && continue
        grep -qF -- "$line" "$TMP/out" || missing+="  missing: $line"$'\n'
      done <"$expect"
      if [[ -z "$missing" ]]; then
        pass "$c rejected"
      else
        printf '%s' "$missing" >>"$TMP/out"; fail "$c rejected with the expected message" "$TMP/out"
      fi
    fi
    unprepare "$f"
  done
done

# --- 4. behaviours -----------------------------------------------------------
get() { kubectl get -n "$NS" "$@" 2>/dev/null; }

# Defaults: mode, volume readOnly, home size.
cat >"$TMP/defaults.yaml" <<'EOF'
apiVersion: devserver.io/v1
kind: DevServer
metadata: {name: defaults}
spec:
  home: {}
  volumes: [{claimName: data, mountPath: /data}]
EOF
if kubectl create -n "$NS" -f "$TMP/defaults.yaml" >"$TMP/out" 2>&1 &&
   [[ "$(get devserver defaults -o jsonpath='{.spec.mode}/{.spec.home.size}/{.spec.volumes[0].readOnly}')" == "standalone/10Gi/false" ]]; then
  pass "defaults: mode standalone, home.size 10Gi, readOnly false"
else
  get devserver defaults -o yaml >>"$TMP/out" || true
  fail "defaults: mode standalone, home.size 10Gi, readOnly false" "$TMP/out"
fi

# Unknown fields, strict: kubectl's default (--validate=strict) makes the
# server reject them; the SSA path is covered by invalid/unknown-field.
cat >"$TMP/unknown.yaml" <<'EOF'
apiVersion: devserver.io/v1
kind: DevServer
metadata: {name: unknown-field}
spec:
  flavor: cpu-small
  colour: blue
  home: {size: 1Gi, shape: round}
EOF
if kubectl create --validate=strict --dry-run=server -n "$NS" -f "$TMP/unknown.yaml" >"$TMP/out" 2>&1; then
  fail "unknown field rejected with --validate=strict" "$TMP/out"
elif grep -qF 'unknown field "spec.colour"' "$TMP/out"; then
  pass "unknown field rejected with --validate=strict"
else
  fail "unknown field rejected with --validate=strict (message)" "$TMP/out"
fi
# Unknown fields, lenient: accepted with a warning, and pruned from storage.
if kubectl create --validate=warn -n "$NS" -f "$TMP/unknown.yaml" >"$TMP/out" 2>&1 &&
   grep -qF 'unknown field "spec.colour"' "$TMP/out" &&
   [[ "$(get devserver unknown-field -o jsonpath='{.spec.flavor}|{.spec.colour}|{.spec.home.shape}|{.spec.home.size}')" == "cpu-small|||1Gi" ]]; then
  pass "unknown fields pruned with --validate=warn (warning shown, fields dropped)"
else
  get devserver unknown-field -o yaml >>"$TMP/out" || true
  fail "unknown fields pruned with --validate=warn" "$TMP/out"
fi

# affinity is the one free-form subtree of a flavor: kept as written.
cat >"$TMP/affinity.yaml" <<'EOF'
apiVersion: devserver.io/v1
kind: DevServerFlavor
metadata:
  name: test-crds-affinity
  labels: {devserver.io/test: crds}
spec:
  affinity:
    nodeAffinity:
      preferredDuringSchedulingIgnoredDuringExecution:
        - weight: 10
          preference:
            matchExpressions: [{key: disk, operator: In, values: [ssd]}]
EOF
if kubectl create -f "$TMP/affinity.yaml" >"$TMP/out" 2>&1 &&
   [[ "$(kubectl get devserverflavor test-crds-affinity -o jsonpath='{.spec.affinity.nodeAffinity.preferredDuringSchedulingIgnoredDuringExecution[0].preference.matchExpressions[0].values[0]}')" == ssd ]]; then
  pass "flavor affinity preserved as written"
else
  fail "flavor affinity preserved as written" "$TMP/out"
fi

# Status subresource: spec writes ignore status; /status accepts a valid one
# and rejects an invalid one; printer columns show it.
future="$(date -u -d '+2 hours' +%Y-%m-%dT%H:%M:%SZ)"
now="$(date -u +%Y-%m-%dT%H:%M:%SZ)"
status_patch="$(cat <<EOF
{"status": {"phase": "Running", "flavor": "cpu-small", "observedGeneration": 1,
  "expiresAt": "$future",
  "connection": {"ssh": "ssh dev@defaults", "shell": "kubectl exec -it deploy/defaults -- bash"},
  "ssh": {"service": "defaults-ssh", "port": 22}, "policy": {"revision": "builtin-1"},
  "conditions": [{"type": "Ready", "status": "True", "reason": "PodReady",
                  "message": "", "lastTransitionTime": "$now", "observedGeneration": 1}]}}
EOF
)"
if kubectl patch -n "$NS" devserver defaults --subresource=status --type=merge \
     -p "$status_patch" >"$TMP/out" 2>&1; then
  pass "status subresource accepts a valid status"
else
  fail "status subresource accepts a valid status" "$TMP/out"
fi
if get devservers >"$TMP/table" &&
   head -n1 "$TMP/table" | grep -qE '^NAME +FLAVOR +PHASE +READY +EXPIRES +AGE$' &&
   grep -qE "^defaults +cpu-small +Running +True +$future " "$TMP/table"; then
  pass "printer columns: Flavor, Phase, Ready, Expires, Age"
else
  fail "printer columns: Flavor, Phase, Ready, Expires, Age" "$TMP/table"
fi
if get devsrv >"$TMP/out" && grep -q '^defaults ' "$TMP/out"; then
  pass "short name devsrv"
else
  fail "short name devsrv" "$TMP/out"
fi
if kubectl get dsf >"$TMP/out" 2>&1 && head -n1 "$TMP/out" | grep -q '^NAME .*DEFAULT'; then
  pass "short name dsf"
else
  fail "short name dsf" "$TMP/out"
fi
if kubectl patch -n "$NS" devserver defaults --subresource=status --type=merge \
     -p '{"status":{"phase":"Exploded"}}' >"$TMP/out" 2>&1; then
  fail "status subresource rejects an unknown phase" "$TMP/out"
elif grep -qF 'status.phase: Unsupported value: "Exploded"' "$TMP/out"; then
  pass "status subresource rejects an unknown phase"
else
  fail "status subresource rejects an unknown phase (message)" "$TMP/out"
fi
if kubectl patch -n "$NS" devserver defaults --subresource=status --type=merge \
     -p '{"status":{"conditions":[{"type":"Ready","status":"Maybe"}]}}' >"$TMP/out" 2>&1; then
  fail "status subresource rejects a malformed condition" "$TMP/out"
elif grep -qF 'status.conditions[0].status: Unsupported value: "Maybe"' "$TMP/out" &&
     grep -qF 'status.conditions[0].reason: Required value' "$TMP/out"; then
  pass "status subresource rejects a malformed condition"
else
  fail "status subresource rejects a malformed condition (message)" "$TMP/out"
fi
gen_before="$(get devserver defaults -o jsonpath='{.metadata.generation}')"
if kubectl patch -n "$NS" devserver defaults --type=merge \
     -p '{"status":{"phase":"Failed"},"spec":{"stopped":true}}' >"$TMP/out" 2>&1 &&
   [[ "$(get devserver defaults -o jsonpath='{.status.phase}|{.spec.stopped}')" == "Running|true" ]] &&
   [[ "$(get devserver defaults -o jsonpath='{.metadata.generation}')" -gt "$gen_before" ]]; then
  pass "spec writes ignore status (status subresource enabled)"
else
  fail "spec writes ignore status (status subresource enabled)" "$TMP/out"
fi

finish
