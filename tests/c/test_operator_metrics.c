/* test_operator_metrics.c - src/operator/metrics: the cache families
 * (devserver_cache_bytes, _objects, devserver_objects_skipped, _total) carry
 * one line per cache, labelled cache="<name>", and the heap trims counter. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "operator/metrics.h"

static void test_cache_families(void **state)
{
	static struct metrics m; /* large: not on the stack */
	struct buf out;

	memset(&m, 0, sizeof(m));
	m.ncaches = 2;
	snprintf(m.caches[0].name, sizeof(m.caches[0].name), "devservers");
	m.caches[0].bytes = 12191;
	m.caches[0].objects = 3;
	m.caches[0].skipped = 8;
	m.caches[0].skipped_total = 9;
	snprintf(m.caches[1].name, sizeof(m.caches[1].name), "pods");
	m.caches[1].bytes = 4476;
	m.heap_trims = 25;
	buf_init(&out, 1 << 20);
	assert_int_equal(metrics_format(&m, &out), 0);
	assert_non_null(strstr(buf_str(&out), "# TYPE devserver_cache_bytes gauge\n"));
	assert_non_null(strstr(buf_str(&out), "devserver_cache_bytes{cache=\"devservers\"} 12191\n"));
	assert_non_null(strstr(buf_str(&out), "devserver_cache_bytes{cache=\"pods\"} 4476\n"));
	assert_non_null(strstr(buf_str(&out), "devserver_cache_objects{cache=\"devservers\"} 3\n"));
	assert_non_null(strstr(buf_str(&out), "devserver_objects_skipped{cache=\"devservers\"} 8\n"));
	assert_non_null(strstr(buf_str(&out), "# TYPE devserver_objects_skipped_total counter\n"));
	assert_non_null(strstr(buf_str(&out), "devserver_objects_skipped_total{cache=\"devservers\"} 9\n"));
	assert_non_null(strstr(buf_str(&out), "devserver_heap_trims_total 25\n"));
	assert_null(strstr(buf_str(&out), "cache=\"\""));
	buf_cleanup(&out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cache_families),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
