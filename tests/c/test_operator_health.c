/* test_operator_health.c - /healthz, /readyz and /metrics over a real
 * loopback socket, and the Prometheus text itself. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/clock.h"
#include "core/error.h"
#include "operator/health.h"
#include "operator/metrics.h"

/* One GET; returns the whole response in out. */
static void get(int port, const char *request, char *out, size_t size)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	size_t got = 0;
	ssize_t n;

	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_true(fd >= 0);
	assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(write(fd, request, strlen(request)), (ssize_t)strlen(request));
	while (got + 1 < size && (n = read(fd, out + got, size - 1 - got)) > 0)
		got += (size_t)n;
	out[got] = '\0';
	close(fd);
}

static void test_health_endpoints(void **state)
{
	static char resp[256 * 1024];
	struct health *h;
	struct metrics m;
	struct error err;

	assert_int_equal(health_start("127.0.0.1:0", &h, &err), 0);
	assert_true(health_port(h) > 0);
	memset(&m, 0, sizeof(m));
	health_publish(h, &m);
	get(health_port(h), "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n", resp, sizeof(resp));
	assert_non_null(strstr(resp, "HTTP/1.1 503"));   /* no heartbeat yet */
	get(health_port(h), "GET /readyz HTTP/1.1\r\n\r\n", resp, sizeof(resp));
	assert_non_null(strstr(resp, "HTTP/1.1 503"));
	m.heartbeat_ms = clock_mono_ms();
	m.synced = true;
	m.reconciles = 7;
	snprintf(m.policy_revision, sizeof(m.policy_revision), "abc123");
	metrics_count_request(&m, "PATCH", 0);
	metrics_count_request(&m, "PATCH", ERR_CONFLICT);
	metrics_observe_reconcile(&m, 0.003);
	health_publish(h, &m);
	get(health_port(h), "GET /healthz HTTP/1.1\r\n\r\n", resp, sizeof(resp));
	assert_non_null(strstr(resp, "HTTP/1.1 200"));
	get(health_port(h), "GET /readyz?verbose HTTP/1.1\r\n\r\n", resp, sizeof(resp));
	assert_non_null(strstr(resp, "HTTP/1.1 200"));
	get(health_port(h), "GET /metrics HTTP/1.1\r\n\r\n", resp, sizeof(resp));
	assert_non_null(strstr(resp, "text/plain; version=0.0.4"));
	assert_non_null(strstr(resp, "\ndevserver_reconcile_total 7\n"));
	assert_non_null(strstr(resp, "devserver_api_requests_total{verb=\"PATCH\",result=\"ok\"} 1\n"));
	assert_non_null(strstr(resp, "devserver_api_requests_total{verb=\"PATCH\",result=\"conflict\"} 1\n"));
	assert_non_null(strstr(resp, "devserver_reconcile_duration_seconds_bucket{le=\"0.005\"} 1\n"));
	assert_non_null(strstr(resp, "devserver_reconcile_duration_seconds_bucket{le=\"0.001\"} 0\n"));
	assert_non_null(strstr(resp, "devserver_policy_info{revision=\"abc123\"} 1\n"));
	get(health_port(h), "GET /nope HTTP/1.1\r\n\r\n", resp, sizeof(resp));
	assert_non_null(strstr(resp, "HTTP/1.1 404"));
	get(health_port(h), "POST /metrics HTTP/1.1\r\n\r\n", resp, sizeof(resp));
	assert_non_null(strstr(resp, "HTTP/1.1 405"));
	health_stop(h);
}

static void test_health_bad_addresses(void **state)
{
	struct health *h;
	struct error err;

	assert_int_equal(health_start("8080", &h, &err), ERR_INVALID);
	assert_int_equal(health_start("127.0.0.1:", &h, &err), ERR_INVALID);
	assert_int_equal(health_start("[::1:80", &h, &err), ERR_INVALID);
	assert_int_equal(health_start("no.such.host.invalid:80", &h, &err), ERR_INVALID);
}

static void test_health_port_in_use(void **state)
{
	struct health *a, *b;
	struct error err;
	char addr[32];

	assert_int_equal(health_start("127.0.0.1:0", &a, &err), 0);
	snprintf(addr, sizeof(addr), "127.0.0.1:%d", health_port(a));
	assert_int_equal(health_start(addr, &b, &err), ERR_IO);
	assert_non_null(strstr(err.msg, "in use"));
	health_stop(a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_health_endpoints),
		cmocka_unit_test(test_health_bad_addresses),
		cmocka_unit_test(test_health_port_in_use),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
