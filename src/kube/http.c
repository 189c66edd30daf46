/* http.c - the curl multi event loop (see http.h).
 *
 * Each request is a struct kube_call tied to one easy handle through
 * CURLOPT_PRIVATE; completion comes from curl_multi_info_read. The same easy
 * handle is re-added for a retry, so its options (and the connection cache
 * of the multi handle) survive; options that can change between attempts
 * (credentials, headers) are set again before every attempt.
 *
 * Re-entrancy: curl refuses multi calls from inside its own callbacks, so
 * while curl_multi_perform runs (in_perform) new requests are parked on a
 * pending list and cancellations only flag the call; both are settled right
 * after perform returns. Completion callbacks run outside perform and may do
 * anything, including kube_http_do (which runs the loop recursively).
 *
 * A server with tls-server-name is reached by putting that name in the URL
 * (so SNI and certificate verification use it) and mapping it to the real
 * host with CURLOPT_CONNECT_TO.
 */
#include "kube/http.h"

#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "core/mem.h"
#include "core/version.h"
#include "kube/status.h"

struct kube_call {
	uint64_t id;
	struct kube_http *h;
	CURL *easy;
	struct curl_slist *headers;
	char *method, *url, *content_type, *accept, *body;
	size_t body_len;
	long timeout_ms;
	int max_attempts;
	int64_t idle_ms;          /* streams: end after this long without a byte */
	int64_t last_activity_ms;
	bool streaming, cancelled, in_multi, streamed, retried_401;
	int abort_rc;
	struct error abort_err;
	uint64_t retry_timer;
	struct kube_response resp;
	kube_http_data_fn on_data;
	kube_http_done_fn done;
	void (*on_cancel)(void *ud);   /* NULL once done ran or when none */
	void *ud;
	char errbuf[CURL_ERROR_SIZE];
	struct kube_call *prev, *next;       /* h->calls */
	struct kube_call *pending_next;      /* h->pending, while parked */
};

struct kube_timer {
	uint64_t id;
	int64_t at;
	kube_timer_fn fn;
	void *ud;
	struct kube_timer *next;
};

struct kube_http {
	struct kube_config *cfg;
	CURLM *multi;
	char *base;          /* scheme://host:port used in URLs */
	char *connect_to;    /* CURLOPT_CONNECT_TO entry, or NULL */
	struct curl_slist *connect_to_list;
	struct kube_call *calls;
	struct kube_call *pending;
	struct kube_timer *timers;   /* sorted by at */
	uint64_t next_id;
	bool in_perform;
	bool need_sweep;
	struct backoff_policy policy;
	uint64_t rand_state;
	struct kube_http_stats stats;
};

void kube_response_init(struct kube_response *resp, size_t max_body_bytes)
{
	resp->status = 0;
	buf_init(&resp->body, max_body_bytes ? max_body_bytes : HTTP_MAX_BODY_BYTES);
	resp->retry_after_ms = -1;
	resp->attempts = 0;
}

void kube_response_cleanup(struct kube_response *resp)
{
	if (resp)
		buf_cleanup(&resp->body);
}

/* ---- timers ------------------------------------------------------------ */

uint64_t kube_http_timer_add(struct kube_http *h, int64_t delay_ms, kube_timer_fn fn, void *ud)
{
	struct kube_timer *t = mem_calloc(1, sizeof(*t)), **pp = &h->timers;

	t->id = ++h->next_id;
	t->at = clock_mono_ms() + (delay_ms > 0 ? delay_ms : 0);
	t->fn = fn;
	t->ud = ud;
	while (*pp && (*pp)->at <= t->at)
		pp = &(*pp)->next;
	t->next = *pp;
	*pp = t;
	return t->id;
}

void kube_http_timer_cancel(struct kube_http *h, uint64_t id)
{
	for (struct kube_timer **pp = &h->timers; *pp; pp = &(*pp)->next) {
		if ((*pp)->id == id) {
			struct kube_timer *t = *pp;

			*pp = t->next;
			free(t);
			return;
		}
	}
}

static void kh_fire_timers(struct kube_http *h)
{
	int64_t now = clock_mono_ms();

	/* pop before calling: the callback may add or cancel timers */
	while (h->timers && h->timers->at <= now) {
		struct kube_timer *t = h->timers;

		h->timers = t->next;
		t->fn(t->ud);
		free(t);
	}
}

/* ---- calls --------------------------------------------------------------- */

static void kh_unlink(struct kube_call *c)
{
	struct kube_http *h = c->h;

	if (c->prev)
		c->prev->next = c->next;
	else if (h->calls == c)
		h->calls = c->next;
	if (c->next)
		c->next->prev = c->prev;
	c->prev = c->next = NULL;
	for (struct kube_call **pp = &h->pending; *pp; pp = &(*pp)->pending_next) {
		if (*pp == c) {
			*pp = c->pending_next;
			break;
		}
	}
}

static void kh_call_free(struct kube_call *c)
{
	if (!c)
		return;
	if (c->on_cancel)
		c->on_cancel(c->ud);
	if (c->in_multi)
		curl_multi_remove_handle(c->h->multi, c->easy);
	if (c->retry_timer)
		kube_http_timer_cancel(c->h, c->retry_timer);
	curl_easy_cleanup(c->easy);
	curl_slist_free_all(c->headers);
	free(c->method);
	free(c->url);
	free(c->content_type);
	free(c->accept);
	free(c->body);
	kube_response_cleanup(&c->resp);
	free(c);
}

static size_t kh_write(char *p, size_t size, size_t n, void *ud)
{
	struct kube_call *c = ud;
	size_t len = size * n;

	if (c->cancelled)
		return 0;
	c->last_activity_ms = clock_mono_ms();
	if (c->on_data) {
		long code = 0;

		curl_easy_getinfo(c->easy, CURLINFO_RESPONSE_CODE, &code);
		if (code >= 200 && code < 300) {
			int rc = c->on_data(c->ud, p, len, &c->abort_err);

			c->streamed = true;
			if (rc < 0) {
				c->abort_rc = rc;
				c->abort_err.code = rc;
				return 0;
			}
			return len;
		}
	}
	if (buf_append(&c->resp.body, p, len) < 0) {
		c->abort_rc = error_set(&c->abort_err, ERR_LIMIT, "%s %s: response body larger than %zu bytes",
					c->method, c->url, c->resp.body.max);
		return 0;
	}
	return len;
}

static size_t kh_header(char *p, size_t size, size_t n, void *ud)
{
	struct kube_call *c = ud;
	size_t len = size * n;

	c->last_activity_ms = clock_mono_ms();
	if (len >= 5 && strncmp(p, "HTTP/", 5) == 0) {
		c->resp.retry_after_ms = -1; /* a new response begins */
	} else if (len > 12 && strncasecmp(p, "Retry-After:", 12) == 0) {
		char v[128];
		size_t vl = len - 12 < sizeof(v) - 1 ? len - 12 : sizeof(v) - 1;
		int64_t d;

		memcpy(v, p + 12, vl);
		v[vl] = '\0';
		if (backoff_parse_retry_after(v, clock_wall_ms() / 1000, &d) == 0)
			c->resp.retry_after_ms = d;
	}
	return len;
}

/* Sets everything that may change between attempts and adds the handle to
 * the multi (or parks it while perform runs). */
static int kh_attempt(struct kube_call *c, struct error *err)
{
	struct kube_http *h = c->h;
	struct kube_credentials cr;
	struct curl_slist *hl = NULL;
	CURL *e = c->easy;
	char line[256];
	int rc;

	if ((rc = kube_config_credentials(h->cfg, &cr, err)) < 0)
		return rc;
	snprintf(line, sizeof(line), "Accept: %s", c->accept);
	hl = curl_slist_append(hl, line);
	if (c->body) {
		snprintf(line, sizeof(line), "Content-Type: %s", c->content_type);
		hl = curl_slist_append(hl, line);
	}
	hl = curl_slist_append(hl, "Expect:"); /* no 100-continue round trip */
	if (cr.token) {
		struct buf b;

		buf_init(&b, KUBE_CRED_MAX_BYTES + 64);
		buf_appendf(&b, "Authorization: Bearer %s", cr.token);
		hl = curl_slist_append(hl, buf_str(&b));
		buf_cleanup(&b);
	}
	if (!hl)
		return error_set(err, ERR_IO, "curl_slist_append failed");
	curl_easy_setopt(e, CURLOPT_HTTPHEADER, hl);
	curl_slist_free_all(c->headers);
	c->headers = hl;

	if (cr.cert && cr.key) {
		struct curl_blob cb = {cr.cert->data, cr.cert->len, CURL_BLOB_COPY};
		struct curl_blob kb = {cr.key->data, cr.key->len, CURL_BLOB_COPY};

		curl_easy_setopt(e, CURLOPT_SSLCERT_BLOB, &cb);
		curl_easy_setopt(e, CURLOPT_SSLCERTTYPE, "PEM");
		curl_easy_setopt(e, CURLOPT_SSLKEY_BLOB, &kb);
		curl_easy_setopt(e, CURLOPT_SSLKEYTYPE, "PEM");
	}
	if (cr.username && cr.password) {
		curl_easy_setopt(e, CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC);
		curl_easy_setopt(e, CURLOPT_USERNAME, cr.username);
		curl_easy_setopt(e, CURLOPT_PASSWORD, cr.password);
	}
	/* reset per-attempt response state */
	buf_reset(&c->resp.body);
	c->resp.status = 0;
	c->resp.retry_after_ms = -1;
	c->resp.attempts++;
	c->abort_rc = 0;
	c->errbuf[0] = '\0';
	error_clear(&c->abort_err);
	h->stats.requests++;
	c->last_activity_ms = clock_mono_ms();
	if (h->in_perform) {
		c->pending_next = h->pending;
		h->pending = c;
		return 0;
	}
	if (curl_multi_add_handle(h->multi, e) != CURLM_OK)
		return error_set(err, ERR_IO, "curl_multi_add_handle failed");
	c->in_multi = true;
	return 0;
}

static void kh_finish(struct kube_call *c, int rc, const struct error *err)
{
	struct kube_http *h = c->h;

	kh_unlink(c);
	h->stats.completed++;
	c->on_cancel = NULL; /* done takes over ud */
	if (c->done)
		c->done(c->ud, rc, &c->resp, err);
	kh_call_free(c);
}

static void kh_retry_fire(void *ud)
{
	struct kube_call *c = ud;
	struct error err;
	int rc;

	c->retry_timer = 0;
	c->h->stats.retries++;
	if ((rc = kh_attempt(c, &err)) < 0)
		kh_finish(c, rc, &err);
}

/* Maps a transfer failure to an error code: retry what a new connection
 * might fix, give up on configuration problems (TLS, URL). */
static int kh_curl_error(struct kube_call *c, CURLcode cc, bool *request_not_sent, struct error *err)
{
	const char *detail = c->errbuf[0] ? c->errbuf : curl_easy_strerror(cc);
	int code;

	*request_not_sent = false;
	switch (cc) {
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_COULDNT_CONNECT:
		*request_not_sent = true;
		code = ERR_RETRY;
		break;
	case CURLE_OPERATION_TIMEDOUT:
	case CURLE_SEND_ERROR:
	case CURLE_RECV_ERROR:
	case CURLE_GOT_NOTHING:
	case CURLE_PARTIAL_FILE:
	case CURLE_HTTP2:
	case CURLE_HTTP2_STREAM:
	case CURLE_SSL_CONNECT_ERROR:
	case CURLE_AGAIN:
		code = ERR_RETRY;
		break;
	case CURLE_PEER_FAILED_VERIFICATION:
	case CURLE_SSL_CACERT_BADFILE:
	case CURLE_SSL_CERTPROBLEM:
	case CURLE_URL_MALFORMAT:
	case CURLE_UNSUPPORTED_PROTOCOL:
		code = ERR_PERMANENT;
		break;
	default:
		code = ERR_RETRY;
		break;
	}
	return error_set(err, code, "%s %s: %s", c->method, c->url, detail);
}

static void kh_done_msg(struct kube_http *h, CURL *easy, CURLcode cc)
{
	struct kube_call *c = NULL;
	struct error err;
	bool not_sent = false;
	int rc;
	int64_t delay;

	curl_easy_getinfo(easy, CURLINFO_PRIVATE, (char **)&c);
	curl_multi_remove_handle(h->multi, easy);
	c->in_multi = false;
	if (c->cancelled) {
		kh_unlink(c);
		kh_call_free(c);
		return;
	}
	curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &c->resp.status);
	{
		long v = 0;

		curl_easy_getinfo(easy, CURLINFO_HTTP_VERSION, &v);
		h->stats.http2 += v == CURL_HTTP_VERSION_2_0;
	}
	error_clear(&err);
	if (c->abort_rc) {
		err = c->abort_err;
		rc = c->abort_rc;
	} else if (cc != CURLE_OK) {
		rc = kh_curl_error(c, cc, &not_sent, &err);
	} else {
		rc = kube_status_classify(c->resp.status, buf_str(&c->resp.body), c->resp.body.len, &err);
		if (rc < 0)
			error_prefix(&err, "%s %s", c->method, c->url);
	}
	/* a 401 usually means an expired credential: refresh it and try again once */
	if (rc == ERR_UNAUTHORIZED && c->resp.status == 401 && !c->retried_401 && !c->streamed &&
	    kube_config_invalidate(h->cfg)) {
		c->retried_401 = true;
		c->resp.attempts--;
		if ((rc = kh_attempt(c, &err)) == 0)
			return;
	}
	if (rc == ERR_RETRY && !c->streamed && c->abort_rc == 0 &&
	    (strcmp(c->method, "POST") != 0 || not_sent || c->resp.status == 429)) {
		delay = backoff_next(&h->policy, rc, c->resp.attempts, c->resp.retry_after_ms,
				     backoff_rand_default, &h->rand_state);
		if (delay >= 0 && c->resp.attempts < c->max_attempts) {
			c->retry_timer = kube_http_timer_add(h, delay, kh_retry_fire, c);
			return;
		}
	}
	kh_finish(c, rc, &err);
}

static void kh_sweep(struct kube_http *h)
{
	struct kube_call *c = h->calls, *next;

	h->need_sweep = false;
	for (; c; c = next) {
		next = c->next;
		if (c->cancelled) {
			kh_unlink(c);
			kh_call_free(c);
		}
	}
}

static void kh_add_pending(struct kube_http *h)
{
	while (h->pending) {
		struct kube_call *c = h->pending;

		h->pending = c->pending_next;
		c->pending_next = NULL;
		if (curl_multi_add_handle(h->multi, c->easy) == CURLM_OK) {
			c->in_multi = true;
		} else {
			struct error err;

			error_set(&err, ERR_IO, "curl_multi_add_handle failed");
			kh_finish(c, ERR_IO, &err);
		}
	}
}

/* Ends streams that went quiet: curl's low-speed check averages over a few
 * seconds and lags, so the loop measures silence itself. */
static void kh_check_idle(struct kube_http *h)
{
	int64_t now = clock_mono_ms();
	struct kube_call *c, *next;

	for (c = h->calls; c; c = next) {
		next = c->next;
		if (c->streaming && c->in_multi && !c->cancelled && now - c->last_activity_ms > c->idle_ms) {
			struct error err;

			curl_multi_remove_handle(h->multi, c->easy);
			c->in_multi = false;
			error_set(&err, ERR_RETRY, "%s %s: stream idle for %lld ms", c->method, c->url,
				  (long long)(now - c->last_activity_ms));
			/* the next call may have been freed by a callback: restart the scan */
			kh_finish(c, ERR_RETRY, &err);
			next = h->calls;
		}
	}
}

int kube_http_run_once(struct kube_http *h, int timeout_ms)
{
	int running = 0, numfds = 0;
	int64_t wait = timeout_ms < 0 ? 0 : timeout_ms;
	CURLMsg *msg;
	int left;

	if (h->timers) {
		int64_t d = h->timers->at - clock_mono_ms();

		if (d < wait)
			wait = d < 0 ? 0 : d;
	}
	for (struct kube_call *c = h->calls; c && wait > 250; c = c->next)
		if (c->streaming)
			wait = 250; /* bound the wait so idle streams are noticed */
	if (wait > 0 && curl_multi_poll(h->multi, NULL, 0, (int)wait, &numfds) != CURLM_OK)
		return ERR_IO;
	h->in_perform = true;
	if (curl_multi_perform(h->multi, &running) != CURLM_OK) {
		h->in_perform = false;
		return ERR_IO;
	}
	h->in_perform = false;
	if (h->need_sweep)
		kh_sweep(h);
	kh_add_pending(h);
	while ((msg = curl_multi_info_read(h->multi, &left)) != NULL) {
		if (msg->msg == CURLMSG_DONE)
			kh_done_msg(h, msg->easy_handle, msg->data.result);
	}
	kh_check_idle(h);
	kh_fire_timers(h);
	return 0;
}

/* Builds base URL and CONNECT_TO from the configured server. */
static int kh_setup_server(struct kube_http *h, struct error *err)
{
	CURLU *u = curl_url();
	char *scheme = NULL, *host = NULL, *port = NULL;
	int rc = 0;
	struct buf b;

	if (!u)
		return error_set(err, ERR_IO, "curl_url failed");
	if (curl_url_set(u, CURLUPART_URL, h->cfg->server, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_PORT, &port, CURLU_DEFAULT_PORT) != CURLUE_OK) {
		rc = error_set(err, ERR_INVALID, "server URL %s is not valid", h->cfg->server);
		goto out;
	}
	buf_init(&b, HTTP_URL_MAX_BYTES);
	if (h->cfg->tls_server_name) {
		buf_appendf(&b, "%s://%s:%s", scheme, h->cfg->tls_server_name, port);
		h->base = buf_take(&b);
		buf_appendf(&b, "%s:%s:%s:%s", h->cfg->tls_server_name, port, host, port);
		h->connect_to = buf_take(&b);
		h->connect_to_list = curl_slist_append(NULL, h->connect_to);
	} else {
		/* keep any path prefix of the server URL (proxies such as rancher) */
		buf_appendf(&b, "%s", h->cfg->server);
		h->base = buf_take(&b);
	}
out:
	curl_free(scheme);
	curl_free(host);
	curl_free(port);
	curl_url_cleanup(u);
	return rc;
}

struct kube_http *kube_http_new(struct kube_config *cfg, struct error *err)
{
	struct kube_http *h;

	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		error_set(err, ERR_IO, "curl_global_init failed");
		return NULL;
	}
	h = mem_calloc(1, sizeof(*h));
	h->cfg = cfg;
	h->multi = curl_multi_init();
	backoff_policy_default(&h->policy);
	if (!h->multi) {
		error_set(err, ERR_IO, "curl_multi_init failed");
		kube_http_free(h);
		return NULL;
	}
	curl_multi_setopt(h->multi, CURLMOPT_PIPELINING, (long)CURLPIPE_MULTIPLEX);
	curl_multi_setopt(h->multi, CURLMOPT_MAX_HOST_CONNECTIONS, 8L);
	if (kh_setup_server(h, err) < 0) {
		kube_http_free(h);
		return NULL;
	}
	return h;
}

void kube_http_free(struct kube_http *h)
{
	if (!h)
		return;
	while (h->calls) {
		struct kube_call *c = h->calls;

		kh_unlink(c);
		kh_call_free(c);
	}
	while (h->timers) {
		struct kube_timer *t = h->timers;

		h->timers = t->next;
		free(t);
	}
	if (h->multi)
		curl_multi_cleanup(h->multi);
	curl_slist_free_all(h->connect_to_list);
	free(h->base);
	free(h->connect_to);
	free(h);
	curl_global_cleanup();
}

void kube_http_set_backoff(struct kube_http *h, const struct backoff_policy *p)
{
	h->policy = *p;
}

uint64_t kube_http_submit(struct kube_http *h, const struct kube_http_request *r, struct error *err)
{
	struct kube_call *c;
	CURL *e;
	struct buf u;

	if (!r->method || !r->path || r->path[0] != '/') {
		error_set(err, ERR_INVALID, "request needs a method and a path starting with '/'");
		return 0;
	}
	if (r->body_len > HTTP_MAX_REQUEST_BYTES) {
		error_set(err, ERR_LIMIT, "request body larger than %u bytes", HTTP_MAX_REQUEST_BYTES);
		return 0;
	}
	e = curl_easy_init();
	if (!e) {
		error_set(err, ERR_IO, "curl_easy_init failed");
		return 0;
	}
	c = mem_calloc(1, sizeof(*c));
	c->h = h;
	c->easy = e;
	c->id = ++h->next_id;
	c->method = mem_strdup(r->method);
	buf_init(&u, HTTP_URL_MAX_BYTES);
	if (buf_appendf(&u, "%s%s", h->base, r->path) < 0) {
		buf_cleanup(&u);
		kh_call_free(c);
		error_set(err, ERR_LIMIT, "request path too long");
		return 0;
	}
	c->url = buf_take(&u);
	c->content_type = mem_strdup(r->content_type ? r->content_type : "application/json");
	c->accept = mem_strdup(r->accept ? r->accept : "application/json");
	if (r->body) {
		c->body = mem_alloc(r->body_len + 1);
		memcpy(c->body, r->body, r->body_len);
		c->body[r->body_len] = '\0';
		c->body_len = r->body_len;
	}
	c->streaming = r->on_data != NULL;
	c->on_data = r->on_data;
	c->done = r->done;
	c->on_cancel = NULL; /* set once the request has started */
	c->ud = r->ud;
	c->max_attempts = r->max_attempts > 0 ? r->max_attempts
			  : c->streaming ? 1 : h->policy.max_attempts;
	kube_response_init(&c->resp, c->streaming ? HTTP_ERROR_BODY_MAX_BYTES
				      : r->max_body_bytes ? r->max_body_bytes : HTTP_MAX_BODY_BYTES);

	curl_easy_setopt(e, CURLOPT_PRIVATE, c);
	curl_easy_setopt(e, CURLOPT_URL, c->url);
	curl_easy_setopt(e, CURLOPT_ERRORBUFFER, c->errbuf);
	curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(e, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_2TLS);
	/* wait for a connection's ALPN answer rather than opening another one,
	 * so HTTP/2 multiplexes; over plain http there is nothing to wait for */
	if (strncmp(h->base, "https:", 6) == 0)
		curl_easy_setopt(e, CURLOPT_PIPEWAIT, 1L);
	curl_easy_setopt(e, CURLOPT_TCP_KEEPALIVE, 1L);
	curl_easy_setopt(e, CURLOPT_ACCEPT_ENCODING, "");
	curl_easy_setopt(e, CURLOPT_USERAGENT, "devserver-operator/" DEVSERVER_VERSION);
	curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, (long)HTTP_CONNECT_TIMEOUT_MS);
	if (c->streaming) {
		curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, 0L);
		curl_easy_setopt(e, CURLOPT_LOW_SPEED_LIMIT, 1L);
		c->idle_ms = 1000 * (r->idle_timeout_s > 0 ? r->idle_timeout_s : (long)HTTP_STREAM_IDLE_TIMEOUT_S);
		/* a backstop; kh_check_idle is the precise check */
		curl_easy_setopt(e, CURLOPT_LOW_SPEED_TIME, (long)(2 * c->idle_ms / 1000));
	} else {
		curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, r->timeout_ms > 0 ? r->timeout_ms : (long)HTTP_TIMEOUT_MS);
	}
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, kh_write);
	curl_easy_setopt(e, CURLOPT_WRITEDATA, c);
	curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, kh_header);
	curl_easy_setopt(e, CURLOPT_HEADERDATA, c);
	if (strcmp(c->method, "GET") == 0) {
		curl_easy_setopt(e, CURLOPT_HTTPGET, 1L);
	} else {
		curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, c->method);
		if (c->body || strcmp(c->method, "DELETE") != 0) {
			curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)c->body_len);
			curl_easy_setopt(e, CURLOPT_POSTFIELDS, c->body ? c->body : "");
		}
	}
	if (h->cfg->insecure_skip_tls_verify) {
		curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, 0L);
		curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, 0L);
	}
	if (h->cfg->ca.len) {
		struct curl_blob ca = {h->cfg->ca.data, h->cfg->ca.len, CURL_BLOB_COPY};

		curl_easy_setopt(e, CURLOPT_CAINFO_BLOB, &ca);
	}
	if (h->connect_to_list)
		curl_easy_setopt(e, CURLOPT_CONNECT_TO, h->connect_to_list);

	c->next = h->calls;
	if (h->calls)
		h->calls->prev = c;
	h->calls = c;
	if (kh_attempt(c, err) < 0) {
		kh_unlink(c);
		kh_call_free(c);
		return 0;
	}
	c->on_cancel = r->on_cancel;
	return c->id;
}

void kube_http_cancel(struct kube_http *h, uint64_t id)
{
	for (struct kube_call *c = h->calls; c; c = c->next) {
		if (c->id != id)
			continue;
		if (h->in_perform) {
			/* curl forbids removing handles from inside its callbacks */
			c->cancelled = true;
			h->need_sweep = true;
		} else {
			kh_unlink(c);
			kh_call_free(c);
		}
		return;
	}
}

size_t kube_http_pending(const struct kube_http *h)
{
	size_t n = 0;

	for (const struct kube_call *c = h->calls; c; c = c->next)
		n++;
	for (const struct kube_timer *t = h->timers; t; t = t->next)
		n++;
	return n;
}

void kube_http_stats(const struct kube_http *h, struct kube_http_stats *out)
{
	*out = h->stats;
}

struct kh_sync {
	bool done;
	int rc;
	struct kube_response *resp;
	struct error *err;
};

static void kh_sync_done(void *ud, int rc, struct kube_response *resp, const struct error *err)
{
	struct kh_sync *s = ud;
	struct buf tmp = s->resp->body;

	s->done = true;
	s->rc = rc;
	/* swap bodies: the caller keeps the response, the call frees the empty one */
	s->resp->body = resp->body;
	resp->body = tmp;
	s->resp->status = resp->status;
	s->resp->retry_after_ms = resp->retry_after_ms;
	s->resp->attempts = resp->attempts;
	if (rc < 0 && s->err && err)
		*s->err = *err;
}

int kube_http_do(struct kube_http *h, const struct kube_http_request *r, struct kube_response *resp,
		 struct error *err)
{
	struct kube_http_request rr = *r;
	struct kh_sync s = {false, 0, resp, err};

	kube_response_init(resp, r->max_body_bytes);
	if (h->in_perform)
		return error_set(err, ERR_INVALID, "kube_http_do called from a stream callback");
	rr.done = kh_sync_done;
	rr.ud = &s;
	if (kube_http_submit(h, &rr, err) == 0)
		return err ? err->code : ERR_INVALID;
	while (!s.done) {
		if (kube_http_run_once(h, 1000) < 0)
			return error_set(err, ERR_IO, "curl multi loop failed");
	}
	return s.rc;
}
