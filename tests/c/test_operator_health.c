/* test_operator_health.c - /healthz, /readyz and /metrics over a real
 * loopback socket, the Prometheus text itself, and the server's limits
 * against hostile or broken clients: a slowloris client, idle connections
 * past the connection ceiling, clients that never read their /metrics
 * response, oversized requests.
 *
 * Timing: every bound asserted here is several times the server's own
 * deadline (HEALTH_REQUEST_DEADLINE_MS, HEALTH_WRITE_DEADLINE_MS), so the
 * tests pass under valgrind on two loaded cores; what they catch is a
 * server that serves one connection at a time, where a probe waits for as
 * long as the hostile client likes (seconds to forever). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "core/clock.h"
#include "core/error.h"
#include "operator/health.h"
#include "operator/metrics.h"

/* A probe must be answered within this while hostile clients are around
 * (the kubelet's timeoutSeconds in deploy/ is 2 s; the server's request
 * deadline is 1 s, so a healthy server answers in milliseconds). */
#define PROBE_BOUND_MS 3000
/* A client gives up on a read or a write after this; longer than every bound
 * below, so a broken server fails an assertion instead of hanging. */
#define CLIENT_TIMEOUT_MS 15000
/* How long the hostile clients keep at it. */
#define ATTACK_MS 10000

static void sleep_ms(int ms)
{
	struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000 };

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR) {
	}
}

/* A blocking loopback connection with CLIENT_TIMEOUT_MS on reads and writes.
 * rcvbuf > 0 shrinks the receive buffer first (before connect, so the
 * advertised window is small too). */
static int dial(int port, int rcvbuf)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
	struct timeval tv = { .tv_sec = CLIENT_TIMEOUT_MS / 1000 };
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_true(fd >= 0);
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	if (rcvbuf > 0)
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
	assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	return fd;
}

static void send_all(int fd, const char *s)
{
	assert_int_equal(send(fd, s, strlen(s), MSG_NOSIGNAL), (ssize_t)strlen(s));
}

/* Reads until the server closes (or CLIENT_TIMEOUT_MS); returns the bytes. */
static size_t read_all(int fd, char *out, size_t size)
{
	size_t got = 0;
	ssize_t n;

	while (got + 1 < size && (n = recv(fd, out + got, size - 1 - got, 0)) > 0)
		got += (size_t)n;
	out[got] = '\0';
	return got;
}

/* One request; returns the whole response in out. */
static void get(int port, const char *request, char *out, size_t size)
{
	int fd = dial(port, 0);

	send_all(fd, request);
	read_all(fd, out, size);
	close(fd);
}

/* GET path with a fresh connection; returns the time to the full response
 * in ms and the response in out. */
static int64_t timed_get(int port, const char *path, char *out, size_t size)
{
	char req[256];
	int64_t t0 = clock_mono_ms();

	snprintf(req, sizeof(req), "GET %s HTTP/1.1\r\nHost: probe\r\nUser-Agent: kube-probe/1.36\r\n\r\n",
		 path);
	get(port, req, out, size);
	return clock_mono_ms() - t0;
}

/* Probes /healthz `count` times, `gap_ms` apart: every answer is a 200
 * within PROBE_BOUND_MS. Returns the slowest, in ms. */
static int64_t probe_healthz(int port, int count, int gap_ms)
{
	int64_t worst = 0;

	for (int i = 0; i < count; i++) {
		char resp[1024];
		int64_t ms = timed_get(port, "/healthz", resp, sizeof(resp));

		if (!strstr(resp, "HTTP/1.1 200"))
			fail_msg("probe %d: %s", i, resp);
		if (ms > PROBE_BOUND_MS)
			fail_msg("probe %d answered after %lld ms (bound %d ms)", i, (long long)ms,
				 PROBE_BOUND_MS);
		if (ms > worst)
			worst = ms;
		sleep_ms(gap_ms);
	}
	return worst;
}

/* True once the server has closed fd (EOF or reset), waiting up to
 * within_ms; whatever it sent before closing goes to out. */
static bool closed_by_server(int fd, int within_ms, char *out, size_t size)
{
	int64_t end = clock_mono_ms() + within_ms;
	size_t got = 0;

	out[0] = '\0';
	for (;;) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		int64_t left = end - clock_mono_ms();
		ssize_t n;

		if (left <= 0 || poll(&p, 1, (int)left) <= 0)
			return false;
		n = recv(fd, out + got, size - 1 - got, MSG_DONTWAIT);
		if (n == 0 || (n < 0 && errno == ECONNRESET))
			return true;
		if (n > 0 && got + (size_t)n < size - 1)
			got += (size_t)n;
		out[got] = '\0';
	}
}

static struct metrics healthy(void)
{
	struct metrics m;

	memset(&m, 0, sizeof(m));
	m.heartbeat_ms = clock_mono_ms();
	m.synced = true;
	return m;
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

/* The response is the same bytes whatever the transport did: the body
 * matches Content-Length, also for a request that arrives in pieces. */
static void test_health_request_in_pieces(void **state)
{
	char resp[4096];
	struct health *h;
	struct metrics m = healthy();
	struct error err;
	const char *body;
	size_t len;
	int fd;

	assert_int_equal(health_start("127.0.0.1:0", &h, &err), 0);
	health_publish(h, &m);
	fd = dial(health_port(h), 0);
	send_all(fd, "GET /hea");
	sleep_ms(100);
	send_all(fd, "lthz HTTP/1.1\r\nHost: x\r\n");
	sleep_ms(100);
	send_all(fd, "\r\n");
	len = read_all(fd, resp, sizeof(resp));
	close(fd);
	assert_non_null(strstr(resp, "HTTP/1.1 200 OK\r\n"));
	assert_non_null(strstr(resp, "Content-Length: 3\r\n"));
	assert_non_null(body = strstr(resp, "\r\n\r\n"));
	assert_int_equal(len - (size_t)(body + 4 - resp), 3);
	assert_string_equal(body + 4, "ok\n");
	health_stop(h);
}

static void test_health_request_too_large(void **state)
{
	static char req[HEALTH_REQUEST_MAX_BYTES + 1024];
	char resp[4096];
	struct health *h;
	struct metrics m = healthy();
	struct health_stats st;
	struct error err;
	int fd;

	assert_int_equal(health_start("127.0.0.1:0", &h, &err), 0);
	health_publish(h, &m);
	/* a header block that never ends within the ceiling */
	snprintf(req, sizeof(req), "GET /healthz HTTP/1.1\r\nX-Pad: ");
	memset(req + strlen(req), 'a', sizeof(req) - 1 - strlen(req));
	fd = dial(health_port(h), 0);
	/* the server may close while we still send: only the answer counts */
	(void)!send(fd, req, strlen(req), MSG_NOSIGNAL);
	assert_true(closed_by_server(fd, CLIENT_TIMEOUT_MS, resp, sizeof(resp)));
	close(fd);
	assert_non_null(strstr(resp, "HTTP/1.1 431"));
	health_stats(h, &st);
	assert_int_equal(st.too_large, 1);
	probe_healthz(health_port(h), 1, 0);
	health_stop(h);
}

/* A slowloris client: connects, sends a request one byte at a time every
 * interval_ms and never finishes it; when the server cuts it, it connects
 * again, for ATTACK_MS in all. */
struct slowloris {
	int port;
	int interval_ms;
	int cuts;              /* times the server closed it */
	int64_t longest_ms;    /* the longest it held one connection */
	bool answered_408;     /* the server said why before closing */
};

static void *slowloris_main(void *arg)
{
	struct slowloris *s = arg;
	int64_t end = clock_mono_ms() + ATTACK_MS;

	while (clock_mono_ms() < end) {
		const char *req = "GET /healthz?aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
		int64_t t0 = clock_mono_ms();
		int fd = dial(s->port, 0);
		bool cut = false;

		for (size_t i = 0; !cut && clock_mono_ms() < end; i = (i + 1) % strlen(req)) {
			char got[512] = "";

			if (send(fd, req + i, 1, MSG_NOSIGNAL) != 1 ||
			    closed_by_server(fd, s->interval_ms, got, sizeof(got))) {
				cut = true;
				if (strstr(got, "HTTP/1.1 408"))
					s->answered_408 = true;
			}
		}
		if (clock_mono_ms() - t0 > s->longest_ms)
			s->longest_ms = clock_mono_ms() - t0;
		if (cut)
			s->cuts++;
		close(fd);
	}
	return NULL;
}

static void test_health_slowloris(void **state)
{
	struct slowloris slow[2] = { { .interval_ms = 300 }, { .interval_ms = 700 } };
	pthread_t threads[2];
	struct health *h;
	struct metrics m = healthy();
	struct health_stats st;
	struct error err;
	int64_t t0, worst = 0;

	assert_int_equal(health_start("127.0.0.1:0", &h, &err), 0);
	health_publish(h, &m);
	for (int i = 0; i < 2; i++) {
		slow[i].port = health_port(h);
		assert_int_equal(pthread_create(&threads[i], NULL, slowloris_main, &slow[i]), 0);
	}
	sleep_ms(200);
	/* probes for as long as the attack lasts */
	t0 = clock_mono_ms();
	while (clock_mono_ms() - t0 < ATTACK_MS - 1000) {
		int64_t ms;

		m.heartbeat_ms = clock_mono_ms();
		health_publish(h, &m);
		ms = probe_healthz(health_port(h), 1, 250);
		if (ms > worst)
			worst = ms;
	}
	for (int i = 0; i < 2; i++) {
		assert_int_equal(pthread_join(threads[i], NULL), 0);
		print_message("slowloris every %d ms: cut %d times, held at most %lld ms\n",
			      slow[i].interval_ms, slow[i].cuts, (long long)slow[i].longest_ms);
		/* the whole-request deadline cut it, again and again */
		assert_true(slow[i].cuts >= 2);
		assert_true(slow[i].longest_ms < ATTACK_MS / 2);
		assert_true(slow[i].answered_408);
	}
	print_message("slowest /healthz during the attack: %lld ms\n", (long long)worst);
	health_stats(h, &st);
	assert_true(st.request_timeouts >= 4);
	health_stop(h);
}

/* Idle connections (connect, then nothing) below and above the connection
 * ceiling: probes are answered meanwhile, and every idle one is closed by
 * the server - by the request deadline, or dropped to make room. */
static void idle_connections(int n)
{
	int fds[HEALTH_MAX_CONNS * 2];
	struct health *h;
	struct metrics m = healthy();
	struct health_stats st;
	struct error err;
	int64_t worst;

	assert_true(n <= (int)(sizeof(fds) / sizeof(fds[0])));
	assert_int_equal(health_start("127.0.0.1:0", &h, &err), 0);
	health_publish(h, &m);
	for (int i = 0; i < n; i++)
		fds[i] = dial(health_port(h), 0);
	worst = probe_healthz(health_port(h), 8, 100);
	print_message("%d idle connections: slowest /healthz %lld ms\n", n, (long long)worst);
	for (int i = 0; i < n; i++) {
		char got[512];

		assert_true(closed_by_server(fds[i], CLIENT_TIMEOUT_MS, got, sizeof(got)));
		close(fds[i]);
	}
	health_stats(h, &st);
	assert_int_equal(st.request_timeouts + st.dropped, (uint64_t)n);
	if (n > HEALTH_MAX_CONNS)
		assert_true(st.dropped >= (uint64_t)(n - HEALTH_MAX_CONNS));
	else
		assert_int_equal(st.dropped, 0);
	assert_int_equal(st.served, 8);
	health_stop(h);
}

static void test_health_idle_below_ceiling(void **state)
{
	idle_connections(HEALTH_MAX_CONNS - 1);
}

static void test_health_idle_past_ceiling(void **state)
{
	idle_connections(HEALTH_MAX_CONNS + 8);
}

/* Metrics with every labelled counter set: a /metrics response of ~10 KB,
 * twice what the smallest send buffer the kernel allows (4.5 KB) plus the
 * reader's smallest receive window take. */
static struct metrics busy(void)
{
	struct metrics m = healthy();

	for (int i = 1; i < 12; i++)
		m.reconcile_errors[i] = 1000000000000ULL + (uint64_t)i;
	for (int v = 0; v < METRICS_VERBS; v++)
		for (int i = 0; i < 12; i++)
			m.api_requests[v][i] = 1000000000000ULL + (uint64_t)i;
	return m;
}

/* Clients that ask for /metrics and never read the answer. The kernel's
 * default send buffer on loopback (megabytes) would swallow the whole
 * response, so the server is started with a tiny one (health_limits): the
 * writes really stall and the write deadline has to end them. */
static void test_health_metrics_never_read(void **state)
{
	static char resp[HEALTH_METRICS_MAX_BYTES + 4096];
	struct health_limits lim = HEALTH_LIMITS_DEFAULT;
	int fds[HEALTH_MAX_CONNS + 4];
	const int n = (int)(sizeof(fds) / sizeof(fds[0]));
	struct metrics m = busy();
	struct health_stats st;
	struct health *h;
	struct error err;
	int64_t t0, worst;
	const char *body;
	size_t len;

	lim.send_buffer_bytes = 2048;
	assert_int_equal(health_start_with("127.0.0.1:0", &lim, &h, &err), 0);
	health_publish(h, &m);
	/* a few of them: they wait for the write deadline */
	for (int i = 0; i < 4; i++) {
		fds[i] = dial(health_port(h), 1);
		send_all(fds[i], "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n");
	}
	t0 = clock_mono_ms();
	worst = probe_healthz(health_port(h), 6, 100);
	print_message("4 clients not reading /metrics: slowest /healthz %lld ms\n", (long long)worst);
	do {
		health_stats(h, &st);
		if (st.write_timeouts < 4)
			sleep_ms(100);
	} while (st.write_timeouts < 4 && clock_mono_ms() - t0 < CLIENT_TIMEOUT_MS);
	assert_int_equal(st.write_timeouts, 4);
	print_message("their writes were given up after %lld ms\n", (long long)(clock_mono_ms() - t0));
	/* more of them than the server has room for */
	for (int i = 4; i < n; i++) {
		fds[i] = dial(health_port(h), 1);
		send_all(fds[i], "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n");
	}
	worst = probe_healthz(health_port(h), 6, 100);
	print_message("%d clients not reading /metrics: slowest /healthz %lld ms\n", n - 4,
		      (long long)worst);
	/* and a scraper that reads still gets the whole text */
	get(health_port(h), "GET /metrics HTTP/1.1\r\n\r\n", resp, sizeof(resp));
	assert_non_null(strstr(resp, "HTTP/1.1 200 OK\r\n"));
	assert_non_null(body = strstr(resp, "\r\n\r\n"));
	assert_int_equal(sscanf(strstr(resp, "Content-Length: "), "Content-Length: %zu", &len), 1);
	assert_true(len > 9 * 1024);
	assert_int_equal(strlen(body + 4), len);
	assert_non_null(strstr(body, "devserver_leader 0\n"));
	for (int i = 0; i < n; i++)
		close(fds[i]);
	health_stop(h);
}

/* health_stop returns promptly with connections in every state. */
static void test_health_stop_with_connections(void **state)
{
	struct health *h;
	struct metrics m = busy();
	struct health_limits lim = HEALTH_LIMITS_DEFAULT;
	struct error err;
	int fds[3];
	int64_t t0;

	lim.send_buffer_bytes = 2048;
	assert_int_equal(health_start_with("127.0.0.1:0", &lim, &h, &err), 0);
	health_publish(h, &m);
	fds[0] = dial(health_port(h), 0);             /* idle */
	fds[1] = dial(health_port(h), 0);             /* half a request */
	send_all(fds[1], "GET /hea");
	fds[2] = dial(health_port(h), 1);             /* a stalled response */
	send_all(fds[2], "GET /metrics HTTP/1.1\r\n\r\n");
	sleep_ms(200);
	t0 = clock_mono_ms();
	health_stop(h);
	assert_true(clock_mono_ms() - t0 < PROBE_BOUND_MS);
	for (int i = 0; i < 3; i++)
		close(fds[i]);
}

static void test_health_bad_limits(void **state)
{
	struct health_limits lim = HEALTH_LIMITS_DEFAULT;
	struct health *h;
	struct error err;

	lim.max_conns = 0;
	assert_int_equal(health_start_with("127.0.0.1:0", &lim, &h, &err), ERR_INVALID);
	lim.max_conns = HEALTH_MAX_CONNS + 1;
	assert_int_equal(health_start_with("127.0.0.1:0", &lim, &h, &err), ERR_INVALID);
	lim = (struct health_limits)HEALTH_LIMITS_DEFAULT;
	lim.request_deadline_ms = 0;
	assert_int_equal(health_start_with("127.0.0.1:0", &lim, &h, &err), ERR_INVALID);
	lim = (struct health_limits)HEALTH_LIMITS_DEFAULT;
	lim.write_deadline_ms = -1;
	assert_int_equal(health_start_with("127.0.0.1:0", &lim, &h, &err), ERR_INVALID);
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
		cmocka_unit_test(test_health_request_in_pieces),
		cmocka_unit_test(test_health_request_too_large),
		cmocka_unit_test(test_health_slowloris),
		cmocka_unit_test(test_health_idle_below_ceiling),
		cmocka_unit_test(test_health_idle_past_ceiling),
		cmocka_unit_test(test_health_metrics_never_read),
		cmocka_unit_test(test_health_stop_with_connections),
		cmocka_unit_test(test_health_bad_limits),
		cmocka_unit_test(test_health_bad_addresses),
		cmocka_unit_test(test_health_port_in_use),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
