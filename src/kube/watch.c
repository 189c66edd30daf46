/* watch.c - line framing, event parsing and the list+watch reflector
 * (see watch.h).
 *
 * The framer hands out lines straight from curl's buffer when a line lies
 * wholly inside one chunk, and copies only the pieces of lines that straddle
 * chunks; either way every line is parsed once, and the decoded object is
 * passed to the sink without a copy. A line is not parsed whole: the
 * envelope is scanned (json_scan) and its object decoded on its own within
 * the watch's object limits, so an object too deep or too large becomes a
 * stub - reported, skipped - and the stream goes on. After a line longer
 * than WATCH_FRAMER_KEEP_BYTES the framer gives its buffer back, so one huge
 * event does not pin its memory.
 *
 * Recovery rules, as client-go's reflector has them: a clean end resumes
 * from the last resourceVersion (a bookmark counts); 410 relists at once; a
 * transient failure retries the watch after backoff; anything else (an
 * oversize or unparseable event, 403, a missing CRD) relists after backoff,
 * because events may have been lost. The server-side timeout is randomised
 * between WATCH_TIMEOUT_MIN_S and _MAX_S so watches do not reconnect in step.
 */
#include "kube/watch.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/mem.h"
#include "json/json_scan.h"
#include "kube/backoff.h"
#include "kube/status.h"

/* ---- framing ----------------------------------------------------------- */

void watch_framer_init(struct watch_framer *f, size_t max_line_bytes)
{
	buf_init(&f->line, max_line_bytes ? max_line_bytes : WATCH_MAX_LINE_BYTES);
	f->released = 0;
}

void watch_framer_cleanup(struct watch_framer *f)
{
	buf_cleanup(&f->line);
}

void watch_framer_reset(struct watch_framer *f)
{
	/* drop the memory too: one huge event should not pin its buffer */
	size_t max = f->line.max;

	buf_cleanup(&f->line);
	buf_init(&f->line, max);
}

int watch_framer_feed(struct watch_framer *f, const char *data, size_t len, watch_line_fn fn, void *ud,
		      struct error *err)
{
	size_t i = 0;

	while (i < len) {
		const char *nl = memchr(data + i, '\n', len - i);
		const char *line;
		size_t n, llen;
		int rc = 0;

		if (!nl) {
			if (buf_append(&f->line, data + i, len - i) < 0) {
				watch_framer_reset(f);
				return error_set(err, ERR_LIMIT, "watch event longer than %zu bytes", f->line.max);
			}
			return 0;
		}
		n = (size_t)(nl - (data + i));
		if (f->line.len) {
			if (buf_append(&f->line, data + i, n) < 0) {
				watch_framer_reset(f);
				return error_set(err, ERR_LIMIT, "watch event longer than %zu bytes", f->line.max);
			}
			line = f->line.data;
			llen = f->line.len;
		} else {
			if (n > f->line.max) {
				watch_framer_reset(f);
				return error_set(err, ERR_LIMIT, "watch event longer than %zu bytes", f->line.max);
			}
			line = data + i;
			llen = n;
		}
		i += n + 1;
		if (llen && line[llen - 1] == '\r')
			llen--;
		if (llen)
			rc = fn(ud, line, llen, err);
		if (f->line.cap > WATCH_FRAMER_KEEP_BYTES) {
			watch_framer_reset(f); /* a huge event: give its buffer back */
			f->released++;
		} else
			buf_reset(&f->line);
		if (rc < 0)
			return rc;
	}
	return 0;
}

/* ---- events ------------------------------------------------------------ */

const char *watch_event_type_name(enum watch_event_type t)
{
	switch (t) {
	case WATCH_ADDED: return "ADDED";
	case WATCH_MODIFIED: return "MODIFIED";
	case WATCH_DELETED: return "DELETED";
	case WATCH_BOOKMARK: return "BOOKMARK";
	default: return "ERROR";
	}
}

/* Takes key's value out of obj (leaving null behind) without copying it. */
static struct json *watch_detach(struct json *obj, const char *key)
{
	for (size_t i = 0; obj && obj->type == JSON_OBJECT && i < obj->u.obj.len; i++) {
		if (strcmp(obj->u.obj.items[i].key, key) == 0) {
			struct json *v = obj->u.obj.items[i].value;

			obj->u.obj.items[i].value = json_new_null();
			return v;
		}
	}
	return NULL;
}

/* The envelope's two members, as text (the last of each wins, as in JSON). */
struct watch_envelope {
	const char *type, *object;
	size_t type_len, object_len;
};

static int watch_envelope_member(void *ud, const char *key, const char *value, size_t len,
				 struct error *err)
{
	struct watch_envelope *e = ud;

	if (key && strcmp(key, "type") == 0) {
		e->type = value;
		e->type_len = len;
	} else if (key && strcmp(key, "object") == 0) {
		e->object = value;
		e->object_len = len;
	}
	return 0;
}

int watch_event_parse_limited(const char *line, size_t len, const struct kube_object_limits *lim,
			      struct watch_event *ev, struct error *err)
{
	static const struct { const char *name; enum watch_event_type t; } types[] = {
		{"ADDED", WATCH_ADDED}, {"MODIFIED", WATCH_MODIFIED}, {"DELETED", WATCH_DELETED},
		{"BOOKMARK", WATCH_BOOKMARK}, {"ERROR", WATCH_ERROR},
	};
	struct watch_envelope e = { 0 };
	struct json *tv = NULL;
	const char *type = NULL;
	struct error why;
	size_t i;

	ev->object = NULL;
	if (json_scan_object(line, len, watch_envelope_member, &e, err) < 0)
		return error_prefix(err, "watch event");
	if (e.type && e.type_len <= WATCH_EVENT_TYPE_MAX_BYTES && (tv = json_parse(e.type, e.type_len, &why)))
		type = tv->type == JSON_STRING ? tv->u.str.ptr : NULL;
	for (i = 0; type && i < sizeof(types) / sizeof(types[0]); i++)
		if (strcmp(type, types[i].name) == 0)
			break;
	if (!type || i == sizeof(types) / sizeof(types[0])) {
		error_set(err, ERR_INVALID, "watch event with unknown type %s", type ? type : "(none)");
		json_free(tv); /* type points into tv */
		return ERR_INVALID;
	}
	json_free(tv);
	ev->type = types[i].t;
	while (e.object && e.object_len && (*e.object == ' ' || *e.object == '\t' || *e.object == '\n' ||
					    *e.object == '\r')) {
		e.object++;
		e.object_len--;
	}
	if (!e.object || !e.object_len || *e.object != '{')
		return error_set(err, ERR_INVALID, "watch event %s without an object", types[i].name);
	if (kube_object_decode(e.object, e.object_len, lim, &ev->object, &why) == 0)
		return 0;
	ev->object = kube_object_stub(e.object, e.object_len, why.msg);
	if (!ev->object)
		return error_set(err, ERR_INVALID, "watch event %s: an object without a readable name: %s",
				 types[i].name, why.msg);
	return 0;
}

int watch_event_parse(const char *line, size_t len, struct watch_event *ev, struct error *err)
{
	return watch_event_parse_limited(line, len, NULL, ev, err);
}

/* ---- reflector ------------------------------------------------------------ */

static void watch_begin_list(struct watch *w);
static void watch_begin_watch(struct watch *w);

static char *watch_dup(const char *s)
{
	return s && *s ? mem_strdup(s) : NULL;
}

void watch_init(struct watch *w, struct kube_client *client, const struct kube_resource *res,
		const struct watch_options *o, const struct watch_sink *sink)
{
	struct watch_options none = {0};

	if (!o)
		o = &none;
	memset(w, 0, sizeof(*w));
	w->client = client;
	w->res = res;
	w->ns = watch_dup(o->ns);
	w->label_selector = watch_dup(o->label_selector);
	w->field_selector = watch_dup(o->field_selector);
	w->timeout_min_s = o->timeout_min_s > 0 ? o->timeout_min_s : WATCH_TIMEOUT_MIN_S;
	w->timeout_max_s = o->timeout_max_s >= w->timeout_min_s ? o->timeout_max_s
				: (o->timeout_min_s > 0 ? w->timeout_min_s : WATCH_TIMEOUT_MAX_S);
	w->page_size = o->page_size;
	w->idle_timeout_s = o->idle_timeout_s;
	if (o->object_limits)
		w->limits = *o->object_limits;
	w->sink = *sink;
	watch_framer_init(&w->framer, WATCH_MAX_LINE_BYTES);
	w->state = WATCH_STOPPED;
}

void watch_stop(struct watch *w)
{
	if (w->req_id && w->client)
		kube_client_cancel(w->client, w->req_id); /* a list or a stream */
	if (w->timer_id && w->client)
		kube_http_timer_cancel(w->client->http, w->timer_id);
	w->req_id = w->timer_id = 0;
	w->state = WATCH_STOPPED;
}

void watch_cleanup(struct watch *w)
{
	if (!w)
		return;
	watch_stop(w);
	watch_framer_cleanup(&w->framer);
	mem_free_ptr(&w->ns);
	mem_free_ptr(&w->label_selector);
	mem_free_ptr(&w->field_selector);
	mem_free_ptr(&w->rv);
}

static void watch_set_rv(struct watch *w, const struct json *obj)
{
	const char *rv = json_get_string(json_get(obj, "metadata"), "resourceVersion");

	if (rv && *rv && (!w->rv || strcmp(rv, w->rv) != 0)) {
		free(w->rv);
		w->rv = mem_strdup(rv);
	}
}

static void watch_report(struct watch *w, int rc, const struct error *err)
{
	if (rc < 0 && err)
		w->last_err = *err;
	if (w->sink.status)
		w->sink.status(w->sink.ud, rc, err);
}

static int watch_on_line(void *ud, const char *line, size_t len, struct error *err)
{
	struct watch *w = ud;
	struct watch_event ev;
	int rc;

	if ((rc = watch_event_parse_limited(line, len, &w->limits, &ev, err)) < 0)
		return rc;
	switch (ev.type) {
	case WATCH_ERROR:
		rc = kube_status_from_object(ev.object, err);
		if (rc == ERR_GONE) {
			w->gone = true;
			w->stats.gone_in_band++;
		}
		json_free(ev.object);
		return rc;
	case WATCH_BOOKMARK:
		watch_set_rv(w, ev.object);
		w->stats.bookmarks++;
		json_free(ev.object);
		return 0;
	default:
		watch_set_rv(w, ev.object); /* a stub keeps the resourceVersion */
		w->stats.events++;
		if (kube_object_skipped(ev.object))
			w->stats.skipped++;
		w->failures = 0;
		if (w->sink.event)
			w->sink.event(w->sink.ud, ev.type, ev.object);
		else
			json_free(ev.object);
		return 0;
	}
}

int watch_stream_feed(struct watch *w, const char *data, size_t len, struct error *err)
{
	return watch_framer_feed(&w->framer, data, len, watch_on_line, w, err);
}

enum watch_next watch_stream_end(struct watch *w, int rc)
{
	if (rc == 0)
		return WATCH_NEXT_RESUME;
	w->stats.errors++;
	if (rc == ERR_GONE)
		return WATCH_NEXT_RELIST;
	w->failures++;
	if (rc == ERR_RETRY)
		return WATCH_NEXT_RETRY_WATCH;
	return WATCH_NEXT_RETRY_LIST;
}

static int64_t watch_backoff_ms(struct watch *w)
{
	struct backoff_policy p = {WATCH_BACKOFF_BASE_MS, WATCH_BACKOFF_CAP_MS, 1};

	return backoff_delay_ms(&p, w->failures > 0 ? w->failures - 1 : 0, backoff_rand_default,
				&w->rand_state);
}

static void watch_timer_list(void *ud)
{
	struct watch *w = ud;

	w->timer_id = 0;
	watch_begin_list(w);
}

static void watch_timer_watch(void *ud)
{
	struct watch *w = ud;

	w->timer_id = 0;
	watch_begin_watch(w);
}

static void watch_retry_later(struct watch *w, bool relist)
{
	w->state = WATCH_WAITING;
	w->timer_id = kube_http_timer_add(w->client->http, watch_backoff_ms(w),
					  relist ? watch_timer_list : watch_timer_watch, w);
}

static void watch_list_done(void *ud, int rc, struct json *list, const struct error *err)
{
	struct watch *w = ud;

	w->req_id = 0;
	if (rc < 0) {
		bool expired = rc == ERR_GONE && w->failures == 0;

		json_free(list);
		w->stats.errors++;
		w->failures++;
		watch_report(w, rc, err);
		if (expired) {
			/* a continue token expired mid-list: start over at once (once) */
			w->stats.relists++;
			watch_begin_list(w);
		} else {
			watch_retry_later(w, true);
		}
		return;
	}
	watch_list_apply(w, list);
	watch_report(w, 0, NULL);
	watch_begin_watch(w);
}

void watch_list_apply(struct watch *w, struct json *list)
{
	struct json *items;

	w->stats.lists++;
	mem_free_ptr(&w->rv);
	watch_set_rv(w, list);
	items = watch_detach(list, "items");
	json_free(list);
	if (!items || items->type != JSON_ARRAY) {
		json_free(items);
		items = json_new_array();
	}
	for (size_t i = 0; i < items->u.arr.len; i++)
		if (kube_object_skipped(items->u.arr.items[i]))
			w->stats.skipped++;
	if (w->sink.replace)
		w->sink.replace(w->sink.ud, items);
	else
		json_free(items);
}

static void watch_begin_list(struct watch *w)
{
	struct kube_list_options o = {
		.label_selector = w->label_selector,
		.field_selector = w->field_selector,
		.limit = w->page_size,
		.object_limits = &w->limits,
		.prepare = w->sink.prepare,
		.prepare_ud = w->sink.ud,
	};
	struct error err;

	w->state = WATCH_LISTING;
	w->req_id = kube_list_submit(w->client, w->res, w->ns, &o, watch_list_done, w, &err);
	if (w->req_id == 0) {
		w->failures++;
		watch_report(w, err.code, &err);
		watch_retry_later(w, true);
	}
}

static int watch_on_data(void *ud, const char *data, size_t len, struct error *err)
{
	return watch_stream_feed(ud, data, len, err);
}

static void watch_stream_done(void *ud, int rc, struct kube_response *resp, const struct error *err)
{
	struct watch *w = ud;

	w->req_id = 0;
	if (rc < 0)
		watch_report(w, rc, err);
	switch (watch_stream_end(w, rc)) {
	case WATCH_NEXT_RESUME:
		watch_begin_watch(w);
		break;
	case WATCH_NEXT_RELIST:
		w->stats.relists++;
		watch_begin_list(w);
		break;
	case WATCH_NEXT_RETRY_WATCH:
		watch_retry_later(w, false);
		break;
	case WATCH_NEXT_RETRY_LIST:
		w->stats.relists++;
		watch_retry_later(w, true);
		break;
	}
}

static void watch_begin_watch(struct watch *w)
{
	struct buf path;
	struct kube_http_request r = {0};
	struct error err;
	int span = w->timeout_max_s - w->timeout_min_s;
	int timeout = w->timeout_min_s + (span > 0 ? (int)(backoff_rand_default(&w->rand_state) % (uint64_t)(span + 1)) : 0);

	w->state = WATCH_WATCHING;
	w->gone = false;
	watch_framer_reset(&w->framer);
	buf_init(&path, KUBE_URL_PART_MAX_BYTES);
	kube_path(&path, w->res, w->ns, NULL, NULL);
	buf_appendf(&path, "?watch=1&allowWatchBookmarks=true&timeoutSeconds=%d", timeout);
	if (w->rv) {
		buf_append_str(&path, "&resourceVersion=");
		kube_escape(&path, w->rv);
	}
	/* never "": watch_init keeps an empty selector as NULL */
	kube_selector_query(&path, w->label_selector, w->field_selector);
	r.method = "GET";
	r.path = buf_str(&path);
	r.on_data = watch_on_data;
	r.done = watch_stream_done;
	r.ud = w;
	r.idle_timeout_s = w->idle_timeout_s;
	w->stats.watches++;
	/* the appends above are sticky (buf.h): one check covers the whole path,
	 * so a path past the ceiling is never sent cut off */
	if (buf_error(&path) < 0) {
		error_set(&err, ERR_LIMIT, "watch path longer than %zu bytes", path.max);
		w->req_id = 0;
	} else {
		w->req_id = kube_http_submit(w->client->http, &r, &err);
	}
	buf_cleanup(&path);
	if (w->req_id == 0) {
		w->failures++;
		watch_report(w, err.code, &err);
		watch_retry_later(w, false);
	}
}

void watch_restart(struct watch *w)
{
	watch_stop(w);
	if (w->rv)
		watch_begin_watch(w);
	else
		watch_begin_list(w);
}

int watch_start(struct watch *w, struct error *err)
{
	watch_stop(w);
	w->failures = 0;
	watch_begin_list(w);
	if (w->state == WATCH_WAITING && err)
		*err = w->last_err;
	return w->state == WATCH_WAITING ? w->last_err.code : 0;
}
