/* http.h - one event loop for every request to the API server.
 *
 * A struct kube_http owns a curl multi handle and carries any number of
 * concurrent requests: short calls with a buffered body, and long-lived
 * streams (watches) whose body goes to a callback as it arrives. curl keeps
 * connections alive and reuses them; over TLS it negotiates HTTP/2 and then
 * multiplexes every request, watches included, on one connection.
 *
 * Two ways to use it:
 *  - the operator registers requests with a completion callback and drives
 *    the loop with kube_http_run_once(h, timeout_ms), which also fires the
 *    loop's timers (retry backoff, and the operator's own);
 *  - devctl calls kube_http_do(), which submits one request and runs the
 *    loop until that request completes.
 *
 * Failed attempts are retried inside the loop (network errors, 429, 5xx) with
 * full-jitter backoff honouring Retry-After, up to max_attempts; a POST is
 * only retried when the server cannot have acted on it (429, connect
 * failures). A 401 drops cached exec/token-file credentials and retries once.
 * Streams are never retried once they delivered data: the watch layer resumes
 * them from the last resourceVersion instead.
 *
 * Threading: none. Every callback runs on the thread calling run_once.
 * Callbacks may submit and cancel requests and add timers; kube_http_do must
 * not be called from a stream data callback.
 */
#ifndef DEVSERVER_KUBE_HTTP_H
#define DEVSERVER_KUBE_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/attr.h"
#include "core/buf.h"
#include "core/error.h"
#include "kube/backoff.h"
#include "kube/kubeconfig.h"

#define HTTP_MAX_BODY_BYTES (64u * 1024 * 1024)        /* one buffered response */
#define HTTP_ERROR_BODY_MAX_BYTES (256u * 1024)        /* a failed stream's body */
#define HTTP_MAX_REQUEST_BYTES (16u * 1024 * 1024)     /* one request body */
#define HTTP_URL_MAX_BYTES (64u * 1024)                 /* base + path + query */
#define HTTP_CONNECT_TIMEOUT_MS 10000
#define HTTP_TIMEOUT_MS 60000                           /* whole buffered request */
#define HTTP_STREAM_IDLE_TIMEOUT_S 120  /* a stream with no byte for this long is dead */

struct kube_http;

struct kube_response {
	long status;              /* HTTP status, 0 when none arrived */
	struct buf body;          /* buffered mode: the whole body; stream mode: the error body */
	int64_t retry_after_ms;   /* -1 when the server sent none */
	int attempts;
};

/* Completion: rc is 0 or an ERR_* code (with err). resp and its body are
 * valid only during the call; take the body with buf_take to keep it. */
typedef void (*kube_http_done_fn)(void *ud, int rc, struct kube_response *resp,
				  const struct error *err);
/* Stream mode: bytes of a 2xx body as they arrive. Return 0 to go on, or a
 * negative code (with err filled) to end the request with that code. */
typedef int (*kube_http_data_fn)(void *ud, const char *data, size_t len, struct error *err);

struct kube_http_request {
	const char *method;        /* "GET", "POST", "PUT", "PATCH", "DELETE" */
	const char *path;          /* "/api/v1/...", already escaped, may have a query */
	const char *content_type;  /* for a body; default application/json */
	const char *accept;        /* default application/json */
	const char *body;          /* copied; may be NULL */
	size_t body_len;
	long timeout_ms;           /* 0: HTTP_TIMEOUT_MS; streams have none */
	long idle_timeout_s;       /* streams: 0 = HTTP_STREAM_IDLE_TIMEOUT_S */
	size_t max_body_bytes;     /* 0: HTTP_MAX_BODY_BYTES */
	int max_attempts;          /* 0: the loop's policy (1 for streams) */
	kube_http_data_fn on_data; /* non-NULL: stream mode */
	kube_http_done_fn done;    /* called once, unless cancelled */
	/* Optional: called instead of done when the request is cancelled or the
	 * loop freed, so the owner of ud can release it. */
	void (*on_cancel)(void *ud);
	void *ud;
};

/* A new loop talking to cfg's server; cfg is borrowed and must outlive the
 * loop (credentials are refreshed from it before every attempt). */
struct kube_http *kube_http_new(struct kube_config *cfg, struct error *err) DS_MUST_USE;
/* Cancels everything without callbacks. Accepts NULL. */
void kube_http_free(struct kube_http *h);

/* Overrides the retry policy (tests use short delays). */
void kube_http_set_backoff(struct kube_http *h, const struct backoff_policy *p);

/* Starts a request. Returns its id (> 0), or 0 with err set when it could not
 * start (bad request, credentials unavailable); done is not called then. */
uint64_t kube_http_submit(struct kube_http *h, const struct kube_http_request *r, struct error *err) DS_MUST_USE;

/* Cancels a request by id; its done callback will not run (its on_cancel
 * callback does). Unknown or finished ids are ignored. */
void kube_http_cancel(struct kube_http *h, uint64_t id);

/* Timers on the loop's clock (monotonic). fn runs from kube_http_run_once. */
typedef void (*kube_timer_fn)(void *ud);
uint64_t kube_http_timer_add(struct kube_http *h, int64_t delay_ms, kube_timer_fn fn, void *ud);
void kube_http_timer_cancel(struct kube_http *h, uint64_t id);

/* Waits up to timeout_ms for network activity or the next timer, then
 * progresses transfers, runs completion callbacks and due timers. Returns 0,
 * or ERR_IO when curl's multi interface fails. */
int kube_http_run_once(struct kube_http *h, int timeout_ms) DS_MUST_USE;

/* Requests in flight or waiting to retry, plus pending timers. */
size_t kube_http_pending(const struct kube_http *h);

/* Blocking: submits r (its done/ud are ignored) and runs the loop until it
 * completes; other requests on the loop keep progressing meanwhile. resp is
 * initialised here; the caller frees it with kube_response_cleanup. */
int kube_http_do(struct kube_http *h, const struct kube_http_request *r, struct kube_response *resp,
		 struct error *err) DS_MUST_USE;

void kube_response_init(struct kube_response *resp, size_t max_body_bytes);
void kube_response_cleanup(struct kube_response *resp);

/* Statistics for benchmarks and metrics. */
struct kube_http_stats {
	uint64_t requests;     /* attempts started */
	uint64_t retries;
	uint64_t completed;
	uint64_t http2;        /* attempts answered over HTTP/2 */
};
void kube_http_stats(const struct kube_http *h, struct kube_http_stats *out);

#endif
