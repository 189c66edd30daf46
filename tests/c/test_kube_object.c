/* test_kube_object.c - src/kube/object: decoding one object within limits
 * (depth, values, bytes; managedFields skipped unread), the stub of an object
 * that does not fit, the same limits on built trees, and List pages decoded
 * item by item so that one bad item does not sink the page. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "kube/object.h"
#include "support/testutil.h"

#define META(name) \
	"\"metadata\":{\"name\":\"" name "\",\"namespace\":\"ns\",\"uid\":\"uid-" name "\"," \
	"\"resourceVersion\":\"42\",\"generation\":3,\"creationTimestamp\":\"2026-01-02T03:04:05Z\"," \
	"\"labels\":{\"app\":\"x\"}"

/* A DevServer whose spec.distributed.ncclSettings nests `levels` objects;
 * its managedFields mirror them, as the API server's do. Caller frees. */
static char *deep_devserver(const char *name, int levels, int managed_levels)
{
	struct buf b;

	buf_init(&b, 1 << 24);
	buf_appendf(&b, "{\"apiVersion\":\"devserver.io/v1\",\"kind\":\"DevServer\","
		    "\"metadata\":{\"name\":\"%s\",\"namespace\":\"ns\",\"uid\":\"uid-%s\","
		    "\"resourceVersion\":\"42\",\"generation\":3,\"managedFields\":[{\"manager\":\"kubectl\","
		    "\"fieldsV1\":", name, name);
	for (int i = 0; i < managed_levels; i++)
		buf_append_str(&b, "{\"f:a\":");
	buf_append_str(&b, "{}");
	for (int i = 0; i < managed_levels; i++)
		buf_append_char(&b, '}');
	buf_append_str(&b, "}]},\"spec\":{\"distributed\":{\"ncclSettings\":");
	for (int i = 0; i < levels; i++)
		buf_append_str(&b, "{\"a\":");
	buf_append_char(&b, '1');
	for (int i = 0; i < levels; i++)
		buf_append_char(&b, '}');
	buf_append_str(&b, "}},\"status\":{\"phase\":\"Running\",\"conditions\":[{\"type\":\"Ready\","
		       "\"status\":\"True\"}]}}");
	return buf_take(&b);
}

/* A ConfigMap with n labels of small keys. Caller frees. */
static char *labelled_configmap(const char *name, size_t n)
{
	struct buf b;

	buf_init(&b, 1 << 26);
	buf_appendf(&b, "{\"kind\":\"ConfigMap\",\"apiVersion\":\"v1\",\"metadata\":{\"name\":\"%s\","
		    "\"namespace\":\"ns\",\"uid\":\"u\",\"labels\":{", name);
	for (size_t i = 0; i < n; i++)
		buf_appendf(&b, "%s\"k%06zu\":\"v\"", i ? "," : "", i);
	buf_append_str(&b, "}},\"data\":{\"a\":\"b\"}}");
	return buf_take(&b);
}

static void test_decode_drops_managed_fields(void **state)
{
	char *text = deep_devserver("box", 3, 3);
	struct json *obj = NULL, *whole = tu_json(text);
	struct kube_object_limits keep = {.keep_managed_fields = true};
	struct error err;

	assert_int_equal(kube_object_decode(text, strlen(text), NULL, &obj, &err), 0);
	assert_null(json_path(obj, "metadata", "managedFields", NULL));
	assert_non_null(json_path(obj, "spec", "distributed", "ncclSettings", "a", "a", "a", NULL));
	assert_null(kube_object_skipped(obj));
	/* everything else exactly as json_parse reads it */
	json_object_remove(json_get(whole, "metadata"), "managedFields");
	assert_true(json_equal(obj, whole));
	json_free(obj);
	assert_int_equal(kube_object_decode(text, strlen(text), &keep, &obj, &err), 0);
	assert_non_null(json_path(obj, "metadata", "managedFields", NULL));
	json_free(obj);
	json_free(whole);
	free(text);
}

static void test_decode_too_deep(void **state)
{
	char *text = deep_devserver("deep", 130, 131);
	struct json *obj = (struct json *)1, *stub;
	struct error err;

	assert_int_equal(kube_object_decode(text, strlen(text), NULL, &obj, &err), ERR_LIMIT);
	assert_null(obj);
	assert_non_null(strstr(err.msg, "spec"));
	assert_non_null(strstr(err.msg, "deeper than"));
	stub = kube_object_stub(text, strlen(text), err.msg);
	assert_non_null(stub);
	assert_string_equal(kube_object_skipped(stub), err.msg);
	assert_string_equal(json_get_string(stub, "kind"), "DevServer");
	assert_string_equal(json_get_string(stub, "apiVersion"), "devserver.io/v1");
	assert_string_equal(json_get_string(json_get(stub, "metadata"), "name"), "deep");
	assert_string_equal(json_get_string(json_get(stub, "metadata"), "namespace"), "ns");
	assert_string_equal(json_get_string(json_get(stub, "metadata"), "uid"), "uid-deep");
	assert_string_equal(json_get_string(json_get(stub, "metadata"), "resourceVersion"), "42");
	assert_int_equal(json_get_int(json_get(stub, "metadata"), "generation", 0), 3);
	/* small status kept (status computation reads old conditions); no spec */
	assert_string_equal(json_get_string(json_get(stub, "status"), "phase"), "Running");
	assert_null(json_get(stub, "spec"));
	assert_null(json_path(stub, "metadata", "managedFields", NULL));
	json_free(stub);
	free(text);

	/* deep only in managedFields (the API server pruned the object on read):
	 * readable, because they are skipped unread */
	text = deep_devserver("pruned", 1, 5000);
	assert_int_equal(kube_object_decode(text, strlen(text), NULL, &obj, &err), 0);
	json_free(obj);
	{
		struct kube_object_limits keep = {.keep_managed_fields = true};

		assert_int_equal(kube_object_decode(text, strlen(text), &keep, &obj, &err), ERR_LIMIT);
	}
	free(text);
	/* exactly at the limit: the object is level 1, spec 2, distributed 3 */
	text = deep_devserver("edge", KUBE_OBJECT_MAX_DEPTH - 3, 0);
	assert_int_equal(kube_object_decode(text, strlen(text), NULL, &obj, &err), 0);
	json_free(obj);
	free(text);
	text = deep_devserver("edge", KUBE_OBJECT_MAX_DEPTH - 2, 0);
	assert_int_equal(kube_object_decode(text, strlen(text), NULL, &obj, &err), ERR_LIMIT);
	free(text);
}

static void test_decode_too_many_values(void **state)
{
	char *text = labelled_configmap("many", KUBE_OBJECT_MAX_NODES);
	struct json *obj, *stub;
	struct error err;

	assert_int_equal(kube_object_decode(text, strlen(text), NULL, &obj, &err), ERR_LIMIT);
	assert_non_null(strstr(err.msg, "metadata.labels"));
	assert_non_null(strstr(err.msg, "values"));
	stub = kube_object_stub(text, strlen(text), err.msg);
	assert_string_equal(json_get_string(json_get(stub, "metadata"), "name"), "many");
	assert_null(json_path(stub, "metadata", "labels", NULL));
	json_free(stub);
	free(text);
	/* a tighter limit of the caller's own */
	text = labelled_configmap("few", 20);
	{
		struct kube_object_limits lim = {.max_nodes = 10};

		assert_int_equal(kube_object_decode(text, strlen(text), &lim, &obj, &err), ERR_LIMIT);
		lim.max_nodes = 100;
		assert_int_equal(kube_object_decode(text, strlen(text), &lim, &obj, &err), 0);
		json_free(obj);
	}
	free(text);
}

static void test_decode_too_large(void **state)
{
	char *text = labelled_configmap("big", 50);
	struct kube_object_limits lim = {.max_bytes = 200};
	struct json *obj;
	struct error err;

	assert_int_equal(kube_object_decode(text, strlen(text), &lim, &obj, &err), ERR_LIMIT);
	assert_non_null(strstr(err.msg, "bytes"));
	free(text);
}

static void test_decode_invalid(void **state)
{
	const char *bad_utf8 = "{\"kind\":\"ConfigMap\",\"metadata\":{\"name\":\"u\",\"namespace\":\"ns\"},"
			       "\"data\":{\"k\":\"\xff\"}}";
	const char *unnamed = "{\"kind\":\"ConfigMap\",\"metadata\":{\"labels\":{}},\"data\":{\"k\":\"\xff\"}}";
	struct json *obj, *stub;
	struct error err;

	assert_int_equal(kube_object_decode(bad_utf8, strlen(bad_utf8), NULL, &obj, &err), ERR_INVALID);
	assert_non_null(strstr(err.msg, "data"));
	stub = kube_object_stub(bad_utf8, strlen(bad_utf8), err.msg);
	assert_string_equal(json_get_string(json_get(stub, "metadata"), "name"), "u");
	json_free(stub);
	/* no name: no stub (nothing could key it) */
	assert_null(kube_object_stub(unnamed, strlen(unnamed), "x"));
	/* not an object at all */
	assert_int_equal(kube_object_decode("[1]", 3, NULL, &obj, &err), ERR_INVALID);
	assert_null(kube_object_stub("[1]", 3, "x"));
	assert_int_equal(kube_object_decode("{\"a\":", 5, NULL, &obj, &err), ERR_INVALID);
	assert_null(kube_object_stub("{\"a\":", 5, "x"));
	/* a real object is never mistaken for a stub */
	obj = tu_json("{\"metadata\":{\"name\":\"a\"}}");
	assert_null(kube_object_skipped(obj));
	assert_null(kube_object_skipped(NULL));
	json_free(obj);
}

static void test_check_built_trees(void **state)
{
	char *text = labelled_configmap("c", 100);
	struct json *obj = tu_json(text);
	struct kube_object_limits lim = {.max_nodes = 50};
	struct error err;

	assert_int_equal(kube_object_check(obj, NULL, &err), 0);
	assert_int_equal(kube_object_check(obj, &lim, &err), ERR_LIMIT);
	lim.max_nodes = 0;
	lim.max_bytes = 100;
	assert_int_equal(kube_object_check(obj, &lim, &err), ERR_LIMIT);
	json_free(obj);
	free(text);
	/* managedFields do not count */
	text = deep_devserver("d", 2, 100);
	obj = tu_json(text);
	assert_int_equal(kube_object_check(obj, NULL, &err), 0);
	json_free(obj);
	free(text);
}

static int prepared;

static void prepare(void *ud, struct json *obj)
{
	prepared++;
	json_object_remove(obj, "data");
	assert_ptr_equal(ud, &prepared);
}

static void test_list_page_with_one_bad_item(void **state)
{
	char *deep = deep_devserver("deep", 130, 131);
	struct buf b;
	struct json *list = NULL, *items;
	struct error err;
	size_t dropped = 99;

	buf_init(&b, 1 << 24);
	buf_appendf(&b, "{\"kind\":\"ConfigMapList\",\"apiVersion\":\"v1\",\"metadata\":{\"resourceVersion\":\"77\","
		    "\"continue\":\"tok\"},\"items\":[{" META("a") "},\"data\":{\"k\":\"v\"}},%s,"
		    "{\"kind\":\"x\",\"metadata\":{},\"spec\":[\"\xff\"]},{" META("b") "}}]}", deep);
	prepared = 0;
	assert_int_equal(kube_list_decode(buf_str(&b), b.len, NULL, prepare, &prepared, &list, &dropped, &err), 0);
	assert_string_equal(json_get_string(json_get(list, "metadata"), "resourceVersion"), "77");
	assert_string_equal(json_get_string(json_get(list, "metadata"), "continue"), "tok");
	assert_string_equal(json_get_string(list, "kind"), "ConfigMapList");
	items = json_get(list, "items");
	assert_int_equal(items->u.arr.len, 3);         /* a, the stub of deep, b */
	assert_int_equal(dropped, 1);                  /* the one without a name */
	assert_int_equal(prepared, 2);                 /* real items only */
	assert_string_equal(json_get_string(json_get(items->u.arr.items[0], "metadata"), "name"), "a");
	assert_null(json_get(items->u.arr.items[0], "data"));
	assert_non_null(kube_object_skipped(items->u.arr.items[1]));
	assert_string_equal(json_get_string(json_get(items->u.arr.items[1], "metadata"), "name"), "deep");
	assert_string_equal(json_get_string(json_get(items->u.arr.items[2], "metadata"), "name"), "b");
	json_free(list);
	buf_cleanup(&b);
	free(deep);

	/* "items": null and an empty page */
	{
		const char *empty = "{\"kind\":\"PodList\",\"metadata\":{\"resourceVersion\":\"5\"},\"items\":null}";

		assert_int_equal(kube_list_decode(empty, strlen(empty), NULL, NULL, NULL, &list, NULL, &err), 0);
		assert_int_equal(json_get(list, "items")->type, JSON_ARRAY);
		assert_int_equal(json_get(list, "items")->u.arr.len, 0);
		json_free(list);
	}
	/* a broken envelope fails the page: it is not a List at all */
	{
		static const char *const bad[] = {
			"{\"items\":[{\"metadata\":{\"name\":\"a\"}}", "[]", "{\"items\":{}}",
			"{\"items\":[1,]}",
		};

		for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
			list = (struct json *)1;
			assert_int_equal(kube_list_decode(bad[i], strlen(bad[i]), NULL, NULL, NULL, &list, NULL,
							  &err), ERR_INVALID);
			assert_null(list);
		}
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_decode_drops_managed_fields),
		cmocka_unit_test(test_decode_too_deep),
		cmocka_unit_test(test_decode_too_many_values),
		cmocka_unit_test(test_decode_too_large),
		cmocka_unit_test(test_decode_invalid),
		cmocka_unit_test(test_check_built_trees),
		cmocka_unit_test(test_list_page_with_one_bad_item),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
