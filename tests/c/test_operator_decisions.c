/* test_operator_decisions.c - the operator's pure decisions: flavor
 * resolution, time-to-live, and status computed from observed children. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "core/clock.h"
#include "core/error.h"
#include "core/utf8.h"
#include "json/json.h"
#include "operator/events.h"
#include "operator/flavor.h"
#include "operator/lifecycle.h"
#include "operator/status.h"
#include "support/testutil.h"

/* --- flavor --- */

static void test_flavor_by_name_and_default(void **state)
{
	struct json *f[3] = {
		tu_json("{\"metadata\":{\"name\":\"cpu-small\"},\"spec\":{\"default\":true}}"),
		tu_json("{\"metadata\":{\"name\":\"cpu-large\"},\"spec\":{}}"),
		tu_json("{\"metadata\":{\"name\":\"gpu-small\"}}"),
	};
	struct json *named = tu_json("{\"spec\":{\"flavor\":\"cpu-large\"}}");
	struct json *unnamed = tu_json("{\"spec\":{}}");
	struct json *empty = tu_json("{\"spec\":{\"flavor\":\"\"}}");
	struct json *missing = tu_json("{\"spec\":{\"flavor\":\"tpu\"}}");
	const struct json *out;
	struct error err;

	assert_int_equal(flavor_resolve(named, (const struct json *const *)f, 3, &out, &err), 0);
	assert_ptr_equal(out, f[1]);
	assert_int_equal(flavor_resolve(unnamed, (const struct json *const *)f, 3, &out, &err), 0);
	assert_ptr_equal(out, f[0]);
	assert_int_equal(flavor_resolve(empty, (const struct json *const *)f, 3, &out, &err), 0);
	assert_ptr_equal(out, f[0]);
	assert_int_equal(flavor_resolve(missing, (const struct json *const *)f, 3, &out, &err), ERR_NOT_FOUND);
	assert_null(out);
	assert_non_null(strstr(err.msg, "\"tpu\" not found"));
	for (int i = 0; i < 3; i++)
		json_free(f[i]);
	json_free(named);
	json_free(unnamed);
	json_free(empty);
	json_free(missing);
}

static void test_flavor_two_defaults_is_an_error(void **state)
{
	struct json *f[2] = {
		tu_json("{\"metadata\":{\"name\":\"a\"},\"spec\":{\"default\":true}}"),
		tu_json("{\"metadata\":{\"name\":\"b\"},\"spec\":{\"default\":true}}"),
	};
	struct json *ds = tu_json("{\"spec\":{}}");
	struct json *named = tu_json("{\"spec\":{\"flavor\":\"b\"}}");
	const struct json *out;
	struct error err;

	assert_int_equal(flavor_count_defaults((const struct json *const *)f, 2), 2);
	assert_int_equal(flavor_resolve(ds, (const struct json *const *)f, 2, &out, &err), ERR_INVALID);
	assert_non_null(strstr(err.msg, "2 DevServerFlavors are marked default"));
	/* a DevServer naming its flavor is unaffected */
	assert_int_equal(flavor_resolve(named, (const struct json *const *)f, 2, &out, &err), 0);
	assert_int_equal(flavor_resolve(ds, NULL, 0, &out, &err), ERR_NOT_FOUND);
	json_free(f[0]);
	json_free(f[1]);
	json_free(ds);
	json_free(named);
}

/* A deprecated flavor's replacedBy: followed (the default too), with the
 * named flavor kept for the condition; a missing target, a loop and a chain
 * past FLAVOR_MAX_REDIRECTS are errors that show the chain. */
static void test_flavor_replaced_by(void **state)
{
	struct json *f[8] = {
		tu_json("{\"metadata\":{\"name\":\"old\"},\"spec\":{\"default\":true,\"replacedBy\":\"new\"}}"),
		tu_json("{\"metadata\":{\"name\":\"new\"},\"spec\":{}}"),
		tu_json("{\"metadata\":{\"name\":\"gone\"},\"spec\":{\"replacedBy\":\"nowhere\"}}"),
		tu_json("{\"metadata\":{\"name\":\"ping\"},\"spec\":{\"replacedBy\":\"pong\"}}"),
		tu_json("{\"metadata\":{\"name\":\"pong\"},\"spec\":{\"replacedBy\":\"ping\"}}"),
		tu_json("{\"metadata\":{\"name\":\"c1\"},\"spec\":{\"replacedBy\":\"c2\"}}"),
		tu_json("{\"metadata\":{\"name\":\"c2\"},\"spec\":{\"replacedBy\":\"c3\"}}"),
		tu_json("{\"metadata\":{\"name\":\"c3\"},\"spec\":{\"replacedBy\":\"old\"}}"),
	};
	const struct json *const *fl = (const struct json *const *)f;
	struct json *ds;
	const struct json *named, *out;
	struct error err;

	ds = tu_json("{\"spec\":{\"flavor\":\"old\"}}");
	assert_int_equal(flavor_resolve_via(ds, fl, 8, &named, &out, &err), 0);
	assert_ptr_equal(named, f[0]);
	assert_ptr_equal(out, f[1]);
	json_free(ds);
	/* the default is deprecated too */
	ds = tu_json("{\"spec\":{}}");
	assert_int_equal(flavor_resolve(ds, fl, 8, &out, &err), 0);
	assert_ptr_equal(out, f[1]);
	json_free(ds);
	ds = tu_json("{\"spec\":{\"flavor\":\"gone\"}}");
	assert_int_equal(flavor_resolve(ds, fl, 8, &out, &err), ERR_NOT_FOUND);
	assert_string_equal(err.msg, "DevServerFlavor \"nowhere\" not found (replacedBy: gone -> nowhere)");
	json_free(ds);
	ds = tu_json("{\"spec\":{\"flavor\":\"ping\"}}");
	assert_int_equal(flavor_resolve(ds, fl, 8, &out, &err), ERR_INVALID);
	assert_string_equal(err.msg, "DevServerFlavor replacedBy loop: ping -> pong -> ping");
	json_free(ds);
	/* c1 -> c2 -> c3 -> old -> new: four redirects are allowed */
	ds = tu_json("{\"spec\":{\"flavor\":\"c1\"}}");
	assert_int_equal(flavor_resolve(ds, fl, 8, &out, &err), 0);
	assert_ptr_equal(out, f[1]);
	/* a fifth is not */
	json_object_set_take(json_get(f[1], "spec"), "replacedBy", json_new_string("gone"));
	assert_int_equal(flavor_resolve(ds, fl, 8, &out, &err), ERR_INVALID);
	assert_string_equal(err.msg, "DevServerFlavor replacedBy chain longer than 4: "
				     "c1 -> c2 -> c3 -> old -> new -> gone");
	json_free(ds);
	for (int i = 0; i < 8; i++)
		json_free(f[i]);
}

static const char *flavor_condition(const struct json *st, const char *field)
{
	const struct json *c = json_get(st, "conditions")->u.arr.items[0];

	return json_get_string(c, field);
}

static void test_flavor_status_default_conflict(void **state)
{
	struct json *f[3] = {
		tu_json("{\"metadata\":{\"name\":\"a\",\"generation\":2},\"spec\":{\"default\":true}}"),
		tu_json("{\"metadata\":{\"name\":\"b\",\"generation\":1},\"spec\":{\"default\":true}}"),
		tu_json("{\"metadata\":{\"name\":\"c\"},\"spec\":{}}"),
	};
	struct json *st, *again;

	st = flavor_status_compute(f[0], (const struct json *const *)f, 3, 1000);
	assert_string_equal(flavor_condition(st, "type"), "DefaultConflict");
	assert_string_equal(flavor_condition(st, "status"), "True");
	assert_non_null(strstr(flavor_condition(st, "message"), "2 flavors are marked default (a, b)"));
	assert_int_equal(json_get_int(st, "observedGeneration", 0), 2);
	/* recomputed later with that status in place: identical, so no write */
	json_object_set_take(f[0], "status", st);
	again = flavor_status_compute(f[0], (const struct json *const *)f, 3, 5000);
	assert_true(json_equal(again, json_get(f[0], "status")));
	json_free(again);
	st = flavor_status_compute(f[2], (const struct json *const *)f, 3, 1000);
	assert_string_equal(flavor_condition(st, "status"), "False");
	json_free(st);
	/* the conflict resolved: only the remaining default, no conflict */
	st = flavor_status_compute(f[0], (const struct json *const *)f, 1, 9000);
	assert_string_equal(flavor_condition(st, "status"), "False");
	assert_string_equal(flavor_condition(st, "lastTransitionTime"), "1970-01-01T02:30:00Z");
	json_free(st);
	for (int i = 0; i < 3; i++)
		json_free(f[i]);
}

/* --- lifecycle --- */

static void test_lifecycle_ttl_sources_and_cap(void **state)
{
	struct json *ds_ttl = tu_json("{\"metadata\":{\"creationTimestamp\":\"2026-11-26T10:00:00Z\"},"
				"\"spec\":{\"lifecycle\":{\"timeToLive\":\"4h\"}}}");
	struct json *ds_none = tu_json("{\"metadata\":{\"creationTimestamp\":\"2026-11-26T10:00:00Z\"},\"spec\":{}}");
	struct json *fl_default = tu_json("{\"spec\":{\"lifecycle\":{\"defaultTimeToLive\":\"1h30m\"}}}");
	struct json *fl_max = tu_json("{\"spec\":{\"lifecycle\":{\"maxTimeToLive\":\"2h\"}}}");
	struct lifecycle lc;
	struct error err;
	int64_t t0;

	assert_int_equal(clock_parse_rfc3339("2026-11-26T10:00:00Z", &t0), 0);
	assert_int_equal(lifecycle_compute(ds_ttl, NULL, 0, &lc, &err), 0);
	assert_true(lc.expires);
	assert_int_equal(lc.expires_at, t0 + 4 * 3600);
	assert_int_equal(lifecycle_compute(ds_none, NULL, 0, &lc, &err), 0);
	assert_false(lc.expires);
	assert_int_equal(lifecycle_compute(ds_none, fl_default, 0, &lc, &err), 0);
	assert_int_equal(lc.expires_at, t0 + 5400);
	assert_int_equal(lifecycle_compute(ds_ttl, fl_max, 0, &lc, &err), 0);
	assert_int_equal(lc.expires_at, t0 + 7200);
	assert_int_equal(lc.capped_by, LIFECYCLE_CAP_FLAVOR);
	/* no TTL at all but a maximum: the maximum applies */
	assert_int_equal(lifecycle_compute(ds_none, fl_max, 0, &lc, &err), 0);
	assert_int_equal(lc.expires_at, t0 + 7200);
	json_free(ds_ttl);
	json_free(ds_none);
	json_free(fl_default);
	json_free(fl_max);
}

/* The operator's --max-ttl where the flavor sets no maxTimeToLive. */
#define DAY_S (24 * 3600)
#define DS_TTL(ttl) "{\"metadata\":{\"creationTimestamp\":\"2026-11-26T10:00:00Z\"}," \
		    "\"spec\":{\"lifecycle\":{\"timeToLive\":\"" ttl "\"}}}"

static void test_lifecycle_operator_cap_without_flavor_max(void **state)
{
	struct json *ds_long = tu_json(DS_TTL("30d"));
	struct json *ds_short = tu_json(DS_TTL("4h"));
	struct json *ds_none = tu_json("{\"metadata\":{\"creationTimestamp\":\"2026-11-26T10:00:00Z\"},\"spec\":{}}");
	struct json *fl_plain = tu_json("{\"metadata\":{\"name\":\"cpu\"},\"spec\":{}}");
	struct json *fl_default = tu_json("{\"spec\":{\"lifecycle\":{\"defaultTimeToLive\":\"10d\"}}}");
	char text[LIFECYCLE_CAP_TEXT_BYTES];
	struct lifecycle lc;
	struct error err;
	int64_t t0;

	assert_int_equal(clock_parse_rfc3339("2026-11-26T10:00:00Z", &t0), 0);
	/* the default cap, 7d: a longer TTL is cut and the text names the operator */
	assert_int_equal(lifecycle_compute(ds_long, fl_plain, 7 * DAY_S, &lc, &err), 0);
	assert_true(lc.expires);
	assert_int_equal(lc.expires_at, t0 + 7 * DAY_S);
	assert_int_equal(lc.capped_by, LIFECYCLE_CAP_OPERATOR);
	assert_int_equal(lc.cap_s, 7 * DAY_S);
	lifecycle_cap_text(&lc, text);
	assert_string_equal(text, "capped at 7d by the operator's --max-ttl");
	/* a TTL inside the cap is left alone */
	assert_int_equal(lifecycle_compute(ds_short, fl_plain, 7 * DAY_S, &lc, &err), 0);
	assert_int_equal(lc.expires_at, t0 + 4 * 3600);
	assert_int_equal(lc.capped_by, LIFECYCLE_CAP_NONE);
	lifecycle_cap_text(&lc, text);
	assert_string_equal(text, "");
	/* no TTL anywhere: the operator's cap gives none (unlike a flavor's
	 * maximum): an upgrade must not start deleting DevServers made to last */
	assert_int_equal(lifecycle_compute(ds_none, fl_plain, 7 * DAY_S, &lc, &err), 0);
	assert_false(lc.expires);
	assert_int_equal(lc.capped_by, LIFECYCLE_CAP_NONE);
	/* the flavor's default is capped too */
	assert_int_equal(lifecycle_compute(ds_none, fl_default, 7 * DAY_S, &lc, &err), 0);
	assert_int_equal(lc.expires_at, t0 + 7 * DAY_S);
	assert_int_equal(lc.capped_by, LIFECYCLE_CAP_OPERATOR);
	/* an unresolved flavor (NULL): no cap of either kind, only the DevServer's own TTL */
	assert_int_equal(lifecycle_compute(ds_long, NULL, 7 * DAY_S, &lc, &err), 0);
	assert_int_equal(lc.expires_at, t0 + 30 * DAY_S);
	assert_int_equal(lc.capped_by, LIFECYCLE_CAP_NONE);
	assert_int_equal(lifecycle_compute(ds_none, NULL, 7 * DAY_S, &lc, &err), 0);
	assert_false(lc.expires);
	json_free(ds_long);
	json_free(ds_short);
	json_free(ds_none);
	json_free(fl_plain);
	json_free(fl_default);
}

static void test_lifecycle_flavor_max_wins(void **state)
{
	struct json *ds_20d = tu_json(DS_TTL("20d"));
	struct json *ds_40d = tu_json(DS_TTL("40d"));
	struct json *fl_30d = tu_json("{\"spec\":{\"lifecycle\":{\"maxTimeToLive\":\"30d\"}}}");
	struct json *fl_2h = tu_json("{\"spec\":{\"lifecycle\":{\"maxTimeToLive\":\"2h\"}}}");
	char text[LIFECYCLE_CAP_TEXT_BYTES];
	struct lifecycle lc;
	struct error err;
	int64_t t0;

	assert_int_equal(clock_parse_rfc3339("2026-11-26T10:00:00Z", &t0), 0);
	/* larger than --max-ttl: the flavor's 30d allows 20d, --max-ttl 7d plays no part */
	assert_int_equal(lifecycle_compute(ds_20d, fl_30d, 7 * DAY_S, &lc, &err), 0);
	assert_int_equal(lc.expires_at, t0 + 20 * DAY_S);
	assert_int_equal(lc.capped_by, LIFECYCLE_CAP_NONE);
	assert_int_equal(lifecycle_compute(ds_40d, fl_30d, 7 * DAY_S, &lc, &err), 0);
	assert_int_equal(lc.expires_at, t0 + 30 * DAY_S);
	assert_int_equal(lc.capped_by, LIFECYCLE_CAP_FLAVOR);
	lifecycle_cap_text(&lc, text);
	assert_string_equal(text, "capped at 30d by the flavor's maxTimeToLive");
	/* smaller than --max-ttl: the flavor's 2h */
	assert_int_equal(lifecycle_compute(ds_20d, fl_2h, 7 * DAY_S, &lc, &err), 0);
	assert_int_equal(lc.expires_at, t0 + 7200);
	assert_int_equal(lc.capped_by, LIFECYCLE_CAP_FLAVOR);
	lifecycle_cap_text(&lc, text);
	assert_string_equal(text, "capped at 2h by the flavor's maxTimeToLive");
	json_free(ds_20d);
	json_free(ds_40d);
	json_free(fl_30d);
	json_free(fl_2h);
}

static void test_lifecycle_operator_cap_none(void **state)
{
	struct json *ds_long = tu_json(DS_TTL("30d"));
	struct json *ds_none = tu_json("{\"metadata\":{\"creationTimestamp\":\"2026-11-26T10:00:00Z\"},\"spec\":{}}");
	struct json *fl_plain = tu_json("{\"spec\":{}}");
	struct lifecycle lc;
	struct error err;
	int64_t t0;

	assert_int_equal(clock_parse_rfc3339("2026-11-26T10:00:00Z", &t0), 0);
	/* --max-ttl none (0): a TTL stays as long as it is, none stays none */
	assert_int_equal(lifecycle_compute(ds_long, fl_plain, 0, &lc, &err), 0);
	assert_int_equal(lc.expires_at, t0 + 30 * DAY_S);
	assert_int_equal(lc.capped_by, LIFECYCLE_CAP_NONE);
	assert_int_equal(lifecycle_compute(ds_none, fl_plain, 0, &lc, &err), 0);
	assert_false(lc.expires);
	json_free(ds_long);
	json_free(ds_none);
	json_free(fl_plain);
}

static void test_lifecycle_bad_input(void **state)
{
	struct json *bad_ttl = tu_json("{\"metadata\":{\"creationTimestamp\":\"2026-11-26T10:00:00Z\"},"
				 "\"spec\":{\"lifecycle\":{\"timeToLive\":\"4x\"}}}");
	struct json *no_ts = tu_json("{\"spec\":{\"lifecycle\":{\"timeToLive\":\"4h\"}}}");
	struct lifecycle lc;
	struct error err;

	assert_int_equal(lifecycle_compute(bad_ttl, NULL, 0, &lc, &err), ERR_INVALID);
	assert_non_null(strstr(err.msg, "timeToLive"));
	assert_int_equal(lifecycle_compute(no_ts, NULL, 0, &lc, &err), ERR_INVALID);
	assert_non_null(strstr(err.msg, "creationTimestamp"));
	json_free(bad_ttl);
	json_free(no_ts);
}

/* status.schedulable from the nodes: Yes with how many fit, No with why,
 * and kept as it was while the nodes are not known. */
static void test_flavor_status_schedulable(void **state)
{
	struct json *small = tu_json("{\"metadata\":{\"name\":\"small\"},\"spec\":{\"resources\":{\"requests\":{\"cpu\":\"1\"}}}}");
	struct json *huge = tu_json("{\"metadata\":{\"name\":\"huge\"},\"spec\":{\"resources\":{\"requests\":{\"cpu\":\"64\"}}},"
			      "\"status\":{\"schedulable\":\"Yes\"}}");
	struct json *node = tu_json("{\"metadata\":{\"name\":\"n1\"},\"status\":{\"allocatable\":{\"cpu\":\"4\"},"
			      "\"conditions\":[{\"type\":\"Ready\",\"status\":\"True\"}]}}");
	const struct json *fl[2] = { small, huge }, *nodes[1] = { node };
	const struct json *list, *cond = NULL;
	struct json *st;

	st = flavor_status_compute_nodes(small, fl, 2, nodes, 1, 1000);
	assert_string_equal(json_get_string(st, "schedulable"), "Yes");
	json_free(st);
	st = flavor_status_compute_nodes(huge, fl, 2, nodes, 1, 1000);
	assert_string_equal(json_get_string(st, "schedulable"), "No");
	list = json_get(st, "conditions");
	for (size_t i = 0; i < list->u.arr.len; i++)
		if (strcmp(json_get_string(list->u.arr.items[i], "type"), "Schedulable") == 0)
			cond = list->u.arr.items[i];
	assert_non_null(cond);
	assert_string_equal(json_get_string(cond, "status"), "False");
	assert_string_equal(json_get_string(cond, "reason"), "NoNodeFits");
	assert_non_null(strstr(json_get_string(cond, "message"), "n1: cpu: 64 requested, 4 allocatable"));
	json_free(st);
	/* nodes unknown: what was there stays */
	st = flavor_status_compute(huge, fl, 2, 1000);
	assert_string_equal(json_get_string(st, "schedulable"), "Yes");
	json_free(st);
	json_free(small);
	json_free(huge);
	json_free(node);
}

/* --- status --- */

static const char *cond_status(const struct json *st, const char *type)
{
	const struct json *list = json_get(st, "conditions");

	for (size_t i = 0; i < list->u.arr.len; i++)
		if (strcmp(json_get_string(list->u.arr.items[i], "type"), type) == 0)
			return json_get_string(list->u.arr.items[i], "status");
	return NULL;
}

static const char *cond_field(const struct json *st, const char *type, const char *field)
{
	const struct json *list = json_get(st, "conditions");

	for (size_t i = 0; i < list->u.arr.len; i++)
		if (strcmp(json_get_string(list->u.arr.items[i], "type"), type) == 0)
			return json_get_string(list->u.arr.items[i], field);
	return NULL;
}

static void base_inputs(struct status_inputs *in, const struct json *ds, const struct error *ok)
{
	memset(in, 0, sizeof(*in));
	in->ds = ds;
	in->flavor_name = "cpu-small";
	in->flavor_err = ok;
	in->render_err = ok;
	in->apply_err = ok;
	in->policy_revision = "abc123";
	in->now = 1800000000;
}

static void test_status_running_from_observed_deployment(void **state)
{
	struct json *ds = tu_json("{\"metadata\":{\"name\":\"box\",\"namespace\":\"dev\",\"generation\":3},\"spec\":{}}");
	struct json *deploy = tu_json("{\"status\":{\"availableReplicas\":1}}");
	struct error ok = { 0 };
	struct status_inputs in;
	struct json *st;

	base_inputs(&in, ds, &ok);
	in.deployment = deploy;
	in.ssh_service = "box-ssh";
	in.ssh_port = 22;
	st = status_compute(&in);
	assert_string_equal(json_get_string(st, "phase"), "Running");
	assert_string_equal(cond_status(st, "Ready"), "True");
	assert_string_equal(cond_status(st, "Available"), "True");
	assert_int_equal(json_get_int(st, "observedGeneration", 0), 3);
	assert_string_equal(json_get_string(json_get(st, "ssh"), "service"), "box-ssh");
	assert_string_equal(json_get_string(json_get(st, "policy"), "revision"), "abc123");
	assert_string_equal(json_get_string(st, "flavor"), "cpu-small");
	assert_string_equal(cond_field(st, "FlavorResolved", "reason"), "Resolved");
	json_free(st);
	/* through a deprecated flavor: still resolved, and it says so */
	in.flavor_replaced = "cpu-old";
	st = status_compute(&in);
	assert_string_equal(cond_status(st, "FlavorResolved"), "True");
	assert_string_equal(cond_field(st, "FlavorResolved", "reason"), "Replaced");
	assert_string_equal(cond_field(st, "FlavorResolved", "message"),
			    "cpu-small (DevServerFlavor cpu-old is deprecated and replaced by it)");
	assert_string_equal(json_get_string(st, "flavor"), "cpu-small");
	json_free(st);
	json_free(ds);
	json_free(deploy);
}

/* status.pendingRestart: what waits, since when it first did (kept across
 * reconciles, so the age is honest), gone once nothing waits. */
static void test_status_pending_restart(void **state)
{
	struct json *ds = tu_json("{\"metadata\":{\"name\":\"box\",\"namespace\":\"dev\"},\"spec\":{},"
			    "\"status\":{\"pendingRestart\":{\"changes\":\"x\",\"since\":\"2026-01-01T00:00:00Z\"}}}");
	struct json *fresh = tu_json("{\"metadata\":{\"name\":\"box\",\"namespace\":\"dev\"},\"spec\":{}}");
	struct json *deploy = tu_json("{\"status\":{\"availableReplicas\":1}}");
	struct error ok = { 0 };
	struct status_inputs in;
	struct json *st;

	base_inputs(&in, fresh, &ok);
	in.deployment = deploy;
	in.now = 1795687200;
	in.pending_restart = "flavor f changed (generation 1 -> 2)";
	st = status_compute(&in);
	assert_string_equal(json_get_string(json_get(st, "pendingRestart"), "changes"),
			    "flavor f changed (generation 1 -> 2)");
	assert_string_equal(json_get_string(json_get(st, "pendingRestart"), "since"), "2026-11-26T10:00:00Z");
	json_free(st);
	in.ds = ds;
	st = status_compute(&in);
	assert_string_equal(json_get_string(json_get(st, "pendingRestart"), "since"), "2026-01-01T00:00:00Z");
	json_free(st);
	in.pending_restart = NULL;
	st = status_compute(&in);
	assert_null(json_get(st, "pendingRestart"));
	json_free(st);
	json_free(ds);
	json_free(fresh);
	json_free(deploy);
}

static void test_status_transition_times_are_stable(void **state)
{
	struct json *ds = tu_json("{\"metadata\":{\"name\":\"box\",\"namespace\":\"dev\"},\"spec\":{}}");
	struct json *deploy = tu_json("{\"status\":{\"availableReplicas\":1}}");
	struct error ok = { 0 };
	struct status_inputs in;
	struct json *first, *second;

	base_inputs(&in, ds, &ok);
	in.deployment = deploy;
	first = status_compute(&in);
	/* the DevServer now carries the first status; an hour later nothing changed */
	json_object_set_take(ds, "status", json_clone(first));
	in.now += 3600;
	second = status_compute(&in);
	assert_true(json_equal(first, second));
	/* a real change moves only the conditions that changed */
	json_free(second);
	json_get(deploy, "status")->u.obj.items[0].value->u.i = 0;
	second = status_compute(&in);
	assert_string_equal(json_get_string(second, "phase"), "Provisioning");
	assert_string_not_equal(cond_field(second, "Available", "lastTransitionTime"),
				cond_field(first, "Available", "lastTransitionTime"));
	assert_string_equal(cond_field(second, "Applied", "lastTransitionTime"),
			    cond_field(first, "Applied", "lastTransitionTime"));
	json_free(first);
	json_free(second);
	json_free(ds);
	json_free(deploy);
}

static void test_status_failures_name_their_cause(void **state)
{
	struct json *ds = tu_json("{\"metadata\":{\"name\":\"box\",\"namespace\":\"dev\"},\"spec\":{}}");
	struct error ok = { 0 }, missing = { ERR_NOT_FOUND, "DevServerFlavor \"tpu\" not found" };
	struct error policy = { ERR_POLICY, "devserver.lua:12: spec.mode distributed is not supported yet" };
	struct status_inputs in;
	struct json *st;

	base_inputs(&in, ds, &ok);
	in.flavor_name = NULL;
	in.flavor_err = &missing;
	in.render_err = NULL;
	in.apply_err = NULL;
	st = status_compute(&in);
	assert_string_equal(json_get_string(st, "phase"), "Failed");
	assert_string_equal(cond_field(st, "FlavorResolved", "reason"), "FlavorNotFound");
	assert_non_null(strstr(json_get_string(st, "message"), "tpu"));
	assert_null(json_get(st, "flavor"));
	json_free(st);

	base_inputs(&in, ds, &ok);
	in.render_err = &policy;
	in.apply_err = NULL;
	st = status_compute(&in);
	assert_string_equal(json_get_string(st, "phase"), "Failed");
	assert_string_equal(cond_status(st, "PolicyRendered"), "False");
	assert_non_null(strstr(cond_field(st, "PolicyRendered", "message"), "distributed"));
	assert_null(json_get(st, "policy"));
	json_free(st);
	json_free(ds);
}

static void test_status_pod_reasons(void **state)
{
	struct json *ds = tu_json("{\"metadata\":{\"name\":\"box\",\"namespace\":\"dev\"},\"spec\":{}}");
	struct json *deploy = tu_json("{\"status\":{\"replicas\":1}}");
	struct json *pull = tu_json("{\"status\":{\"containerStatuses\":[{\"state\":{\"waiting\":"
			      "{\"reason\":\"ImagePullBackOff\",\"message\":\"Back-off pulling image\"}}}]}}");
	struct json *sched = tu_json("{\"status\":{\"conditions\":[{\"type\":\"PodScheduled\",\"status\":\"False\","
			       "\"reason\":\"Unschedulable\",\"message\":\"0/2 nodes are available\"}]}}");
	struct error ok = { 0 };
	struct status_inputs in;
	struct json *st;

	base_inputs(&in, ds, &ok);
	in.deployment = deploy;
	in.pod = pull;
	st = status_compute(&in);
	assert_string_equal(json_get_string(st, "phase"), "Failed");
	assert_string_equal(cond_field(st, "Available", "reason"), "ImagePullBackOff");
	json_free(st);
	in.pod = sched;
	st = status_compute(&in);
	assert_string_equal(json_get_string(st, "phase"), "Pending");
	assert_non_null(strstr(json_get_string(st, "message"), "0/2 nodes"));
	json_free(st);
	json_free(ds);
	json_free(deploy);
	json_free(pull);
	json_free(sched);
}

/* A pod that waits for its home to be provisioned (the scheduler's "unbound
 * immediate PersistentVolumeClaims") while a provisioner works on every
 * claim is Provisioning, not Pending: on every cluster with a dynamic
 * provisioner that is the normal first seconds of a DevServer (minutes in a
 * burst), and reporting it would cost a status write per DevServer for a
 * phase that is over before anyone reads it. Without a provisioner, or past
 * STATUS_VOLUME_WAIT_MAX_S, it is reported; status_volume_wait says when the
 * wait runs out. */
static void test_status_volume_wait_is_provisioning(void **state)
{
	struct json *ds = tu_json("{\"metadata\":{\"name\":\"box\",\"namespace\":\"dev\"},\"spec\":{}}");
	struct json *deploy = tu_json("{\"status\":{\"replicas\":1}}");
	/* 2027-01-15T08:00:00Z = 1800000000 (base_inputs' now) */
	struct json *pod = tu_json("{\"status\":{\"conditions\":[{\"type\":\"PodScheduled\",\"status\":\"False\","
			     "\"reason\":\"Unschedulable\",\"lastTransitionTime\":\"2027-01-15T07:59:50Z\","
			     "\"message\":\"0/3 nodes are available: pod has unbound immediate "
			     "PersistentVolumeClaims. preemption: 0/3 nodes are available\"}]}}");
	struct json *old = tu_json("{\"status\":{\"conditions\":[{\"type\":\"PodScheduled\",\"status\":\"False\","
			     "\"reason\":\"Unschedulable\",\"lastTransitionTime\":\"2027-01-15T07:40:00Z\","
			     "\"message\":\"0/3 nodes are available: pod has unbound immediate "
			     "PersistentVolumeClaims.\"}]}}");
	struct json *undated = tu_json("{\"status\":{\"conditions\":[{\"type\":\"PodScheduled\",\"status\":\"False\","
				 "\"reason\":\"Unschedulable\",\"message\":\"pod has unbound immediate "
				 "PersistentVolumeClaims\"}]}}");
	struct json *making = tu_json("{\"metadata\":{\"annotations\":{\"volume.kubernetes.io/storage-provisioner\":"
				"\"rancher.io/local-path\"}},\"status\":{\"phase\":\"Pending\"}}");
	struct json *beta = tu_json("{\"metadata\":{\"annotations\":{\"volume.beta.kubernetes.io/storage-provisioner\":"
			      "\"x\"}},\"status\":{\"phase\":\"Pending\"}}");
	struct json *bound = tu_json("{\"status\":{\"phase\":\"Bound\"}}");
	struct json *orphan = tu_json("{\"metadata\":{\"creationTimestamp\":\"2027-01-15T07:50:00Z\"},"
				"\"status\":{\"phase\":\"Pending\"}}");
	/* 30 s old: the PV controller has not annotated it yet */
	struct json *young = tu_json("{\"metadata\":{\"creationTimestamp\":\"2027-01-15T07:59:30Z\"},"
			       "\"status\":{\"phase\":\"Pending\"}}");
	struct json *lost = tu_json("{\"status\":{\"phase\":\"Lost\"}}");
	const struct json *claims[2];
	struct error ok = { 0 };
	struct status_inputs in;
	struct json *st, *first;
	int64_t until = 0;

	(void)state;
	/* which claims count as being provisioned */
	claims[0] = making;
	claims[1] = bound;
	assert_true(status_volumes_provisioning(claims, 2, 1800000000));
	claims[1] = beta;
	assert_true(status_volumes_provisioning(claims, 2, 1800000000));
	claims[1] = young;
	assert_true(status_volumes_provisioning(claims, 2, 1800000000));
	/* ten minutes on, and still no provisioner named on it */
	claims[1] = orphan;
	assert_false(status_volumes_provisioning(claims, 2, 1800000000));
	claims[1] = lost;
	assert_false(status_volumes_provisioning(claims, 2, 1800000000));
	claims[1] = NULL;   /* a claim the operator cannot see */
	assert_false(status_volumes_provisioning(claims, 2, 1800000000));
	assert_false(status_volumes_provisioning(claims, 0, 1800000000));

	base_inputs(&in, ds, &ok);
	in.deployment = deploy;
	in.pod = pod;
	in.volumes_provisioning = true;
	first = status_compute(&in);
	assert_string_equal(json_get_string(first, "phase"), "Provisioning");
	assert_string_equal(json_get_string(first, "message"), "waiting for the pod to become ready");
	assert_true(status_volume_wait(pod, in.now, &until));
	assert_int_equal(until, 1800000000 - 10 + STATUS_VOLUME_WAIT_MAX_S);
	/* the same status as before the pod existed: nothing to write */
	in.pod = NULL;
	st = status_compute(&in);
	assert_true(json_equal(json_get(st, "conditions"), json_get(first, "conditions")));
	assert_string_equal(json_get_string(st, "message"), json_get_string(first, "message"));
	json_free(st);
	json_free(first);

	/* no provisioner at work: Pending at once, with the scheduler's words */
	in.pod = pod;
	in.volumes_provisioning = false;
	st = status_compute(&in);
	assert_string_equal(json_get_string(st, "phase"), "Pending");
	assert_non_null(strstr(json_get_string(st, "message"), "unbound immediate PersistentVolumeClaims"));
	json_free(st);
	/* past the longest wait: Pending */
	in.volumes_provisioning = true;
	in.pod = old;
	assert_false(status_volume_wait(old, in.now, &until));
	st = status_compute(&in);
	assert_string_equal(json_get_string(st, "phase"), "Pending");
	json_free(st);
	/* no transition time: nothing to measure the wait from, so reported */
	in.pod = undated;
	assert_false(status_volume_wait(undated, in.now, &until));
	st = status_compute(&in);
	assert_string_equal(json_get_string(st, "phase"), "Pending");
	json_free(st);
	json_free(ds);
	json_free(deploy);
	json_free(pod);
	json_free(old);
	json_free(undated);
	json_free(making);
	json_free(beta);
	json_free(bound);
	json_free(orphan);
	json_free(young);
	json_free(lost);
}

/* A failing init container (the user's image cannot be pulled for the login
 * step, or it crashes) is the pod's problem while the main container only
 * waits in PodInitializing. */
static void test_status_init_container_reasons(void **state)
{
	struct json *ds = tu_json("{\"metadata\":{\"name\":\"box\",\"namespace\":\"dev\"},\"spec\":{}}");
	struct json *deploy = tu_json("{\"status\":{\"replicas\":1}}");
	struct json *pod = tu_json("{\"status\":{\"initContainerStatuses\":[{\"name\":\"tools\",\"state\":"
			     "{\"terminated\":{\"exitCode\":0}}},{\"name\":\"login\",\"state\":{\"waiting\":"
			     "{\"reason\":\"ImagePullBackOff\",\"message\":\"Back-off pulling image nope:1\"}}}],"
			     "\"containerStatuses\":[{\"name\":\"devserver\",\"state\":{\"waiting\":"
			     "{\"reason\":\"PodInitializing\"}}}]}}");
	struct error ok = { 0 };
	struct status_inputs in;
	struct json *st;

	base_inputs(&in, ds, &ok);
	in.deployment = deploy;
	in.pod = pod;
	st = status_compute(&in);
	assert_string_equal(json_get_string(st, "phase"), "Failed");
	assert_string_equal(cond_field(st, "Available", "reason"), "ImagePullBackOff");
	assert_non_null(strstr(json_get_string(st, "message"), "nope:1"));
	json_free(st);
	json_free(ds);
	json_free(deploy);
	json_free(pod);
}

/* A child name taken by someone else's object: Failed, Applied=False with
 * reason ChildConflict and the message naming the object. */
static void test_status_child_conflict(void **state)
{
	struct json *ds = tu_json("{\"metadata\":{\"name\":\"web\",\"namespace\":\"dev\"},\"spec\":{}}");
	struct error ok = { 0 }, taken = { ERR_PERMANENT, "ConfigMap web-ssh already exists and is not "
					    "controlled by this DevServer; nothing was written" };
	struct status_inputs in;
	struct json *st;

	base_inputs(&in, ds, &ok);
	in.apply_err = &taken;
	in.apply_reason = "ChildConflict";
	st = status_compute(&in);
	assert_string_equal(json_get_string(st, "phase"), "Failed");
	assert_string_equal(cond_status(st, "Applied"), "False");
	assert_string_equal(cond_field(st, "Applied", "reason"), "ChildConflict");
	assert_non_null(strstr(json_get_string(st, "message"), "ConfigMap web-ssh"));
	json_free(st);
	json_free(ds);
}

/* The host key is published from the observed Secret, with or without the
 * Service; without it there is no ssh block at all. */
static void test_status_publishes_host_key(void **state)
{
	struct json *ds = tu_json("{\"metadata\":{\"name\":\"box\",\"namespace\":\"dev\"},\"spec\":{}}");
	struct error ok = { 0 };
	struct status_inputs in;
	struct json *st;

	base_inputs(&in, ds, &ok);
	st = status_compute(&in);
	assert_null(json_get(st, "ssh"));
	json_free(st);
	in.ssh_host_key = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIJJFtheLHMUspjjB83oD4wxAmnyEMIMe7NOyZiK0Rywk";
	in.ssh_host_key_fingerprint = "SHA256:t/36O1zGd/Rqk2SBdCZxwunLhXgllPTfCFiKO7GdTHo";
	st = status_compute(&in);
	assert_string_equal(json_get_string(json_get(st, "ssh"), "hostKeyFingerprint"),
			    "SHA256:t/36O1zGd/Rqk2SBdCZxwunLhXgllPTfCFiKO7GdTHo");
	assert_null(json_get(json_get(st, "ssh"), "service"));
	json_free(st);
	in.ssh_service = "box-ssh";
	in.ssh_port = 2222;
	st = status_compute(&in);
	assert_string_equal(json_get_string(json_get(st, "ssh"), "service"), "box-ssh");
	assert_non_null(json_get_string(json_get(st, "ssh"), "hostKey"));
	json_free(st);
	json_free(ds);
}

/* Stopped by idle shutdown: the reason says so and how to resume; the last
 * activity is published, and kept from the old status when this operator
 * has not read it yet. */
static void test_status_idle_stopped(void **state)
{
	struct json *ds = tu_json("{\"metadata\":{\"name\":\"box\",\"namespace\":\"dev\"},\"spec\":{\"stopped\":true},"
			    "\"status\":{\"lastActivityTime\":\"2026-12-02T10:00:00Z\"}}");
	struct json *deploy = tu_json("{\"status\":{\"replicas\":0}}");
	struct error ok = { 0 };
	struct status_inputs in;
	struct json *st;

	base_inputs(&in, ds, &ok);
	in.deployment = deploy;
	in.stopped_idle = true;
	in.idle_timeout_s = 1800;
	st = status_compute(&in);
	assert_string_equal(json_get_string(st, "phase"), "Stopped");
	assert_string_equal(cond_field(st, "Available", "reason"), "Idle");
	assert_non_null(strstr(json_get_string(st, "message"), "after 30m"));
	assert_non_null(strstr(json_get_string(st, "message"), "devctl start"));
	assert_string_equal(json_get_string(st, "lastActivityTime"), "2026-12-02T10:00:00Z");
	json_free(st);
	in.last_activity = 1800000000;
	st = status_compute(&in);
	assert_string_equal(json_get_string(st, "lastActivityTime"), "2027-01-15T08:00:00Z");
	json_free(st);
	json_free(ds);
	json_free(deploy);
}

/* ExpiringSoon: False with the time until the warning window, then True,
 * with a message that does not change while nothing else does (no "in 25m":
 * a resync must not rewrite the status). */
static void test_status_expiring_soon(void **state)
{
	struct json *ds = tu_json("{\"metadata\":{\"name\":\"box\",\"namespace\":\"dev\"},\"spec\":{}}");
	struct json *deploy = tu_json("{\"status\":{\"availableReplicas\":1}}");
	struct error ok = { 0 };
	struct status_inputs in;
	struct json *a, *b;

	base_inputs(&in, ds, &ok);
	in.deployment = deploy;
	in.expires = true;
	in.expires_at = in.now + 3600;
	in.expiry_warning_s = 1800;
	a = status_compute(&in);
	assert_string_equal(cond_status(a, "ExpiringSoon"), "False");
	assert_false(status_condition_became_true(NULL, a, "ExpiringSoon"));
	json_object_set_take(ds, "status", json_clone(a));
	in.now += 1801;
	b = status_compute(&in);
	assert_string_equal(cond_status(b, "ExpiringSoon"), "True");
	assert_true(status_condition_became_true(a, b, "ExpiringSoon"));
	assert_non_null(strstr(status_condition_message(b, "ExpiringSoon"), "devctl extend box --by"));
	/* later, unchanged: identical status, no second Event */
	json_free(a);
	json_object_set_take(ds, "status", json_clone(b));
	in.now += 600;
	a = status_compute(&in);
	assert_true(json_equal(a, b));
	assert_false(status_condition_became_true(b, a, "ExpiringSoon"));
	json_free(a);
	json_free(b);
	/* capped: the message names the cap and offers no devctl extend, which
	 * could not make it longer */
	in.ttl_cap = "capped at 7d by the operator's --max-ttl";
	a = status_compute(&in);
	assert_string_equal(cond_status(a, "ExpiringSoon"), "True");
	assert_non_null(strstr(status_condition_message(a, "ExpiringSoon"),
			       "(capped at 7d by the operator's --max-ttl): the DevServer is then deleted"));
	assert_null(strstr(status_condition_message(a, "ExpiringSoon"), "devctl extend"));
	json_free(a);
	in.now -= 2401;
	a = status_compute(&in);
	assert_string_equal(cond_status(a, "ExpiringSoon"), "False");
	assert_non_null(strstr(status_condition_message(a, "ExpiringSoon"),
			       "(capped at 7d by the operator's --max-ttl)"));
	json_free(a);
	in.ttl_cap = NULL;
	/* no TTL, or the warning off: no condition at all */
	in.expires = false;
	a = status_compute(&in);
	assert_null(cond_status(a, "ExpiringSoon"));
	json_free(a);
	json_free(ds);
	json_free(deploy);
}

static void test_status_stopped(void **state)
{
	struct json *ds = tu_json("{\"metadata\":{\"name\":\"box\",\"namespace\":\"dev\"},\"spec\":{\"stopped\":true}}");
	struct json *deploy = tu_json("{\"status\":{\"replicas\":0}}");
	struct error ok = { 0 };
	struct status_inputs in;
	struct json *st;

	base_inputs(&in, ds, &ok);
	in.deployment = deploy;
	in.expires = true;
	in.expires_at = 1800003600;
	st = status_compute(&in);
	assert_string_equal(json_get_string(st, "phase"), "Stopped");
	assert_string_equal(cond_status(st, "Ready"), "False");
	assert_string_equal(json_get_string(st, "expiresAt"), "2027-01-15T09:00:00Z");
	json_free(st);
	json_free(ds);
	json_free(deploy);
}

/* Every string in a status tree is valid UTF-8. */
static void assert_all_utf8(const struct json *v)
{
	if (v->type == JSON_STRING) {
		if (!utf8_valid(v->u.str.ptr, v->u.str.len))
			fail_msg("not valid UTF-8: \"%s\"", v->u.str.ptr);
	} else if (v->type == JSON_ARRAY) {
		for (size_t i = 0; i < v->u.arr.len; i++)
			assert_all_utf8(v->u.arr.items[i]);
	} else if (v->type == JSON_OBJECT) {
		for (size_t i = 0; i < v->u.obj.len; i++)
			assert_all_utf8(v->u.obj.items[i].value);
	}
}

/* The status as the operator reads it back: encoded, stored and decoded
 * (our encoder, like the API server's decoder, turns invalid bytes into
 * U+FFFD). */
static struct json *round_trip(const struct json *st)
{
	struct buf text;
	struct json *back;

	buf_init(&text, 1u << 20);
	assert_int_equal(json_encode(st, &text, 0), 0);
	back = tu_json(buf_str(&text));
	buf_cleanup(&text);
	return back;
}

/* Long messages with multi-byte characters, cut by the fixed buffers on the
 * way (error_set's 512 bytes, status' own 512): the status is valid UTF-8,
 * and computing it again against the stored copy gives the same document,
 * so nothing is rewritten. A cut inside a character made the stored status
 * (U+FFFD) differ from every recomputation: a write on every reconcile. */
static void test_status_long_multibyte_messages_are_stable(void **state)
{
	/* 3-byte characters, and 4-byte ones, at every offset modulo 3 and 4 */
	static const char *const fills[] = { "\xe4\xb8\xad", "\xf0\x9f\x98\x80", "\xc3\xa4" };
	struct json *deploy = tu_json("{\"status\":{\"replicas\":1}}");
	char long_text[3 * ERROR_MSG_MAX_BYTES], pod[1024 + 256];
	int rewrites = 0;

	for (size_t f = 0; f < sizeof(fills) / sizeof(fills[0]); f++)
		for (size_t shift = 0; shift < 4; shift++)
			for (int which = 0; which < 4; which++) {
				struct json *ds = tu_json("{\"metadata\":{\"name\":\"box\",\"namespace\":\"dev\","
						    "\"generation\":2},\"spec\":{}}");
				struct error ok = { 0 }, bad;
				struct status_inputs in;
				struct json *first, *stored, *second, *podj = NULL;
				size_t n = 0, k = strlen(fills[f]);

				memset(long_text, 'x', shift);
				n = shift;
				while (n + k < sizeof(long_text) - 1) {
					memcpy(long_text + n, fills[f], k);
					n += k;
				}
				long_text[n] = '\0';
				base_inputs(&in, ds, &ok);
				in.deployment = deploy;
				if (which == 0) {          /* flavor error, cut by error_set */
					error_set(&bad, ERR_INVALID, "flavor: %s", long_text);
					in.flavor_name = NULL;
					in.flavor_err = &bad;
				} else if (which == 1) {   /* policy error, plus a stray byte */
					error_set(&bad, ERR_POLICY, "devserver.lua:3: \xe4\xb8 %s", long_text);
					in.render_err = &bad;
				} else if (which == 2) {   /* apply error from the API server */
					error_set(&bad, ERR_PERMANENT, "422: %s", long_text);
					in.apply_err = &bad;
				} else {                   /* a pod's waiting message, valid but long */
					char msg[1000];

					utf8_copy(msg, sizeof(msg), long_text);
					snprintf(pod, sizeof(pod), "{\"status\":{\"containerStatuses\":[{\"state\":"
						 "{\"waiting\":{\"reason\":\"CrashLoopBackOff\",\"message\":\"%s\"}}}]}}",
						 msg);
					in.pod = podj = tu_json(pod);
				}
				first = status_compute(&in);
				assert_all_utf8(first);
				/* the message was cut, not emptied */
				assert_true(strlen(json_get_string(first, "message")) > 400);
				stored = round_trip(first);
				if (!json_equal(stored, first))
					rewrites++;
				json_object_set_take(ds, "status", stored);
				in.now += 60;
				second = status_compute(&in);
				if (!json_equal(second, json_get(ds, "status")))
					fail_msg("fill %zu shift %zu case %d: status differs from its stored copy",
						 f, shift, which);
				assert_true(json_equal(second, first));
				json_free(first);
				json_free(second);
				json_free(podj);
				json_free(ds);
			}
	assert_int_equal(rewrites, 0);
	json_free(deploy);
}

/* Events carry the same messages, cut at EVENTS_MESSAGE_MAX_BYTES: on a
 * character boundary too. */
static void test_event_message_cut_on_character_boundary(void **state)
{
	struct json *ds = tu_json("{\"apiVersion\":\"devserver.io/v1\",\"kind\":\"DevServer\","
			    "\"metadata\":{\"name\":\"box\",\"namespace\":\"dev\",\"uid\":\"u1\"}}");
	char text[2 * EVENTS_MESSAGE_MAX_BYTES];
	size_t n = 0;

	text[n++] = 'x';
	while (n + 3 < sizeof(text)) {
		memcpy(text + n, "\xe4\xb8\xad", 3);
		n += 3;
	}
	text[n] = '\0';
	for (int shift = 0; shift < 3; shift++) {
		struct json *e = events_build(ds, EVENT_WARNING, "Failed", text + shift, "devserver-operator", 0);
		const char *msg = json_get_string(e, "message");

		assert_true(utf8_valid(msg, strlen(msg)));
		assert_true(strlen(msg) > EVENTS_MESSAGE_MAX_BYTES - 1 - 3);
		assert_true(strlen(msg) <= EVENTS_MESSAGE_MAX_BYTES - 1);
		json_free(e);
	}
	json_free(ds);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_flavor_by_name_and_default),
		cmocka_unit_test(test_flavor_two_defaults_is_an_error),
		cmocka_unit_test(test_flavor_replaced_by),
		cmocka_unit_test(test_flavor_status_default_conflict),
		cmocka_unit_test(test_lifecycle_ttl_sources_and_cap),
		cmocka_unit_test(test_lifecycle_operator_cap_without_flavor_max),
		cmocka_unit_test(test_lifecycle_flavor_max_wins),
		cmocka_unit_test(test_lifecycle_operator_cap_none),
		cmocka_unit_test(test_lifecycle_bad_input),
		cmocka_unit_test(test_status_running_from_observed_deployment),
		cmocka_unit_test(test_status_pending_restart),
		cmocka_unit_test(test_status_transition_times_are_stable),
		cmocka_unit_test(test_status_failures_name_their_cause),
		cmocka_unit_test(test_status_pod_reasons),
		cmocka_unit_test(test_status_volume_wait_is_provisioning),
		cmocka_unit_test(test_status_init_container_reasons),
		cmocka_unit_test(test_status_publishes_host_key),
		cmocka_unit_test(test_status_child_conflict),
		cmocka_unit_test(test_status_idle_stopped),
		cmocka_unit_test(test_status_expiring_soon),
		cmocka_unit_test(test_flavor_status_schedulable),
		cmocka_unit_test(test_status_stopped),
		cmocka_unit_test(test_status_long_multibyte_messages_are_stable),
		cmocka_unit_test(test_event_message_cut_on_character_boundary),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
