/* fuzz_json.c - json_parse and the canonical encoder.
 *
 * Properties, for every input the parser accepts:
 *  - parse(encode(parse(x))) equals parse(x) (json_equal), compact and pretty;
 *  - the canonical encoding is a fixed point: encode(parse(encode(v))) is
 *    byte-identical to encode(v), and so is the encoding of a json_clone;
 *  - json_hash agrees for equal trees.
 * Rejected input must come with an error code. ASan/UBSan catch the rest.
 */
#include <stdint.h>
#include <string.h>

#include "core/buf.h"
#include "core/error.h"
#include "fuzz_common.h"
#include "json/json.h"

#define FUZZ_JSON_OUT_MAX_BYTES (64u * 1024 * 1024)

static void encode(const struct json *v, int flags, struct buf *out)
{
	int rc;

	buf_init(out, FUZZ_JSON_OUT_MAX_BYTES);
	rc = json_encode(v, out, flags);
	FUZZ_CHECK(rc == 0, "json_encode failed: %d", rc);
}

static struct json *reparse(const struct buf *text)
{
	struct error err;
	struct json *v;

	error_clear(&err);
	v = json_parse(text->data ? text->data : "", text->len, &err);
	FUZZ_CHECK(v != NULL, "own encoding does not parse: %s\n%.*s", err.msg, (int)text->len,
		   text->data);
	return v;
}

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
	struct error err;
	struct json *a, *b, *c, *clone;
	struct buf ea, eb, pretty, eclone;

	error_clear(&err);
	a = json_parse((const char *)data, size, &err);
	if (!a) {
		FUZZ_CHECK(err.code < 0, "NULL without an error code");
		return 0;
	}
	encode(a, 0, &ea);
	b = reparse(&ea);
	FUZZ_CHECK(json_equal(a, b), "parse(encode(parse(x))) != parse(x): %s", ea.data);
	encode(b, 0, &eb);
	FUZZ_CHECK(ea.len == eb.len && memcmp(ea.data, eb.data, ea.len) == 0,
		   "encoding is not a fixed point: %s vs %s", ea.data, eb.data);
	FUZZ_CHECK(json_hash(a) == json_hash(b), "hash differs for equal trees");

	encode(a, JSON_ENCODE_PRETTY, &pretty);
	c = reparse(&pretty);
	FUZZ_CHECK(json_equal(a, c), "pretty encoding does not round trip: %s", pretty.data);

	clone = json_clone(a);
	FUZZ_CHECK(json_equal(a, clone), "clone differs");
	encode(clone, 0, &eclone);
	FUZZ_CHECK(eclone.len == ea.len && memcmp(eclone.data, ea.data, ea.len) == 0,
		   "clone encodes differently");

	buf_cleanup(&ea);
	buf_cleanup(&eb);
	buf_cleanup(&pretty);
	buf_cleanup(&eclone);
	json_free(a);
	json_free(b);
	json_free(c);
	json_free(clone);
	return 0;
}
