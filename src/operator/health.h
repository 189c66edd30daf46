/* health.h - /healthz, /readyz and /metrics on a port of their own.
 *
 * A small HTTP/1.1 server on its own thread, so probes are answered even
 * while the event loop is busy. It shares nothing mutable with the loop but
 * a struct metrics copy, published under a mutex once per loop iteration:
 *   /healthz  200 while the loop has run within HEALTH_STALL_MS (a wedged
 *             loop fails liveness and the kubelet restarts the pod)
 *   /readyz   200 once every cache has synced (and, with leader election,
 *             for a standby too: it is ready to take over)
 *   /metrics  Prometheus text
 *
 * The port is reachable by whatever the NetworkPolicy lets in (see
 * deploy/manifests/60-networkpolicy.yaml), so no client may hold the server:
 * up to HEALTH_MAX_CONNS connections are served at once; each must deliver
 * its whole request (at most HEALTH_REQUEST_MAX_BYTES) within
 * HEALTH_REQUEST_DEADLINE_MS of being accepted and take its response within
 * HEALTH_WRITE_DEADLINE_MS, or it is closed. Past HEALTH_MAX_CONNS the
 * longest-waiting connection is dropped for the new one. One request per
 * connection (Connection: close): these are probes and scrapes, not traffic.
 */
#ifndef DEVSERVER_OPERATOR_HEALTH_H
#define DEVSERVER_OPERATOR_HEALTH_H

#include <stdint.h>

#include "core/attr.h"
#include "core/error.h"
#include "operator/metrics.h"

#define HEALTH_REQUEST_MAX_BYTES 4096     /* request line and headers */
#define HEALTH_REQUEST_DEADLINE_MS 1000   /* accept -> whole request read */
#define HEALTH_WRITE_DEADLINE_MS 2000     /* request read -> response written */
#define HEALTH_MAX_CONNS 16               /* connections served at once */
#define HEALTH_STALL_MS 30000
#define HEALTH_METRICS_MAX_BYTES (256u * 1024)

/* The server's bounds; health_start uses HEALTH_LIMITS_DEFAULT. Tests
 * shrink the send buffer so that a client that does not read really stalls
 * a write (the kernel's default on loopback holds megabytes). */
struct health_limits {
	int max_conns;            /* 1..HEALTH_MAX_CONNS */
	int request_deadline_ms;  /* > 0 */
	int write_deadline_ms;    /* > 0 */
	int send_buffer_bytes;    /* SO_SNDBUF of each connection; 0: the kernel's */
};
#define HEALTH_LIMITS_DEFAULT \
	{ HEALTH_MAX_CONNS, HEALTH_REQUEST_DEADLINE_MS, HEALTH_WRITE_DEADLINE_MS, 0 }

/* What happened to connections so far (for tests and debugging). */
struct health_stats {
	uint64_t accepted;
	uint64_t served;            /* a response to a whole request, fully written */
	uint64_t request_timeouts;  /* no whole request by the request deadline (408) */
	uint64_t write_timeouts;    /* response not taken by the write deadline */
	uint64_t too_large;         /* request past HEALTH_REQUEST_MAX_BYTES (431) */
	uint64_t dropped;           /* closed to make room past max_conns */
};

struct health;

/* addr: "[host]:port" or ":port" (all addresses); port 0 picks a free one.
 * Starts the thread. 0, ERR_INVALID (address) or ERR_IO (bind, thread). */
int health_start(const char *addr, struct health **out, struct error *err) DS_MUST_USE;
/* The same with explicit limits (copied); ERR_INVALID when out of range. */
int health_start_with(const char *addr, const struct health_limits *lim, struct health **out,
		      struct error *err) DS_MUST_USE;
/* The port actually bound (useful with port 0). */
int health_port(const struct health *h);
/* Copies m for the server thread. */
void health_publish(struct health *h, const struct metrics *m);
/* A copy of the connection counters. */
void health_stats(struct health *h, struct health_stats *out);
/* Stops the thread, closes every connection and the socket. Accepts NULL. */
void health_stop(struct health *h);

/* The response for a request line's path, exposed for tests: fills status
 * (200, 404, 503) and body. */
void health_respond(const struct metrics *m, int64_t now_ms, const char *path, int *status,
		    struct buf *body);

#endif
