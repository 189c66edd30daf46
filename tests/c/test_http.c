/* test_http.c - src/kube/http against a tiny HTTP/1.1 server on 127.0.0.1
 * (ephemeral port, one thread per connection, keep-alive): buffered calls,
 * status classification, 429 + Retry-After, 5xx retries, a chunked stream, a
 * timeout, an idle stream, the body ceiling, cancellation, timers, concurrent
 * requests and connection reuse. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/clock.h"
#include "core/mem.h"
#include "kube/cache.h"
#include "kube/client.h"
#include "kube/http.h"
#include "kube/watch.h"

/* ---- the loopback server --------------------------------------------- */

#define SRV_MAX_CONNS 64

struct srv {
	int lfd;
	int port;
	pthread_t thr;
	atomic_int stop;
	atomic_int connections;
	atomic_int requests;
	atomic_int hits_429, hits_500, hits_401;
	atomic_int lists, watches, last_watch_rv;
	atomic_int hold_pages; /* the second list page waits for srv_hold's end */
	pthread_mutex_t mu;
	pthread_t conns[SRV_MAX_CONNS];
	int nconns;
};

struct conn {
	struct srv *s;
	int fd;
};

static void srv_send(int fd, const char *p, size_t n)
{
	while (n > 0) {
		ssize_t w = send(fd, p, n, MSG_NOSIGNAL);

		if (w <= 0)
			return;
		p += w;
		n -= (size_t)w;
	}
}

static void srv_respond(int fd, int code, const char *extra, const char *body)
{
	char head[512];
	int n = snprintf(head, sizeof(head),
			 "HTTP/1.1 %d X\r\nContent-Type: application/json\r\nContent-Length: %zu\r\n%s\r\n",
			 code, strlen(body), extra ? extra : "");

	srv_send(fd, head, (size_t)n);
	srv_send(fd, body, strlen(body));
}

static void srv_chunk(int fd, const char *data)
{
	char head[32];
	int n = snprintf(head, sizeof(head), "%zx\r\n", strlen(data));

	srv_send(fd, head, (size_t)n);
	srv_send(fd, data, strlen(data));
	srv_send(fd, "\r\n", 2);
}

/* Sleeps ms in small steps; false when the server is stopping. */
static bool srv_nap(struct srv *s, int ms)
{
	for (int i = 0; i < ms / 20; i++) {
		if (atomic_load(&s->stop))
			return false;
		usleep(20000);
	}
	return !atomic_load(&s->stop);
}

/* Waits until the server stops, never answering: a request held this way is
 * still in flight whenever the test looks, however slow the machine (under
 * valgrind a fixed nap can end before the test gets to cancel). Always false. */
static bool srv_hold(struct srv *s)
{
	while (!atomic_load(&s->stop))
		usleep(20000);
	return false;
}

/* Generous upper bounds for what takes milliseconds on an idle machine: room
 * for valgrind on two loaded cores, tight enough that a request stuck behind
 * another (or a timeout not firing) still fails. */
#define TEST_SLACK_MS 20000

#define WATCH_STREAM_PARTS 5
static const char *watch_parts[WATCH_STREAM_PARTS] = {
	"{\"type\":\"ADDED\",\"object\":{\"a\":1}}\n{\"type\":\"MOD",
	"IFIED\",\"object\":{\"a\":2}}\n",
	"{\"ty",
	"pe\":\"DELETED\",\"object\":{\"a\":3}}",
	"\n",
};

/* Returns false to close the connection. */
static bool srv_handle(struct srv *s, int fd, const char *method, const char *path, const char *auth,
		       size_t body_len)
{
	char body[512];

	atomic_fetch_add(&s->requests, 1);
	if (strcmp(path, "/ok") == 0) {
		snprintf(body, sizeof(body), "{\"method\":\"%s\",\"auth\":\"%s\",\"len\":%zu}", method, auth,
			 body_len);
		srv_respond(fd, 200, NULL, body);
	} else if (strcmp(path, "/retry429") == 0) {
		if (atomic_fetch_add(&s->hits_429, 1) == 0)
			srv_respond(fd, 429, "Retry-After: 1\r\n",
				    "{\"kind\":\"Status\",\"message\":\"slow down\",\"code\":429}");
		else
			srv_respond(fd, 200, NULL, "{\"ok\":true}");
	} else if (strcmp(path, "/fail500") == 0) {
		atomic_fetch_add(&s->hits_500, 1);
		srv_respond(fd, 500, NULL, "{\"kind\":\"Status\",\"message\":\"etcd is sad\",\"code\":500}");
	} else if (strcmp(path, "/gone") == 0) {
		srv_respond(fd, 410, NULL,
			    "{\"kind\":\"Status\",\"reason\":\"Expired\",\"message\":\"too old resource version: 1 (5)\",\"code\":410}");
	} else if (strcmp(path, "/conflict") == 0) {
		srv_respond(fd, 409, NULL, "{\"kind\":\"Status\",\"reason\":\"Conflict\",\"message\":\"the object has been modified\",\"code\":409}");
	} else if (strcmp(path, "/invalid") == 0) {
		srv_respond(fd, 422, NULL, "{\"kind\":\"Status\",\"reason\":\"Invalid\",\"message\":\"spec.replicas: Invalid value: -1\",\"code\":422}");
	} else if (strcmp(path, "/missing") == 0) {
		srv_respond(fd, 404, NULL, "{\"kind\":\"Status\",\"reason\":\"NotFound\",\"message\":\"not found\",\"code\":404}");
	} else if (strcmp(path, "/unauth") == 0) {
		atomic_fetch_add(&s->hits_401, 1);
		srv_respond(fd, 401, NULL, "{\"kind\":\"Status\",\"message\":\"Unauthorized\",\"code\":401}");
	} else if (strcmp(path, "/big") == 0) {
		static char big[10001];

		memset(big, 'x', 10000);
		big[0] = '"';
		big[9999] = '"';
		srv_respond(fd, 200, NULL, big);
	} else if (strcmp(path, "/slow") == 0) {
		/* answered never: only a timeout or a cancel ends it */
		return srv_hold(s);
	} else if (strcmp(path, "/watch") == 0) {
		const char *h = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n";

		srv_send(fd, h, strlen(h));
		for (int i = 0; i < WATCH_STREAM_PARTS; i++) {
			srv_chunk(fd, watch_parts[i]);
			if (!srv_nap(s, 40))
				return false;
		}
		srv_send(fd, "0\r\n\r\n", 5);
	} else if (strncmp(path, "/api/v1/namespaces/ns/configmaps?", 33) == 0 && !strstr(path, "watch=1")) {
		/* reflector: list 1 has two pages (a | b) at rv 10, list 2 is (a, c) at rv 20 */
#define CM(n, rv) "{\"metadata\":{\"name\":\"" n "\",\"namespace\":\"ns\",\"resourceVersion\":\"" rv "\"}}"
		if (strstr(path, "continue=tok%2B1")) {
			if (atomic_load(&s->hold_pages)) /* the cancel test catches it in flight */
				return srv_hold(s);
			if (!srv_nap(s, 200))
				return false;
			srv_respond(fd, 200, NULL, "{\"kind\":\"ConfigMapList\",\"apiVersion\":\"v1\","
				    "\"metadata\":{\"resourceVersion\":\"10\"},\"items\":[" CM("b", "9") "]}");
		} else if (atomic_fetch_add(&s->lists, 1) == 0) {
			srv_respond(fd, 200, NULL, "{\"kind\":\"ConfigMapList\",\"apiVersion\":\"v1\","
				    "\"metadata\":{\"resourceVersion\":\"10\",\"continue\":\"tok+1\"},\"items\":[" CM("a", "8") "]}");
		} else {
			srv_respond(fd, 200, NULL, "{\"kind\":\"ConfigMapList\",\"apiVersion\":\"v1\","
				    "\"metadata\":{\"resourceVersion\":\"20\"},\"items\":[" CM("a", "8") "," CM("c", "19") "]}");
		}
	} else if (strncmp(path, "/api/v1/namespaces/ns/configmaps?", 33) == 0) {
		const char *h = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n";
		const char *rv = strstr(path, "resourceVersion=");
		int n = atomic_fetch_add(&s->watches, 1);

		atomic_store(&s->last_watch_rv, rv ? atoi(rv + 16) : -1);
		srv_send(fd, h, strlen(h));
		if (n == 0) {
			/* an event, then an in-band 410 split across chunks */
			srv_chunk(fd, "{\"type\":\"ADDED\",\"object\":" CM("d", "11") "}\n{\"type\":\"ERR");
			srv_nap(s, 40);
			srv_chunk(fd, "OR\",\"object\":{\"kind\":\"Status\",\"code\":410,\"reason\":\"Expired\","
				  "\"message\":\"too old resource version: 10 (15)\"}}\n");
			srv_nap(s, 10000);
			return false;
		}
		if (n == 1) {
			/* a bookmark, then a clean end (the server's timeout) */
			srv_chunk(fd, "{\"type\":\"BOOKMARK\",\"object\":{\"kind\":\"ConfigMap\",\"metadata\":{\"resourceVersion\":\"25\"}}}\n");
			srv_send(fd, "0\r\n\r\n", 5);
			return true;
		}
		srv_nap(s, 10000);
		return false;
	} else if (strcmp(path, "/stall") == 0) {
		const char *h = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n";

		srv_send(fd, h, strlen(h));
		srv_chunk(fd, "{\"type\":\"BOOKMARK\"}\n");
		srv_nap(s, 5000);
		return false;
	} else {
		srv_respond(fd, 404, NULL, "{}");
	}
	return true;
}

static void *srv_conn(void *ud)
{
	struct conn *c = ud;
	struct srv *s = c->s;
	char req[16384];
	size_t have = 0;

	atomic_fetch_add(&s->connections, 1);
	for (;;) {
		char *end, method[16] = "", path[256] = "", auth[256] = "";
		size_t head_len, body_len = 0;
		const char *cl, *au;
		struct pollfd pfd = {c->fd, POLLIN, 0};

		while (!(end = memmem(req, have, "\r\n\r\n", 4))) {
			ssize_t n;

			if (atomic_load(&s->stop))
				goto out;
			if (poll(&pfd, 1, 50) <= 0)
				continue;
			n = recv(c->fd, req + have, sizeof(req) - 1 - have, 0);
			if (n <= 0)
				goto out;
			have += (size_t)n;
			req[have] = '\0';
		}
		head_len = (size_t)(end - req) + 4;
		sscanf(req, "%15s %255s", method, path);
		if ((cl = strcasestr(req, "\r\nContent-Length:")) && cl < end)
			body_len = strtoul(cl + 17, NULL, 10);
		if ((au = strcasestr(req, "\r\nAuthorization: ")) && au < end)
			sscanf(au + 17, "%255[^\r]", auth);
		while (have < head_len + body_len) {
			ssize_t n = recv(c->fd, req + have, sizeof(req) - 1 - have, 0);

			if (n <= 0)
				goto out;
			have += (size_t)n;
		}
		if (!srv_handle(s, c->fd, method, path, auth, body_len))
			goto out;
		memmove(req, req + head_len + body_len, have - head_len - body_len);
		have -= head_len + body_len;
	}
out:
	close(c->fd);
	free(c);
	return NULL;
}

static void *srv_accept(void *ud)
{
	struct srv *s = ud;

	while (!atomic_load(&s->stop)) {
		struct pollfd pfd = {s->lfd, POLLIN, 0};
		struct conn *c;
		int fd;

		if (poll(&pfd, 1, 50) <= 0)
			continue;
		fd = accept(s->lfd, NULL, NULL);
		if (fd < 0)
			continue;
		c = mem_calloc(1, sizeof(*c));
		c->s = s;
		c->fd = fd;
		pthread_mutex_lock(&s->mu);
		if (s->nconns < SRV_MAX_CONNS &&
		    pthread_create(&s->conns[s->nconns], NULL, srv_conn, c) == 0) {
			s->nconns++;
		} else {
			close(fd);
			free(c);
		}
		pthread_mutex_unlock(&s->mu);
	}
	return NULL;
}

static struct srv *srv_start(void)
{
	struct srv *s = mem_calloc(1, sizeof(*s));
	struct sockaddr_in a = {0};
	socklen_t alen = sizeof(a);
	int one = 1;

	s->lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	setsockopt(s->lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	a.sin_port = 0;
	assert_int_equal(bind(s->lfd, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(listen(s->lfd, 64), 0);
	getsockname(s->lfd, (struct sockaddr *)&a, &alen);
	s->port = ntohs(a.sin_port);
	pthread_mutex_init(&s->mu, NULL);
	pthread_create(&s->thr, NULL, srv_accept, s);
	return s;
}

static void srv_stop(struct srv *s)
{
	atomic_store(&s->stop, 1);
	pthread_join(s->thr, NULL);
	for (int i = 0; i < s->nconns; i++)
		pthread_join(s->conns[i], NULL);
	close(s->lfd);
	pthread_mutex_destroy(&s->mu);
	free(s);
}

/* ---- fixtures ------------------------------------------------------------ */

struct fx {
	struct srv *srv;
	struct kube_config cfg;
	struct kube_http *h;
};

static int setup(void **state)
{
	struct fx *f = mem_calloc(1, sizeof(*f));
	struct backoff_policy fast = {.base_ms = 10, .cap_ms = 50, .max_attempts = 3};
	char url[64];

	f->srv = srv_start();
	snprintf(url, sizeof(url), "http://127.0.0.1:%d", f->srv->port);
	f->cfg.server = mem_strdup(url);
	f->cfg.namespace = mem_strdup("default");
	f->cfg.token = mem_strdup("t0k3n");
	f->h = kube_http_new(&f->cfg, NULL);
	if (!f->h)
		return -1;
	kube_http_set_backoff(f->h, &fast);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	kube_http_free(f->h);
	srv_stop(f->srv);
	kube_config_cleanup(&f->cfg);
	free(f);
	return 0;
}

static int do_get(struct fx *f, const char *path, struct kube_response *resp, struct error *err)
{
	struct kube_http_request r = {.method = "GET", .path = path};

	return kube_http_do(f->h, &r, resp, err);
}

/* ---- tests --------------------------------------------------------------- */

static void test_get_ok_with_token_and_connection_reuse(void **state)
{
	struct fx *f = *state;
	struct kube_response resp;
	struct error err;

	for (int i = 0; i < 5; i++) {
		assert_int_equal(do_get(f, "/ok", &resp, &err), 0);
		assert_int_equal(resp.status, 200);
		assert_string_equal(buf_str(&resp.body), "{\"method\":\"GET\",\"auth\":\"Bearer t0k3n\",\"len\":0}");
		assert_int_equal(resp.attempts, 1);
		kube_response_cleanup(&resp);
	}
	assert_int_equal(atomic_load(&f->srv->connections), 1); /* keep-alive */
	{
		struct kube_http_request r = {.method = "PATCH", .path = "/ok", .body = "{\"a\":1}", .body_len = 7,
					      .content_type = "application/merge-patch+json"};

		assert_int_equal(kube_http_do(f->h, &r, &resp, &err), 0);
		assert_string_equal(buf_str(&resp.body), "{\"method\":\"PATCH\",\"auth\":\"Bearer t0k3n\",\"len\":7}");
		kube_response_cleanup(&resp);
	}
}

static void test_error_classification(void **state)
{
	struct fx *f = *state;
	struct kube_response resp;
	struct error err;

	assert_int_equal(do_get(f, "/gone", &resp, &err), ERR_GONE);
	assert_non_null(strstr(err.msg, "too old resource version"));
	assert_int_equal(resp.attempts, 1);
	kube_response_cleanup(&resp);
	assert_int_equal(do_get(f, "/conflict", &resp, &err), ERR_CONFLICT);
	kube_response_cleanup(&resp);
	assert_int_equal(do_get(f, "/missing", &resp, &err), ERR_NOT_FOUND);
	kube_response_cleanup(&resp);
	assert_int_equal(do_get(f, "/invalid", &resp, &err), ERR_PERMANENT);
	assert_non_null(strstr(err.msg, "spec.replicas: Invalid value: -1"));
	assert_int_equal(resp.status, 422);
	kube_response_cleanup(&resp);
	/* a static token cannot be refreshed, so a 401 is not retried */
	assert_int_equal(do_get(f, "/unauth", &resp, &err), ERR_UNAUTHORIZED);
	assert_int_equal(atomic_load(&f->srv->hits_401), 1);
	kube_response_cleanup(&resp);
}

static void test_429_honours_retry_after(void **state)
{
	struct fx *f = *state;
	struct kube_response resp;
	struct error err;
	int64_t t0 = clock_mono_ms();

	assert_int_equal(do_get(f, "/retry429", &resp, &err), 0);
	assert_int_equal(resp.attempts, 2);
	assert_true(clock_mono_ms() - t0 >= 950); /* Retry-After: 1, not the 10 ms base */
	assert_int_equal(atomic_load(&f->srv->hits_429), 2);
	kube_response_cleanup(&resp);
}

static void test_500_retried_then_given_up(void **state)
{
	struct fx *f = *state;
	struct kube_response resp;
	struct error err;
	struct kube_http_request post = {.method = "POST", .path = "/fail500", .body = "{}", .body_len = 2};

	assert_int_equal(do_get(f, "/fail500", &resp, &err), ERR_RETRY);
	assert_int_equal(resp.attempts, 3);
	assert_int_equal(atomic_load(&f->srv->hits_500), 3);
	assert_non_null(strstr(err.msg, "etcd is sad"));
	kube_response_cleanup(&resp);
	/* a POST that reached the server is not repeated */
	assert_int_equal(kube_http_do(f->h, &post, &resp, &err), ERR_RETRY);
	assert_int_equal(resp.attempts, 1);
	assert_int_equal(atomic_load(&f->srv->hits_500), 4);
	kube_response_cleanup(&resp);
}

static void test_timeout_and_body_limit(void **state)
{
	struct fx *f = *state;
	struct kube_response resp;
	struct error err;
	struct kube_http_request slow = {.method = "GET", .path = "/slow", .timeout_ms = 300, .max_attempts = 1};
	struct kube_http_request big = {.method = "GET", .path = "/big", .max_body_bytes = 1000};
	int64_t t0 = clock_mono_ms();

	assert_int_equal(kube_http_do(f->h, &slow, &resp, &err), ERR_RETRY);
	assert_true(clock_mono_ms() - t0 < TEST_SLACK_MS); /* /slow never answers: the 300 ms timeout ended it */
	assert_non_null(strstr(err.msg, "imed out"));
	kube_response_cleanup(&resp);
	assert_int_equal(kube_http_do(f->h, &big, &resp, &err), ERR_LIMIT);
	assert_int_equal(resp.attempts, 1); /* a limit is not retried */
	kube_response_cleanup(&resp);
}

struct stream_state {
	struct buf got;
	int chunks;
	bool done;
	int rc;
	struct error err;
};

static int stream_data(void *ud, const char *data, size_t len, struct error *err)
{
	struct stream_state *s = ud;

	s->chunks++;
	return buf_append(&s->got, data, len);
}

static void stream_done(void *ud, int rc, struct kube_response *resp, const struct error *err)
{
	struct stream_state *s = ud;

	s->done = true;
	s->rc = rc;
	if (err)
		s->err = *err;
}

static void test_chunked_stream(void **state)
{
	struct fx *f = *state;
	struct stream_state s = {0};
	struct kube_http_request r = {.method = "GET", .path = "/watch", .on_data = stream_data,
				      .done = stream_done, .ud = &s};
	struct buf want;
	struct error err;

	buf_init(&s.got, 4096);
	buf_init(&want, 4096);
	for (int i = 0; i < WATCH_STREAM_PARTS; i++)
		buf_append_str(&want, watch_parts[i]);
	assert_true(kube_http_submit(f->h, &r, &err) > 0);
	while (!s.done)
		assert_int_equal(kube_http_run_once(f->h, 100), 0);
	assert_int_equal(s.rc, 0);
	assert_true(s.chunks >= 2); /* delivered as it arrived */
	assert_string_equal(buf_str(&s.got), buf_str(&want));
	assert_int_equal(kube_http_pending(f->h), 0);
	buf_cleanup(&s.got);
	buf_cleanup(&want);
}

static void test_idle_stream_times_out(void **state)
{
	struct fx *f = *state;
	struct stream_state s = {0};
	struct kube_http_request r = {.method = "GET", .path = "/stall", .on_data = stream_data,
				      .done = stream_done, .ud = &s, .idle_timeout_s = 1};
	struct error err;
	int64_t t0 = clock_mono_ms();

	buf_init(&s.got, 4096);
	assert_true(kube_http_submit(f->h, &r, &err) > 0);
	while (!s.done)
		assert_int_equal(kube_http_run_once(f->h, 100), 0);
	assert_int_equal(s.rc, ERR_RETRY);
	assert_true(clock_mono_ms() - t0 < TEST_SLACK_MS); /* the 1 s idle timeout, not the server, ended it */
	assert_string_equal(buf_str(&s.got), "{\"type\":\"BOOKMARK\"}\n");
	buf_cleanup(&s.got);
}

static int abort_data(void *ud, const char *data, size_t len, struct error *err)
{
	return error_set(err, ERR_GONE, "in-band 410");
}

static void test_stream_abort_from_callback(void **state)
{
	struct fx *f = *state;
	struct stream_state s = {0};
	struct kube_http_request r = {.method = "GET", .path = "/watch", .on_data = abort_data,
				      .done = stream_done, .ud = &s};
	struct error err;

	assert_true(kube_http_submit(f->h, &r, &err) > 0);
	while (!s.done)
		assert_int_equal(kube_http_run_once(f->h, 100), 0);
	assert_int_equal(s.rc, ERR_GONE);
	assert_string_equal(s.err.msg, "in-band 410");
}

struct counter {
	int done, ok;
	int order[8];
	int norder;
};

static void count_done(void *ud, int rc, struct kube_response *resp, const struct error *err)
{
	struct counter *c = ud;

	c->done++;
	c->ok += rc == 0 && resp->status == 200;
}

static void never_done(void *ud, int rc, struct kube_response *resp, const struct error *err)
{
	fail_msg("a cancelled request completed");
}

static void test_concurrent_requests_cancel_and_timers(void **state)
{
	struct fx *f = *state;
	struct counter c = {0};
	struct kube_http_request ok = {.method = "GET", .path = "/ok", .done = count_done, .ud = &c};
	struct kube_http_request slow = {.method = "GET", .path = "/slow", .done = never_done};
	struct error err;
	uint64_t id;
	int64_t t0 = clock_mono_ms();

	id = kube_http_submit(f->h, &slow, &err);
	assert_true(id > 0);
	for (int i = 0; i < 20; i++)
		assert_true(kube_http_submit(f->h, &ok, &err) > 0);
	/* /slow is never answered: the 20 complete beside it, not after it */
	while (c.done < 20 && clock_mono_ms() - t0 < TEST_SLACK_MS)
		assert_int_equal(kube_http_run_once(f->h, 100), 0);
	assert_int_equal(c.done, 20);
	assert_int_equal(c.ok, 20);
	/* the slow one is still running; cancel it: no callback, nothing pending */
	assert_int_equal(kube_http_pending(f->h), 1);
	kube_http_cancel(f->h, id);
	kube_http_cancel(f->h, id); /* twice is harmless */
	assert_int_equal(kube_http_pending(f->h), 0);
	assert_true(atomic_load(&f->srv->connections) <= 9); /* at most 8 + the slow one's */
}

static void record_timer(void *ud)
{
	struct counter *c = *(struct counter **)ud;
	int tag = (int)(((intptr_t *)ud)[1]);

	c->order[c->norder++] = tag;
}

static void test_timers_fire_in_order(void **state)
{
	struct fx *f = *state;
	struct counter c = {0};
	intptr_t a[2] = {(intptr_t)&c, 1}, b[2] = {(intptr_t)&c, 2}, d[2] = {(intptr_t)&c, 3};
	uint64_t cancelled;

	kube_http_timer_add(f->h, 60, record_timer, b);
	kube_http_timer_add(f->h, 10, record_timer, a);
	cancelled = kube_http_timer_add(f->h, 30, record_timer, d);
	kube_http_timer_cancel(f->h, cancelled);
	while (kube_http_pending(f->h) > 0)
		assert_int_equal(kube_http_run_once(f->h, 1000), 0);
	assert_int_equal(c.norder, 2);
	assert_int_equal(c.order[0], 1);
	assert_int_equal(c.order[1], 2);
}

static void test_connection_refused_is_retryable(void **state)
{
	struct kube_config cfg = {0};
	struct kube_http *h;
	struct kube_response resp;
	struct error err;
	struct kube_http_request r = {.method = "GET", .path = "/ok", .max_attempts = 2};
	struct backoff_policy fast = {.base_ms = 1, .cap_ms = 5, .max_attempts = 5};
	struct srv *s = srv_start();
	char url[64];

	/* a port that was just free */
	snprintf(url, sizeof(url), "http://127.0.0.1:%d", s->port);
	srv_stop(s);
	cfg.server = mem_strdup(url);
	h = kube_http_new(&cfg, &err);
	assert_non_null(h);
	kube_http_set_backoff(h, &fast);
	assert_int_equal(kube_http_do(h, &r, &resp, &err), ERR_RETRY);
	assert_int_equal(resp.attempts, 2);
	kube_response_cleanup(&resp);
	/* a bad request never starts */
	r.path = "no-slash";
	assert_int_equal(kube_http_do(h, &r, &resp, &err), ERR_INVALID);
	kube_response_cleanup(&resp);
	kube_http_free(h);
	kube_config_cleanup(&cfg);
}

static int relist_adds, relist_deletes;

static void count_add(void *ud, const struct json *o)
{
	relist_adds++;
}

static void count_delete(void *ud, const struct json *o)
{
	relist_deletes++;
}

static void test_reflector_pages_relists_and_resumes(void **state)
{
	struct fx *f = *state;
	struct kube_client c = {.cfg = &f->cfg, .http = f->h};
	struct cache_handlers h = {.on_add = count_add, .on_delete = count_delete};
	struct cache cache;
	struct watch w;
	struct watch_sink sink;
	struct watch_options wo = {.ns = "ns", .page_size = 1};
	struct error err;
	int64_t until = clock_mono_ms() + 5000;

	cache_init(&cache, &h);
	cache_sink(&cache, &sink);
	watch_init(&w, &c, kube_resource_find("v1", "ConfigMap"), &wo, &sink);
	assert_int_equal(watch_start(&w, &err), 0);
	/* list (2 pages) -> watch from 10 -> ADDED d -> in-band 410 -> relist at
	 * 20 -> watch from 20 -> bookmark 25 -> clean end -> watch from 25 */
	while (atomic_load(&f->srv->watches) < 3 && clock_mono_ms() < until)
		assert_int_equal(kube_http_run_once(f->h, 50), 0);
	for (int i = 0; i < 5; i++)
		assert_int_equal(kube_http_run_once(f->h, 20), 0);
	assert_int_equal(atomic_load(&f->srv->watches), 3);
	assert_int_equal(atomic_load(&f->srv->last_watch_rv), 25); /* resumed, not relisted */
	assert_int_equal(w.stats.lists, 2);
	assert_int_equal(w.stats.relists, 1);
	assert_int_equal(w.last_err.code, ERR_GONE);
	assert_string_equal(w.rv, "25");
	assert_int_equal(w.state, WATCH_WATCHING);
	assert_int_equal(cache_count(&cache), 2);
	assert_non_null(cache_get(&cache, "ns", "a"));
	assert_non_null(cache_get(&cache, "ns", "c"));
	assert_null(cache_get(&cache, "ns", "b")); /* gone from the relist */
	assert_null(cache_get(&cache, "ns", "d")); /* seen on the watch, gone from the relist */
	assert_int_equal(relist_adds, 4);          /* a, b, d, c */
	assert_int_equal(relist_deletes, 2);       /* b, d */
	assert_string_equal(json_get_string(cache_get(&cache, "ns", "c"), "kind"), "ConfigMap"); /* stamped */
	watch_cleanup(&w);
	cache_cleanup(&cache);
	assert_int_equal(kube_http_pending(f->h), 0);
}

static void list_never_done(void *ud, int rc, struct json *obj, const struct error *err)
{
	json_free(obj);
	fail_msg("a cancelled list completed");
}

static void test_cancel_list_between_pages(void **state)
{
	struct fx *f = *state;
	struct kube_client c = {.cfg = &f->cfg, .http = f->h};
	struct kube_list_options o = {.limit = 1};
	struct error err;
	uint64_t id;
	struct watch w;
	struct watch_sink sink = {0};
	int64_t until = clock_mono_ms() + TEST_SLACK_MS;

	atomic_store(&f->srv->hold_pages, 1); /* the second page stays in flight until we cancel */
	id = kube_list_submit(&c, kube_resource_find("v1", "ConfigMap"), "ns", &o, list_never_done, NULL, &err);
	assert_true(id > 0);
	while (atomic_load(&f->srv->requests) < 2 && clock_mono_ms() < until)
		assert_int_equal(kube_http_run_once(f->h, 10), 0);
	assert_int_equal(atomic_load(&f->srv->requests), 2); /* the second page is in flight */
	assert_non_null(c.lists);
	kube_client_cancel(&c, id);
	assert_null(c.lists);
	assert_int_equal(kube_http_pending(f->h), 0);
	/* a watch stopped while it lists leaves nothing behind either */
	watch_init(&w, &c, kube_resource_find("v1", "ConfigMap"), &(struct watch_options){.ns = "ns", .page_size = 1}, &sink);
	assert_int_equal(watch_start(&w, &err), 0);
	for (int i = 0; i < 5; i++)
		assert_int_equal(kube_http_run_once(f->h, 10), 0);
	watch_cleanup(&w);
	assert_null(c.lists);
	assert_int_equal(kube_http_pending(f->h), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_get_ok_with_token_and_connection_reuse, setup, teardown),
		cmocka_unit_test_setup_teardown(test_error_classification, setup, teardown),
		cmocka_unit_test_setup_teardown(test_429_honours_retry_after, setup, teardown),
		cmocka_unit_test_setup_teardown(test_500_retried_then_given_up, setup, teardown),
		cmocka_unit_test_setup_teardown(test_timeout_and_body_limit, setup, teardown),
		cmocka_unit_test_setup_teardown(test_chunked_stream, setup, teardown),
		cmocka_unit_test_setup_teardown(test_idle_stream_times_out, setup, teardown),
		cmocka_unit_test_setup_teardown(test_stream_abort_from_callback, setup, teardown),
		cmocka_unit_test_setup_teardown(test_concurrent_requests_cancel_and_timers, setup, teardown),
		cmocka_unit_test_setup_teardown(test_timers_fire_in_order, setup, teardown),
		cmocka_unit_test(test_connection_refused_is_retryable),
		cmocka_unit_test_setup_teardown(test_reflector_pages_relists_and_resumes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cancel_list_between_pages, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
