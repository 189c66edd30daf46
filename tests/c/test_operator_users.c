/* test_operator_users.c - src/operator/users (a DevServerUser's plan) and
 * src/operator/scope (whose DevServers are ours): the namespace rule, the
 * objects applied for a new user, nothing applied once current, suspension,
 * a namespace someone else owns, the predecessor's namespace adopted, a
 * RoleBinding with another roleRef replaced, the status, and the scope's
 * three shapes. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "operator/scope.h"
#include "operator/users.h"
#include "support/testutil.h"

#define USER(spec) \
	"{\"apiVersion\":\"devserver.io/v1\",\"kind\":\"DevServerUser\",\"metadata\":{\"name\":\"alice-user\"," \
	"\"uid\":\"u-1\",\"generation\":3},\"spec\":" spec "}"

static void test_namespace_rule(void **state)
{
	char ns[64], sa[64];

	(void)state;
	assert_true(users_names("Alice", ns, sizeof(ns), sa, sizeof(sa)));
	assert_string_equal(ns, "dev-alice");
	assert_string_equal(sa, "alice-sa");
	assert_true(users_names("a-1", ns, sizeof(ns), sa, sizeof(sa)));
	assert_false(users_names("", ns, sizeof(ns), sa, sizeof(sa)));
	assert_false(users_names("-a", ns, sizeof(ns), sa, sizeof(sa)));
	assert_false(users_names("a-", ns, sizeof(ns), sa, sizeof(sa)));
	assert_false(users_names("a.b", ns, sizeof(ns), sa, sizeof(sa)));
	assert_false(users_names("alice@example.com", ns, sizeof(ns), sa, sizeof(sa)));
	assert_false(users_names(NULL, ns, sizeof(ns), sa, sizeof(sa)));
	assert_true(users_names("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", ns, sizeof(ns), sa, sizeof(sa))); /* 59 */
	assert_false(users_names("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", ns, sizeof(ns), sa, sizeof(sa))); /* 60 */
	assert_false(users_names("alice", ns, 6, sa, sizeof(sa))); /* does not fit */
}

static void test_new_user_applies_three_objects(void **state)
{
	struct json *u = tu_json(USER("{\"username\":\"Alice\"}"));
	struct user_plan p;

	(void)state;
	users_plan(u, NULL, NULL, NULL, &p);
	assert_int_equal(p.verdict, USER_READY);
	assert_string_equal(p.ns, "dev-alice");
	assert_string_equal(p.sa, "alice-sa");
	assert_non_null(p.apply_ns);
	assert_non_null(p.apply_sa);
	assert_non_null(p.apply_rb);
	assert_false(p.delete_rb);
	assert_string_equal(json_get_string(json_path(p.apply_ns, "metadata", "labels", NULL), "devserver.io/user"),
			    "Alice");
	assert_string_equal(json_get_string(json_path(p.apply_ns, "metadata", "labels", NULL),
					    "pod-security.kubernetes.io/enforce"), "restricted");
	assert_string_equal(json_get_string(json_path(p.apply_ns, "metadata", "annotations", NULL),
					    "devserver.io/devserveruser"), "alice-user");
	/* not owned: the namespace outlives the user */
	assert_null(json_path(p.apply_ns, "metadata", "ownerReferences", NULL));
	{
		const struct json *refs = json_path(p.apply_sa, "metadata", "ownerReferences", NULL);

		assert_non_null(refs);
		assert_string_equal(json_get_string(refs->u.arr.items[0], "uid"), "u-1");
		assert_string_equal(json_get_string(refs->u.arr.items[0], "kind"), "DevServerUser");
	}
	assert_string_equal(json_get_string(json_get(p.apply_rb, "roleRef"), "kind"), "ClusterRole");
	assert_string_equal(json_get_string(json_get(p.apply_rb, "roleRef"), "name"), "devserver-user");
	{
		const struct json *subj = json_get(p.apply_rb, "subjects");

		assert_int_equal(subj->u.arr.len, 2);
		assert_string_equal(json_get_string(subj->u.arr.items[0], "kind"), "User");
		assert_string_equal(json_get_string(subj->u.arr.items[0], "name"), "Alice"); /* case kept */
		assert_string_equal(json_get_string(subj->u.arr.items[1], "kind"), "ServiceAccount");
		assert_string_equal(json_get_string(subj->u.arr.items[1], "name"), "alice-sa");
		assert_string_equal(json_get_string(subj->u.arr.items[1], "namespace"), "dev-alice");
	}
	users_plan_free(&p);
	json_free(u);
}

/* What the plan applied, as the caches would hold it afterwards. */
static void test_current_objects_cost_nothing(void **state)
{
	struct json *u = tu_json(USER("{\"username\":\"Alice\"}"));
	struct user_plan first, again;

	(void)state;
	users_plan(u, NULL, NULL, NULL, &first);
	users_plan(u, first.apply_ns, first.apply_sa, first.apply_rb, &again);
	assert_int_equal(again.verdict, USER_READY);
	assert_null(again.apply_ns);
	assert_null(again.apply_sa);
	assert_null(again.apply_rb);
	assert_false(again.delete_rb);
	users_plan_free(&again);
	users_plan_free(&first);
	json_free(u);
}

static void test_suspended_user_loses_the_rolebinding(void **state)
{
	struct json *active = tu_json(USER("{\"username\":\"Alice\"}"));
	struct json *susp = tu_json(USER("{\"username\":\"Alice\",\"suspended\":true}"));
	struct user_plan first, p, gone;

	(void)state;
	users_plan(active, NULL, NULL, NULL, &first);
	users_plan(susp, first.apply_ns, first.apply_sa, first.apply_rb, &p);
	assert_int_equal(p.verdict, USER_READY);
	assert_null(p.apply_rb);
	assert_true(p.delete_rb);
	assert_null(p.apply_ns); /* namespace and ServiceAccount stay */
	assert_null(p.apply_sa);
	users_plan(susp, first.apply_ns, first.apply_sa, NULL, &gone);
	assert_false(gone.delete_rb); /* already gone: no request */
	{
		struct json *st = users_status(susp, &p, NULL, 1000);

		assert_string_equal(json_get_string(json_get(st, "conditions")->u.arr.items[0], "reason"), "Suspended");
		assert_string_equal(json_get_string(st, "namespace"), "dev-alice");
		json_free(st);
	}
	users_plan_free(&gone);
	users_plan_free(&p);
	users_plan_free(&first);
	json_free(susp);
	json_free(active);
}

static void test_someone_elses_namespace_is_left_alone(void **state)
{
	struct json *u = tu_json(USER("{\"username\":\"Alice\"}"));
	struct json *plain = tu_json("{\"metadata\":{\"name\":\"dev-alice\",\"labels\":{\"team\":\"x\"}}}");
	struct json *other = tu_json("{\"metadata\":{\"name\":\"dev-alice\",\"labels\":{\"devserver.io/user\":\"Alice\"},"
			       "\"annotations\":{\"devserver.io/devserveruser\":\"alice-2\"}}}");
	struct user_plan p;

	(void)state;
	users_plan(u, plain, NULL, NULL, &p);
	assert_int_equal(p.verdict, USER_NAMESPACE_TAKEN);
	assert_null(p.apply_ns);
	assert_null(p.apply_sa);
	assert_null(p.apply_rb);
	{
		struct json *st = users_status(u, &p, NULL, 1000);
		const struct json *c0 = json_get(st, "conditions")->u.arr.items[0];

		assert_string_equal(json_get_string(c0, "status"), "False");
		assert_string_equal(json_get_string(c0, "reason"), "NamespaceTaken");
		json_free(st);
	}
	users_plan_free(&p);
	/* the same username claimed by a second DevServerUser */
	users_plan(u, other, NULL, NULL, &p);
	assert_int_equal(p.verdict, USER_NAMESPACE_TAKEN);
	users_plan_free(&p);
	json_free(other);
	json_free(plain);
	json_free(u);
}

static void test_predecessors_namespace_is_adopted(void **state)
{
	struct json *u = tu_json(USER("{\"username\":\"Alice\"}"));
	struct json *old = tu_json("{\"metadata\":{\"name\":\"dev-alice\",\"labels\":{\"devserver.io/user\":\"Alice\","
			     "\"devserver.io/managed\":\"true\"}}}");
	/* its RoleBinding bound a Role of the same name: roleRef differs */
	struct json *old_rb = tu_json("{\"metadata\":{\"name\":\"devserver-user\",\"namespace\":\"dev-alice\"},"
				"\"roleRef\":{\"apiGroup\":\"rbac.authorization.k8s.io\",\"kind\":\"Role\","
				"\"name\":\"devserver-user\"}}");
	struct user_plan p;

	(void)state;
	users_plan(u, old, NULL, old_rb, &p);
	assert_int_equal(p.verdict, USER_READY);
	assert_non_null(p.apply_ns); /* our annotation and labels added */
	assert_non_null(p.apply_rb);
	users_plan_free(&p);
	json_free(old_rb);
	json_free(old);
	json_free(u);
}

static void test_invalid_username(void **state)
{
	struct json *u = tu_json(USER("{\"username\":\"alice@example.com\"}"));
	struct user_plan p;
	struct json *st;

	(void)state;
	users_plan(u, NULL, NULL, NULL, &p);
	assert_int_equal(p.verdict, USER_INVALID);
	assert_null(p.apply_ns);
	st = users_status(u, &p, NULL, 1000);
	assert_null(json_get(st, "namespace"));
	assert_int_equal(json_get_int(st, "observedGeneration", 0), 3);
	assert_string_equal(json_get_string(json_get(st, "conditions")->u.arr.items[0], "reason"), "InvalidUsername");
	json_free(st);
	users_plan_free(&p);
	json_free(u);
}

static void test_status_is_stable(void **state)
{
	struct json *u = tu_json(USER("{\"username\":\"Alice\"}"));
	struct user_plan p;
	struct json *st, *again;

	(void)state;
	users_plan(u, NULL, NULL, NULL, &p);
	st = users_status(u, &p, NULL, 1000);
	assert_string_equal(json_get_string(json_get(st, "conditions")->u.arr.items[0], "reason"), "Active");
	json_object_set_take(u, "status", st);
	again = users_status(u, &p, NULL, 2000); /* later, same state: the same document */
	assert_true(json_equal(again, json_get(u, "status")));
	json_free(again);
	again = users_status(u, &p, "apply RoleBinding: HTTP 403", 3000);
	assert_string_equal(json_get_string(json_get(again, "conditions")->u.arr.items[0], "reason"), "ApplyFailed");
	json_free(again);
	users_plan_free(&p);
	json_free(u);
}

static void test_scope_shapes(void **state)
{
	struct ns_scope all, one, set, sel;
	const char *one_names[] = { "team-a" };
	const char *set_names[] = { "team-a", "team-b" };
	struct json *labels = tu_json("{\"devserver.io/managed\":\"true\"}");
	struct json *other = tu_json("{\"team\":\"x\"}");
	struct error err;
	char text[256];

	(void)state;
	assert_int_equal(ns_scope_init(&all, NULL, 0, NULL, &err), 0);
	assert_null(ns_scope_watch_namespace(&all));
	assert_true(ns_scope_contains(&all, "anything", NULL));
	assert_false(ns_scope_needs_namespaces(&all));
	ns_scope_describe(&all, text, sizeof(text));
	assert_string_equal(text, "all namespaces");

	assert_int_equal(ns_scope_init(&one, one_names, 1, "", &err), 0);
	assert_string_equal(ns_scope_watch_namespace(&one), "team-a");
	assert_true(ns_scope_contains(&one, "team-a", NULL));
	assert_false(ns_scope_contains(&one, "team-b", NULL));

	assert_int_equal(ns_scope_init(&set, set_names, 2, NULL, &err), 0);
	assert_null(ns_scope_watch_namespace(&set)); /* cluster-wide, filtered */
	assert_true(ns_scope_contains(&set, "team-b", NULL));
	assert_false(ns_scope_contains(&set, "team-c", labels));
	ns_scope_describe(&set, text, sizeof(text));
	assert_string_equal(text, "namespaces team-a,team-b");

	assert_int_equal(ns_scope_init(&sel, one_names, 1, "devserver.io/managed=true", &err), 0);
	assert_null(ns_scope_watch_namespace(&sel));
	assert_true(ns_scope_needs_namespaces(&sel));
	assert_true(ns_scope_contains(&sel, "team-a", NULL));  /* listed */
	assert_true(ns_scope_contains(&sel, "dev-bob", labels)); /* selected */
	assert_false(ns_scope_contains(&sel, "dev-bob", other));
	assert_false(ns_scope_contains(&sel, "dev-bob", NULL)); /* unknown namespace */
	assert_false(ns_scope_contains(&sel, NULL, labels));
	ns_scope_describe(&sel, text, sizeof(text));
	assert_string_equal(text, "namespace team-a + selector devserver.io/managed=true");
	ns_scope_cleanup(&sel);

	assert_int_equal(ns_scope_init(&sel, NULL, 0, "a in (", &err), ERR_INVALID);
	assert_non_null(strstr(err.msg, "--namespace-selector"));
	ns_scope_cleanup(&sel);
	ns_scope_cleanup(&set);
	ns_scope_cleanup(&one);
	ns_scope_cleanup(&all);
	json_free(other);
	json_free(labels);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_namespace_rule),
		cmocka_unit_test(test_new_user_applies_three_objects),
		cmocka_unit_test(test_current_objects_cost_nothing),
		cmocka_unit_test(test_suspended_user_loses_the_rolebinding),
		cmocka_unit_test(test_someone_elses_namespace_is_left_alone),
		cmocka_unit_test(test_predecessors_namespace_is_adopted),
		cmocka_unit_test(test_invalid_username),
		cmocka_unit_test(test_status_is_stable),
		cmocka_unit_test(test_scope_shapes),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
