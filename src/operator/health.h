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
 * Requests are bounded (HEALTH_REQUEST_MAX_BYTES, HEALTH_IO_TIMEOUT_MS) and
 * served one at a time: these are probes and scrapes, not traffic.
 */
#ifndef DEVSERVER_OPERATOR_HEALTH_H
#define DEVSERVER_OPERATOR_HEALTH_H

#include "core/error.h"
#include "operator/metrics.h"

#define HEALTH_REQUEST_MAX_BYTES 4096
#define HEALTH_IO_TIMEOUT_MS 2000
#define HEALTH_STALL_MS 30000
#define HEALTH_METRICS_MAX_BYTES (256u * 1024)

struct health;

/* addr: "[host]:port" or ":port" (all addresses); port 0 picks a free one.
 * Starts the thread. */
int health_start(const char *addr, struct health **out, struct error *err);
/* The port actually bound (useful with port 0). */
int health_port(const struct health *h);
/* Copies m for the server thread. */
void health_publish(struct health *h, const struct metrics *m);
/* Stops the thread and closes the socket. Accepts NULL. */
void health_stop(struct health *h);

/* The response for a request line's path, exposed for tests: fills status
 * (200, 404, 503) and body. */
void health_respond(const struct metrics *m, int64_t now_ms, const char *path, int *status,
		    struct buf *body);

#endif
