/* health.c - the probe and metrics server (see health.h).
 *
 * The thread blocks in poll() on the listening socket with a short timeout
 * so health_stop is noticed; each connection gets one request and one
 * response (Connection: close). Only the request line is looked at.
 */
#include "operator/health.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/clock.h"
#include "core/mem.h"

struct health {
	int fd;
	int port;
	pthread_t thread;
	pthread_mutex_t mu;
	struct metrics snapshot;
	volatile int stop;
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

static void health_serve(struct health *h, int fd)
{
	char req[HEALTH_REQUEST_MAX_BYTES + 1], path[256] = "";
	struct pollfd p = { .fd = fd, .events = POLLIN };
	size_t got = 0;
	struct metrics m;
	struct buf body, head;
	int status;

	/* read until the end of the request line (or the limit / timeout) */
	while (got < HEALTH_REQUEST_MAX_BYTES && !memchr(req, '\n', got)) {
		ssize_t n;

		if (poll(&p, 1, HEALTH_IO_TIMEOUT_MS) <= 0)
			return;
		n = read(fd, req + got, HEALTH_REQUEST_MAX_BYTES - got);
		if (n <= 0)
			return;
		got += (size_t)n;
	}
	req[got] = '\0';
	if (sscanf(req, "GET %255s HTTP/1.", path) != 1) {
		static const char bad[] = "HTTP/1.1 405 Method Not Allowed\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";

		if (write(fd, bad, sizeof(bad) - 1) < 0) {
			/* the client went away */
		}
		return;
	}
	{
		char *q = strchr(path, '?');

		if (q)
			*q = '\0';
	}
	pthread_mutex_lock(&h->mu);
	m = h->snapshot;
	pthread_mutex_unlock(&h->mu);
	buf_init(&body, HEALTH_METRICS_MAX_BYTES);
	buf_init(&head, 512);
	health_respond(&m, clock_mono_ms(), path, &status, &body);
	buf_appendf(&head, "HTTP/1.1 %d %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\n"
		    "Connection: close\r\n\r\n", status,
		    status == 200 ? "OK" : status == 404 ? "Not Found" : "Service Unavailable",
		    strcmp(path, "/metrics") == 0 ? "text/plain; version=0.0.4" : "text/plain",
		    body.len);
	if (write(fd, head.data, head.len) >= 0 && body.len) {
		size_t off = 0;

		while (off < body.len) {
			ssize_t n = write(fd, body.data + off, body.len - off);

			if (n <= 0)
				break;
			off += (size_t)n;
		}
	}
	buf_cleanup(&head);
	buf_cleanup(&body);
}

static void *health_main(void *arg)
{
	struct health *h = arg;

	while (!h->stop) {
		struct pollfd p = { .fd = h->fd, .events = POLLIN };
		int fd;

		if (poll(&p, 1, 200) <= 0)
			continue;
		fd = accept(h->fd, NULL, NULL);
		if (fd < 0)
			continue;
		health_serve(h, fd);
		close(fd);
	}
	return NULL;
}

int health_start(const char *addr, struct health **out, struct error *err)
{
	struct addrinfo hints = { .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM, .ai_flags = AI_PASSIVE };
	struct addrinfo *res = NULL;
	char host[256] = "", port[16] = "";
	const char *colon = strrchr(addr, ':');
	struct health *h;
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	int fd = -1, one = 1, rc;

	*out = NULL;
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
	fd = socket(res->ai_family, res->ai_socktype | SOCK_CLOEXEC, 0);
	if (fd >= 0)
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (fd < 0 || bind(fd, res->ai_addr, res->ai_addrlen) < 0 || listen(fd, 16) < 0) {
		rc = error_set(err, ERR_IO, "health address \"%s\": %s", addr, strerror(errno));
		if (fd >= 0)
			close(fd);
		freeaddrinfo(res);
		return rc;
	}
	freeaddrinfo(res);
	h = mem_calloc(1, sizeof(*h));
	h->fd = fd;
	if (getsockname(fd, (struct sockaddr *)&ss, &sl) == 0)
		h->port = ntohs(ss.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&ss)->sin6_port
							 : ((struct sockaddr_in *)&ss)->sin_port);
	pthread_mutex_init(&h->mu, NULL);
	if (pthread_create(&h->thread, NULL, health_main, h) != 0) {
		close(fd);
		pthread_mutex_destroy(&h->mu);
		free(h);
		return error_set(err, ERR_IO, "health server: cannot start its thread");
	}
	*out = h;
	return 0;
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

void health_stop(struct health *h)
{
	if (!h)
		return;
	h->stop = 1;
	pthread_join(h->thread, NULL);
	close(h->fd);
	pthread_mutex_destroy(&h->mu);
	free(h);
}
