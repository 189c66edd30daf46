# scripts/lib/debootstrap.sh - Debian root filesystems for container images, sourced.
# shellcheck shell=bash
#
# Shared by scripts/build-image (the operator's base image, through Docker)
# and scripts/images (the cluster's images, written as OCI archives without
# Docker). Nothing can be pulled from a registry here, so every Debian image
# starts as `debootstrap --variant=minbase` from the mirror this machine's apt
# already uses, trimmed the way debian:*-slim is.
#
#   deb_host_mirror SUITE          the mirror apt uses here for SUITE
#   deb_security_mirror SUITE      the security mirror for SUITE
#   deb_ensure_debootstrap         install debootstrap when missing (needs root/sudo)
#   deb_minbase SUITE DIR MIRROR LOG   debootstrap a minbase root into DIR
#   deb_sources SUITE MIRROR SECURITY  print a sources.list for the image
#   deb_slim_rootfs DIR            trim docs/man/locales/apt state; keep it trimmed
#   deb_chroot_begin DIR / deb_chroot_end DIR   make DIR usable for `chroot DIR apt-get`
#                                  (proc, resolver, no service starts) and undo it
#
# Not here: turning the root into an image (each caller does that its own way).
# Functions print errors on stderr and return non-zero; callers run with set -e.

# The mirror apt uses for SUITE here (deb822 .sources or a one-line list);
# debootstrap must use one this machine can reach.
deb_host_mirror() {
  local suite=$1 uri
  uri=$(awk -v s="$suite" '
      /^URIs:/ { uris = $2 }
      /^Suites:/ { for (i = 2; i <= NF; i++) if ($i == s) { print uris; exit } }
      /^$/ { uris = "" }' /etc/apt/sources.list.d/*.sources 2>/dev/null | head -1)
  [ -n "$uri" ] || uri=$(awk -v s="$suite" '$1 == "deb" && $3 == s { print $2; exit }' \
      /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null | head -1)
  echo "${uri:-http://deb.debian.org/debian}"
}

deb_security_mirror() {
  local suite=$1 uri
  uri=$(awk -v s="$suite-security" '
      /^URIs:/ { uris = $2 }
      /^Suites:/ { for (i = 2; i <= NF; i++) if ($i == s) { print uris; exit } }
      /^$/ { uris = "" }' /etc/apt/sources.list.d/*.sources 2>/dev/null | head -1)
  echo "${uri:-http://deb.debian.org/debian-security}"
}

deb_ensure_debootstrap() {
  command -v debootstrap >/dev/null && return 0
  local sudo=; [ "$(id -u)" -eq 0 ] || sudo=sudo
  echo "installing debootstrap" >&2
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends debootstrap >&2 ||
    { $sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends debootstrap >&2; }
}

# debootstrap --variant=minbase SUITE into DIR (must not exist or be empty);
# the full log goes to LOG, its tail to stderr on failure.
deb_minbase() {
  local suite=$1 dir=$2 mirror=$3 log=$4
  [ "$(id -u)" -eq 0 ] || { echo "debootstrap needs root (run as root or with sudo)" >&2; return 1; }
  if ! debootstrap --variant=minbase "$suite" "$dir" "$mirror" >"$log" 2>&1; then
    tail -20 "$log" >&2
    echo "debootstrap $suite from $mirror failed (full log: $log)" >&2
    return 1
  fi
}

deb_sources() {
  local suite=$1 mirror=$2 security=$3
  cat <<LIST
deb $mirror $suite main
deb $mirror $suite-updates main
deb $security $suite-security main
LIST
}

# Trims a fresh rootfs like the slim images: dpkg keeps excluding docs, man
# pages and translations on later installs (copyright files stay), apt keeps
# no package cache, and what debootstrap left behind is removed now. Also
# empties /dev: container runtimes provide it.
deb_slim_rootfs() {
  local fs=$1
  mkdir -p "$fs/etc/dpkg/dpkg.cfg.d" "$fs/etc/apt/apt.conf.d"
  cat > "$fs/etc/dpkg/dpkg.cfg.d/devserver-slim" <<'CFG'
# Written by scripts/lib/debootstrap.sh: keep container images small.
path-exclude /usr/share/doc/*
path-include /usr/share/doc/*/copyright
path-exclude /usr/share/man/*
path-exclude /usr/share/info/*
path-exclude /usr/share/groff/*
path-exclude /usr/share/lintian/*
path-exclude /usr/share/locale/*
path-include /usr/share/locale/locale.alias
CFG
  cat > "$fs/etc/apt/apt.conf.d/devserver-slim" <<'CFG'
// Written by scripts/lib/debootstrap.sh: no package cache or translations in images.
APT::Install-Recommends "false";
Acquire::Languages "none";
DPkg::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/*.bin || true"; };
Dir::Cache::pkgcache "";
Dir::Cache::srcpkgcache "";
CFG
  find "$fs/usr/share/doc" -mindepth 1 -not -name copyright -not -type d -delete 2>/dev/null || true
  find "$fs/usr/share/doc" -mindepth 1 -type d -empty -delete 2>/dev/null || true
  rm -rf "$fs"/usr/share/man/* "$fs"/usr/share/info/* "$fs"/usr/share/lintian/*
  find "$fs/usr/share/locale" -mindepth 1 -maxdepth 1 -not -name locale.alias -exec rm -rf {} + 2>/dev/null || true
  rm -rf "$fs"/var/lib/apt/lists/* "$fs"/var/cache/apt/archives/*.deb "$fs"/var/cache/apt/*.bin \
         "$fs"/var/cache/debconf/*-old "$fs"/var/lib/dpkg/*-old \
         "$fs"/var/log/* "$fs"/tmp/* "$fs"/root/.bash_history
  mkdir -p "$fs/var/lib/apt/lists/partial"
  # Device nodes and mount points are the runtime's business; a mount left
  # behind under /dev or /proc is refused rather than emptied.
  if mountpoint -q "$fs/proc" || mountpoint -q "$fs/dev"; then
    echo "deb_slim_rootfs: $fs/proc or $fs/dev is still mounted" >&2; return 1
  fi
  find "$fs/dev" -mindepth 1 -delete 2>/dev/null || true
  # No machine identity or host resolver baked into the image: the runtime
  # provides resolv.conf and hosts.
  : > "$fs/etc/machine-id"
  rm -f "$fs/etc/resolv.conf" "$fs/etc/hostname"
}

# Prepare DIR for `chroot DIR apt-get ...`: no daemons started by maintainer
# scripts, the host's resolver, /proc, and the few device nodes dpkg and apt
# use (made with mknod, never a bind mount of the host's /dev, so that no
# later rm -rf can reach host files). Undo with deb_chroot_end.
deb_chroot_begin() {
  local fs=$1 n
  printf '#!/bin/sh\n# scripts/lib/debootstrap.sh: no services during image builds\nexit 101\n' \
    > "$fs/usr/sbin/policy-rc.d"
  chmod 0755 "$fs/usr/sbin/policy-rc.d"
  rm -f "$fs/etc/resolv.conf"
  cp -L /etc/resolv.conf "$fs/etc/resolv.conf"
  mkdir -p "$fs/dev" "$fs/proc"
  for n in null:1:3 zero:1:5 full:1:7 random:1:8 urandom:1:9 tty:5:0; do
    [ -e "$fs/dev/${n%%:*}" ] ||
      mknod -m 0666 "$fs/dev/${n%%:*}" c "$(echo "$n" | cut -d: -f2)" "${n##*:}"
  done
  for n in fd:fd stdin:fd/0 stdout:fd/1 stderr:fd/2; do
    [ -e "$fs/dev/${n%%:*}" ] || [ -L "$fs/dev/${n%%:*}" ] || ln -s "/proc/self/${n#*:}" "$fs/dev/${n%%:*}"
  done
  mountpoint -q "$fs/proc" || mount -t proc proc "$fs/proc"
}

deb_chroot_end() {
  local fs=$1
  if mountpoint -q "$fs/proc"; then umount "$fs/proc" || umount -l "$fs/proc"; fi
  rm -f "$fs/usr/sbin/policy-rc.d" "$fs/etc/resolv.conf"
}
