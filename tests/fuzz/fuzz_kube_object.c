/* fuzz_kube_object.c - one object decoded within limits, its stub, a List
 * page item by item, and the scanner under them (issue 17).
 *
 * The first byte chooses what the input is fed to: an object, or a List
 * page. Limits are small (depth 8, 64 values) so every refusal path is
 * reached often. Properties:
 *  - the scanner accepts everything json_parse accepts, and finds its end;
 *  - kube_object_decode never crashes or leaks; what it returns is an
 *    object within the limits, without metadata.managedFields;
 *  - it refuses nothing json_parse builds within the same limits, and what
 *    it returns is exactly json_parse's tree (managedFields removed);
 *  - a stub, when there is one, has a name and says why it exists, and a
 *    real object is never mistaken for one;
 *  - kube_list_decode returns a List whose items are all objects.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "fuzz_common.h"
#include "json/json.h"
#include "json/json_scan.h"
#include "kube/object.h"

#define FUZZ_OBJECT_DEPTH 8
#define FUZZ_OBJECT_NODES 64

static void check_scanner(const char *text, size_t len)
{
	struct error err;
	struct json *v = json_parse(text, len, &err);
	size_t start, end;

	if (!v)
		return;
	FUZZ_CHECK(json_scan_value(text, len, &start, &end, &err) == 0, "scanner refused: %s", err.msg);
	while (end < len && (text[end] == ' ' || text[end] == '\t' || text[end] == '\n' || text[end] == '\r'))
		end++;
	FUZZ_CHECK(end == len, "scanner ended at %zu of %zu", end, len);
	json_free(v);
}

static void check_object(const char *text, size_t len)
{
	struct kube_object_limits lim = { .max_depth = FUZZ_OBJECT_DEPTH, .max_nodes = FUZZ_OBJECT_NODES };
	struct json *obj = NULL, *whole, *stub;
	struct error err;
	int rc = kube_object_decode(text, len, &lim, &obj, &err);

	size_t built = 0;

	whole = json_parse_limited(text, len, NULL, &built, &err);
	if (whole && whole->type == JSON_OBJECT) {
		struct json_shape sh;

		/* within the limits even counting what decode skips (managedFields)
		 * and what json_parse built and dropped (duplicate keys) */
		json_shape(whole, &sh);
		if (sh.depth <= FUZZ_OBJECT_DEPTH && built <= FUZZ_OBJECT_NODES)
			FUZZ_CHECK(rc == 0, "refused an object within the limits: %s", err.msg);
		json_object_remove(json_get(whole, "metadata"), "managedFields");
		if (rc == 0)
			FUZZ_CHECK(json_equal(obj, whole), "decoded differently from json_parse");
	}
	if (rc == 0) {
		struct json_shape sh;

		FUZZ_CHECK(obj && obj->type == JSON_OBJECT, "decoded a non-object");
		json_shape(obj, &sh);
		FUZZ_CHECK(sh.depth <= FUZZ_OBJECT_DEPTH, "depth %d past the limit", sh.depth);
		FUZZ_CHECK(sh.nodes <= FUZZ_OBJECT_NODES, "%zu values past the limit", sh.nodes);
		FUZZ_CHECK(!json_path(obj, "metadata", "managedFields", NULL), "managedFields kept");
		FUZZ_CHECK(!kube_object_skipped(obj) || json_get(whole, KUBE_OBJECT_SKIPPED_KEY),
			   "a real object reads as a stub");
		json_free(obj);
	} else {
		FUZZ_CHECK(!obj, "an object returned with an error");
		FUZZ_CHECK(rc == ERR_LIMIT || rc == ERR_INVALID, "unexpected code %d", rc);
		stub = kube_object_stub(text, len, err.msg);
		if (stub) {
			FUZZ_CHECK(json_get_string(json_get(stub, "metadata"), "name"), "a stub without a name");
			FUZZ_CHECK(kube_object_skipped(stub) && strcmp(kube_object_skipped(stub), err.msg) == 0,
				   "a stub without its reason");
			json_free(stub);
		}
	}
	json_free(whole);
}

static void check_list(const char *text, size_t len)
{
	struct kube_object_limits lim = { .max_depth = FUZZ_OBJECT_DEPTH, .max_nodes = FUZZ_OBJECT_NODES };
	struct json *list = NULL;
	struct error err;
	size_t dropped = 0;

	if (kube_list_decode(text, len, &lim, NULL, NULL, &list, &dropped, &err) < 0) {
		FUZZ_CHECK(!list, "a list returned with an error");
		return;
	}
	{
		const struct json *items = json_get(list, "items");

		FUZZ_CHECK(items && items->type == JSON_ARRAY, "a List without an items array");
		for (size_t i = 0; i < items->u.arr.len; i++)
			FUZZ_CHECK(items->u.arr.items[i]->type == JSON_OBJECT, "item %zu is not an object", i);
	}
	json_free(list);
}

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
	const char *text = (const char *)data + 1;

	if (size < 1)
		return 0;
	check_scanner(text, size - 1);
	if (data[0] & 1)
		check_list(text, size - 1);
	else
		check_object(text, size - 1);
	return 0;
}
