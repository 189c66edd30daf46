#!/usr/bin/env bash
# test_operator_startup.sh - what the devserver-operator binary does before it
# talks to a cluster: a bad --max-ttl stops it with one line and exit 2, and
# the predecessor's config file is read (or warned about) and never stops it.
# --kubeconfig /nonexistent makes every run end right after that, with exit 1,
# without any network. Usage: test_operator_startup.sh BINARY
set -uo pipefail
bin=$1
t=$(mktemp -d); trap 'rm -rf "$t"' EXIT
failed=0
pass() { printf 'ok   %s\n' "$1"; }
fail() { printf 'FAIL %s\n' "$1"; failed=1; }
# expect NAME RC PATTERN -- ENV... : runs bin, checks exit status and stderr
expect() {
  local name=$1 rc=$2 pattern=$3 got out; shift 4
  out=$(env -i PATH="$PATH" HOME="$t" "$@" 2>&1); got=$?
  if [ "$got" -eq "$rc" ] && grep -qE -- "$pattern" <<<"$out"; then pass "$name"
  else fail "$name (exit $got, want $rc; output: $out)"; fi
}

expect "a bad --max-ttl: exit 2 and why" 2 \
  '^devserver-operator: --max-ttl: want a duration of at least 1h \(e\.g\. 7d, 36h\) or none, got "7x"$' -- \
  "$bin" --max-ttl 7x
expect "a bad DEVSERVER_MAX_TTL: exit 2 and why" 2 '^devserver-operator: \$DEVSERVER_MAX_TTL: ' -- \
  DEVSERVER_MAX_TTL=soon "$bin"
expect "--max-ttl none is accepted" 1 'cannot start' -- "$bin" --max-ttl none --kubeconfig /nonexistent
expect "--help names --max-ttl and its variable" 0 '--max-ttl VALUE .*\(default 7d\) \[\$DEVSERVER_MAX_TTL\]' -- \
  "$bin" --help
expect "--help names the predecessor's config file" 0 \
  "/etc/devserver-operator/config.yaml \(\\\$DEVSERVER_OPERATOR_CONFIG_PATH\)" -- "$bin" --help

printf 'defaultDevserverImage: registry.example/base:2\nworkerLimit: 4\n' >"$t/good.yaml"
expect "the predecessor's file: one info line, the image used" 1 \
  "info  read the predecessor's config file=$t/good.yaml used=\"defaultDevserverImage -> --default-image\" ignored=\"workerLimit \(kopf's worker count; --concurrency is ours\)\" truncated=no defaultImage=registry.example/base:2" -- \
  DEVSERVER_OPERATOR_CONFIG_PATH="$t/good.yaml" "$bin" --kubeconfig /nonexistent
printf 'a: [\n' >"$t/bad.yaml"
expect "invalid YAML: one warning, then it goes on" 1 \
  "warn  ignoring the predecessor's config file, going on without it error=\"$t/bad.yaml: not valid YAML" -- \
  DEVSERVER_OPERATOR_CONFIG_PATH="$t/bad.yaml" "$bin" --kubeconfig /nonexistent
out=$(env -i PATH="$PATH" HOME="$t" DEVSERVER_OPERATOR_CONFIG_PATH="$t/none.yaml" "$bin" --kubeconfig /nonexistent 2>&1)
if grep -q predecessor <<<"$out"; then fail "a missing file is silent ($out)"; else pass "a missing file is silent"; fi
exit $failed
