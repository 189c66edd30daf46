/* test_cli_output.c - cli/output: tables, humanized times and encodings,
 * compared as exact text. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "core/clock.h"
#include "json/json.h"
#include "output.h"
#include "support/testutil.h"

/* 2026-11-26T10:00:00Z */
#define NOW 1795687200LL

static const char *const devservers_json =
	"[{\"metadata\":{\"name\":\"mybox\",\"namespace\":\"team-a\","
	"\"creationTimestamp\":\"2026-11-26T07:57:00Z\"},"
	"\"spec\":{\"flavor\":\"cpu-small\",\"image\":\"img:1\"},"
	"\"status\":{\"flavor\":\"cpu-small\",\"phase\":\"Running\",\"expiresAt\":\"2026-11-26T15:30:00Z\","
	"\"conditions\":[{\"type\":\"Ready\",\"status\":\"True\",\"reason\":\"Running\","
	"\"lastTransitionTime\":\"2026-11-26T09:55:00Z\",\"message\":\"pod ready\"}]}},"
	"{\"metadata\":{\"name\":\"a-much-longer-name\",\"namespace\":\"b\","
	"\"creationTimestamp\":\"2026-11-23T10:00:00Z\"},\"spec\":{}}]";

static void test_output_age(void **state)
{
	static const struct { int64_t s; const char *want; } cases[] = {
		{ -5, "0s" }, { 0, "0s" }, { 59, "59s" }, { 60, "1m" }, { 300, "5m" },
		{ 3599, "59m" }, { 3600, "1h" }, { 7380, "2h3m" }, { 86399, "23h59m" },
		{ 86400, "1d" }, { 3 * 86400, "3d" }, { 3 * 86400 + 4 * 3600, "3d4h" },
		{ 7 * 86400 + 5 * 3600, "7d" }, { 400 * 86400, "400d" },
	};
	char out[OUTPUT_AGE_BYTES];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		output_age(cases[i].s, out);
		assert_string_equal(out, cases[i].want);
	}
}

static void test_output_expires(void **state)
{
	struct json *ds = tu_json("{\"status\":{\"expiresAt\":\"2026-11-26T12:03:00Z\"}}");
	struct json *past = tu_json("{\"status\":{\"expiresAt\":\"2026-11-26T09:00:00Z\"}}");
	struct json *none = tu_json("{\"status\":{}}");
	struct json *bad = tu_json("{\"status\":{\"expiresAt\":\"soon\"}}");
	char out[OUTPUT_AGE_BYTES];

	output_expires_in(ds, NOW, out);
	assert_string_equal(out, "2h3m");
	output_expires_in(past, NOW, out);
	assert_string_equal(out, "expired");
	output_expires_in(none, NOW, out);
	assert_string_equal(out, "<none>");
	output_expires_in(bad, NOW, out);
	assert_string_equal(out, "<none>");
	{
		/* the operator's warning shows in the column */
		struct json *soon = tu_json("{\"status\":{\"expiresAt\":\"2026-11-26T10:25:00Z\",\"conditions\":"
					  "[{\"type\":\"ExpiringSoon\",\"status\":\"True\"}]}}");

		output_expires_in(soon, NOW, out);
		assert_string_equal(out, "25m!");
		json_free(soon);
	}
	json_free(ds);
	json_free(past);
	json_free(none);
	json_free(bad);
}

static void test_output_table(void **state)
{
	static const char *const head[] = { "A", "LONGER", "C" };
	static const char *const r1[] = { "xxxxx", "y", "z" };
	static const char *const r2[] = { "1", NULL, "" };
	struct table t;
	struct buf b;

	buf_init(&b, 4096);
	table_init(&t, 3);
	table_add_row(&t, head);
	table_add_row(&t, r1);
	table_add_row(&t, r2);
	assert_int_equal(table_render(&t, &b), 0);
	assert_string_equal(buf_str(&b),
			    "A       LONGER   C\n"
			    "xxxxx   y        z\n"
			    "1       <none>   <none>\n");
	table_cleanup(&t);
	buf_cleanup(&b);
}

static void test_output_list_table(void **state)
{
	struct json *items = tu_json(devservers_json);
	struct error err;
	struct buf b;

	buf_init(&b, OUTPUT_MAX_BYTES);
	assert_int_equal(output_devservers(items, NULL, OUT_TABLE, false, NOW, &b, &err), 0);
	assert_string_equal(buf_str(&b),
		"NAME                 FLAVOR      PHASE     READY    EXPIRES   AGE\n"
		"mybox                cpu-small   Running   True     5h30m     2h3m\n"
		"a-much-longer-name   <none>      <none>    <none>   <none>    3d\n");
	buf_reset(&b);
	assert_int_equal(output_devservers(items, NULL, OUT_TABLE, true, NOW, &b, &err), 0);
	assert_string_equal(buf_str(&b),
		"NAMESPACE   NAME                 FLAVOR      PHASE     READY    EXPIRES   AGE\n"
		"team-a      mybox                cpu-small   Running   True     5h30m     2h3m\n"
		"b           a-much-longer-name   <none>      <none>    <none>   <none>    3d\n");
	buf_cleanup(&b);
	json_free(items);
}

static void test_output_list_wide(void **state)
{
	struct json *items = tu_json(devservers_json);
	struct json *pods = tu_json(
		"[{\"metadata\":{\"labels\":{\"devserver.io/name\":\"mybox\"}},"
		"\"spec\":{\"nodeName\":\"node-1\",\"containers\":[{\"image\":\"img:resolved\"}]},"
		"\"status\":{\"podIP\":\"10.0.0.7\"}}]");
	struct error err;
	struct buf b;

	buf_init(&b, OUTPUT_MAX_BYTES);
	assert_int_equal(output_devservers(items, pods, OUT_WIDE, false, NOW, &b, &err), 0);
	assert_string_equal(buf_str(&b),
		"NAME                 FLAVOR      PHASE     READY    EXPIRES   AGE    IMAGE          NODE     IP\n"
		"mybox                cpu-small   Running   True     5h30m     2h3m   img:resolved   node-1   10.0.0.7\n"
		"a-much-longer-name   <none>      <none>    <none>   <none>    3d     <none>         <none>   <none>\n");
	/* without pods the image comes from the spec */
	buf_reset(&b);
	assert_int_equal(output_devservers(items, NULL, OUT_WIDE, false, NOW, &b, &err), 0);
	assert_non_null(strstr(buf_str(&b), "   img:1   "));
	buf_cleanup(&b);
	json_free(items);
	json_free(pods);
}

static void test_output_list_name_json_yaml(void **state)
{
	struct json *items = tu_json(devservers_json), *back;
	struct error err;
	struct buf b;

	buf_init(&b, OUTPUT_MAX_BYTES);
	assert_int_equal(output_devservers(items, NULL, OUT_NAME, false, NOW, &b, &err), 0);
	assert_string_equal(buf_str(&b), "devserver.devserver.io/mybox\n"
					 "devserver.devserver.io/a-much-longer-name\n");
	buf_reset(&b);
	assert_int_equal(output_devservers(items, NULL, OUT_JSON, false, NOW, &b, &err), 0);
	assert_memory_equal(buf_str(&b), "{\n  \"apiVersion\": \"v1\",\n  \"items\": [", 30);
	back = json_parse(b.data, b.len, &err);
	assert_non_null(back);
	assert_true(json_equal(json_get(back, "items"), items));
	assert_string_equal(json_get_string(back, "kind"), "List");
	json_free(back);
	buf_reset(&b);
	assert_int_equal(output_devservers(items, NULL, OUT_YAML, false, NOW, &b, &err), 0);
	assert_memory_equal(buf_str(&b), "apiVersion: v1\nitems:\n", 22);
	assert_non_null(strstr(buf_str(&b), "kind: List\n"));
	buf_cleanup(&b);
	json_free(items);
}

static void test_output_object(void **state)
{
	struct json *o = tu_json("{\"metadata\":{\"name\":\"x\"},\"b\":1,\"a\":[true]}");
	struct error err;
	struct buf b;

	buf_init(&b, 4096);
	assert_int_equal(output_object(o, NULL, OUT_JSON, &b, &err), 0);
	assert_string_equal(buf_str(&b), "{\n  \"a\": [\n    true\n  ],\n  \"b\": 1,\n"
					 "  \"metadata\": {\n    \"name\": \"x\"\n  }\n}\n");
	buf_reset(&b);
	assert_int_equal(output_object(o, NULL, OUT_YAML, &b, &err), 0);
	assert_string_equal(buf_str(&b), "a:\n- true\nb: 1\nmetadata:\n  name: x\n");
	buf_reset(&b);
	assert_int_equal(output_object(o, "devserverflavor.devserver.io", OUT_NAME, &b, &err), 0);
	assert_string_equal(buf_str(&b), "devserverflavor.devserver.io/x\n");
	buf_cleanup(&b);
	json_free(o);
}

static void test_output_limit(void **state)
{
	struct json *items = tu_json(devservers_json);
	struct error err;
	struct buf b;

	buf_init(&b, 64);
	assert_int_equal(output_devservers(items, NULL, OUT_TABLE, false, NOW, &b, &err), ERR_LIMIT);
	assert_int_equal(output_devservers(items, NULL, OUT_JSON, false, NOW, &b, &err), ERR_LIMIT);
	buf_cleanup(&b);
	json_free(items);
}

static void test_output_flavors(void **state)
{
	struct json *items = tu_json(
		"[{\"metadata\":{\"name\":\"cpu-small\",\"creationTimestamp\":\"2026-11-25T10:00:00Z\"},"
		"\"spec\":{\"default\":true,\"description\":\"2 CPUs\",\"defaultImage\":\"base:1\","
		"\"resources\":{\"requests\":{\"cpu\":\"2\",\"memory\":\"4Gi\"}},"
		"\"lifecycle\":{\"maxTimeToLive\":\"7d\"}}},"
		"{\"metadata\":{\"name\":\"gpu\"},\"spec\":{\"resources\":{\"requests\":{\"cpu\":\"8\"},"
		"\"limits\":{\"nvidia.com/gpu\":1}},\"replacedBy\":\"gpu-2\"},\"status\":{\"schedulable\":\"No\"}}]");
	struct error err;
	struct buf b;

	buf_init(&b, 4096);
	assert_int_equal(output_flavors(items, OUT_TABLE, NOW, &b, &err), 0);
	assert_string_equal(buf_str(&b),
		"NAME        DEFAULT   CPU   MEMORY   GPU      SCHEDULABLE   MAX-TTL   AGE\n"
		"cpu-small   yes       2     4Gi      <none>   <none>        7d        1d\n"
		"gpu         no        8     <none>   1        No            <none>    <none>\n");
	buf_reset(&b);
	assert_int_equal(output_flavors(items, OUT_WIDE, NOW, &b, &err), 0);
	assert_non_null(strstr(buf_str(&b), "   IMAGE    DESCRIPTION\n"));
	assert_non_null(strstr(buf_str(&b), "   base:1   2 CPUs\n"));
	/* a deprecated flavor says what to use instead */
	assert_non_null(strstr(buf_str(&b), "   <none>   deprecated: use gpu-2\n"));
	buf_reset(&b);
	assert_int_equal(output_flavors(items, OUT_NAME, NOW, &b, &err), 0);
	assert_string_equal(buf_str(&b), "devserverflavor.devserver.io/cpu-small\n"
					 "devserverflavor.devserver.io/gpu\n");
	buf_cleanup(&b);
	json_free(items);
}

static void test_output_describe(void **state)
{
	struct json *items = tu_json(devservers_json);
	struct json *ds = json_clone(items->u.arr.items[0]);
	struct json *events = tu_json(
		"[{\"type\":\"Warning\",\"reason\":\"BackOff\",\"message\":\"pulling\",\"count\":3,"
		"\"lastTimestamp\":\"2026-11-26T09:58:00Z\","
		"\"involvedObject\":{\"kind\":\"Pod\",\"name\":\"mybox-abc\"}}]");
	struct error err;
	struct buf b;

	buf_init(&b, OUTPUT_MAX_BYTES);
	assert_int_equal(output_describe(ds, events, NOW, &b, &err), 0);
	{
		static const char want[] =
			"Name:             mybox\n"
			"Namespace:        team-a\n"
			"Created:          2026-11-26T07:57:00Z (2h3m ago)\n"
			"Phase:            Running\n"
			"Ready:            True\n"
			"Message:          <none>\n"
			"Flavor:           cpu-small\n"
			"Expires:          2026-11-26T15:30:00Z (in 5h30m)\n"
			"Requested flavor: cpu-small\n";

		assert_memory_equal(buf_str(&b), want, sizeof(want) - 1);
	}
	assert_non_null(strstr(buf_str(&b),
		"Conditions:\n"
		"  TYPE    STATUS   REASON    AGE   MESSAGE\n"
		"  Ready   True     Running   5m    pod ready\n"
		"Events:\n"
		"  2m ago  Warning  BackOff  Pod/mybox-abc  pulling (x3)\n"));
	assert_non_null(strstr(buf_str(&b), "Home:             ephemeral\n"));
	/* a volume of its own at /home/dev is the home; one below it is not */
	json_object_set_take(json_get(ds, "spec"), "volumes",
			     tu_json("[{\"claimName\":\"d\",\"mountPath\":\"/home/dev/data\"},"
				   "{\"claimName\":\"mine\",\"mountPath\":\"/home/dev/\",\"readOnly\":true}]"));
	buf_reset(&b);
	assert_int_equal(output_describe(ds, NULL, NOW, &b, &err), 0);
	assert_non_null(strstr(buf_str(&b), "Home:             claim mine (spec.volumes), read-only\n"));
	json_object_set_take(json_get(ds, "spec"), "volumes",
			     tu_json("[{\"claimName\":\"d\",\"mountPath\":\"/home/dev/data\"}]"));
	buf_reset(&b);
	assert_int_equal(output_describe(ds, NULL, NOW, &b, &err), 0);
	assert_non_null(strstr(buf_str(&b), "Home:             ephemeral\n"));
	json_object_remove(json_get(ds, "spec"), "volumes");
	/* the key devctl writes both as publicKey and publicKeys[0] is one key */
	json_object_set_take(json_get(ds, "spec"), "ssh",
			     tu_json("{\"publicKey\":\"ssh-ed25519 AAAA1 a\","
				   "\"publicKeys\":[\"ssh-ed25519 AAAA1 a\",\"ssh-ed25519 AAAA2 b\"]}"));
	buf_reset(&b);
	assert_int_equal(output_describe(ds, NULL, NOW, &b, &err), 0);
	assert_non_null(strstr(buf_str(&b), "SSH keys:         2\n"));
	json_object_set_take(json_get(ds, "spec"), "ssh",
			     tu_json("{\"publicKey\":\"ssh-ed25519 AAAA0 c\","
				   "\"publicKeys\":[\"ssh-ed25519 AAAA1 a\"]}"));
	buf_reset(&b);
	assert_int_equal(output_describe(ds, NULL, NOW, &b, &err), 0);
	assert_non_null(strstr(buf_str(&b), "SSH keys:         2\n"));
	/* a change held back for a restart says what and how to apply it */
	json_object_set_take(json_get(ds, "status"), "pendingRestart",
			     tu_json("{\"changes\":\"flavor cpu-small changed (generation 3 -> 4)\","
				   "\"since\":\"2026-11-26T09:50:00Z\"}"));
	buf_reset(&b);
	assert_int_equal(output_describe(ds, NULL, NOW, &b, &err), 0);
	assert_non_null(strstr(buf_str(&b),
		"Pending restart:  2026-11-26T09:50:00Z (10m ago)\n"
		"                  flavor cpu-small changed (generation 3 -> 4): devctl restart mybox applies it\n"));
	buf_reset(&b);
	assert_int_equal(output_describe(items->u.arr.items[1], NULL, NOW, &b, &err), 0);
	assert_null(strstr(buf_str(&b), "Pending restart:"));
	assert_non_null(strstr(buf_str(&b), "Conditions:\n  <none>\nEvents:\n  <none>\n"));
	buf_cleanup(&b);
	json_free(ds);
	json_free(events);
	json_free(items);
}

static void test_output_policy_status(void **state)
{
	struct json *st = tu_json("{\"revision\":\"abc123\",\"source\":\"ConfigMap devserver-policy\","
				"\"lastRejection\":{\"revision\":\"def456\",\"reason\":\"main.lua:3: boom\"}}");
	struct json *empty = tu_json("{}");
	struct error err;
	struct buf b;

	buf_init(&b, 4096);
	assert_int_equal(output_policy_status(st, &b, &err), 0);
	assert_string_equal(buf_str(&b),
		"Active revision:  abc123\n"
		"Source:           ConfigMap devserver-policy\n"
		"Loaded at:        <none>\n"
		"Last rejection:\n"
		"  Revision:       def456\n"
		"  Time:           <none>\n"
		"  Reason:         main.lua:3: boom\n");
	buf_reset(&b);
	assert_int_equal(output_policy_status(empty, &b, &err), 0);
	assert_non_null(strstr(buf_str(&b), "Last rejection:   <none>\n"));
	buf_cleanup(&b);
	json_free(st);
	json_free(empty);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_output_age),
		cmocka_unit_test(test_output_expires),
		cmocka_unit_test(test_output_table),
		cmocka_unit_test(test_output_list_table),
		cmocka_unit_test(test_output_list_wide),
		cmocka_unit_test(test_output_list_name_json_yaml),
		cmocka_unit_test(test_output_object),
		cmocka_unit_test(test_output_limit),
		cmocka_unit_test(test_output_flavors),
		cmocka_unit_test(test_output_describe),
		cmocka_unit_test(test_output_policy_status),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
