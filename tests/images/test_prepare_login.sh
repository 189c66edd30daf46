#!/usr/bin/env bash
# tests/images/test_prepare_login.sh - prepare-login on odd passwd/group input, without containers.
#
# Runs images/tools/tree/bin/prepare-login (the repository's copy) with the
# static busybox from the built tools image, against fake image roots:
# CRLF line ends, comments, blank lines, no final newline, an existing `dev`
# and another uid-1000 user, a tty group whose gid differs from the ptys',
# missing files, each shell fallback, and an output it cannot write (clear
# message, non-zero exit). Data-driven: each case is input files and the
# exact expected output.
#
# Needs the tools archive (scripts/images build tools; built here when
# running as root). Exits 77 (ctest: skipped) without it and without root.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
script=$root/images/tools/tree/bin/prepare-login

skip() { echo "SKIP: $*" >&2; exit 77; }
fail() { echo "FAIL: $*" >&2; exit 1; }

archive=$("$root/scripts/images" list | awk '$1 == "tools" { print $3 }')
if [ ! -f "$archive.info" ]; then
  [ "$(id -u)" -eq 0 ] || skip "the tools image is not built (sudo scripts/images build tools)"
  "$root/scripts/images" build tools
fi
t=$(mktemp -d /tmp/devserver-prepare-login-test.XXXXXX)
trap 'rm -rf "$t"' EXIT
layer=$(awk '$1 == "layer" { sub("sha256:", "", $2); print $2 }' "$archive.info")
tar -xOf "$archive" "blobs/sha256/$layer" | tar -xz --no-same-owner -C "$t" ./opt/devserver-tools/bin/busybox
bb=$t/opt/devserver-tools/bin/busybox
[ -x "$bb" ] || fail "no busybox in $archive"

# run CASE: prepare-login with DEVSERVER_DIR=$t/CASE/dir and the image root $t/CASE/img.
run() {
  local c=$t/$1
  mkdir -p "$c/dir/bin" "$c/img"
  ln -sf "$bb" "$c/dir/bin/busybox"
  DEVSERVER_DIR=$c/dir DEVSERVER_IMAGE_ROOT=$c/img DEVSERVER_PTS_GID=${PTS_GID:-5} \
    "$bb" sh "$script" 2>"$c/stderr"
}
expect() { # expect CASE FILE: compare $t/CASE/dir/etc/FILE with stdin
  local got=$t/$1/dir/etc/$2
  if ! diff -u - "$got" > "$t/diff"; then cat "$t/diff" >&2; fail "$1: unexpected $2"; fi
}

# 1. A messy Ubuntu-like image: CRLF, comments, blank lines, no final newline,
#    its own uid-1000 user `ubuntu`, a `dev` with another uid, a tty group.
mkdir -p "$t/messy/img/etc" "$t/messy/img/bin"
printf 'root:x:0:0:root:/root:/bin/bash\r\n# a comment\r\n\r\ndaemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin\r\nubuntu:x:1000:1000:Ubuntu:/home/ubuntu:/bin/bash\r\ndev:x:1001:1001::/home/dev:/bin/sh\r\n  \r\n+::::::' \
  > "$t/messy/img/etc/passwd"
printf 'root:x:0:\ntty:x:5:\nsudo:x:27:ubuntu\nubuntu:x:1000:\ndev:x:1001:\n#end' > "$t/messy/img/etc/group"
printf '#!/bin/sh\n' > "$t/messy/img/bin/bash"; chmod 0755 "$t/messy/img/bin/bash"
run messy || { cat "$t/messy/stderr" >&2; fail "messy: exit $?"; }
expect messy passwd <<'EOF'
root:x:0:0:root:/root:/bin/bash
daemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin
+::::::
dev:x:1000:1000:DevServer user:/home/dev:/bin/bash
EOF
expect messy group <<'EOF'
root:x:0:
tty:x:5:
sudo:x:27:ubuntu
dev:x:1000:
EOF
grep -q "replacing the image's passwd entry ubuntu (id 1000)" "$t/messy/stderr" || fail "messy: no note about ubuntu"
grep -q "replacing the image's group entry dev (id 1001)" "$t/messy/stderr" || fail "messy: no note about group dev"

# 2. The same group file when ptys get gid 0 (devpts without gid=): tty goes.
mkdir -p "$t/ttygid/img/etc"
cp "$t/messy/img/etc/group" "$t/ttygid/img/etc/group"
PTS_GID=0 run ttygid || { cat "$t/ttygid/stderr" >&2; fail "ttygid: exit $?"; }
expect ttygid group <<'EOF'
root:x:0:
sudo:x:27:ubuntu
dev:x:1000:
EOF
grep -q 'leaving out group tty (gid 5): new ptys have gid 0' "$t/ttygid/stderr" || fail "ttygid: no note"

# 3. Only /bin/sh (busybox-like); 4. nothing at all (no /etc, no shell).
mkdir -p "$t/shonly/img/bin"
ln -s busybox "$t/shonly/img/bin/sh"; cp "$bb" "$t/shonly/img/bin/busybox"
run shonly || fail "shonly: exit $?"
expect shonly passwd <<'EOF'
dev:x:1000:1000:DevServer user:/home/dev:/bin/sh
EOF
run empty || fail "empty: exit $?"
expect empty passwd <<EOF
dev:x:1000:1000:DevServer user:/home/dev:$t/empty/dir/bin/sh
EOF
expect empty group <<'EOF'
dev:x:1000:
EOF
grep -q 'the image has no .*/etc/passwd' "$t/empty/stderr" || fail "empty: no note about the missing passwd"

# 5. A /bin/bash that is not executable does not count.
mkdir -p "$t/noexec/img/bin"
printf 'x' > "$t/noexec/img/bin/bash"; chmod 0644 "$t/noexec/img/bin/bash"
run noexec || fail "noexec: exit $?"
expect noexec passwd <<EOF
dev:x:1000:1000:DevServer user:/home/dev:$t/noexec/dir/bin/sh
EOF

# 6. Cannot write: the output directory is a file (any uid); an unwritable
#    directory (only meaningful when not root).
mkdir -p "$t/blocked/dir"
: > "$t/blocked/dir/etc"
if run blocked; then fail "blocked: prepare-login succeeded without an output directory"; fi
grep -q '^prepare-login: cannot create .*/etc' "$t/blocked/stderr" || { cat "$t/blocked/stderr" >&2; fail "blocked: unclear message"; }
if [ "$(id -u)" -ne 0 ]; then
  mkdir -p "$t/readonly/dir/etc"; chmod 0555 "$t/readonly/dir/etc"
  if run readonly; then fail "readonly: prepare-login succeeded on a read-only directory"; fi
  grep -q '^prepare-login: cannot write' "$t/readonly/stderr" || { cat "$t/readonly/stderr" >&2; fail "readonly: unclear message"; }
fi
echo "PASS: prepare-login cases messy ttygid shonly empty noexec blocked" >&2
