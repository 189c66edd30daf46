/* health.c - the probe and metrics server (see health.h).
 *
 * One thread multiplexes a fixed table of non-blocking connections with
 * poll(). Why not one connection at a time: a client that dribbles a byte now
 * and then held the only thread, /healthz timed out and the kubelet restarted
 * a healthy operator. Why not a thread pool: N slow clients hold N threads
 * just as well, and each thread needs the same deadlines anyway; one poll()
 * loop over HEALTH_MAX_CONNS slots gives the same concurrency with bounded
 * memory (the table is allocated once) and nothing shared but the metrics
 * snapshot.
 *
 * A connection lives through two phases, each under a deadline:
 *   reading  accept -> the blank line ending the headers, within
 *            request_deadline_ms and HEALTH_REQUEST_MAX_BYTES; past the
 *            deadline it gets 408, past the size 431, and is closed
 *   writing  the whole response (head and body, built at once into the
 *            connection's buffer) goes out as the socket takes it, within
 *            write_deadline_ms; a client that does not read is closed
 * A new connection is read at once, so a probe whose request arrived with the
 * handshake is answered before anything can push it out. When every slot is
 * taken, the connection that has waited longest for its own request is
 * dropped (else the oldest one): whoever holds a slot longest without sending
 * a request is the likeliest to be a slow or idle client, and a probe never
 * waits behind them. Before closing, pending input is read and discarded so
 * the close sends a FIN, not a reset that could destroy the response in
 * flight.
 *
 * Only the request line is looked at; one request per connection
 * (Connection: close). Writes use MSG_NOSIGNAL, so a peer gone away is an
 * error, not a SIGPIPE. What it does not do: keep-alive, HEAD, request
 * bodies, TLS.
 */
#include "operator/health.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/buf.h"
#include "core/clock.h"
#include "core/mem.h"

#define HEALTH_LISTEN_BACKLOG 64
#define HEALTH_HEAD_MAX_BYTES 512
#define HEALTH_PATH_MAX_BYTES 256
/* Input read and discarded before a close, at most. */
#define HEALTH_DRAIN_MAX_BYTES (4u * HEALTH_REQUEST_MAX_BYTES)
/* After accept() fails for want of descriptors, the listening socket stays
 * readable; it is left out of poll() this long instead of spinning. */
#define HEALTH_ACCEPT_BACKOFF_MS 100

struct health_conn {
	int fd;                  /* -1: free slot */
	bool writing;
	int64_t accepted_ms;
	int64_t deadline_ms;     /* of the current phase */
	size_t req_len;
	char req[HEALTH_REQUEST_MAX_BYTES + 1];
	struct buf resp;         /* head and body; written from resp_off */
	size_t resp_off;
};

struct health {
	int fd;
	int port;
	int wake[2];             /* health_stop writes to wake[1] */
	struct health_limits lim;
	pthread_t thread;
	pthread_mutex_t mu;      /* snapshot and stats */
	struct metrics snapshot;
	struct health_stats stats;
	atomic_bool stop;
	struct health_conn conns[HEALTH_MAX_CONNS];  /* server thread only */
};

void health_respond(const struct metrics *m, int64_t now_ms, const char *path, int *status,
		    struct buf *body)
{
	if (strcmp(path, "/healthz") == 0 || strcmp(path, "/livez") == 0) {
		bool ok = m->heartbeat_ms && now_ms - m->heartbeat_ms < HEALTH_STALL_MS;

		*status = ok ? 200 : 503;
		buf_append_str(body, ok ? "ok\n" : "event loop stalled\n");
	} else if (strcmp(path, "/readyz") == 0) {
		*status = m->synced ? 200 : 503;
		buf_append_str(body, m->synced ? "ok\n" : "caches not synced yet\n");
	} else if (strcmp(path, "/metrics") == 0) {
		*status = 200;
		if (metrics_format(m, body) < 0) {
			buf_reset(body);
			*status = 500;
			buf_append_str(body, "metrics too large\n");
		}
	} else {
		*status = 404;
		buf_append_str(body, "not found: try /healthz, /readyz or /metrics\n");
	}
}

static const char *health_reason(int status)
{
	switch (status) {
	case 200: return "OK";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 408: return "Request Timeout";
	case 431: return "Request Header Fields Too Large";
	case 500: return "Internal Server Error";
	default: return "Service Unavailable";
	}
}

static void health_count(struct health *h, uint64_t *counter)
{
	pthread_mutex_lock(&h->mu);
	(*counter)++;
	pthread_mutex_unlock(&h->mu);
}

/* Reads and discards what the peer already sent (bounded), then closes. */
static void health_conn_close(struct health_conn *c)
{
	char sink[4096];
	size_t drained = 0;
	ssize_t n;

	if (c->fd < 0)
		return;
	while (drained < HEALTH_DRAIN_MAX_BYTES && (n = recv(c->fd, sink, sizeof(sink), MSG_DONTWAIT)) > 0)
		drained += (size_t)n;
	close(c->fd);
	c->fd = -1;
	c->writing = false;
	c->req_len = 0;
	c->resp_off = 0;
	buf_reset(&c->resp);
}

/* A short answer on the way out (408, 431): one non-blocking send, then
 * close; a client that cannot take a hundred bytes gets nothing. */
static void health_conn_refuse(struct health_conn *c, int status)
{
	char text[HEALTH_HEAD_MAX_BYTES];
	int n = snprintf(text, sizeof(text), "HTTP/1.1 %d %s\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
			 status, health_reason(status));

	if (send(c->fd, text, (size_t)n, MSG_DONTWAIT | MSG_NOSIGNAL) < 0) {
		/* the client went away or does not read: nothing to tell it */
	}
	health_conn_close(c);
}

/* Sends what the socket takes; closes the connection once all is out. */
static void health_conn_write(struct health *h, struct health_conn *c)
{
	while (c->resp_off < c->resp.len) {
		ssize_t n = send(c->fd, c->resp.data + c->resp_off, c->resp.len - c->resp_off,
				 MSG_DONTWAIT | MSG_NOSIGNAL);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return;         /* wait for POLLOUT */
		if (n <= 0) {
			health_conn_close(c);   /* the client went away */
			return;
		}
		c->resp_off += (size_t)n;
	}
	health_count(h, &h->stats.served);
	health_conn_close(c);
}

/* The whole request is in c->req: builds the response and starts writing. */
static void health_conn_answer(struct health *h, struct health_conn *c, int64_t now)
{
	char path[HEALTH_PATH_MAX_BYTES] = "";
	struct metrics m;
	struct buf body;
	int status;

	c->req[c->req_len] = '\0';
	if (sscanf(c->req, "GET %255s HTTP/1.", path) != 1) {
		buf_append_str(&c->resp, "HTTP/1.1 405 Method Not Allowed\r\nAllow: GET\r\n"
			       "Content-Length: 0\r\nConnection: close\r\n\r\n");
	} else {
		char *q = strchr(path, '?');

		if (q)
			*q = '\0';
		pthread_mutex_lock(&h->mu);
		m = h->snapshot;
		pthread_mutex_unlock(&h->mu);
		buf_init(&body, HEALTH_METRICS_MAX_BYTES);
		health_respond(&m, now, path, &status, &body);
		/* resp's ceiling is HEALTH_HEAD_MAX_BYTES above body's: both fit */
		buf_appendf(&c->resp, "HTTP/1.1 %d %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\n"
			    "Connection: close\r\n\r\n", status, health_reason(status),
			    strcmp(path, "/metrics") == 0 ? "text/plain; version=0.0.4" : "text/plain",
			    body.len);
		buf_append(&c->resp, body.data, body.len);
		buf_cleanup(&body);
	}
	c->writing = true;
	c->resp_off = 0;
	c->deadline_ms = now + h->lim.write_deadline_ms;
	health_conn_write(h, c);
}

/* The end of the header block: "\r\n\r\n" (or bare "\n\n"), searched from a
 * little before the bytes just read. */
static bool health_request_complete(const struct health_conn *c, size_t from)
{
	size_t start = from > 3 ? from - 3 : 0;
	const char *p = c->req + start;
	size_t n = c->req_len - start;

	return memmem(p, n, "\r\n\r\n", 4) || memmem(p, n, "\n\n", 2);
}

static void health_conn_read(struct health *h, struct health_conn *c, int64_t now)
{
	for (;;) {
		size_t before = c->req_len;
		ssize_t n = recv(c->fd, c->req + c->req_len, HEALTH_REQUEST_MAX_BYTES - c->req_len,
				 MSG_DONTWAIT);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return;
		if (n <= 0) {
			health_conn_close(c);   /* gone before asking */
			return;
		}
		c->req_len += (size_t)n;
		if (health_request_complete(c, before)) {
			health_conn_answer(h, c, now);
			return;
		}
		if (c->req_len == HEALTH_REQUEST_MAX_BYTES) {
			health_count(h, &h->stats.too_large);
			health_conn_refuse(c, 431);
			return;
		}
	}
}

/* A free slot for a new connection, making one if need be. */
static struct health_conn *health_slot(struct health *h)
{
	struct health_conn *victim = NULL;

	for (int i = 0; i < h->lim.max_conns; i++)
		if (h->conns[i].fd < 0)
			return &h->conns[i];
	/* full: the oldest still reading its request, else the oldest */
	for (int pass = 0; pass < 2 && !victim; pass++)
		for (int i = 0; i < h->lim.max_conns; i++) {
			struct health_conn *c = &h->conns[i];

			if ((pass == 1 || !c->writing) && (!victim || c->accepted_ms < victim->accepted_ms))
				victim = c;
		}
	health_count(h, &h->stats.dropped);
	health_conn_close(victim);
	return victim;
}

/* Accepts what is waiting (at most max_conns per call, so a flood cannot
 * starve the connections already in). false when out of descriptors. */
static bool health_accept(struct health *h, int64_t now)
{
	for (int k = 0; k < h->lim.max_conns; k++) {
		struct health_conn *c;
		int fd = accept4(h->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);

		if (fd < 0) {
			if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM)
				return false;
			if (errno == EINTR || errno == ECONNABORTED || errno == EPROTO)
				continue;
			return true;    /* EAGAIN: all taken */
		}
		if (h->lim.send_buffer_bytes > 0)
			setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &h->lim.send_buffer_bytes,
				   sizeof(h->lim.send_buffer_bytes));
		health_count(h, &h->stats.accepted);
		c = health_slot(h);
		c->fd = fd;
		c->writing = false;
		c->accepted_ms = now;
		c->deadline_ms = now + h->lim.request_deadline_ms;
		c->req_len = 0;
		health_conn_read(h, c, now);    /* the request often came with the handshake */
	}
	return true;
}

/* Closes connections past their deadline; returns the nearest deadline left
 * (INT64_MAX: none). */
static int64_t health_expire(struct health *h, int64_t now)
{
	int64_t next = INT64_MAX;

	for (int i = 0; i < h->lim.max_conns; i++) {
		struct health_conn *c = &h->conns[i];

		if (c->fd < 0)
			continue;
		if (now >= c->deadline_ms) {
			if (c->writing) {
				health_count(h, &h->stats.write_timeouts);
				health_conn_close(c);
			} else {
				health_count(h, &h->stats.request_timeouts);
				health_conn_refuse(c, 408);
			}
		} else if (c->deadline_ms < next) {
			next = c->deadline_ms;
		}
	}
	return next;
}

static void *health_main(void *arg)
{
	struct health *h = arg;
	struct pollfd p[2 + HEALTH_MAX_CONNS];
	struct health_conn *polled[HEALTH_MAX_CONNS];
	int64_t accept_again_ms = 0;

	while (!atomic_load(&h->stop)) {
		int64_t now = clock_mono_ms(), next = health_expire(h, now);
		bool listening = now >= accept_again_ms;
		int n = 0, base, timeout = -1;

		p[n++] = (struct pollfd){ .fd = h->wake[0], .events = POLLIN };
		p[n++] = (struct pollfd){ .fd = listening ? h->fd : -1, .events = POLLIN };
		base = n;
		for (int i = 0; i < h->lim.max_conns; i++) {
			struct health_conn *c = &h->conns[i];

			if (c->fd < 0)
				continue;
			polled[n - base] = c;
			p[n++] = (struct pollfd){ .fd = c->fd, .events = c->writing ? POLLOUT : POLLIN };
		}
		if (!listening && accept_again_ms < next)
			next = accept_again_ms;
		if (next != INT64_MAX)
			timeout = next - now > 0 ? (int)(next - now) : 0;
		if (poll(p, (nfds_t)n, timeout) < 0 && errno != EINTR)
			break;          /* cannot happen with valid descriptors */
		if (p[0].revents)
			continue;       /* health_stop: the loop condition ends it */
		now = clock_mono_ms();
		for (int i = base; i < n; i++) {
			struct health_conn *c = polled[i - base];

			if (!p[i].revents || c->fd != p[i].fd)
				continue;
			if (c->writing)
				health_conn_write(h, c);    /* POLLERR/POLLHUP: send fails, closes */
			else
				health_conn_read(h, c, now);
		}
		if (p[1].revents && !health_accept(h, now))
			accept_again_ms = now + HEALTH_ACCEPT_BACKOFF_MS;
	}
	for (int i = 0; i < HEALTH_MAX_CONNS; i++)
		health_conn_close(&h->conns[i]);
	return NULL;
}

static int health_check_limits(const struct health_limits *lim, struct error *err)
{
	if (lim->max_conns < 1 || lim->max_conns > HEALTH_MAX_CONNS)
		return error_set(err, ERR_INVALID, "health server: max_conns %d not in 1..%d",
				 lim->max_conns, HEALTH_MAX_CONNS);
	if (lim->request_deadline_ms <= 0 || lim->write_deadline_ms <= 0)
		return error_set(err, ERR_INVALID, "health server: deadlines must be positive");
	if (lim->send_buffer_bytes < 0)
		return error_set(err, ERR_INVALID, "health server: negative send buffer");
	return 0;
}

/* Binds and listens on addr; the socket into *fd. */
static int health_listen(const char *addr, int *out_fd, struct error *err)
{
	struct addrinfo hints = { .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM, .ai_flags = AI_PASSIVE };
	struct addrinfo *res = NULL;
	char host[256] = "", port[16] = "";
	const char *colon = strrchr(addr, ':');
	int fd = -1, one = 1, rc;

	if (!colon || strlen(colon + 1) == 0 || strlen(colon + 1) >= sizeof(port) ||
	    (size_t)(colon - addr) >= sizeof(host))
		return error_set(err, ERR_INVALID, "health address \"%s\": want HOST:PORT or :PORT", addr);
	memcpy(host, addr, (size_t)(colon - addr));
	snprintf(port, sizeof(port), "%s", colon + 1);
	if (host[0] == '[') { /* [::1]:8080 */
		size_t n = strlen(host);

		if (n < 2 || host[n - 1] != ']')
			return error_set(err, ERR_INVALID, "health address \"%s\": unbalanced brackets", addr);
		memmove(host, host + 1, n - 2);
		host[n - 2] = '\0';
	}
	rc = getaddrinfo(host[0] ? host : NULL, port, &hints, &res);
	if (rc != 0)
		return error_set(err, ERR_INVALID, "health address \"%s\": %s", addr, gai_strerror(rc));
	fd = socket(res->ai_family, res->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd >= 0)
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (fd < 0 || bind(fd, res->ai_addr, res->ai_addrlen) < 0 ||
	    listen(fd, HEALTH_LISTEN_BACKLOG) < 0) {
		rc = error_set(err, ERR_IO, "health address \"%s\": %s", addr, error_errno_text(errno));
		if (fd >= 0)
			close(fd);
		freeaddrinfo(res);
		return rc;
	}
	freeaddrinfo(res);
	*out_fd = fd;
	return 0;
}

int health_start_with(const char *addr, const struct health_limits *lim, struct health **out,
		      struct error *err)
{
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	struct health *h;
	int fd = -1, rc;

	*out = NULL;
	if ((rc = health_check_limits(lim, err)) < 0 || (rc = health_listen(addr, &fd, err)) < 0)
		return rc;
	h = mem_calloc(1, sizeof(*h));
	h->fd = fd;
	h->lim = *lim;
	atomic_init(&h->stop, false);
	for (int i = 0; i < HEALTH_MAX_CONNS; i++) {
		h->conns[i].fd = -1;
		buf_init(&h->conns[i].resp, HEALTH_METRICS_MAX_BYTES + HEALTH_HEAD_MAX_BYTES);
	}
	if (getsockname(fd, (struct sockaddr *)&ss, &sl) == 0)
		h->port = ntohs(ss.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&ss)->sin6_port
							 : ((struct sockaddr_in *)&ss)->sin_port);
	pthread_mutex_init(&h->mu, NULL);
	if (pipe2(h->wake, O_CLOEXEC | O_NONBLOCK) < 0) {
		rc = error_set(err, ERR_IO, "health server: pipe: %s", error_errno_text(errno));
		goto fail;
	}
	if (pthread_create(&h->thread, NULL, health_main, h) != 0) {
		close(h->wake[0]);
		close(h->wake[1]);
		rc = error_set(err, ERR_IO, "health server: cannot start its thread");
		goto fail;
	}
	*out = h;
	return 0;
fail:
	close(fd);
	pthread_mutex_destroy(&h->mu);
	free(h);
	return rc;
}

int health_start(const char *addr, struct health **out, struct error *err)
{
	const struct health_limits lim = HEALTH_LIMITS_DEFAULT;

	return health_start_with(addr, &lim, out, err);
}

int health_port(const struct health *h)
{
	return h->port;
}

void health_publish(struct health *h, const struct metrics *m)
{
	pthread_mutex_lock(&h->mu);
	h->snapshot = *m;
	pthread_mutex_unlock(&h->mu);
}

void health_stats(struct health *h, struct health_stats *out)
{
	pthread_mutex_lock(&h->mu);
	*out = h->stats;
	pthread_mutex_unlock(&h->mu);
}

void health_stop(struct health *h)
{
	if (!h)
		return;
	atomic_store(&h->stop, true);
	if (write(h->wake[1], "x", 1) < 0) {
		/* the pipe is full: a wake-up is already pending */
	}
	pthread_join(h->thread, NULL);
	for (int i = 0; i < HEALTH_MAX_CONNS; i++)
		buf_cleanup(&h->conns[i].resp);
	close(h->wake[0]);
	close(h->wake[1]);
	close(h->fd);
	pthread_mutex_destroy(&h->mu);
	free(h);
}
