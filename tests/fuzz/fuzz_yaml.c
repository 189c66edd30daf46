/* fuzz_yaml.c - yaml_doc_parse_all and the YAML emitter.
 *
 * Properties, for every document of a stream the parser accepts:
 *  - yaml_doc_parse(yaml_doc_encode(d)) equals d (json_equal): the emitter's
 *    quoting keeps every scalar's type under the 1.2 core schema;
 *  - the emitter is deterministic: encoding the re-parsed tree gives the
 *    same bytes;
 *  - the tree is also valid JSON: json_parse(json_encode(d)) equals d.
 * The only allowed encoding failure is ERR_LIMIT for a tree nested deeper
 * than JSON_MAX_DEPTH (aliases can build one from shallow text).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "core/error.h"
#include "fuzz_common.h"
#include "json/json.h"
#include "json/yaml_doc.h"

#define FUZZ_YAML_OUT_MAX_BYTES (64u * 1024 * 1024)

static size_t depth_of(const struct json *v)
{
	size_t d = 0;

	if (v->type == JSON_ARRAY)
		for (size_t i = 0; i < v->u.arr.len; i++) {
			size_t c = depth_of(v->u.arr.items[i]);
			d = c > d ? c : d;
		}
	else if (v->type == JSON_OBJECT)
		for (size_t i = 0; i < v->u.obj.len; i++) {
			size_t c = depth_of(v->u.obj.items[i].value);
			d = c > d ? c : d;
		}
	else
		return 0;
	return d + 1;
}

static void check_doc(const struct json *d)
{
	struct error err;
	struct buf y1, y2, j;
	struct json *back, *jback;
	int rc;

	buf_init(&y1, FUZZ_YAML_OUT_MAX_BYTES);
	error_clear(&err);
	rc = yaml_doc_encode(d, &y1, &err);
	if (rc < 0) {
		FUZZ_CHECK(rc == ERR_LIMIT && depth_of(d) > JSON_MAX_DEPTH,
			   "yaml_doc_encode failed: %d %s", rc, err.msg);
		FUZZ_CHECK(y1.len == 0, "failed encode left output behind");
		buf_cleanup(&y1);
		return;
	}
	error_clear(&err);
	back = yaml_doc_parse(y1.data ? y1.data : "", y1.len, &err);
	FUZZ_CHECK(back != NULL, "own YAML does not parse: %s\n%s", err.msg, y1.data);
	FUZZ_CHECK(json_equal(d, back), "YAML round trip changed the document:\n%s", y1.data);

	buf_init(&y2, FUZZ_YAML_OUT_MAX_BYTES);
	rc = yaml_doc_encode(back, &y2, &err);
	FUZZ_CHECK(rc == 0, "re-encode failed: %s", err.msg);
	FUZZ_CHECK(y1.len == y2.len && memcmp(y1.data, y2.data, y1.len) == 0,
		   "YAML encoding not deterministic:\n%s\n---\n%s", y1.data, y2.data);

	buf_init(&j, FUZZ_YAML_OUT_MAX_BYTES);
	rc = json_encode(d, &j, 0);
	FUZZ_CHECK(rc == 0, "json_encode of a YAML tree failed: %d", rc);
	error_clear(&err);
	jback = json_parse(j.data ? j.data : "", j.len, &err);
	FUZZ_CHECK(jback != NULL, "JSON of a YAML tree does not parse: %s", err.msg);
	FUZZ_CHECK(json_equal(d, jback), "JSON round trip of a YAML tree changed it: %s", j.data);

	json_free(back);
	json_free(jback);
	buf_cleanup(&y1);
	buf_cleanup(&y2);
	buf_cleanup(&j);
}

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
	struct error err;
	struct json **docs = NULL;
	size_t n = 0;
	int rc;

	error_clear(&err);
	rc = yaml_doc_parse_all((const char *)data, size, &docs, &n, &err);
	if (rc < 0) {
		FUZZ_CHECK(err.code < 0 && err.msg[0], "failure without an error message");
		return 0;
	}
	for (size_t i = 0; i < n; i++) {
		check_doc(docs[i]);
		json_free(docs[i]);
	}
	free(docs);
	return 0;
}
