#!/usr/bin/env bash
# tests/images/test_tools_image.sh - the DevServer pod shape on real containers, without Kubernetes.
#
# Proves that the tools image's /devserver tree lets a foreign image run sshd
# as uid 1000 and that a developer gets in: for each of the test images
#   minbase   Debian without openssh
#   busybox   static busybox, no libc at all
#   pause     a single static binary: no shell, no /etc (prepare-login must
#             fall back to /devserver/bin/sh)
# it does what the policy's pod does, with containerd 1.6 and runc:
#   1. init `tools`: the tools image copies its tree into an emptyDir-like
#      directory (root:1000, mode 2777) mounted at /devserver;
#   2. init `login`: /devserver/bin/prepare-login in the user's image;
#   3. main: /devserver/bin/entrypoint in the user's image with passwd/group,
#      the sshd config, the host key (root:1000 0440) and the home mounted,
# every container as uid/gid 1000 with no capabilities, no new privileges,
# the default seccomp profile and a read-only root filesystem; then a real
# `ssh dev@127.0.0.1 -p 2222` from the host into the container's network
# namespace: whoami, an interactive pty (`ssh -tt`), the login shell, no
# LD_* in the session, sshd's own uid and capabilities, sftp, TCP forwarding
# (ssh -W), a ProxyCommand through an exec of the tree's busybox nc, a write
# to the home, a refused login as root.
#
# Needs root, containerd + ctr + runc, ip (netns), ssh, ssh-keygen, sftp;
# exits 77 (ctest: skipped) when one is missing. Builds the images with
# scripts/images when their archives are missing (network to the Debian mirror).
# Runs its own throw-away containerd (root, state, socket, runc root under a
# temporary directory; never the system or cluster one) and stops it at exit.
# ctr 1.6 has no --user: the test imports a copy of each user image whose
# config says User 1000:1000 (same layer).
#
#   tests/images/test_tools_image.sh [IMAGE...]   default: minbase busybox pause (base works too)
#   KEEP=1  keep the temporary directory (logs) on exit
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
images=${*:-minbase busybox pause}
port=2222

skip() { echo "SKIP: $*" >&2; exit 77; }
fail() { echo "FAIL: $*" >&2; exit 1; }
say() { printf '[test_tools_image %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }

[ "$(id -u)" -eq 0 ] || skip "needs root (containerd, mounts, network namespaces)"
for tool in containerd ctr runc ip ssh ssh-keygen sftp flock; do
  command -v "$tool" >/dev/null || skip "$tool is not installed (scripts/install-deps)"
done

. "$root/scripts/image-refs.sh"
t=$(mktemp -d /tmp/devserver-images-test.XXXXXX)
sock=$t/containerd.sock
netns=devserver-images-test-$$
ctrd_pid=
ctr_() { ctr -a "$sock" -n k8s.io "$@"; }

cleanup() {
  local rc=$? id
  set +e
  if [ -n "$ctrd_pid" ]; then
    for id in $(ctr_ tasks ls -q 2>/dev/null); do ctr_ tasks kill -s KILL "$id" >/dev/null 2>&1; done
    for id in $(ctr_ containers ls -q 2>/dev/null); do
      wait_for 10 "task $id gone" task_gone "$id" >/dev/null 2>&1
      ctr_ tasks delete "$id" >/dev/null 2>&1; ctr_ containers delete "$id" >/dev/null 2>&1
    done
    kill "$ctrd_pid" 2>/dev/null
    wait_for 10 "containerd exit" pid_gone "$ctrd_pid" || kill -9 "$ctrd_pid" 2>/dev/null
  fi
  ip netns delete "$netns" 2>/dev/null
  for m in $(awk -v p="$t/" 'index($2, p) == 1 { print $2 }' /proc/self/mounts | sort -r); do
    umount "$m" 2>/dev/null || umount -l "$m" 2>/dev/null
  done
  if [ "${KEEP:-0}" = 1 ] || [ $rc -ne 0 ]; then
    echo "logs kept in $t" >&2
    [ -n "$ctrd_pid" ] && rm -rf --one-file-system "$t/root" "$t/state" 2>/dev/null
  else
    rm -rf --one-file-system "$t"
  fi
  exit $rc
}
trap cleanup EXIT

# wait_for SECONDS WHAT COMMAND...: poll COMMAND until it succeeds or the deadline passes.
wait_for() {
  local secs=$1 what=$2 deadline; shift 2
  deadline=$(( $(date +%s%N) + secs * 1000000000 ))
  until "$@"; do
    [ "$(date +%s%N)" -lt "$deadline" ] || { echo "timed out after ${secs}s waiting for $what" >&2; return 1; }
    sleep 0.1
  done
}
pid_gone() { ! kill -0 "$1" 2>/dev/null; }
task_gone() { ! ctr_ tasks ls 2>/dev/null | awk -v id="$1" '$1 == id && $3 == "RUNNING"' | grep -q .; }

# ---------------------------------------------------------------- containerd
cat > "$t/containerd.toml" <<EOF
version = 2
root = "$t/root"
state = "$t/state"
disabled_plugins = ["io.containerd.grpc.v1.cri"]
[grpc]
  address = "$sock"
[ttrpc]
  address = "$sock.ttrpc"
[debug]
  address = ""
[metrics]
  address = ""
EOF
containerd --config "$t/containerd.toml" >"$t/containerd.log" 2>&1 &
ctrd_pid=$!
wait_for 20 "containerd on $sock" ctr -a "$sock" version >/dev/null 2>&1 ||
  { tail -20 "$t/containerd.log" >&2; fail "containerd did not start"; }

# ------------------------------------------------------------------- images
needed="tools"
for i in $images; do needed="$needed $i"; done
# shellcheck disable=SC2086
"$root/scripts/images" import "$sock" $needed 2>"$t/import.log" ||
  { cat "$t/import.log" >&2; fail "scripts/images import failed"; }

# test_image NAME: import a copy of NAME's archive whose config runs as 1000:1000.
test_image() {
  local name=$1 archive d cfg_old cfg_new man_old man_new ref
  archive=$("$root/scripts/images" list | awk -v n="$name" '$1 == n { print $3 }')
  ref=localhost/devserver-test/$name-uid1000:$DEVSERVER_IMAGE_TAG
  d=$t/variant-$name
  mkdir -p "$d"
  tar -xf "$archive" -C "$d"
  cfg_old=$(awk '$1 == "config" { sub("sha256:", "", $2); print $2 }' "$archive.info")
  man_old=$(awk '$1 == "manifest" { sub("sha256:", "", $2); print $2 }' "$archive.info")
  sed -e 's/"User":"[^"]*",\{0,1\}//; s/"config":{/"config":{"User":"1000:1000",/; s/,}/}/' \
    "$d/blobs/sha256/$cfg_old" > "$d/config"
  cfg_new=$(sha256sum "$d/config" | cut -d' ' -f1)
  mv "$d/config" "$d/blobs/sha256/$cfg_new"
  sed -e "s/$cfg_old/$cfg_new/; s/\"size\":[0-9]*}/\"size\":$(stat -c %s "$d/blobs/sha256/$cfg_new")}/" \
    "$d/blobs/sha256/$man_old" > "$d/manifest"
  man_new=$(sha256sum "$d/manifest" | cut -d' ' -f1)
  mv "$d/manifest" "$d/blobs/sha256/$man_new"
  rm -f "$d/blobs/sha256/$cfg_old" "$d/blobs/sha256/$man_old" "$d/manifest.json"
  sed -i -e "s/$man_old/$man_new/; s/\"size\":[0-9]*/\"size\":$(stat -c %s "$d/blobs/sha256/$man_new")/" \
    -e "s|\"io.containerd.image.name\":\"[^\"]*\"|\"io.containerd.image.name\":\"$ref\"|" "$d/index.json"
  tar -C "$d" -cf "$d.tar" oci-layout index.json blobs
  ctr_ images import "$d.tar" >/dev/null || fail "import of the uid-1000 copy of $name failed"
  rm -rf "$d" "$d.tar"
  echo "$ref"
}

# ------------------------------------------------------------ ssh material
mkdir -p "$t/ssh" "$t/hostkey" "$t/client"
ssh-keygen -q -t ed25519 -N '' -C devserver-test-client -f "$t/client/id_ed25519"
ssh-keygen -q -t ed25519 -N '' -C devserver-test-host -f "$t/hostkey/ssh_host_ed25519_key"
rm -f "$t/hostkey/ssh_host_ed25519_key.pub"
chown 0:1000 "$t/hostkey" "$t/hostkey/ssh_host_ed25519_key"
chmod 0750 "$t/hostkey"
chmod 0440 "$t/hostkey/ssh_host_ed25519_key"
cp "$t/client/id_ed25519.pub" "$t/ssh/authorized_keys"
# What the policy renders into the sshd_config ConfigMap (docs/images.md).
cat > "$t/ssh/sshd_config" <<EOF
Port $port
HostKey /etc/devserver/hostkey/ssh_host_ed25519_key
PidFile /devserver/run/sshd.pid
AuthorizedKeysFile /etc/devserver/ssh/authorized_keys
UsePAM no
StrictModes no
PermitRootLogin no
AllowUsers dev
PasswordAuthentication no
KbdInteractiveAuthentication no
PrintLastLog no
PrintMotd no
X11Forwarding no
Subsystem sftp internal-sftp
EOF
chmod 0644 "$t/ssh/"*
ip netns add "$netns"
ip -n "$netns" link set lo up

# What a restricted pod gets: uid/gid 1000 from the image config, no
# capabilities, no_new_privs (ctr's default), default seccomp, read-only root.
caps="CAP_CHOWN CAP_DAC_OVERRIDE CAP_FSETID CAP_FOWNER CAP_MKNOD CAP_NET_RAW CAP_SETGID CAP_SETUID
CAP_SETFCAP CAP_SETPCAP CAP_NET_BIND_SERVICE CAP_SYS_CHROOT CAP_KILL CAP_AUDIT_WRITE"
restricted=(--seccomp --read-only --runc-root "$t/runc")
for c in $caps; do restricted+=(--cap-drop "$c"); done

sshc() {
  ip netns exec "$netns" ssh -F /dev/null -p "$port" -i "$t/client/id_ed25519" \
    -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o LogLevel=ERROR \
    -o ConnectTimeout=5 -o BatchMode=yes "$@"
}

run_case() {
  local name=$1 ref vol home out id log
  ref=$(test_image "$name")
  vol=$t/$name/devserver home=$t/$name/home log=$t/$name
  mkdir -p "$vol" "$home"
  chown 0:1000 "$vol" "$home"
  chmod 2777 "$vol" "$home"
  local shared=(--mount "type=bind,src=$vol,dst=/devserver,options=rbind:rw")

  say "$name: init tools"
  ctr_ run --rm "${restricted[@]}" "${shared[@]}" "$DEVSERVER_IMAGE_TOOLS" "t-tools-$name" \
    /opt/devserver-tools/bin/busybox sh /opt/devserver-tools/libexec/install /devserver \
    >"$log/tools.log" 2>&1 || { cat "$log/tools.log" >&2; fail "$name: the tools init container failed"; }
  grep -q 'copied to /devserver' "$log/tools.log" || { cat "$log/tools.log" >&2; fail "$name: tools init said nothing"; }
  [ -x "$vol/sbin/sshd" ] && [ -x "$vol/bin/busybox" ] || fail "$name: the tree was not copied"

  say "$name: init login"
  ctr_ run --rm "${restricted[@]}" "${shared[@]}" "$ref" "t-login-$name" /devserver/bin/prepare-login \
    >"$log/login.log" 2>&1 || { cat "$log/login.log" >&2; fail "$name: prepare-login failed"; }
  local want_shell=/bin/sh
  case $name in minbase|base) want_shell=/bin/bash ;; esac
  [ "$name" = pause ] && want_shell=/devserver/bin/sh
  [ "$(tail -1 "$vol/etc/passwd")" = "dev:x:1000:1000:DevServer user:/home/dev:$want_shell" ] ||
    { cat "$vol/etc/passwd" >&2; fail "$name: unexpected dev entry in passwd"; }
  [ "$(tail -1 "$vol/etc/group")" = "dev:x:1000:" ] || { cat "$vol/etc/group" >&2; fail "$name: unexpected group"; }

  say "$name: main container (sshd)"
  id=t-main-$name
  ctr_ run -d "${restricted[@]}" "${shared[@]}" \
    --with-ns "network:/var/run/netns/$netns" \
    --log-uri "file://$log/main.log" \
    --mount "type=bind,src=$vol/etc/passwd,dst=/etc/passwd,options=rbind:ro" \
    --mount "type=bind,src=$vol/etc/group,dst=/etc/group,options=rbind:ro" \
    --mount "type=bind,src=$t/ssh,dst=/etc/devserver/ssh,options=rbind:ro" \
    --mount "type=bind,src=$t/hostkey,dst=/etc/devserver/hostkey,options=rbind:ro" \
    --mount "type=bind,src=$home,dst=/home/dev,options=rbind:rw" \
    "$ref" "$id" /devserver/bin/entrypoint >/dev/null
  wait_for 20 "sshd in $name to accept a login" sshc dev@127.0.0.1 true 2>/dev/null ||
    { cat "$log/main.log" >&2; fail "$name: no ssh login"; }

  out=$(sshc dev@127.0.0.1 whoami) || fail "$name: ssh whoami failed"
  [ "$out" = dev ] || fail "$name: ssh whoami printed '$out'"
  say "$name: ssh whoami -> $out"

  out=$(sshc -tt dev@127.0.0.1 'tty; echo "shell=$SHELL"' 2>&1 | tr -d '\r') || fail "$name: ssh -tt failed: $out"
  echo "$out" | grep -q '^/dev/pts/[0-9]' || fail "$name: no pty in an interactive session: $out"
  echo "$out" | grep -qx "shell=$want_shell" || fail "$name: login shell is not $want_shell: $out"
  say "$name: ssh -tt -> $(echo "$out" | tr '\n' ' ')"

  # The session is the image's own shell and programs, with nothing of ours
  # in its environment; sshd (PID 1) is uid 1000 without capabilities.
  out=$(sshc dev@127.0.0.1 'env; echo "exe=$(readlink /proc/$$/exe)"; grep -E "^(Uid|Gid|CapEff|CapPrm|NoNewPrivs):" /proc/1/status') ||
    fail "$name: ssh env failed"
  ! echo "$out" | grep -q '^LD_' || fail "$name: LD_ variables leak into the session: $out"
  echo "$out" | grep -q '^HOME=/home/dev$' || fail "$name: HOME is not /home/dev: $out"
  echo "$out" | grep -Eq '^Uid:[[:space:]]+1000[[:space:]]+1000[[:space:]]+1000[[:space:]]+1000' ||
    fail "$name: sshd is not uid 1000: $out"
  echo "$out" | grep -Eq '^CapEff:[[:space:]]+0+$' || fail "$name: sshd has capabilities: $out"
  echo "$out" | grep -Eq '^NoNewPrivs:[[:space:]]+1' || fail "$name: sshd may gain privileges: $out"
  case $name in
    minbase|base) echo "$out" | grep -q '^exe=/usr/bin/bash$' || fail "$name: the session shell is not the image's bash: $out" ;;
    busybox) echo "$out" | grep -q '^exe=/bin/busybox$' || fail "$name: the session shell is not the image's busybox: $out" ;;
    pause) echo "$out" | grep -q '^exe=/devserver/bin/busybox$' || fail "$name: the session shell is not the tools' busybox: $out" ;;
  esac

  out=$(sshc dev@127.0.0.1 'echo hello > ~/written && cat ~/written') || fail "$name: writing the home failed"
  [ "$out" = hello ] && [ "$(stat -c %u "$home/written")" = 1000 ] || fail "$name: home write: '$out'"

  printf 'pwd\nls /devserver\n' > "$log/sftp.batch"
  ip netns exec "$netns" sftp -F /dev/null -P "$port" -i "$t/client/id_ed25519" -b "$log/sftp.batch" \
    -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o LogLevel=ERROR -o BatchMode=yes \
    dev@127.0.0.1 >"$log/sftp.log" 2>&1 || { cat "$log/sftp.log" >&2; fail "$name: sftp failed"; }
  grep -q '/home/dev' "$log/sftp.log" || { cat "$log/sftp.log" >&2; fail "$name: sftp pwd"; }

  # TCP forwarding (what -L and ProxyJump use): through sshd back to its own port.
  out=$(sshc -W "127.0.0.1:$port" dev@127.0.0.1 </dev/null 2>/dev/null | head -c 8 || true)
  [ "$out" = SSH-2.0- ] || fail "$name: ssh -W to 127.0.0.1:$port got '$out', not an SSH banner"

  # The ProxyCommand way in (kubectl exec ... busybox nc), here through ctr's exec.
  out=$(ssh -F /dev/null -i "$t/client/id_ed25519" -o StrictHostKeyChecking=no \
    -o UserKnownHostsFile=/dev/null -o LogLevel=ERROR -o BatchMode=yes \
    -o ProxyCommand="ctr -a $sock -n k8s.io tasks exec --exec-id nc-\$\$ $id /devserver/bin/busybox nc 127.0.0.1 $port" \
    dev@devserver whoami) || fail "$name: ssh through exec + busybox nc failed"
  [ "$out" = dev ] || fail "$name: ssh through exec + busybox nc printed '$out'"

  if sshc root@127.0.0.1 true 2>/dev/null; then fail "$name: root could log in"; fi

  ctr_ tasks kill -s TERM "$id"
  wait_for 10 "sshd in $name to stop" task_gone "$id" || fail "$name: sshd ignored SIGTERM"
  ctr_ tasks delete "$id" >/dev/null
  ctr_ containers delete "$id"
  grep -q 'Server listening on .* port 2222' "$log/main.log" || { cat "$log/main.log" >&2; fail "$name: sshd log"; }
  say "$name: ok (sshd log: $(grep -c . "$log/main.log") lines)"
}

for name in $images; do run_case "$name"; done
say "PASS: ssh as dev into: $images"
