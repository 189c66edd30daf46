/* test_watch.c - src/kube/watch without a server: the line framer fed in
 * random chunk sizes down to one byte, event parsing, and the reflector's
 * stream half (events, bookmarks, in-band 410 and other ERROR events,
 * oversize lines) with the decisions taken when a stream ends. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/mem.h"
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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_framer_random_chunks),
		cmocka_unit_test(test_framer_partial_line_waits),
		cmocka_unit_test(test_framer_oversize_line_resets),
		cmocka_unit_test(test_framer_callback_error_stops),
		cmocka_unit_test(test_event_parse),
		cmocka_unit_test(test_stream_events_and_bookmarks),
		cmocka_unit_test(test_stream_in_band_410_relists),
		cmocka_unit_test(test_stream_other_errors),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
