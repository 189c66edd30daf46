/* watch.h - list+watch of one resource, kept consistent across failures.
 *
 * Three layers, each testable on its own:
 *  - struct watch_framer splits a byte stream into newline-terminated lines
 *    in a bounded buffer (WATCH_MAX_LINE_BYTES); a longer line is an error
 *    that resets the framer, never an endless realloc;
 *  - watch_event_parse turns one line into a typed event (each line is
 *    parsed exactly once, and the object handed on without copying). The
 *    object is decoded on its own within per-object limits (kube/object.h,
 *    managedFields skipped unread): one that is too deep, too large or
 *    unreadable arrives as its stub, so one hostile object is reported and
 *    skipped instead of failing the stream and relisting forever;
 *  - struct watch is the reflector: list (paginated), then watch from the
 *    list's resourceVersion with bookmarks; after a clean end, resume from
 *    the last resourceVersion seen; on 410 Gone, whether as an HTTP status or
 *    as an ERROR event inside a 200 stream, relist; on other failures back off
 *    and retry. Results go to a struct watch_sink (usually a cache). List
 *    pages are decoded item by item in the same way (kube_list_decode).
 *
 * The reflector runs on the client's HTTP loop; nothing here blocks.
 */
#ifndef DEVSERVER_KUBE_WATCH_H
#define DEVSERVER_KUBE_WATCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/attr.h"
#include "core/buf.h"
#include "core/error.h"
#include "json/json.h"
#include "kube/client.h"
#include "kube/object.h"

#define WATCH_MAX_LINE_BYTES (16u * 1024 * 1024) /* one event (etcd objects are <= 1.5 MiB) */
#define WATCH_TIMEOUT_MIN_S 300                  /* server-side watch timeout, randomised */
#define WATCH_TIMEOUT_MAX_S 600
#define WATCH_BACKOFF_BASE_MS 500
#define WATCH_BACKOFF_CAP_MS 30000
#define WATCH_FRAMER_KEEP_BYTES (64u * 1024)     /* line buffer kept between events */
#define WATCH_EVENT_TYPE_MAX_BYTES 64            /* "type" of an event, quotes included */

/* ---- framing --------------------------------------------------------------- */

struct watch_framer {
	struct buf line;     /* an incomplete line carried over between chunks */
	uint64_t released;   /* buffers given back after a line over WATCH_FRAMER_KEEP_BYTES */
};

typedef int (*watch_line_fn)(void *ud, const char *line, size_t len, struct error *err);

void watch_framer_init(struct watch_framer *f, size_t max_line_bytes);
void watch_framer_cleanup(struct watch_framer *f);
void watch_framer_reset(struct watch_framer *f);
/* Calls fn for each complete line in data (without the '\n'; blank lines
 * skipped). Returns 0, fn's negative return (framing stops there), or
 * ERR_LIMIT when a line outgrows the buffer (the framer is reset). */
int watch_framer_feed(struct watch_framer *f, const char *data, size_t len, watch_line_fn fn, void *ud,
		      struct error *err) DS_MUST_USE;

/* ---- events ---------------------------------------------------------------- */

enum watch_event_type {
	WATCH_ADDED,
	WATCH_MODIFIED,
	WATCH_DELETED,
	WATCH_BOOKMARK,
	WATCH_ERROR,
};

struct watch_event {
	enum watch_event_type type;
	struct json *object;   /* owned by the event */
};

/* 0, or ERR_INVALID for a line that is not {"type":..., "object":{...}}.
 * The object is decoded within lim (NULL: the defaults); one that does not
 * fit comes back as its stub (kube_object_skipped(ev->object) says why), and
 * only an object whose name cannot be read either fails the line. */
int watch_event_parse_limited(const char *line, size_t len, const struct kube_object_limits *lim,
			      struct watch_event *ev, struct error *err) DS_MUST_USE;
int watch_event_parse(const char *line, size_t len, struct watch_event *ev, struct error *err) DS_MUST_USE;
const char *watch_event_type_name(enum watch_event_type t);

/* ---- the reflector ------------------------------------------------------- */

struct watch_sink {
	/* A full list: items (a JSON array) replaces everything; ownership passes. */
	void (*replace)(void *ud, struct json *items);
	/* ADDED / MODIFIED / DELETED; ownership of obj passes. obj may be a stub
	 * (kube_object_skipped), for an object that could not be decoded. */
	void (*event)(void *ud, enum watch_event_type type, struct json *obj);
	/* Optional: the reflector's health. rc 0 after each successful (re)list,
	 * a code when a list or watch failed (it retries by itself). */
	void (*status)(void *ud, int rc, const struct error *err);
	void *ud;
	/* Optional: runs on each object a list decodes, page by page, before the
	 * page is merged (a cache's projection), so a list never holds more
	 * than one page of whole objects. */
	kube_object_fn prepare;
};

struct watch_options {
	const char *ns;              /* NULL: all namespaces (or cluster-scoped) */
	const char *label_selector;
	const char *field_selector;
	int timeout_min_s, timeout_max_s; /* 0: WATCH_TIMEOUT_MIN_S / _MAX_S */
	int page_size;               /* 0: KUBE_LIST_PAGE_SIZE */
	long idle_timeout_s;         /* 0: HTTP_STREAM_IDLE_TIMEOUT_S */
	const struct kube_object_limits *object_limits; /* copied; NULL: the defaults */
};

enum watch_state { WATCH_STOPPED, WATCH_LISTING, WATCH_WATCHING, WATCH_WAITING };

/* What to do after a watch stream ended with rc. */
enum watch_next { WATCH_NEXT_RESUME, WATCH_NEXT_RELIST, WATCH_NEXT_RETRY_WATCH, WATCH_NEXT_RETRY_LIST };

struct watch_stats {
	uint64_t lists, watches, relists, events, bookmarks, errors;
	uint64_t gone_in_band;   /* 410s that came as ERROR events in a 200 stream */
	uint64_t skipped;        /* objects delivered as stubs (lists and events) */
};

struct watch {
	struct kube_client *client;        /* borrowed */
	const struct kube_resource *res;   /* borrowed */
	char *ns, *label_selector, *field_selector;
	int timeout_min_s, timeout_max_s, page_size;
	long idle_timeout_s;
	struct kube_object_limits limits;
	struct watch_sink sink;
	struct watch_framer framer;
	char *rv;                  /* last resourceVersion seen (list, event, bookmark) */
	enum watch_state state;
	bool gone;                 /* the stream carried an in-band 410 */
	int failures;              /* consecutive; drives the backoff */
	uint64_t req_id, timer_id;
	uint64_t rand_state;
	struct error last_err;
	struct watch_stats stats;
};

/* Caller-allocated. client, res and sink must outlive the watch; the option
 * strings are copied. Nothing happens until watch_start. */
void watch_init(struct watch *w, struct kube_client *client, const struct kube_resource *res,
		const struct watch_options *o, const struct watch_sink *sink);
/* Starts with a list. 0, or the code of a list request that could not start. */
int watch_start(struct watch *w, struct error *err) DS_MUST_USE;
/* Drops the current stream or timer and watches again from w->rv (or lists
 * when there is none). Integration tests force a relist with a stale rv. */
void watch_restart(struct watch *w);
/* Cancels the current request or timer; the sink gets nothing more. */
void watch_stop(struct watch *w);
void watch_cleanup(struct watch *w);

/* The stream half, exposed so it can be tested without a server: feeds
 * stream bytes (events go to the sink, bookmarks move the resourceVersion)
 * and returns 0, ERR_GONE on an in-band 410, or another error code for an
 * ERROR event, a bad line or an oversize line. */
int watch_stream_feed(struct watch *w, const char *data, size_t len, struct error *err) DS_MUST_USE;
/* Decides what follows a stream's end (rc 0 = the server closed it cleanly). */
enum watch_next watch_stream_end(struct watch *w, int rc);
/* The list half: a whole List (ownership passes) as kube_list_submit
 * delivers it - the resourceVersion to watch from, the items (stubs
 * counted) to the sink's replace. The reflector then starts the watch. */
void watch_list_apply(struct watch *w, struct json *list);

#endif
