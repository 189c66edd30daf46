/* fuzz_watch.c - the watch stream: framer + event parser + reflector feed.
 *
 * The first bytes of an input choose chunk sizes; the rest is the stream.
 * The line limit is small (FUZZ_WATCH_MAX_LINE_BYTES) so the oversize path
 * is reached often. Properties:
 *  - framing does not depend on how the stream is split: the lines a framer
 *    hands out when fed chunk by chunk are exactly those it hands out when
 *    fed the whole stream at once, and both stop with an error at the same
 *    point (a real stream is dropped after the first error);
 *  - no line handed out contains '\n', is empty, or exceeds the limit (one
 *    '\r' before the '\n' is dropped; a second one is content, and JSON
 *    whitespace);
 *  - watch_stream_feed (framer + watch_event_parse + the reflector's
 *    bookkeeping, no client) never crashes or leaks, and every event that
 *    reaches the sink is a JSON object.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "core/error.h"
#include "fuzz_common.h"
#include "json/json.h"
#include "kube/watch.h"

#define FUZZ_WATCH_MAX_LINE_BYTES 512
#define FUZZ_WATCH_MAX_LINES 4096

struct lines {
	uint64_t hash[FUZZ_WATCH_MAX_LINES];
	size_t len[FUZZ_WATCH_MAX_LINES];
	size_t n;
};

static uint64_t fnv(const char *p, size_t n)
{
	uint64_t h = 1469598103934665603ull;

	for (size_t i = 0; i < n; i++)
		h = (h ^ (unsigned char)p[i]) * 1099511628211ull;
	return h;
}

static int on_line(void *ud, const char *line, size_t len, struct error *err)
{
	struct lines *l = ud;

	FUZZ_CHECK(len > 0, "empty line handed out");
	FUZZ_CHECK(len <= FUZZ_WATCH_MAX_LINE_BYTES, "line of %zu bytes past the limit", len);
	FUZZ_CHECK(!memchr(line, '\n', len), "line contains a newline");
	if (l->n < FUZZ_WATCH_MAX_LINES) {
		l->hash[l->n] = fnv(line, len);
		l->len[l->n] = len;
	}
	l->n++;
	/* a line starting with '!' stops framing, like a bad event does */
	return line[0] == '!' ? error_set(err, ERR_INVALID, "stop") : 0;
}

static void sink_event(void *ud, enum watch_event_type type, struct json *obj)
{
	FUZZ_CHECK(obj && obj->type == JSON_OBJECT, "sink got a non-object");
	FUZZ_CHECK(type == WATCH_ADDED || type == WATCH_MODIFIED || type == WATCH_DELETED,
		   "sink got event type %d", (int)type);
	json_free(obj);
}

static void sink_replace(void *ud, struct json *items)
{
	json_free(items);
}

/* Feeds data in the chunk sizes the seed bytes choose; returns the first
 * error code (0 if none). */
static int feed_split(struct watch_framer *f, const char *data, size_t len, const unsigned char *seed,
		      size_t nseed, struct lines *l)
{
	struct error err;
	size_t off = 0, k = 0;

	while (off < len) {
		size_t chunk = nseed ? (size_t)seed[k++ % nseed] % 97 + 1 : len;
		int rc;

		if (chunk > len - off)
			chunk = len - off;
		error_clear(&err);
		rc = watch_framer_feed(f, data + off, chunk, on_line, l, &err);
		if (rc < 0)
			return rc;
		off += chunk;
	}
	return 0;
}

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
	static struct lines whole, split;
	struct watch_framer fw, fs;
	struct watch_sink sink = {.replace = sink_replace, .event = sink_event};
	struct watch w;
	struct error err;
	size_t nseed;
	const char *stream;
	size_t len;
	int rw, rs, rc;

	if (size < 1)
		return 0;
	nseed = data[0] % 8;
	if (nseed + 1 > size)
		return 0;
	stream = (const char *)data + 1 + nseed;
	len = size - 1 - nseed;

	whole.n = split.n = 0;
	watch_framer_init(&fw, FUZZ_WATCH_MAX_LINE_BYTES);
	watch_framer_init(&fs, FUZZ_WATCH_MAX_LINE_BYTES);
	error_clear(&err);
	rw = watch_framer_feed(&fw, stream, len, on_line, &whole, &err);
	rs = feed_split(&fs, stream, len, data + 1, nseed, &split);
	FUZZ_CHECK((rw < 0) == (rs < 0), "whole feed rc %d, split feed rc %d", rw, rs);
	FUZZ_CHECK(whole.n == split.n, "whole feed gave %zu lines, split feed %zu", whole.n, split.n);
	for (size_t i = 0; i < whole.n && i < FUZZ_WATCH_MAX_LINES; i++)
		FUZZ_CHECK(whole.len[i] == split.len[i] && whole.hash[i] == split.hash[i],
			   "line %zu differs between whole and split feeds", i);
	watch_framer_cleanup(&fw);
	watch_framer_cleanup(&fs);

	/* the reflector's stream half, with no client behind it */
	watch_init(&w, NULL, NULL, NULL, &sink);
	watch_framer_cleanup(&w.framer);
	watch_framer_init(&w.framer, FUZZ_WATCH_MAX_LINE_BYTES);
	{
		size_t off = 0, k = 0;

		while (off < len) {
			size_t chunk = nseed ? (size_t)data[1 + k++ % nseed] % 97 + 1 : len;

			if (chunk > len - off)
				chunk = len - off;
			error_clear(&err);
			rc = watch_stream_feed(&w, stream + off, chunk, &err);
			off += chunk;
			if (rc < 0) {
				FUZZ_CHECK(err.code == rc, "rc %d but err.code %d", rc, err.code);
				(void)watch_stream_end(&w, rc);
				watch_framer_reset(&w.framer); /* a new stream starts clean */
			}
		}
	}
	watch_cleanup(&w);
	return 0;
}
