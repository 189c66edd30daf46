#!/usr/bin/env bash
# Integration test of the C Kubernetes client (src/kube) against the real
# local control plane: runs tests/c/itest_kube_client.c, which creates,
# applies, patches (merge and /status), lists with pagination, discovers,
# deletes, and keeps a list+watch cache consistent through a forced relist
# (an in-band 410 on an Events watch after the script compacts etcd).
#
# Run by ctest after the `cluster` fixture (scripts/cluster up); by hand:
#   scripts/cluster up && bash tests/integration/test_kube_client.sh
# VALGRIND=1 runs the program under valgrind (TLS, client certificates from
# memory, the watch loop: all leak-checked).
# The program works in a namespace of its own and deletes it at the end. It
# needs the CRDs; they are installed here when missing (and left installed).
. "$(dirname "$0")/lib/common.sh"
EXE="$bin_dir/itest_kube_client"
cd "$root"

if [ ! -x "$EXE" ]; then
	echo "FAIL: $EXE is not built (tests/CMakeLists.txt needs: add_executable(itest_kube_client c/itest_kube_client.c) + target_link_libraries(itest_kube_client PRIVATE devserver))" >&2
	exit 1
fi

kubectl get crd devservers.devserver.io >/dev/null 2>&1 || install_crds ||
	{ echo "FAIL: the CRDs are not established after 60 s" >&2; exit 1; }

# The forced-relist check compacts etcd; the local control plane's etcd is on
# 127.0.0.1 and named in the kwokctl configuration next to the kubeconfig.
# There it must be found: a local cluster without it is a broken test, not a
# skip. Elsewhere (CLUSTER=k3d: etcd is not reachable) the program runs every
# other check and then exits 77, which ctest reports as skipped, never passed.
if [ -z "${ITEST_ETCD_URL:-}" ]; then
	kwok_yaml="$(dirname "$KUBECONFIG")/kwok.yaml"
	if [ -f "$kwok_yaml" ]; then
		ITEST_ETCD_URL=$(grep -o -- '--etcd-servers=[^ "]*' "$kwok_yaml" | head -1 | cut -d= -f2 | cut -d, -f1)
		export ITEST_ETCD_URL
	fi
	if [ -z "${ITEST_ETCD_URL:-}" ] && [ "${CLUSTER:-local}" = local ]; then
		echo "FAIL: no etcd URL for the forced-relist check: set ITEST_ETCD_URL, or $kwok_yaml should name --etcd-servers" >&2
		exit 1
	fi
fi

if [ "${VALGRIND:-0}" = 1 ]; then
	exec valgrind -q --leak-check=full --errors-for-leak-kinds=definite,indirect --error-exitcode=9 "$EXE"
fi
exec "$EXE"
