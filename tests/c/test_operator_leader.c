/* test_operator_leader.c - the lease decision and the lease objects written. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "json/json.h"
#include "operator/leader.h"

static struct json *lease(const char *holder, const char *rv)
{
	char text[512];
	struct error err;

	snprintf(text, sizeof(text), "{\"metadata\":{\"name\":\"devserver-operator\",\"resourceVersion\":\"%s\"},"
		 "\"spec\":{\"holderIdentity\":\"%s\",\"leaseDurationSeconds\":15,\"leaseTransitions\":3,"
		 "\"acquireTime\":\"2026-01-01T00:00:00.000000Z\"}}", rv, holder);
	return json_parse(text, strlen(text), &err);
}

static void test_leader_decisions(void **state)
{
	struct json *mine = lease("me", "10"), *other = lease("them", "11"), *free_lease = lease("", "12");

	assert_int_equal(leader_decide(NULL, "me", "", 0, 0), LEADER_CREATE);
	assert_int_equal(leader_decide(mine, "me", "10", 0, 100000), LEADER_RENEW);
	assert_int_equal(leader_decide(free_lease, "me", "12", 0, 0), LEADER_TAKE);
	/* someone else's fresh lease: wait */
	assert_int_equal(leader_decide(other, "me", "11", 1000, 1000), LEADER_WAIT);
	assert_int_equal(leader_decide(other, "me", "11", 1000, 1000 + 15000), LEADER_WAIT);
	/* unchanged for longer than its duration, as seen by us: take it */
	assert_int_equal(leader_decide(other, "me", "11", 1000, 1000 + 15001), LEADER_TAKE);
	/* the record changed since we looked (renewed): the clock restarts */
	assert_int_equal(leader_decide(other, "me", "10", 1000, 1000 + 60000), LEADER_WAIT);
	json_free(mine);
	json_free(other);
	json_free(free_lease);
}

static void test_leader_lease_bodies(void **state)
{
	struct json *other = lease("them", "11"), *mine = lease("me", "10");
	struct json *b;
	const struct json *spec;

	b = leader_lease_body(NULL, LEADER_CREATE, "ops", "me", 1700000000123456LL);
	spec = json_get(b, "spec");
	assert_string_equal(json_get_string(spec, "holderIdentity"), "me");
	assert_string_equal(json_get_string(spec, "renewTime"), "2023-11-14T22:13:20.123456Z");
	assert_int_equal(json_get_int(spec, "leaseTransitions", -1), 0);
	assert_null(json_path(b, "metadata", "resourceVersion", NULL));
	assert_string_equal(json_get_string(json_get(b, "metadata"), "namespace"), "ops");
	json_free(b);

	b = leader_lease_body(other, LEADER_TAKE, "ops", "me", 1700000000000000LL);
	spec = json_get(b, "spec");
	assert_int_equal(json_get_int(spec, "leaseTransitions", -1), 4);
	assert_string_equal(json_get_string(spec, "acquireTime"), "2023-11-14T22:13:20.000000Z");
	/* an update carries the resourceVersion it read: optimistic concurrency */
	assert_string_equal(json_get_string(json_get(b, "metadata"), "resourceVersion"), "11");
	json_free(b);

	b = leader_lease_body(mine, LEADER_RENEW, "ops", "me", 1700000000000000LL);
	spec = json_get(b, "spec");
	assert_int_equal(json_get_int(spec, "leaseTransitions", -1), 3);
	assert_string_equal(json_get_string(spec, "acquireTime"), "2026-01-01T00:00:00.000000Z");
	json_free(b);
	json_free(other);
	json_free(mine);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_leader_decisions),
		cmocka_unit_test(test_leader_lease_bodies),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
