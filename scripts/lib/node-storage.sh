# scripts/lib/node-storage.sh - real storage for PVCs on the real node (sourced by scripts/cluster).
#
# What: rancher's local-path-provisioner (built by scripts/build-cluster-bins)
# runs as a host process with the admin kubeconfig. For a PVC of the
# StorageClass `local-path` - the cluster's default while the real node runs -
# it starts a helper pod on the node the PVC's pod was scheduled to
# (WaitForFirstConsumer), which makes a world-writable directory under
# $rn_dir/storage; the PV is a hostPath PV with node affinity to that node.
# Deleting the PVC runs a helper pod that removes the directory.
#
# Why this one: a real dynamic provisioner, so a PVC behaves as in a real
# cluster (binding on first consumer, data kept across pod deletion, removed
# with the PVC), with nothing beyond one Go binary and the busybox image the
# cluster has anyway. The directories are 0777 because hostPath volumes get no
# fsGroup ownership change: a pod running as uid 1000 with fsGroup 1000 can
# still write. Only the real node is in its node map, so a PVC whose pod went
# to a kwok node fails with an event instead of waiting for a helper pod that
# kwok would never run: PVCs of pods on fake nodes use `kwok-volume`.
#
# Expects the variables and functions of scripts/lib/real-node.sh.

ns_namespace=local-path-storage
ns_class=local-path

node_storage_manifests() {
  cat <<YAML
apiVersion: v1
kind: Namespace
metadata: {name: $ns_namespace}
---
apiVersion: v1
kind: ServiceAccount
metadata: {name: local-path-provisioner, namespace: $ns_namespace}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: local-path-config, namespace: $ns_namespace}
data:
  setup: |-
    #!/bin/sh
    set -eu
    mkdir -m 0777 -p "\$VOL_DIR"
  teardown: |-
    #!/bin/sh
    set -eu
    rm -rf "\$VOL_DIR"
---
apiVersion: storage.k8s.io/v1
kind: StorageClass
metadata:
  name: $ns_class
  annotations:
    storageclass.kubernetes.io/is-default-class: "true"
provisioner: rancher.io/local-path
reclaimPolicy: Delete
volumeBindingMode: WaitForFirstConsumer
YAML
}

node_storage_up() {
  mkdir -p "$rn_dir/local-path" "$rn_dir/storage"
  chmod 0755 "$rn_dir/storage"
  cat > "$rn_dir/local-path/config.json" <<JSON
{
  "nodePathMap": [{"node": "$rn_node_name", "paths": ["$rn_dir/storage"]}],
  "cmdTimeoutSeconds": 60
}
JSON
  # the helper pods' template; the provisioner adds command, volumes, node
  cat > "$rn_dir/local-path/helper-pod.yaml" <<YAML
apiVersion: v1
kind: Pod
metadata: {name: helper-pod}
spec:
  priorityClassName: system-node-critical
  containers:
  - name: helper-pod
    image: $(rn_image_ref busybox)
    imagePullPolicy: IfNotPresent
YAML
  node_storage_manifests | kc apply -f - >/dev/null
  # kwok's class stays for PVCs of pods on fake nodes, but is no longer the default
  kc annotate storageclass kwok-volume --overwrite \
    storageclass.kubernetes.io/is-default-class=false >/dev/null
  rn_spawn local-path-provisioner "$CLUSTER_BIN_DIR/local-path-provisioner" --debug start \
    --kubeconfig "$kubeconfig" --namespace "$ns_namespace" \
    --config "$rn_dir/local-path/config.json" --configmap-name local-path-config \
    --helper-image "$(rn_image_ref busybox)" --helper-pod-file "$rn_dir/local-path/helper-pod.yaml" \
    --service-account-name local-path-provisioner --provisioner-name rancher.io/local-path
  wait_for 30 "local-path-provisioner" node_storage_ready || rn_fail local-path-provisioner
}

# It logs this once its controller runs.
node_storage_ready() {
  rn_alive local-path-provisioner &&
    grep -q "Started provisioner controller" "$rn_dir/logs/local-path-provisioner.log"
}

node_storage_down() { rn_stop local-path-provisioner 10; }
