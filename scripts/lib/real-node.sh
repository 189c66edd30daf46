# scripts/lib/real-node.sh - one REAL node beside kwok's fake nodes (sourced by scripts/cluster).
#
# What: a node named "real-node" that runs real containers - its own
# containerd (Debian's, with its own config, root, state, sockets and runc
# root), the kubelet and kube-proxy (nftables mode) built from the pinned
# k8s.io/kubernetes, Debian's CNI bridge + host-local + loopback plugins.
# Everything lives under $cluster_dir/node; `down` takes it all away again.
#
# Why it sits in namespaces of its own:
#  - a network namespace per node: kube-proxy always owns the nft table named
#    "kube-proxy", and every cluster's `kubernetes` Service is 10.96.0.1, so two
#    clusters' kube-proxies in one network namespace would overwrite each other
#    and a pod could not tell which 10.96.0.1 it means. In its own namespace each
#    node has its own kube-proxy table, bridge and routes, none of Docker's
#    FORWARD-drop rules apply, and deleting the namespace removes every device
#    and rule the node made. The node is joined to the host by a veth pair: the
#    host end has $rn_host_ip, the node end (eth0) has the node IP $rn_node_ip.
#  - a mount namespace for containerd and the kubelet: every mount they make
#    (overlay rootfs, netns files, secret/token tmpfs) exists only there and goes
#    with the namespace, and the host paths both hard-code - /run/containerd/s
#    (shim sockets), /var/lib/kubelet/device-plugins, /var/log/containers,
#    /var/lib/cni - are bind mounts of directories under $rn_dir, so concurrent
#    clusters never share them and the host never sees them.
#  - the API server stays on 127.0.0.1; pods and the node reach it through a
#    socat forwarder on $rn_host_ip:<port> (the address the API server
#    advertises, so the `kubernetes` Service's endpoint, behind kube-proxy,
#    is that forwarder).
#
# Per cluster a small slot number (1-60, allocated at `up` under a lock and kept
# in $rn_dir/slot) gives the host veth name, addresses, pod CIDR, bridge name and
# cgroup root; ports can stay the defaults because each node has its own
# network namespace.
#
# Expects from scripts/cluster: name, cluster_dir, kubeconfig, here, timeout,
# CLUSTER_BIN_DIR, KWOK_WORKDIR and the functions log, die, wait_for, kc.

rn_node_name=real-node
rn_dir=$cluster_dir/node
rn_ns=$rn_dir/ns                   # the namespace files (a private bind mount)
# Unix socket paths are limited to 108 bytes (containerd refuses more than
# 104), and $rn_dir is deep under $HOME: the sockets live at their short
# default paths INSIDE the node's mount namespace (/run there is
# $rn_dir/host/run), and the host reaches them through a short symlink,
# /run/devserver/node-<slot> -> $rn_dir/host/run/containerd (set per slot).
rn_sock_ns=/run/containerd/containerd.sock
rn_sock_links=/run/devserver
rn_images=${DEVSERVER_IMAGES_SCRIPT:-$here/images}
rn_slot_lock=$KWOK_WORKDIR/real-node-slots.lock
rn_sysctl_saved=$KWOK_WORKDIR/real-node-sysctl.saved
rn_max_slot=60
rn_service_ip=10.96.0.1            # first address of the service-cluster-ip-range

rn_wanted() { [ "${DEVSERVER_REAL_NODE:-1}" != 0 ]; }

# Sets every per-slot name and address from $1.
rn_derive() {
  rn_slot=$1
  rn_veth=dsn$rn_slot                      # host end of the veth pair
  rn_host_ip=10.245.$rn_slot.1             # host end; the API forwarder listens here
  rn_node_ip=10.245.$rn_slot.2             # node end (eth0 in the node's namespace)
  rn_pod_cidr=10.244.$rn_slot.0/24
  rn_bridge=dsbr$rn_slot
  rn_netname=devserver-$name               # CNI network name
  rn_cgroup=devserver-$name                # cgroup root in every hierarchy
  rn_sock_link=$rn_sock_links/node-$rn_slot  # -> the node's /run/containerd
  rn_sock=$rn_sock_link/containerd.sock      # containerd, as the host reaches it
}

rn_load() { # loads the slot of an existing node; fails if there is none
  [ -f "$rn_dir/slot" ] || return 1
  rn_derive "$(cat "$rn_dir/slot")"
}

# A slot is free when no other cluster's node claims it, its veth does not
# exist and no route covers its addresses (a route other than the default one
# would mean the range is in use on this machine).
rn_slot_free() {
  local s=$1 f
  for f in "$KWOK_WORKDIR"/clusters/*/node/slot; do
    [ -f "$f" ] && [ "$(cat "$f")" = "$s" ] && return 1
  done
  ip link show "dsn$s" >/dev/null 2>&1 && return 1
  ! ip -4 route show match "10.245.$s.1" | grep -v '^default' | grep -q . &&
    ! ip -4 route show match "10.244.$s.1" | grep -v '^default' | grep -q .
}

rn_allocate() {
  mkdir -p "$rn_dir" "$KWOK_WORKDIR"
  if [ ! -f "$rn_dir/slot" ]; then
    local s
    exec 8>"$rn_slot_lock"; flock 8
    for s in $(seq 1 "$rn_max_slot"); do
      if rn_slot_free "$s"; then echo "$s" > "$rn_dir/slot"; break; fi
    done
    flock -u 8; exec 8>&-
    [ -f "$rn_dir/slot" ] || die "no free real-node slot (1-$rn_max_slot) on this machine"
  fi
  rn_load
}

# The kube-apiserver arguments the real node needs (YAML list items for the
# kwokctl componentsPatches): the advertised address is the forwarder's, so
# the `kubernetes` Service points there; exec/logs/port-forward reach the
# kubelet at its InternalIP with the admin client certificate.
rn_apiserver_args() {
  cat <<ARGS
  - key: advertise-address
    value: $rn_host_ip
  - key: kubelet-preferred-address-types
    value: InternalIP,Hostname
  - key: kubelet-client-certificate
    value: $cluster_dir/pki/admin.crt
  - key: kubelet-client-key
    value: $cluster_dir/pki/admin.key
ARGS
}
rn_cert_sans() { printf '  - %s\n' "$rn_host_ip" "$rn_service_ip"; }

# --- processes -------------------------------------------------------------

# rn_spawn NAME CMD...: runs CMD detached in a session of its own (so its
# children can be signalled as a group), all output to logs/NAME.log, and
# keeps its PID in pids/NAME.pid. It inherits neither the caller's standard
# descriptors (ctest would wait for them to close) nor the script's locks.
rn_spawn() {
  local n=$1; shift
  setsid "$@" >"$rn_dir/logs/$n.log" 2>&1 </dev/null 7>&- 8>&- &
  echo $! > "$rn_dir/pids/$n.pid"
}
# A process that exited but is not reaped yet counts as gone: the services
# outlive the `up` that started them, so their parent is whatever reaps
# orphans here, and it may take its time.
pid_alive() { [ -r "/proc/$1/status" ] && ! grep -q '^State:[[:space:]]*Z' "/proc/$1/status" 2>/dev/null; }
rn_pid() { local f=$rn_dir/pids/$1.pid; [ -f "$f" ] && pid_alive "$(cat "$f")" && cat "$f"; }
rn_alive() { rn_pid "$1" >/dev/null; }

# rn_stop NAME SECONDS: SIGTERM to NAME's session, SIGKILL after SECONDS.
rn_stop() {
  local pid deadline
  pid=$(rn_pid "$1") || { rm -f "$rn_dir/pids/$1.pid"; return 0; }
  kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true
  deadline=$(( $(date +%s) + $2 ))
  while pid_alive "$pid" && [ "$(date +%s)" -lt "$deadline" ]; do sleep 0.1; done
  kill -KILL -- "-$pid" 2>/dev/null || kill -KILL "$pid" 2>/dev/null || true
  rm -f "$rn_dir/pids/$1.pid"
}

# In the node's namespaces: `rn_in net CMD` (network only), `rn_in all CMD`.
rn_in() {
  local what=$1; shift
  case $what in
    net) nsenter --net="$rn_ns/net" -- "$@" ;;
    all) nsenter --mount="$rn_ns/mnt" --net="$rn_ns/net" -- "$@" ;;
  esac
}

# --- namespaces, network ---------------------------------------------------

rn_make_namespaces() {
  # what an earlier start of this node left in its private directories (a
  # restart keeps containerd's root, so the images, but nothing else)
  rm -rf --one-file-system "$rn_dir/host" "$rn_dir/pod-logs"
  mkdir -p "$rn_ns" "$rn_dir/host/run/containerd" "$rn_dir/host/var-lib" "$rn_dir/host/var-log"
  mkdir -p -m 0700 "$rn_sock_links"
  ln -sfn "$rn_dir/host/run/containerd" "$rn_sock_link"
  # Namespace files can only be bind-mounted onto a private mount.
  if ! mountpoint -q "$rn_ns"; then
    mount --bind "$rn_ns" "$rn_ns" && mount --make-private "$rn_ns"
  fi
  touch "$rn_ns/net" "$rn_ns/mnt"
  unshare --net="$rn_ns/net" true
  unshare --mount="$rn_ns/mnt" --propagation private true
  # Inside the mount namespace, the host directories the kubelet and
  # containerd hard-code are the node's own.
  rn_in all sh -euc '
    mount --bind "$1/host/run" /run
    mount --bind "$1/host/var-lib" /var/lib
    mount --bind "$1/host/var-log" /var/log
    mkdir -p /var/log/containers' sh "$rn_dir"
}

rn_make_network() {
  ip link add "$rn_veth" type veth peer name "${rn_veth}n"
  ip link set "${rn_veth}n" netns "$rn_ns/net"
  ip addr add "$rn_host_ip/30" dev "$rn_veth"
  ip link set "$rn_veth" up
  rn_in net sh -euc '
    ip link set lo up
    ip link set "$1" name eth0
    ip addr add "$2/30" dev eth0
    ip link set eth0 up
    ip route add default via "$3"
    sysctl -qw net.ipv4.ip_forward=1
    # kube-proxy needs bridged pod traffic to see its rules (hairpin)
    [ ! -e /proc/sys/net/bridge/bridge-nf-call-iptables ] ||
      sysctl -qw net.bridge.bridge-nf-call-iptables=1' sh "${rn_veth}n" "$rn_node_ip" "$rn_host_ip"
  # replies from the host (the API forwarder) to pod addresses
  ip route add "$rn_pod_cidr" via "$rn_node_ip" dev "$rn_veth"
  mkdir -p "$rn_dir/cni/net.d" "$rn_dir/cni/ipam"
  cat > "$rn_dir/cni/net.d/10-devserver.conflist" <<CNI
{
  "cniVersion": "1.0.0",
  "name": "$rn_netname",
  "plugins": [
    {
      "type": "bridge",
      "bridge": "$rn_bridge",
      "isGateway": true,
      "ipMasq": false,
      "hairpinMode": true,
      "ipam": {
        "type": "host-local",
        "dataDir": "$rn_dir/cni/ipam",
        "ranges": [[{"subnet": "$rn_pod_cidr"}]],
        "routes": [{"dst": "0.0.0.0/0"}]
      }
    }
  ]
}
CNI
}

rn_api_port() { sed -n 's|.*server: https://127.0.0.1:\([0-9]*\).*|\1|p' "$kubeconfig" | head -1; }

# --- certificates ----------------------------------------------------------

# rn_cert NAME SUBJECT [SAN]: a key and a certificate signed by the cluster
# CA (kwokctl's, in $cluster_dir/pki; made anew on every `up`).
rn_cert() {
  local n=$1 subj=$2 san=${3:-} pki=$rn_dir/pki ext
  ext=$pki/$n.ext
  if [ -n "$san" ]; then
    printf 'basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\nsubjectAltName=%s\n' "$san" > "$ext"
  else
    printf 'basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=clientAuth\n' > "$ext"
  fi
  openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
    -keyout "$pki/$n.key" -subj "$subj" -out "$pki/$n.csr" 2>/dev/null
  openssl x509 -req -in "$pki/$n.csr" -CA "$cluster_dir/pki/ca.crt" -CAkey "$cluster_dir/pki/ca.key" \
    -CAcreateserial -CAserial "$pki/ca.srl" -days 30 -extfile "$ext" -out "$pki/$n.crt" 2>/dev/null
  rm -f "$pki/$n.csr" "$ext"
  chmod 600 "$pki/$n.key"
}

rn_kubeconfig() { # NAME: a kubeconfig for client certificate NAME, through the forwarder
  cat > "$rn_dir/$1.kubeconfig" <<KC
apiVersion: v1
kind: Config
clusters:
- name: local
  cluster:
    certificate-authority: $cluster_dir/pki/ca.crt
    server: https://$rn_host_ip:$(rn_api_port)
users:
- name: $1
  user:
    client-certificate: $rn_dir/pki/$1.crt
    client-key: $rn_dir/pki/$1.key
contexts:
- name: local
  context: {cluster: local, user: $1}
current-context: local
KC
}

# --- cgroups ---------------------------------------------------------------

rn_cgroup_mounts() { # every cgroup (v1) and cgroup2 mount point
  # the file system type follows the "-" that ends the optional fields
  awk '{ t = ""; for (i = 7; i < NF; i++) if ($i == "-") { t = $(i + 1); break } }
       t == "cgroup" || t == "cgroup2" { print $5 }' /proc/self/mountinfo | sort -u
}

rn_make_cgroups() {
  local m
  for m in $(rn_cgroup_mounts); do
    mkdir -p "$m/$rn_cgroup"
    # a new v1 cpuset is empty; give the root the parent's CPUs and memory nodes
    if [ -f "$m/cpuset.cpus" ] && [ ! -s "$m/$rn_cgroup/cpuset.cpus" ]; then
      cat "$m/cpuset.cpus" > "$m/$rn_cgroup/cpuset.cpus"
      cat "$m/cpuset.mems" > "$m/$rn_cgroup/cpuset.mems"
    fi
  done
}

rn_cgroup_pids() { # every process in the node's cgroups
  local m
  for m in $(rn_cgroup_mounts); do
    [ -d "$m/$rn_cgroup" ] || continue
    find "$m/$rn_cgroup" -name cgroup.procs -exec cat {} + 2>/dev/null
  done | sort -un
}

rn_remove_cgroups() {
  local m
  for m in $(rn_cgroup_mounts); do
    [ -d "$m/$rn_cgroup" ] && find "$m/$rn_cgroup" -depth -type d -exec rmdir {} + 2>/dev/null
  done
  return 0
}

# --- kernel settings the kubelet changes -----------------------------------

# The kubelet sets these on start (KernelTunableModify; the alternative,
# protectKernelDefaults, makes it refuse to start). The first node on this
# machine saves the values, the last one to stop puts them back.
rn_sysctls="vm.overcommit_memory vm.panic_on_oom kernel.panic kernel.panic_on_oops kernel.keys.root_maxkeys kernel.keys.root_maxbytes"

rn_other_kubelets() { # kubelets of other clusters on this machine
  local f
  for f in "$KWOK_WORKDIR"/clusters/*/node/pids/kubelet.pid; do
    [ -f "$f" ] && [ "$f" != "$rn_dir/pids/kubelet.pid" ] && pid_alive "$(cat "$f")" && echo "$f"
  done
  return 0
}

rn_sysctl_save() {
  exec 8>"$rn_slot_lock"; flock 8
  if [ ! -f "$rn_sysctl_saved" ]; then
    # shellcheck disable=SC2086
    sysctl $rn_sysctls | sed 's/ = /=/' > "$rn_sysctl_saved.tmp" && mv "$rn_sysctl_saved.tmp" "$rn_sysctl_saved"
  fi
  flock -u 8; exec 8>&-
}

rn_sysctl_restore() {
  [ -f "$rn_sysctl_saved" ] || return 0
  exec 8>"$rn_slot_lock"; flock 8
  if [ -z "$(rn_other_kubelets)" ] && [ -f "$rn_sysctl_saved" ]; then
    sysctl -q -p "$rn_sysctl_saved" >/dev/null 2>&1 || log "could not restore kernel settings from $rn_sysctl_saved"
    rm -f "$rn_sysctl_saved"
  fi
  flock -u 8; exec 8>&-
}

# --- containerd --------------------------------------------------------------

rn_containerd_config() {
  local d=$rn_dir/containerd
  mkdir -p "$d/root" "$d/state" "$d/opt" "$rn_dir/runc"
  cat > "$d/config.toml" <<TOML
# containerd of the real node of cluster $name (written by scripts/cluster)
version = 2
root = "$d/root"
state = "$d/state"
# leave its own OOM score alone: root here lacks CAP_SYS_RESOURCE
oom_score = 0
disabled_plugins = [
  "io.containerd.snapshotter.v1.aufs", "io.containerd.snapshotter.v1.btrfs",
  "io.containerd.snapshotter.v1.devmapper", "io.containerd.snapshotter.v1.zfs",
  "io.containerd.internal.v1.tracing", "io.containerd.tracing.processor.v1.otlp",
]

[grpc]
  address = "$rn_sock_ns"
[ttrpc]
  address = "$rn_sock_ns.ttrpc"
[debug]
  level = "info"
[metrics]
  address = ""

[plugins."io.containerd.internal.v1.opt"]
  path = "$d/opt"

[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "$(rn_image_ref pause)"
  stream_server_address = "127.0.0.1"
  stream_server_port = "0"
  # without it every sandbox fails: runc cannot lower pause's oom_score_adj
  # (-998) without CAP_SYS_RESOURCE ("can't get final child's PID from pipe")
  restrict_oom_score_adj = true
  netns_mounts_under_state_dir = true
  enable_unprivileged_ports = true
  enable_unprivileged_icmp = true
  tolerate_missing_hugetlb_controller = true
  disable_hugetlb_controller = true
  max_container_log_line_size = 16384
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "/usr/lib/cni"
    conf_dir = "$rn_dir/cni/net.d"
    max_conf_num = 1
  [plugins."io.containerd.grpc.v1.cri".containerd]
    snapshotter = "overlayfs"
    default_runtime_name = "runc"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
        BinaryName = "$(command -v runc)"
        Root = "$rn_dir/runc"
        SystemdCgroup = false
TOML
}

rn_ctr() { ctr --address "$rn_sock" -n k8s.io "$@"; }
rn_no_tasks() { [ -z "$(rn_ctr tasks ls -q 2>/dev/null)" ]; }
rn_image_ref() { "$rn_images" ref "$1"; }

# --- kubelet -----------------------------------------------------------------

rn_kubelet_config() {
  mkdir -p "$rn_dir/pod-logs"
  cat > "$rn_dir/kubelet.yaml" <<YAML
apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
# cgroup v1 and no systemd on these machines
failCgroupV1: false
cgroupDriver: cgroupfs
cgroupRoot: /$rn_cgroup
cgroupsPerQOS: true
containerRuntimeEndpoint: unix://$rn_sock_ns
imageServiceEndpoint: unix://$rn_sock_ns
address: $rn_node_ip
port: 10250
readOnlyPort: 0
healthzBindAddress: 127.0.0.1
healthzPort: 10248
tlsCertFile: $rn_dir/pki/kubelet-serving.crt
tlsPrivateKeyFile: $rn_dir/pki/kubelet-serving.key
authentication:
  anonymous: {enabled: false}
  webhook: {enabled: true}
  x509: {clientCAFile: $cluster_dir/pki/ca.crt}
authorization:
  mode: Webhook
podLogsDir: $rn_dir/pod-logs
failSwapOn: false
# root lacks CAP_SYS_RESOURCE: it cannot lower its own OOM score
oomScoreAdj: 0
# images are imported, never pulled: image GC must never remove them
imageGCHighThresholdPercent: 100
imageGCLowThresholdPercent: 99
evictionHard:
  memory.available: 100Mi
  nodefs.available: 2%
  nodefs.inodesFree: 2%
  imagefs.available: 2%
serializeImagePulls: false
# no cluster DNS, and the host's resolvers are out of the pods' reach (no NAT
# to the outside): an empty resolv.conf makes lookups fail at once instead of
# after the resolver's timeouts
resolvConf: ""
shutdownGracePeriod: 0s
maxPods: 110
kubeAPIQPS: 50
kubeAPIBurst: 100
YAML
}

# --- kube-proxy --------------------------------------------------------------

rn_kube_proxy_config() {
  cat > "$rn_dir/kube-proxy.yaml" <<YAML
apiVersion: kubeproxy.config.k8s.io/v1alpha1
kind: KubeProxyConfiguration
mode: nftables
hostnameOverride: $rn_node_name
clientConnection:
  kubeconfig: $rn_dir/kube-proxy.kubeconfig
healthzBindAddress: 127.0.0.1:10256
metricsBindAddress: 127.0.0.1:10249
clusterCIDR: $rn_pod_cidr
detectLocalMode: ClusterCIDR
nodePortAddresses: [$rn_node_ip/32]
oomScoreAdj: 0
# 0 = leave the kernel's conntrack settings as they are
conntrack:
  maxPerCore: 0
  min: 0
  tcpEstablishedTimeout: 0s
  tcpCloseWaitTimeout: 0s
  udpTimeout: 0s
  udpStreamTimeout: 0s
YAML
}

# --- readiness checks (polled by wait_for) -------------------------------------

rn_node_ready() {
  [ "$(kc get node "$rn_node_name" -o jsonpath='{.status.conditions[?(@.type=="Ready")].status}')" = True ]
}
rn_kube_proxy_ready() { rn_in net curl -fsS --max-time 2 http://127.0.0.1:10256/healthz; }
rn_forwarder_ready() { curl -sk --max-time 2 -o /dev/null "https://$rn_host_ip:$(rn_api_port)/readyz"; }

# --- up ----------------------------------------------------------------------

rn_up() {
  local start t_node
  start=$(date +%s)
  rn_load || die "real node: no slot allocated"
  [ -x "$rn_images" ] || die "real node: $rn_images not found (it builds and imports the images)"
  mkdir -p "$rn_dir/logs" "$rn_dir/pids" "$rn_dir/pki"
  log "real node: slot $rn_slot, node IP $rn_node_ip, pods $rn_pod_cidr, cgroup /$rn_cgroup"
  rn_make_namespaces
  rn_make_network
  rn_make_cgroups
  rn_spawn api-forwarder socat "TCP-LISTEN:$(rn_api_port),bind=$rn_host_ip,fork,reuseaddr" "TCP:127.0.0.1:$(rn_api_port)"
  rn_cert kubelet "/O=system:nodes/CN=system:node:$rn_node_name"
  rn_cert kubelet-serving "/CN=$rn_node_name" "IP:$rn_node_ip,DNS:$rn_node_name"
  rn_cert kube-proxy "/CN=system:kube-proxy"
  rn_kubeconfig kubelet
  rn_kubeconfig kube-proxy
  wait_for 20 "the API forwarder on $rn_host_ip" rn_forwarder_ready || rn_fail api-forwarder

  rn_containerd_config
  rn_spawn containerd nsenter --mount="$rn_ns/mnt" --net="$rn_ns/net" -- \
    containerd --config "$rn_dir/containerd/config.toml"
  wait_for 30 "containerd" rn_ctr version || rn_fail containerd
  # The images are imported while the node starts (the base image alone takes
  # ~10 s to unpack); `up` returns only once they are all there, because
  # nothing can pull a missing one.
  "$rn_images" import "$rn_sock" >"$rn_dir/logs/images.log" 2>&1 &
  local import_pid=$!

  rn_kubelet_config
  rn_sysctl_save
  # A Node left from an earlier start of this node (`up` restarting it) would
  # look Ready before the new kubelet said anything; its pods are gone anyway.
  kc delete node "$rn_node_name" --ignore-not-found --wait=true >/dev/null
  rn_spawn kubelet nsenter --mount="$rn_ns/mnt" --net="$rn_ns/net" -- \
    "$CLUSTER_BIN_DIR/kubelet" --config="$rn_dir/kubelet.yaml" \
      --kubeconfig="$rn_dir/kubelet.kubeconfig" --root-dir=/var/lib/kubelet \
      --cert-dir="$rn_dir/pki" --hostname-override="$rn_node_name" --node-ip="$rn_node_ip" \
      --node-labels="devserver.io/node-type=real" --v=1
  wait_for "$timeout" "node $rn_node_name Ready" rn_node_ready || rn_fail kubelet
  t_node=$(( $(date +%s) - start ))

  rn_kube_proxy_config
  rn_spawn kube-proxy nsenter --net="$rn_ns/net" -- \
    "$CLUSTER_BIN_DIR/kube-proxy" --config="$rn_dir/kube-proxy.yaml" --v=1
  wait_for 60 "kube-proxy" rn_kube_proxy_ready || rn_fail kube-proxy

  node_storage_up
  wait "$import_pid" || rn_fail images "scripts/images import failed"
  sed 's/^/  /' "$rn_dir/logs/images.log" >&2
  log "real node $rn_node_name Ready in ${t_node}s, with its services and images in $(( $(date +%s) - start ))s"
}

rn_fail() { # COMPONENT [MESSAGE]: show its log and stop
  log "real node: ${2:-$1 did not start}; last lines of $rn_dir/logs/$1.log:"
  tail -25 "$rn_dir/logs/$1.log" >&2 2>/dev/null || true
  die "real node failed to start (logs: $rn_dir/logs)"
}

rn_running() {
  rn_load && rn_alive kubelet && rn_alive containerd && rn_alive kube-proxy &&
    rn_alive api-forwarder && rn_alive local-path-provisioner
}

# --- down --------------------------------------------------------------------

rn_ns_inode() { [ -e "$rn_ns/$1" ] && mountpoint -q "$rn_ns/$1" 2>/dev/null && stat -L -c %i "$rn_ns/$1"; }

# Every process that belongs to the node: its services (pid files), anything
# in its network or mount namespace (shims, containerd, kubelet), anything in
# its cgroups (the containers).
rn_pids() {
  local net mnt p
  net=$(rn_ns_inode net || true); mnt=$(rn_ns_inode mnt || true)
  {
    for p in "$rn_dir"/pids/*.pid; do [ -f "$p" ] && cat "$p"; done
    rn_cgroup_pids
    if [ -n "$net$mnt" ]; then
      for p in /proc/[0-9]*; do
        { [ -n "$net" ] && [ "$(stat -L -c %i "$p/ns/net" 2>/dev/null)" = "$net" ]; } ||
          { [ -n "$mnt" ] && [ "$(stat -L -c %i "$p/ns/mnt" 2>/dev/null)" = "$mnt" ]; } ||
          continue
        echo "${p#/proc/}"
      done
    fi
  } | sort -un | while read -r p; do pid_alive "$p" && [ "$p" != "$$" ] && echo "$p"; done
  return 0
}

# Mounts under the node's directory, deepest first, as the host sees them.
rn_mounts() { awk -v d="$rn_dir" 'index($5, d "/") == 1 || $5 == d { print $5 }' /proc/self/mountinfo | sort -r; }

rn_down() {
  rn_load || return 0
  local start pids deadline
  start=$(date +%s)
  # 1. the provisioner first (it would start helper pods), then the kubelet
  #    (it would restart what step 2 stops), then kube-proxy.
  node_storage_down
  rn_stop kubelet 15
  rn_stop kube-proxy 10
  # 2. the pods, through containerd: SIGKILL every task (containerd's CRI
  #    plugin deletes a task once it exited, unmounting its rootfs), force
  #    the deletion of any that did not go, then delete the containers.
  if rn_alive containerd; then
    local id
    for id in $(rn_ctr tasks ls -q 2>/dev/null || true); do
      rn_ctr tasks kill -s SIGKILL "$id" >/dev/null 2>&1 || true
    done
    wait_for 10 "the node's containers to exit" rn_no_tasks ||
      for id in $(rn_ctr tasks ls -q 2>/dev/null || true); do rn_ctr tasks delete -f "$id" >/dev/null 2>&1 || true; done
    for id in $(rn_ctr containers ls -q 2>/dev/null || true); do rn_ctr containers delete "$id" >/dev/null 2>&1 || true; done
  fi
  # 3. containerd, the forwarder, then whatever is still in the node's
  #    namespaces or cgroups (shims, stray container processes).
  rn_stop containerd 15
  rn_stop api-forwarder 5
  pids=$(rn_pids)
  if [ -n "$pids" ]; then
    # shellcheck disable=SC2086
    kill -KILL $pids 2>/dev/null || true
    deadline=$(( $(date +%s) + 10 ))
    while [ -n "$(rn_pids)" ] && [ "$(date +%s)" -lt "$deadline" ]; do sleep 0.2; done
  fi
  # 4. mounts: once nothing runs in them, dropping the namespace files ends
  #    the namespaces - with them every mount, device, route and rule the node
  #    made inside. Anything mounted in the host under the node's directory
  #    goes too.
  local m
  for m in $(rn_mounts); do umount "$m" 2>/dev/null || umount -l "$m" 2>/dev/null || true; done
  ip link del "$rn_veth" 2>/dev/null || true
  rn_remove_cgroups
  rm -f "$rn_sock_link"
  rmdir "$rn_sock_links" 2>/dev/null || true
  rn_sysctl_restore
  log "real node stopped in $(( $(date +%s) - start ))s"
  rn_verify_gone
}

# Complains loudly about anything of the node that survived; fails if so.
rn_verify_gone() {
  local left=() p m
  p=$(rn_pids); [ -z "$p" ] || left+=("processes: $(echo "$p" | tr "\n" " ")")
  m=$(rn_mounts); [ -z "$m" ] || left+=("mounts: $(echo "$m" | tr "\n" " ")")
  ! ip link show "$rn_veth" >/dev/null 2>&1 || left+=("network device $rn_veth")
  ! ip -4 addr show | grep -q "inet $rn_host_ip/" || left+=("address $rn_host_ip")
  ! ip -4 route show | grep -q "^$rn_pod_cidr " || left+=("route $rn_pod_cidr")
  [ ! -L "$rn_sock_link" ] || left+=("socket link $rn_sock_link")
  for m in $(rn_cgroup_mounts); do [ ! -d "$m/$rn_cgroup" ] || left+=("cgroup $m/$rn_cgroup"); done
  if [ ${#left[@]} -gt 0 ]; then
    printf 'cluster: REAL NODE OF %s NOT FULLY REMOVED:\n' "$name" >&2
    printf '  - %s\n' "${left[@]}" >&2
    return 1
  fi
}

# --- status ------------------------------------------------------------------

rn_status() {
  rn_load || { echo "  real node: none (DEVSERVER_REAL_NODE=0)"; return 0; }
  local n
  echo "  real node $rn_node_name: slot $rn_slot, node IP $rn_node_ip, pods $rn_pod_cidr, API via $rn_host_ip:$(rn_api_port)"
  for n in containerd kubelet kube-proxy api-forwarder local-path-provisioner; do
    if rn_alive "$n"; then
      ps -o pid=,rss= -p "$(rn_pid "$n")" | awk -v n="$n" '{ printf "    %-22s pid %-7s rss %6.1f MiB\n", n, $1, $2 / 1024 }'
    else
      printf '    %-22s NOT RUNNING\n' "$n"
    fi
  done
  if rn_alive containerd; then
    echo "    containers: $(rn_ctr tasks ls -q 2>/dev/null | wc -l) running, images: $(rn_ctr images ls -q 2>/dev/null | grep -vc '^sha256:')"
  fi
}
