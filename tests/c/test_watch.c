/* test_watch.c - src/kube/watch without a server: the line framer fed in
 * random chunk sizes down to one byte, event parsing, and the reflector's
 * stream half (events, bookmarks, in-band 410 and other ERROR events,
 * oversize lines) with the decisions taken when a stream ends; hostile
 * objects (issue 17): a stream and a list page with one over-deep object go
 * on, the object arriving as its stub. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "core/mem.h"
#include "kube/object.h"
#include "kube/watch.h"

/* ---- framer -------------------------------------------------------------- */

struct lines {
	char *got[64];
	size_t n;
	int fail_at;   /* return an error on this line (1-based), 0 never */
};

static int collect(void *ud, const char *line, size_t len, struct error *err)
{
	struct lines *l = ud;

	assert_true(l->n < 64);
	l->got[l->n++] = mem_strndup(line, len);
	if (l->fail_at && (int)l->n == l->fail_at)
		return error_set(err, ERR_INVALID, "stop");
	return 0;
}

static void lines_free(struct lines *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->got[i]);
	l->n = 0;
}

/* Feeds text in chunks of random size 1..maxchunk. */
static int feed_random(struct watch_framer *f, const char *text, size_t maxchunk, unsigned *seed,
		       watch_line_fn fn, void *ud, struct error *err)
{
	size_t len = strlen(text), i = 0;

	while (i < len) {
		size_t n = 1 + (size_t)rand_r(seed) % maxchunk;
		int rc;

		if (n > len - i)
			n = len - i;
		if ((rc = watch_framer_feed(f, text + i, n, fn, ud, err)) < 0)
			return rc;
		i += n;
	}
	return 0;
}

static void test_framer_random_chunks(void **state)
{
	const char *text = "first\nsecond line\r\n\n\nthird {\"a\":[1,2,3]}\nx\n"
			   "a much longer line that will straddle many chunks of any size at all\nlast\n";
	const char *want[] = {"first", "second line", "third {\"a\":[1,2,3]}", "x",
			      "a much longer line that will straddle many chunks of any size at all", "last"};
	unsigned seed = 42;

	for (int round = 0; round < 500; round++) {
		struct watch_framer f;
		struct lines l = {0};
		struct error err;
		size_t maxchunk = round < 100 ? 1 : 1 + (size_t)(round % 40);

		watch_framer_init(&f, 1024);
		assert_int_equal(feed_random(&f, text, maxchunk, &seed, collect, &l, &err), 0);
		assert_int_equal(l.n, 6);
		for (size_t i = 0; i < 6; i++)
			assert_string_equal(l.got[i], want[i]);
		assert_int_equal(f.line.len, 0);
		lines_free(&l);
		watch_framer_cleanup(&f);
	}
}

static void test_framer_partial_line_waits(void **state)
{
	struct watch_framer f;
	struct lines l = {0};
	struct error err;

	watch_framer_init(&f, 1024);
	assert_int_equal(watch_framer_feed(&f, "{\"type\":", 8, collect, &l, &err), 0);
	assert_int_equal(l.n, 0);
	assert_int_equal(f.line.len, 8);
	assert_int_equal(watch_framer_feed(&f, "1}\n{\"b\"", 7, collect, &l, &err), 0);
	assert_int_equal(l.n, 1);
	assert_string_equal(l.got[0], "{\"type\":1}");
	assert_string_equal(buf_str(&f.line), "{\"b\"");
	lines_free(&l);
	watch_framer_cleanup(&f);
}

static void test_framer_oversize_line_resets(void **state)
{
	struct watch_framer f;
	struct lines l = {0};
	struct error err;
	char big[200];

	memset(big, 'x', sizeof(big));
	watch_framer_init(&f, 64);
	/* across chunks */
	assert_int_equal(watch_framer_feed(&f, big, 50, collect, &l, &err), 0);
	assert_int_equal(watch_framer_feed(&f, big, 50, collect, &l, &err), ERR_LIMIT);
	assert_non_null(strstr(err.msg, "longer than 64"));
	assert_int_equal(f.line.len, 0);
	assert_null(f.line.data); /* memory released */
	/* within one chunk, newline included */
	big[150] = '\n';
	assert_int_equal(watch_framer_feed(&f, big, 151, collect, &l, &err), ERR_LIMIT);
	/* the framer works again after the reset */
	assert_int_equal(watch_framer_feed(&f, "ok\n", 3, collect, &l, &err), 0);
	assert_int_equal(l.n, 1);
	assert_string_equal(l.got[0], "ok");
	/* exactly at the limit is fine */
	memset(big, 'y', 64);
	big[64] = '\n';
	assert_int_equal(watch_framer_feed(&f, big, 30, collect, &l, &err), 0);
	assert_int_equal(watch_framer_feed(&f, big + 30, 35, collect, &l, &err), 0);
	assert_int_equal(strlen(l.got[1]), 64);
	lines_free(&l);
	watch_framer_cleanup(&f);
}

static void test_framer_releases_a_huge_line(void **state)
{
	struct watch_framer f;
	struct lines l = {0};
	struct error err;
	size_t n = WATCH_FRAMER_KEEP_BYTES * 4;
	char *big = malloc(n + 1);

	memset(big, 'h', n);
	big[n] = '\n';
	watch_framer_init(&f, n * 2);
	/* a line that straddles chunks is assembled in the buffer ... */
	assert_int_equal(watch_framer_feed(&f, big, n / 2, collect, &l, &err), 0);
	assert_true(f.line.cap >= n / 2);
	assert_int_equal(watch_framer_feed(&f, big + n / 2, n - n / 2 + 1, collect, &l, &err), 0);
	assert_int_equal(l.n, 1);
	assert_int_equal(strlen(l.got[0]), n);
	/* ... and the buffer goes back once it is handed out */
	assert_null(f.line.data);
	assert_int_equal(f.line.cap, 0);
	assert_int_equal(f.released, 1);
	/* a small one straddling chunks keeps its buffer for the next */
	assert_int_equal(watch_framer_feed(&f, "ab", 2, collect, &l, &err), 0);
	assert_int_equal(watch_framer_feed(&f, "c\n", 2, collect, &l, &err), 0);
	assert_string_equal(l.got[1], "abc");
	assert_non_null(f.line.data);
	lines_free(&l);
	watch_framer_cleanup(&f);
	free(big);
}

static void test_framer_callback_error_stops(void **state)
{
	struct watch_framer f;
	struct lines l = {.fail_at = 2};
	struct error err;

	watch_framer_init(&f, 64);
	assert_int_equal(watch_framer_feed(&f, "a\nb\nc\n", 6, collect, &l, &err), ERR_INVALID);
	assert_int_equal(l.n, 2);
	lines_free(&l);
	watch_framer_cleanup(&f);
}

/* ---- events ---------------------------------------------------------------- */

static void test_event_parse(void **state)
{
	struct watch_event ev;
	struct error err;
	const char *ok = "{\"type\":\"MODIFIED\",\"object\":{\"kind\":\"ConfigMap\",\"metadata\":{\"name\":\"a\"}}}";
	const char *bad[] = {
		"not json", "{\"type\":\"EXPLODED\",\"object\":{}}", "{\"object\":{}}",
		"{\"type\":\"ADDED\"}", "{\"type\":\"ADDED\",\"object\":[]}", "[1,2]",
	};

	assert_int_equal(watch_event_parse(ok, strlen(ok), &ev, &err), 0);
	assert_int_equal(ev.type, WATCH_MODIFIED);
	assert_string_equal(json_get_string(ev.object, "kind"), "ConfigMap");
	json_free(ev.object);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(watch_event_parse(bad[i], strlen(bad[i]), &ev, &err), ERR_INVALID);
		assert_null(ev.object);
	}
	assert_string_equal(watch_event_type_name(WATCH_BOOKMARK), "BOOKMARK");
	{
		const char *null_obj = "{\"type\":\"ADDED\",\"object\":null}";

		assert_int_equal(watch_event_parse(null_obj, strlen(null_obj), &ev, &err), ERR_INVALID);
		assert_null(ev.object);
	}
}

/* {"type":TYPE,"object":<a ConfigMap NAME whose data nests LEVELS objects>}
 * (name NULL: no name), with a newline. Caller frees. */
static char *deep_event(const char *type, const char *name, const char *rv, int levels)
{
	struct buf b;

	buf_init(&b, 1 << 22);
	buf_appendf(&b, "{\"type\":\"%s\",\"object\":{\"kind\":\"ConfigMap\",\"metadata\":{", type);
	if (name)
		buf_appendf(&b, "\"name\":\"%s\",\"namespace\":\"ns\",", name);
	buf_appendf(&b, "\"resourceVersion\":\"%s\"},\"data\":", rv);
	for (int i = 0; i < levels; i++)
		buf_append_str(&b, "{\"a\":");
	buf_append_str(&b, "\"x\"");
	for (int i = 0; i < levels; i++)
		buf_append_char(&b, '}');
	buf_append_str(&b, "}}\n");
	return buf_take(&b);
}

static void test_event_parse_hostile_object(void **state)
{
	struct watch_event ev;
	struct error err;
	char *line = deep_event("ADDED", "deep", "7", 130);
	struct kube_object_limits tight = {.max_nodes = 3};

	/* the object arrives as its stub: name, resourceVersion, why */
	assert_int_equal(watch_event_parse(line, strlen(line) - 1, &ev, &err), 0);
	assert_int_equal(ev.type, WATCH_ADDED);
	assert_non_null(kube_object_skipped(ev.object));
	assert_non_null(strstr(kube_object_skipped(ev.object), "deeper than"));
	assert_string_equal(json_get_string(json_get(ev.object, "metadata"), "name"), "deep");
	assert_string_equal(json_get_string(json_get(ev.object, "metadata"), "resourceVersion"), "7");
	assert_null(json_get(ev.object, "data"));
	json_free(ev.object);
	free(line);
	/* 10,000 levels: the same, and no recursion on the way */
	line = deep_event("MODIFIED", "deeper", "8", 10000);
	assert_int_equal(watch_event_parse(line, strlen(line) - 1, &ev, &err), 0);
	assert_non_null(kube_object_skipped(ev.object));
	json_free(ev.object);
	free(line);
	/* a caller's own limits */
	line = deep_event("ADDED", "small", "9", 1);
	assert_int_equal(watch_event_parse(line, strlen(line) - 1, &ev, &err), 0);
	assert_null(kube_object_skipped(ev.object));
	json_free(ev.object);
	assert_int_equal(watch_event_parse_limited(line, strlen(line) - 1, &tight, &ev, &err), 0);
	assert_non_null(strstr(kube_object_skipped(ev.object), "values"));
	json_free(ev.object);
	free(line);
	/* without a readable name nothing can be keyed: the line fails */
	line = deep_event("ADDED", NULL, "10", 130);
	assert_int_equal(watch_event_parse(line, strlen(line) - 1, &ev, &err), ERR_INVALID);
	assert_null(ev.object);
	assert_non_null(strstr(err.msg, "readable name"));
	free(line);
}

/* ---- reflector stream half -------------------------------------------------- */

struct rec {
	int added, modified, deleted;
	char last_name[64];
};

static void rec_event(void *ud, enum watch_event_type t, struct json *obj)
{
	struct rec *r = ud;
	const char *n = json_get_string(json_get(obj, "metadata"), "name");

	r->added += t == WATCH_ADDED;
	r->modified += t == WATCH_MODIFIED;
	r->deleted += t == WATCH_DELETED;
	snprintf(r->last_name, sizeof(r->last_name), "%s", n ? n : "");
	json_free(obj);
}

static void rec_replace(void *ud, struct json *items)
{
	json_free(items);
}

#define EV(type, name, rv) \
	"{\"type\":\"" type "\",\"object\":{\"kind\":\"ConfigMap\",\"metadata\":{\"name\":\"" name \
	"\",\"namespace\":\"ns\",\"resourceVersion\":\"" rv "\"}}}\n"

static const char *stream =
	EV("ADDED", "a", "101")
	EV("ADDED", "b", "102")
	EV("MODIFIED", "a", "103")
	"{\"type\":\"BOOKMARK\",\"object\":{\"kind\":\"ConfigMap\",\"metadata\":{\"resourceVersion\":\"110\"}}}\n"
	EV("DELETED", "b", "111")
	"{\"type\":\"BOOKMARK\",\"object\":{\"kind\":\"ConfigMap\",\"metadata\":{\"resourceVersion\":\"120\"}}}\n";

static void setup_watch(struct watch *w, struct rec *r)
{
	struct watch_sink sink = {.replace = rec_replace, .event = rec_event, .ud = r};

	memset(r, 0, sizeof(*r));
	watch_init(w, NULL, NULL, NULL, &sink);
}

/* Feeds text to the reflector in random chunks; returns the first error. */
static int feed_watch(struct watch *w, const char *text, size_t maxchunk, unsigned *seed, struct error *err)
{
	size_t len = strlen(text), i = 0;

	while (i < len) {
		size_t n = 1 + (size_t)rand_r(seed) % maxchunk;
		int rc;

		if (n > len - i)
			n = len - i;
		if ((rc = watch_stream_feed(w, text + i, n, err)) < 0)
			return rc;
		i += n;
	}
	return 0;
}

static void test_stream_events_and_bookmarks(void **state)
{
	unsigned seed = 7;

	for (int round = 0; round < 200; round++) {
		struct watch w;
		struct rec r;
		struct error err;

		setup_watch(&w, &r);
		assert_int_equal(feed_watch(&w, stream, round < 50 ? 1 : 1 + (size_t)round, &seed, &err), 0);
		assert_int_equal(r.added, 2);
		assert_int_equal(r.modified, 1);
		assert_int_equal(r.deleted, 1);
		assert_string_equal(r.last_name, "b");
		assert_string_equal(w.rv, "120"); /* the last bookmark moved it */
		assert_int_equal(w.stats.events, 4);
		assert_int_equal(w.stats.bookmarks, 2);
		/* a clean end resumes from there */
		assert_int_equal(watch_stream_end(&w, 0), WATCH_NEXT_RESUME);
		watch_cleanup(&w);
	}
}

static void test_stream_in_band_410_relists(void **state)
{
	const char *text = EV("ADDED", "a", "101")
		"{\"type\":\"ERROR\",\"object\":{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"status\":\"Failure\","
		"\"message\":\"too old resource version: 101 (205)\",\"reason\":\"Expired\",\"code\":410}}\n"
		EV("ADDED", "never", "300");
	unsigned seed = 3;

	for (int round = 0; round < 100; round++) {
		struct watch w;
		struct rec r;
		struct error err;

		setup_watch(&w, &r);
		assert_int_equal(feed_watch(&w, text, 1 + (size_t)round % 17, &seed, &err), ERR_GONE);
		assert_true(w.gone);
		assert_int_equal(w.stats.gone_in_band, 1);
		assert_non_null(strstr(err.msg, "too old resource version"));
		assert_int_equal(r.added, 1); /* nothing after the error is applied */
		assert_int_equal(watch_stream_end(&w, ERR_GONE), WATCH_NEXT_RELIST);
		watch_cleanup(&w);
	}
}

static void test_stream_other_errors(void **state)
{
	struct watch w;
	struct rec r;
	struct error err;
	const char *e500 = "{\"type\":\"ERROR\",\"object\":{\"kind\":\"Status\",\"code\":500,\"message\":\"internal\"}}\n";
	const char *garbage = "{\"type\":\"ADDED\",\"object\":{\"metadata\":{\"name\":\"x\"\n";
	char big[256];

	setup_watch(&w, &r);
	assert_int_equal(watch_stream_feed(&w, e500, strlen(e500), &err), ERR_RETRY);
	assert_false(w.gone);
	assert_int_equal(watch_stream_end(&w, ERR_RETRY), WATCH_NEXT_RETRY_WATCH);
	assert_int_equal(w.failures, 1);
	/* a line that is not an event: events may be lost, relist (after backoff) */
	watch_framer_reset(&w.framer);
	assert_int_equal(watch_stream_feed(&w, garbage, strlen(garbage), &err), ERR_INVALID);
	assert_int_equal(watch_stream_end(&w, ERR_INVALID), WATCH_NEXT_RETRY_LIST);
	/* an oversize line */
	watch_framer_cleanup(&w.framer);
	watch_framer_init(&w.framer, 100);
	memset(big, 'z', sizeof(big));
	assert_int_equal(watch_stream_feed(&w, big, sizeof(big), &err), ERR_LIMIT);
	assert_int_equal(watch_stream_end(&w, ERR_LIMIT), WATCH_NEXT_RETRY_LIST);
	/* HTTP-level 410 when (re)starting the watch */
	assert_int_equal(watch_stream_end(&w, ERR_GONE), WATCH_NEXT_RELIST);
	assert_int_equal(watch_stream_end(&w, ERR_UNAUTHORIZED), WATCH_NEXT_RETRY_LIST);
	assert_int_equal(w.stats.errors, 5);
	watch_cleanup(&w);
}

struct stubs {
	int events, stubs;
	char names[8][32];
};

static void stubs_event(void *ud, enum watch_event_type t, struct json *obj)
{
	struct stubs *s = ud;
	const char *n = json_get_string(json_get(obj, "metadata"), "name");

	if (s->events < 8)
		snprintf(s->names[s->events], sizeof(s->names[0]), "%s%s", kube_object_skipped(obj) ? "stub:" : "",
			 n ? n : "");
	s->events++;
	s->stubs += kube_object_skipped(obj) != NULL;
	json_free(obj);
}

static void test_stream_with_one_over_deep_object(void **state)
{
	char *deep1 = deep_event("ADDED", "deep", "202", 130);
	char *deep2 = deep_event("MODIFIED", "deep", "204", 130);
	char *deep3 = deep_event("DELETED", "deep", "205", 130);
	struct buf text;
	unsigned seed = 11;

	buf_init(&text, 1 << 22);
	buf_append_str(&text, EV("ADDED", "a", "201"));
	buf_append_str(&text, deep1);
	buf_append_str(&text, EV("ADDED", "c", "203"));
	buf_append_str(&text, deep2);
	buf_append_str(&text, deep3);
	buf_append_str(&text, EV("MODIFIED", "a", "206"));
	for (int round = 0; round < 40; round++) {
		struct watch w;
		struct stubs st = {0};
		struct watch_sink sink = {.replace = rec_replace, .event = stubs_event, .ud = &st};
		struct error err;

		watch_init(&w, NULL, NULL, NULL, &sink);
		/* no error: the stream goes on past the bad object */
		assert_int_equal(feed_watch(&w, buf_str(&text), round < 10 ? 7 : 1 + (size_t)round * 97, &seed,
					    &err), 0);
		assert_int_equal(st.events, 6);
		assert_int_equal(st.stubs, 3);
		assert_string_equal(st.names[0], "a");
		assert_string_equal(st.names[1], "stub:deep");
		assert_string_equal(st.names[2], "c");
		assert_string_equal(st.names[4], "stub:deep");  /* its deletion reaches the sink too */
		assert_string_equal(st.names[5], "a");
		assert_int_equal(w.stats.skipped, 3);
		assert_int_equal(w.stats.events, 6);
		assert_string_equal(w.rv, "206");
		/* and a clean end resumes the watch: no relist */
		assert_int_equal(watch_stream_end(&w, 0), WATCH_NEXT_RESUME);
		assert_int_equal(w.failures, 0);
		watch_cleanup(&w);
	}
	buf_cleanup(&text);
	free(deep1);
	free(deep2);
	free(deep3);
}

struct replaced {
	int items, stubs;
	char names[4][32];
};

static void replaced_list(void *ud, struct json *items)
{
	struct replaced *r = ud;

	for (size_t i = 0; i < items->u.arr.len; i++) {
		const struct json *o = items->u.arr.items[i];

		if (i < 4)
			snprintf(r->names[i], sizeof(r->names[0]), "%s%s", kube_object_skipped(o) ? "stub:" : "",
				 json_get_string(json_get(o, "metadata"), "name"));
		r->stubs += kube_object_skipped(o) != NULL;
	}
	r->items = (int)items->u.arr.len;
	json_free(items);
}

static void test_list_page_with_one_over_deep_item(void **state)
{
	char *deep = deep_event("ADDED", "deep", "12", 130);
	char *obj = strstr(deep, "\"object\":") + 9;
	struct buf page;
	struct json *list = NULL;
	struct replaced r = {0};
	struct watch_sink sink = {.replace = replaced_list, .event = rec_event, .ud = &r};
	struct watch w;
	struct error err;

	obj[strlen(obj) - 2] = '\0'; /* the object alone: drop the envelope's "}\n" */
	buf_init(&page, 1 << 22);
	buf_appendf(&page, "{\"kind\":\"ConfigMapList\",\"apiVersion\":\"v1\",\"metadata\":{\"resourceVersion\":\"300\"},"
		    "\"items\":[{\"metadata\":{\"name\":\"a\",\"namespace\":\"ns\"}},%s,"
		    "{\"metadata\":{\"name\":\"b\",\"namespace\":\"ns\"}}]}", obj);
	/* what kube_list_submit does with each page ... */
	assert_int_equal(kube_list_decode(buf_str(&page), page.len, NULL, NULL, NULL, &list, NULL, &err), 0);
	/* ... and what the reflector does with the list */
	watch_init(&w, NULL, NULL, NULL, &sink);
	watch_list_apply(&w, list);
	assert_int_equal(r.items, 3);
	assert_int_equal(r.stubs, 1);
	assert_string_equal(r.names[0], "a");
	assert_string_equal(r.names[1], "stub:deep");
	assert_string_equal(r.names[2], "b");
	assert_string_equal(w.rv, "300");           /* the watch starts from the list */
	assert_int_equal(w.stats.lists, 1);
	assert_int_equal(w.stats.skipped, 1);
	watch_cleanup(&w);
	buf_cleanup(&page);
	free(deep);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_framer_random_chunks),
		cmocka_unit_test(test_framer_partial_line_waits),
		cmocka_unit_test(test_framer_oversize_line_resets),
		cmocka_unit_test(test_framer_releases_a_huge_line),
		cmocka_unit_test(test_framer_callback_error_stops),
		cmocka_unit_test(test_event_parse),
		cmocka_unit_test(test_event_parse_hostile_object),
		cmocka_unit_test(test_stream_events_and_bookmarks),
		cmocka_unit_test(test_stream_in_band_410_relists),
		cmocka_unit_test(test_stream_other_errors),
		cmocka_unit_test(test_stream_with_one_over_deep_object),
		cmocka_unit_test(test_list_page_with_one_over_deep_item),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
