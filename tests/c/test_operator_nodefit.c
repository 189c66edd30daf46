/* test_operator_nodefit.c - src/operator/nodefit: the node fit behind a
 * flavor's status.schedulable - readiness, cordons, nodeSelector, required
 * node affinity, taints and tolerations (the scheduler's matching rules),
 * requests against allocatable (GPUs by limit), the summary over nodes, and
 * the node projection. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "operator/nodefit.h"
#include "support/testutil.h"

#define READY "\"conditions\":[{\"type\":\"MemoryPressure\",\"status\":\"False\"},{\"type\":\"Ready\",\"status\":\"True\"}]"

static const char real_node[] =
	"{\"metadata\":{\"name\":\"real-node\",\"labels\":{\"devserver.io/node-type\":\"real\",\"kubernetes.io/os\":\"linux\"}},"
	"\"spec\":{},\"status\":{\"allocatable\":{\"cpu\":\"2\",\"memory\":\"23Gi\",\"pods\":\"110\"}," READY "}}";
static const char fake_node[] =
	"{\"metadata\":{\"name\":\"node-000000\",\"labels\":{\"type\":\"kwok\"}},"
	"\"spec\":{\"taints\":[{\"key\":\"kwok.x-k8s.io/node\",\"value\":\"fake\",\"effect\":\"NoSchedule\"}]},"
	"\"status\":{\"allocatable\":{\"cpu\":\"32\",\"memory\":\"256Gi\"}," READY "}}";
static const char gpu_node[] =
	"{\"metadata\":{\"name\":\"gpu-1\",\"labels\":{\"nvidia.com/gpu.present\":\"true\",\"zone\":\"b\",\"gen\":\"5\"}},"
	"\"spec\":{\"taints\":[{\"key\":\"nvidia.com/gpu\",\"effect\":\"NoSchedule\"},"
	"{\"key\":\"soft\",\"effect\":\"PreferNoSchedule\"}]},"
	"\"status\":{\"allocatable\":{\"cpu\":\"16\",\"memory\":\"64Gi\",\"nvidia.com/gpu\":\"2\"}," READY "}}";

static void expect(const char *flavor_text, const char *node_text, bool fits, const char *why_part)
{
	struct json *f = tu_json(flavor_text), *n = tu_json(node_text);
	char why[NODEFIT_REASON_MAX_BYTES];

	if (nodefit_check(f, n, why) != fits)
		fail_msg("%s on %s: want %s, got %s (%s)", flavor_text, node_text, fits ? "fit" : "no fit",
			 fits ? "no fit" : "fit", why);
	if (why_part && !strstr(why, why_part))
		fail_msg("want \"%s\" in \"%s\"", why_part, why);
	json_free(f);
	json_free(n);
}

static void test_nodefit_resources(void **state)
{
	expect("{\"spec\":{\"resources\":{\"requests\":{\"cpu\":\"250m\",\"memory\":\"512Mi\"}}}}", real_node, true, NULL);
	expect("{\"spec\":{\"resources\":{\"requests\":{\"cpu\":\"8\",\"memory\":\"32Gi\"}}}}", real_node, false,
	       "cpu: 8 requested, 2 allocatable");
	expect("{\"spec\":{\"resources\":{\"requests\":{\"memory\":\"24Gi\"}}}}", real_node, false, "memory: 24Gi requested, 23Gi");
	/* a GPU by limit only, on a node without any */
	expect("{\"spec\":{\"resources\":{\"limits\":{\"nvidia.com/gpu\":1}}}}", real_node, false,
	       "nvidia.com/gpu: 1 requested, none allocatable");
	expect("{\"spec\":{}}", real_node, true, NULL);
}

static void test_nodefit_taints_and_tolerations(void **state)
{
	expect("{\"spec\":{}}", fake_node, false, "taint kwok.x-k8s.io/node=fake:NoSchedule is not tolerated");
	expect("{\"spec\":{\"tolerations\":[{\"key\":\"kwok.x-k8s.io/node\",\"operator\":\"Exists\",\"effect\":\"NoSchedule\"}]}}",
	       fake_node, true, NULL);
	expect("{\"spec\":{\"tolerations\":[{\"key\":\"kwok.x-k8s.io/node\",\"value\":\"fake\"}]}}", fake_node, true, NULL);
	expect("{\"spec\":{\"tolerations\":[{\"key\":\"kwok.x-k8s.io/node\",\"value\":\"real\"}]}}", fake_node, false, "taint");
	expect("{\"spec\":{\"tolerations\":[{\"key\":\"kwok.x-k8s.io/node\",\"operator\":\"Exists\",\"effect\":\"NoExecute\"}]}}",
	       fake_node, false, "taint");
	/* an empty key with Exists tolerates everything */
	expect("{\"spec\":{\"tolerations\":[{\"operator\":\"Exists\"}]}}", fake_node, true, NULL);
	/* PreferNoSchedule never keeps a pod away */
	expect("{\"spec\":{\"tolerations\":[{\"key\":\"nvidia.com/gpu\",\"operator\":\"Exists\"}],"
	       "\"resources\":{\"limits\":{\"nvidia.com/gpu\":1}}}}", gpu_node, true, NULL);
}

static void test_nodefit_selector_affinity_readiness(void **state)
{
	const char *tol = "\"tolerations\":[{\"operator\":\"Exists\"}]";
	char f[512];

	expect("{\"spec\":{\"nodeSelector\":{\"devserver.io/node-type\":\"real\"}}}", real_node, true, NULL);
	expect("{\"spec\":{\"nodeSelector\":{\"nvidia.com/gpu.present\":\"true\"}}}", real_node, false,
	       "no label nvidia.com/gpu.present=true");
	snprintf(f, sizeof(f), "{\"spec\":{%s,\"affinity\":{\"nodeAffinity\":{\"requiredDuringSchedulingIgnoredDuringExecution\":"
		 "{\"nodeSelectorTerms\":[{\"matchExpressions\":[{\"key\":\"zone\",\"operator\":\"In\",\"values\":[\"a\"]}]},"
		 "{\"matchExpressions\":[{\"key\":\"gen\",\"operator\":\"Gt\",\"values\":[\"4\"]},"
		 "{\"key\":\"legacy\",\"operator\":\"DoesNotExist\"}]}]}}}}}", tol);
	expect(f, gpu_node, true, NULL);       /* the second term matches */
	snprintf(f, sizeof(f), "{\"spec\":{%s,\"affinity\":{\"nodeAffinity\":{\"requiredDuringSchedulingIgnoredDuringExecution\":"
		 "{\"nodeSelectorTerms\":[{\"matchExpressions\":[{\"key\":\"zone\",\"operator\":\"NotIn\",\"values\":[\"b\"]}]}]}}}}}", tol);
	expect(f, gpu_node, false, "required node affinity");
	expect("{\"spec\":{}}",
	       "{\"metadata\":{\"name\":\"n\"},\"status\":{\"conditions\":[{\"type\":\"Ready\",\"status\":\"False\"}]}}",
	       false, "not Ready");
	expect("{\"spec\":{}}", "{\"metadata\":{\"name\":\"n\"},\"spec\":{\"unschedulable\":true},\"status\":{" READY "}}",
	       false, "cordoned");
}

static void test_nodefit_summary_and_projection(void **state)
{
	struct json *nodes[3] = { tu_json(real_node), tu_json(fake_node), tu_json(gpu_node) };
	struct json *small = tu_json("{\"spec\":{\"resources\":{\"requests\":{\"cpu\":\"250m\"}}}}");
	struct json *large = tu_json("{\"spec\":{\"resources\":{\"requests\":{\"cpu\":\"8\"}}}}");
	struct json *full = tu_json("{\"metadata\":{\"name\":\"x\",\"resourceVersion\":\"9\",\"annotations\":{\"a\":\"b\"}},"
			      "\"spec\":{\"podCIDR\":\"10.0.0.0/24\",\"taints\":[]},"
			      "\"status\":{\"allocatable\":{\"cpu\":\"1\"},\"capacity\":{\"cpu\":\"1\"},\"images\":[1,2,3],"
			      "\"conditions\":[{\"type\":\"DiskPressure\",\"status\":\"False\"},{\"type\":\"Ready\",\"status\":\"True\","
			      "\"lastHeartbeatTime\":\"2026-12-02T10:00:00Z\",\"reason\":\"KubeletReady\"}]}}");
	char msg[512];
	struct error err;
	char *s;

	assert_string_equal(nodefit_summary(small, (const struct json *const *)nodes, 3, msg, sizeof(msg)), "Yes");
	assert_string_equal(msg, "1 of 3 nodes can run it");
	assert_string_equal(nodefit_summary(large, (const struct json *const *)nodes, 3, msg, sizeof(msg)), "No");
	assert_non_null(strstr(msg, "none of 3 nodes can run it: real-node: cpu: 8 requested, 2 allocatable"));
	assert_non_null(strstr(msg, "node-000000: taint kwok.x-k8s.io/node=fake:NoSchedule is not tolerated"));
	assert_string_equal(nodefit_summary(small, NULL, 0, msg, sizeof(msg)), "No");
	nodefit_projection(full);
	s = json_encode_str(full, 4096, 0);
	assert_string_equal(s, "{\"metadata\":{\"name\":\"x\",\"resourceVersion\":\"9\"},\"spec\":{\"taints\":[]},"
			    "\"status\":{\"allocatable\":{\"cpu\":\"1\"},\"conditions\":[{\"status\":\"True\",\"type\":\"Ready\"}]}}");
	free(s);
	(void)err;
	for (int i = 0; i < 3; i++)
		json_free(nodes[i]);
	json_free(small);
	json_free(large);
	json_free(full);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_nodefit_resources),
		cmocka_unit_test(test_nodefit_taints_and_tolerations),
		cmocka_unit_test(test_nodefit_selector_affinity_readiness),
		cmocka_unit_test(test_nodefit_summary_and_projection),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
