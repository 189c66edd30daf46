/* test_cache.c - src/kube/cache and selector: label selectors (equality and
 * set-based, parse errors), keys, relist diffs, watch events, the owner
 * index, managedFields stripping and the handler callbacks; hostile objects
 * (issue 17): stubs of skipped objects kept out of lookups and reported, a
 * list page with one over-deep item, limits on write-through, and the byte
 * count of what the cache holds. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "kube/cache.h"
#include "kube/object.h"
#include "kube/selector.h"
#include "support/testutil.h"

static bool sel_match(const char *sel, const char *labels)
{
	struct selector s;
	struct error err;
	struct json *l = labels ? tu_json(labels) : NULL;
	bool ok;

	assert_int_equal(selector_parse(&s, sel, &err), 0);
	ok = selector_matches_labels(&s, l);
	selector_cleanup(&s);
	json_free(l);
	return ok;
}

static void test_selector_equality(void **state)
{
	const char *l = "{\"app\":\"web\",\"tier\":\"front\",\"devserver.io/name\":\"box\"}";

	assert_true(sel_match("", l));
	assert_true(sel_match(NULL, NULL));
	assert_true(sel_match("app=web", l));
	assert_true(sel_match("app==web", l));
	assert_true(sel_match(" app = web , tier=front ", l));
	assert_true(sel_match("devserver.io/name=box", l));
	assert_false(sel_match("app=db", l));
	assert_false(sel_match("app=web,tier=back", l));
	assert_true(sel_match("app!=db", l));
	assert_false(sel_match("app!=web", l));
	assert_true(sel_match("missing!=x", l)); /* != matches an absent key */
	assert_true(sel_match("empty=", "{\"empty\":\"\"}"));
	assert_false(sel_match("app=web", NULL));
}

static void test_selector_set_based(void **state)
{
	const char *l = "{\"app\":\"web\",\"tier\":\"front\"}";

	assert_true(sel_match("app in (web, db)", l));
	assert_true(sel_match("app in (web)", l));
	assert_false(sel_match("app in (db,cache)", l));
	assert_false(sel_match("missing in (x)", l));
	assert_true(sel_match("app notin (db,cache)", l));
	assert_false(sel_match("app notin (web)", l));
	assert_true(sel_match("missing notin (x)", l)); /* notin matches an absent key */
	assert_true(sel_match("app", l));
	assert_false(sel_match("missing", l));
	assert_true(sel_match("!missing", l));
	assert_false(sel_match("!app", l));
	assert_true(sel_match("app,tier in (front),!canary,env notin (prod)", l));
	/* a key named like an operator word still works */
	assert_true(sel_match("in=x", "{\"in\":\"x\"}"));
	assert_true(sel_match("notin", "{\"notin\":\"\"}"));
}

static void test_selector_parse_errors(void **state)
{
	const char *bad[] = {
		"=x", "app in web", "app in (a,b", "app in (a b)", "app=web,", ",app", "app >= 3",
		"app=web tier=x", "!", "app notin", "a=b=c",
	};
	struct selector s;
	struct error err;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(selector_parse(&s, bad[i], &err), ERR_INVALID);
		assert_int_equal(s.n, 0);
		assert_null(s.reqs);
	}
}

/* ---- cache --------------------------------------------------------------- */

struct counts {
	int add, update, del;
	char last[128];
};

static void on_add(void *ud, const struct json *o)
{
	struct counts *c = ud;

	c->add++;
	cache_key(o, c->last);
}

static void on_update(void *ud, const struct json *old, const struct json *o)
{
	struct counts *c = ud;

	assert_non_null(old);
	c->update++;
	cache_key(o, c->last);
}

static void on_delete(void *ud, const struct json *o)
{
	struct counts *c = ud;

	c->del++;
	cache_key(o, c->last);
}

static struct json *obj(const char *ns, const char *name, const char *labels, const char *owner_uid, int rv)
{
	char text[1024];

	snprintf(text, sizeof(text),
		 "{\"kind\":\"Deployment\",\"metadata\":{\"name\":\"%s\"%s%s%s,\"resourceVersion\":\"%d\","
		 "\"labels\":%s,\"managedFields\":[{\"manager\":\"kubectl\"}],"
		 "\"ownerReferences\":[{\"uid\":\"other\",\"controller\":false}%s%s%s]}}",
		 name, ns ? ",\"namespace\":\"" : "", ns ? ns : "", ns ? "\"" : "", rv, labels ? labels : "{}",
		 owner_uid ? ",{\"uid\":\"" : "", owner_uid ? owner_uid : "", owner_uid ? "\",\"controller\":true}" : "");
	return tu_json(text);
}

static void test_cache_events_and_keys(void **state)
{
	struct counts n = {0};
	struct cache_handlers h = {on_add, on_update, on_delete, &n};
	struct cache c;
	const struct json *o;

	cache_init(&c, &h);
	cache_apply(&c, WATCH_ADDED, obj("ns1", "a", NULL, NULL, 1));
	cache_apply(&c, WATCH_ADDED, obj(NULL, "cluster-wide", NULL, NULL, 2));
	assert_int_equal(n.add, 2);
	assert_string_equal(n.last, "cluster-wide");
	assert_int_equal(cache_count(&c), 2);
	o = cache_get(&c, "ns1", "a");
	assert_non_null(o);
	assert_null(json_path(o, "metadata", "managedFields", NULL)); /* stripped */
	assert_non_null(cache_get_key(&c, "cluster-wide"));
	assert_null(cache_get(&c, "ns2", "a"));
	cache_apply(&c, WATCH_MODIFIED, obj("ns1", "a", NULL, NULL, 3));
	assert_int_equal(n.update, 1);
	assert_string_equal(json_get_string(json_get(cache_get(&c, "ns1", "a"), "metadata"), "resourceVersion"), "3");
	/* MODIFIED for an unknown object adds it (we may have missed the ADDED) */
	cache_apply(&c, WATCH_MODIFIED, obj("ns1", "b", NULL, NULL, 4));
	assert_int_equal(n.add, 3);
	cache_apply(&c, WATCH_DELETED, obj("ns1", "a", NULL, NULL, 5));
	assert_int_equal(n.del, 1);
	assert_null(cache_get(&c, "ns1", "a"));
	cache_apply(&c, WATCH_DELETED, obj("ns1", "zzz", NULL, NULL, 6)); /* unknown: ignored */
	assert_int_equal(n.del, 1);
	/* objects without a name are dropped */
	cache_apply(&c, WATCH_ADDED, tu_json("{\"metadata\":{}}"));
	assert_int_equal(cache_count(&c), 2);
	cache_cleanup(&c);
}

static void test_cache_replace_diffs(void **state)
{
	struct counts n = {0};
	struct cache_handlers h = {on_add, on_update, on_delete, &n};
	struct cache c;
	struct json *items = json_new_array();

	cache_init(&c, &h);
	for (int i = 0; i < 300; i++) {
		char name[16];

		snprintf(name, sizeof(name), "o%d", i);
		cache_apply(&c, WATCH_ADDED, obj("ns", name, NULL, NULL, i));
	}
	assert_int_equal(cache_count(&c), 300); /* grew past the initial buckets */
	assert_false(c.synced);
	/* the relist keeps o0..o99, drops the rest, adds n0..n9 */
	for (int i = 0; i < 100; i++) {
		char name[16];

		snprintf(name, sizeof(name), "o%d", i);
		json_array_push_take(items, obj("ns", name, NULL, NULL, 1000 + i));
	}
	for (int i = 0; i < 10; i++) {
		char name[16];

		snprintf(name, sizeof(name), "n%d", i);
		json_array_push_take(items, obj("ns", name, NULL, NULL, 2000 + i));
	}
	n = (struct counts){0};
	cache_replace(&c, items);
	assert_true(c.synced);
	assert_int_equal(n.update, 100);
	assert_int_equal(n.add, 10);
	assert_int_equal(n.del, 200);
	assert_int_equal(cache_count(&c), 110);
	assert_non_null(cache_get(&c, "ns", "n9"));
	assert_null(cache_get(&c, "ns", "o150"));
	/* an empty relist empties the cache */
	cache_replace(&c, json_new_array());
	assert_int_equal(cache_count(&c), 0);
	cache_cleanup(&c);
}

static void test_cache_selector_and_owner_index(void **state)
{
	struct cache c;
	struct selector s;
	struct error err;
	const struct json **out;
	size_t n;

	cache_init(&c, NULL);
	cache_apply(&c, WATCH_ADDED, obj("a", "d1", "{\"devserver.io/name\":\"x\",\"app\":\"ssh\"}", "uid-x", 1));
	cache_apply(&c, WATCH_ADDED, obj("a", "d2", "{\"devserver.io/name\":\"x\",\"app\":\"home\"}", "uid-x", 2));
	cache_apply(&c, WATCH_ADDED, obj("a", "d3", "{\"devserver.io/name\":\"y\"}", "uid-y", 3));
	cache_apply(&c, WATCH_ADDED, obj("b", "d4", "{\"devserver.io/name\":\"x\"}", NULL, 4));

	assert_int_equal(selector_parse(&s, "devserver.io/name=x", &err), 0);
	n = cache_list(&c, NULL, &s, &out);
	assert_int_equal(n, 3);
	free(out);
	n = cache_list(&c, "a", &s, &out);
	assert_int_equal(n, 2);
	free(out);
	selector_cleanup(&s);
	assert_int_equal(selector_parse(&s, "app in (ssh,home),devserver.io/name notin (y)", &err), 0);
	n = cache_list(&c, "a", &s, &out);
	assert_int_equal(n, 2);
	free(out);
	selector_cleanup(&s);
	n = cache_list(&c, NULL, NULL, &out);
	assert_int_equal(n, 4);
	free(out);

	/* only controller references index */
	n = cache_by_owner(&c, "uid-x", &out);
	assert_int_equal(n, 2);
	free(out);
	n = cache_by_owner(&c, "other", &out);
	assert_int_equal(n, 0);
	free(out);
	/* a change of controller moves the entry in the index */
	cache_apply(&c, WATCH_MODIFIED, obj("a", "d2", NULL, "uid-y", 5));
	n = cache_by_owner(&c, "uid-x", &out);
	assert_int_equal(n, 1);
	assert_string_equal(json_get_string(json_get(out[0], "metadata"), "name"), "d1");
	free(out);
	n = cache_by_owner(&c, "uid-y", &out);
	assert_int_equal(n, 2);
	free(out);
	/* deleting removes it from the index */
	cache_apply(&c, WATCH_DELETED, obj("a", "d3", NULL, "uid-y", 6));
	n = cache_by_owner(&c, "uid-y", &out);
	assert_int_equal(n, 1);
	free(out);
	/* many children of one owner, across table growth */
	for (int i = 0; i < 200; i++) {
		char name[16];

		snprintf(name, sizeof(name), "c%d", i);
		cache_apply(&c, WATCH_ADDED, obj("z", name, NULL, "uid-many", i));
	}
	n = cache_by_owner(&c, "uid-many", &out);
	assert_int_equal(n, 200);
	free(out);
	cache_cleanup(&c);
}

static void drop_spec(struct json *o)
{
	json_object_remove(o, "spec");
}

static void test_cache_label_index_and_transform(void **state)
{
	struct cache c;
	const struct json **out;
	struct json *p;
	size_t n;

	cache_init(&c, NULL);
	cache_index_by_label(&c, "devserver.io/name");
	cache_set_transform(&c, drop_spec);
	p = obj("dev", "box-abc", "{\"devserver.io/name\":\"box\"}", "rs-1", 1);
	json_object_set_take(p, "spec", json_new_object());
	cache_apply(&c, WATCH_ADDED, p);
	cache_apply(&c, WATCH_ADDED, obj("dev", "box-def", "{\"devserver.io/name\":\"box\"}", "rs-2", 1));
	cache_apply(&c, WATCH_ADDED, obj("other", "box-x", "{\"devserver.io/name\":\"box\"}", "rs-3", 1));
	cache_apply(&c, WATCH_ADDED, obj("dev", "nolabel", "{}", "rs-4", 1));
	n = cache_by_label(&c, "dev", "box", &out);
	assert_int_equal(n, 2);
	free(out);
	n = cache_by_label(&c, "other", "box", &out);
	assert_int_equal(n, 1);
	free(out);
	/* the index follows relabelling and deletion */
	cache_apply(&c, WATCH_MODIFIED, obj("dev", "box-def", "{\"devserver.io/name\":\"tub\"}", "rs-2", 2));
	n = cache_by_label(&c, "dev", "box", &out);
	assert_int_equal(n, 1);
	free(out);
	cache_apply(&c, WATCH_DELETED, obj("dev", "box-abc", "{\"devserver.io/name\":\"box\"}", "rs-1", 3));
	n = cache_by_label(&c, "dev", "box", &out);
	assert_int_equal(n, 0);
	free(out);
	/* the transform ran before storing */
	assert_null(json_get(cache_get(&c, "other", "box-x"), "spec"));
	cache_cleanup(&c);
}

static int adds;
static void count_add(void *ud, const struct json *o) { adds++; }
static void count_update(void *ud, const struct json *a, const struct json *b) { adds++; }

static void test_cache_store_newer(void **state)
{
	struct cache_handlers h = { count_add, count_update, count_add, NULL };
	struct cache c;

	cache_init(&c, &h);
	adds = 0;
	cache_apply(&c, WATCH_ADDED, obj("ns", "a", NULL, NULL, 10));
	assert_int_equal(adds, 1);
	/* our write's response, newer than the cache: stored, no handler */
	assert_true(cache_store_newer(&c, obj("ns", "a", "{\"v\":\"ours\"}", NULL, 12)));
	assert_int_equal(adds, 1);
	assert_string_equal(json_path(cache_get(&c, "ns", "a"), "metadata", "resourceVersion", NULL)->u.str.ptr, "12");
	/* an older response never overwrites a newer watch state */
	assert_false(cache_store_newer(&c, obj("ns", "a", NULL, NULL, 11)));
	assert_false(cache_store_newer(&c, obj("ns", "a", NULL, NULL, 12)));
	assert_string_equal(json_path(cache_get(&c, "ns", "a"), "metadata", "resourceVersion", NULL)->u.str.ptr, "12");
	/* a resourceVersion that is not an integer: nothing stored */
	{
		struct json *odd = obj("ns", "a", NULL, NULL, 99);

		json_object_set_take(json_get(odd, "metadata"), "resourceVersion", json_new_string("x1"));
		assert_false(cache_store_newer(&c, odd));
	}
	/* an object the cache has not seen yet is stored */
	assert_true(cache_store_newer(&c, obj("ns", "b", NULL, NULL, 5)));
	assert_non_null(cache_get(&c, "ns", "b"));
	assert_int_equal(adds, 1);
	cache_cleanup(&c);
}

static void test_cache_as_watch_sink(void **state)
{
	struct counts n = {0};
	struct cache_handlers h = {on_add, on_update, on_delete, &n};
	struct cache c;
	struct watch_sink sink;
	struct json *items = json_new_array();

	cache_init(&c, &h);
	cache_sink(&c, &sink);
	json_array_push_take(items, obj("ns", "a", NULL, NULL, 1));
	sink.replace(sink.ud, items);
	sink.event(sink.ud, WATCH_ADDED, obj("ns", "b", NULL, NULL, 2));
	assert_int_equal(n.add, 2);
	assert_int_equal(cache_count(&c), 2);
	cache_cleanup(&c);
}

/* ---- hostile objects ------------------------------------------------------ */

struct skips {
	int add, update, del, skip, skip_again;
	char last_skip[128];
	char why[ERROR_MSG_MAX_BYTES];
};

static void sk_add(void *ud, const struct json *o) { ((struct skips *)ud)->add++; }
static void sk_update(void *ud, const struct json *a, const struct json *b) { ((struct skips *)ud)->update++; }
static void sk_delete(void *ud, const struct json *o) { ((struct skips *)ud)->del++; }

static void sk_skip(void *ud, const struct json *previous, const struct json *stub)
{
	struct skips *s = ud;

	assert_non_null(kube_object_skipped(stub));
	if (previous) {
		assert_non_null(kube_object_skipped(previous));
		s->skip_again++;
	} else {
		s->skip++;
	}
	cache_key(stub, s->last_skip);
	snprintf(s->why, sizeof(s->why), "%s", kube_object_skipped(stub));
}

/* A stub as the reflector makes it for an object that failed to decode. */
static struct json *stub(const char *ns, const char *name, int rv, const char *why)
{
	char text[512];

	snprintf(text, sizeof(text),
		 "{\"kind\":\"DevServer\",\"metadata\":{\"name\":\"%s\",\"namespace\":\"%s\",\"uid\":\"u-%s\","
		 "\"resourceVersion\":\"%d\"},\"spec\":{\"huge\":true}}", name, ns, name, rv);
	return kube_object_stub(text, strlen(text), why);
}

static void test_cache_keeps_stubs_out_of_lookups(void **state)
{
	struct skips n = {0};
	struct cache_handlers h = {sk_add, sk_update, sk_delete, &n};
	struct cache c;
	struct json *items = json_new_array();
	const struct json **out;

	cache_init(&c, &h);
	cache_on_skip(&c, sk_skip);
	json_array_push_take(items, obj("ns", "a", NULL, NULL, 1));
	json_array_push_take(items, stub("ns", "deep", 2, "spec: nesting deeper than 64 levels"));
	json_array_push_take(items, obj("ns", "b", NULL, NULL, 3));
	cache_replace(&c, items);
	/* the others are there; the skipped one is not, and is reported once */
	assert_int_equal(n.add, 2);
	assert_int_equal(n.skip, 1);
	assert_string_equal(n.last_skip, "ns/deep");
	assert_string_equal(n.why, "spec: nesting deeper than 64 levels");
	assert_true(c.synced);
	assert_int_equal(cache_count(&c), 2);
	assert_int_equal(cache_skipped_count(&c), 1);
	assert_null(cache_get(&c, "ns", "deep"));
	assert_int_equal(cache_list(&c, NULL, NULL, &out), 2);
	free(out);
	assert_non_null(cache_skipped_get(&c, "ns", "deep"));
	assert_int_equal(cache_skipped_list(&c, &out), 1);
	assert_string_equal(json_get_string(json_get(out[0], "metadata"), "name"), "deep");
	free(out);
	/* the same object again (its status changed): a repeat, not a new skip */
	cache_apply(&c, WATCH_MODIFIED, stub("ns", "deep", 4, "spec: nesting deeper than 64 levels"));
	assert_int_equal(n.skip, 1);
	assert_int_equal(n.skip_again, 1);
	assert_int_equal(n.update + n.del, 0);
	/* fixed by its owner: an ordinary object from now on, added */
	cache_apply(&c, WATCH_MODIFIED, obj("ns", "deep", NULL, NULL, 5));
	assert_int_equal(n.add, 3);
	assert_int_equal(cache_skipped_count(&c), 0);
	assert_non_null(cache_get(&c, "ns", "deep"));
	/* a cached object that turns hostile leaves reconcile's view: deleted */
	cache_apply(&c, WATCH_MODIFIED, stub("ns", "a", 6, "metadata.labels: more than 16384 values"));
	assert_int_equal(n.del, 1);
	assert_int_equal(n.skip, 2);
	assert_null(cache_get(&c, "ns", "a"));
	assert_int_equal(cache_count(&c), 2);
	/* its deletion, as a stub too: gone from the skipped ones, silently */
	cache_apply(&c, WATCH_DELETED, stub("ns", "a", 7, "x"));
	assert_int_equal(cache_skipped_count(&c), 0);
	assert_int_equal(n.del, 1);
	/* a relist that no longer mentions a skipped object forgets it */
	cache_apply(&c, WATCH_ADDED, stub("ns", "gone", 8, "x"));
	assert_int_equal(cache_skipped_count(&c), 1);
	items = json_new_array();
	json_array_push_take(items, obj("ns", "b", NULL, NULL, 3));
	json_array_push_take(items, obj("ns", "deep", NULL, NULL, 5));
	cache_replace(&c, items);
	assert_int_equal(cache_skipped_count(&c), 0);
	assert_int_equal(cache_count(&c), 2);
	assert_int_equal(n.del, 1);
	/* a stub is never stored through write-through either */
	assert_false(cache_store_newer(&c, stub("ns", "b", 99, "x")));
	cache_cleanup(&c);
}

static void test_cache_list_page_with_one_over_deep_item(void **state)
{
	struct skips n = {0};
	struct cache_handlers h = {sk_add, sk_update, sk_delete, &n};
	struct cache c;
	struct watch_sink sink;
	struct watch w;
	struct buf page;
	struct json *list;
	struct error err;

	cache_init(&c, &h);
	cache_on_skip(&c, sk_skip);
	cache_set_transform(&c, drop_spec);
	cache_sink(&c, &sink);
	buf_init(&page, 1 << 20);
	buf_append_str(&page, "{\"kind\":\"DevServerList\",\"apiVersion\":\"devserver.io/v1\","
		       "\"metadata\":{\"resourceVersion\":\"50\"},\"items\":[");
	buf_append_str(&page, "{\"metadata\":{\"name\":\"ok1\",\"namespace\":\"ns\",\"uid\":\"1\"},\"spec\":{\"a\":1}},");
	buf_append_str(&page, "{\"metadata\":{\"name\":\"deep\",\"namespace\":\"ns\",\"uid\":\"2\"},\"spec\":");
	for (int i = 0; i < 130; i++)
		buf_append_str(&page, "{\"a\":");
	buf_append_char(&page, '1');
	for (int i = 0; i < 130; i++)
		buf_append_char(&page, '}');
	buf_append_str(&page, "},{\"metadata\":{\"name\":\"ok2\",\"namespace\":\"ns\",\"uid\":\"3\"}}]}");
	/* as kube_list_submit decodes each page (with the cache's projection) */
	assert_int_equal(kube_list_decode(buf_str(&page), page.len, NULL, sink.prepare, sink.ud, &list, NULL,
					  &err), 0);
	assert_null(json_get(json_get(list, "items")->u.arr.items[0], "spec")); /* projected per page */
	watch_init(&w, NULL, NULL, NULL, &sink);
	watch_list_apply(&w, list);
	assert_true(c.synced);          /* the list counts: the informer syncs */
	assert_int_equal(cache_count(&c), 2);
	assert_non_null(cache_get(&c, "ns", "ok1"));
	assert_non_null(cache_get(&c, "ns", "ok2"));
	assert_int_equal(cache_skipped_count(&c), 1);
	assert_int_equal(n.skip, 1);
	assert_non_null(strstr(n.why, "spec: nesting deeper than"));
	assert_string_equal(json_get_string(json_get(cache_skipped_get(&c, "ns", "deep"), "metadata"), "uid"), "2");
	assert_int_equal(w.stats.skipped, 1);
	watch_cleanup(&w);
	buf_cleanup(&page);
	cache_cleanup(&c);
}

static void test_cache_store_newer_respects_limits(void **state)
{
	struct cache c;
	struct buf b;
	struct error err;
	struct json *big;

	cache_init(&c, NULL);
	cache_apply(&c, WATCH_ADDED, obj("ns", "a", NULL, NULL, 1));
	/* a write's response the reflector would have refused: not stored */
	buf_init(&b, 1 << 24);
	buf_append_str(&b, "{\"metadata\":{\"name\":\"a\",\"namespace\":\"ns\",\"resourceVersion\":\"2\","
		       "\"labels\":{");
	for (int i = 0; i < KUBE_OBJECT_MAX_NODES; i++)
		buf_appendf(&b, "%s\"k%d\":\"v\"", i ? "," : "", i);
	buf_append_str(&b, "}}}");
	big = json_parse(buf_str(&b), b.len, &err);
	assert_non_null(big);
	assert_false(cache_store_newer(&c, big));
	assert_string_equal(json_path(cache_get(&c, "ns", "a"), "metadata", "resourceVersion", NULL)->u.str.ptr, "1");
	buf_cleanup(&b);
	cache_cleanup(&c);
}

static void test_cache_counts_bytes(void **state)
{
	struct cache c;
	struct json *a = obj("ns", "a", NULL, NULL, 1), *b = obj("ns", "b", "{\"x\":\"y\"}", NULL, 1);
	size_t sa, sb;

	cache_init(&c, NULL);
	assert_int_equal(cache_bytes(&c), 0);
	json_object_remove(json_get(a, "metadata"), "managedFields");
	json_object_remove(json_get(b, "metadata"), "managedFields");
	sa = json_encoded_size(a);
	sb = json_encoded_size(b);
	cache_apply(&c, WATCH_ADDED, a);
	cache_apply(&c, WATCH_ADDED, b);
	assert_int_equal(cache_bytes(&c), sa + sb);  /* what is stored, after stripping */
	cache_apply(&c, WATCH_MODIFIED, obj("ns", "a", "{\"longer\":\"labels here\"}", NULL, 2));
	assert_true(cache_bytes(&c) > sa + sb);
	cache_apply(&c, WATCH_ADDED, stub("ns", "s", 3, "why"));
	assert_true(cache_bytes(&c) > sa + sb);      /* stubs count too */
	cache_apply(&c, WATCH_DELETED, obj("ns", "a", NULL, NULL, 4));
	cache_apply(&c, WATCH_DELETED, obj("ns", "b", NULL, NULL, 4));
	cache_apply(&c, WATCH_DELETED, stub("ns", "s", 5, "why"));
	assert_int_equal(cache_bytes(&c), 0);
	cache_replace(&c, json_new_array());
	assert_int_equal(cache_bytes(&c), 0);
	cache_cleanup(&c);
}

static void test_key_format_and_split(void **state)
{
	char key[CACHE_MAX_KEY_BYTES], ns[CACHE_KEY_NS_MAX_BYTES], name[CACHE_MAX_KEY_BYTES];
	char long_name[300];

	(void)state;
	assert_true(cache_key_format(key, "team-a", "box"));
	assert_string_equal(key, "team-a/box");
	assert_true(cache_key_format(key, NULL, "node-1"));   /* cluster-scoped */
	assert_string_equal(key, "node-1");
	assert_true(cache_key_format(key, "", "node-1"));
	assert_string_equal(key, "node-1");
	assert_false(cache_key_format(key, "team-a", ""));
	assert_string_equal(key, "");
	assert_false(cache_key_format(key, "team-a", NULL));

	/* the longest real key fits: 63-character namespace, 253-character name */
	memset(long_name, 'n', 253);
	long_name[253] = '\0';
	assert_true(cache_key_format(key, "abcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwxyzabcdefghijk", long_name));
	assert_true(cache_key_split(key, ns, sizeof(ns), name, sizeof(name)));
	assert_int_equal(strlen(ns), 63);
	assert_string_equal(name, long_name);

	/* split is format's inverse, at the first '/' */
	assert_true(cache_key_format(key, "team-a", "box"));
	assert_true(cache_key_split(key, ns, sizeof(ns), name, sizeof(name)));
	assert_string_equal(ns, "team-a");
	assert_string_equal(name, "box");
	assert_true(cache_key_split("a/b/c", ns, sizeof(ns), name, sizeof(name)));
	assert_string_equal(ns, "a");
	assert_string_equal(name, "b/c");
	assert_true(cache_key_split("only-ns/x", ns, sizeof(ns), NULL, 0));
	assert_string_equal(ns, "only-ns");
	/* no '/', or a part too long: false, and nothing written */
	snprintf(ns, sizeof(ns), "keep");
	assert_false(cache_key_split("node-1", ns, sizeof(ns), name, sizeof(name)));
	assert_false(cache_key_split("team-a/box", ns, 6, name, sizeof(name)));   /* "team-a" needs 7 */
	assert_false(cache_key_split("team-a/box", ns, sizeof(ns), name, 3));
	assert_string_equal(ns, "keep");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_key_format_and_split),
		cmocka_unit_test(test_selector_equality),
		cmocka_unit_test(test_selector_set_based),
		cmocka_unit_test(test_selector_parse_errors),
		cmocka_unit_test(test_cache_events_and_keys),
		cmocka_unit_test(test_cache_replace_diffs),
		cmocka_unit_test(test_cache_selector_and_owner_index),
		cmocka_unit_test(test_cache_label_index_and_transform),
		cmocka_unit_test(test_cache_store_newer),
		cmocka_unit_test(test_cache_as_watch_sink),
		cmocka_unit_test(test_cache_keeps_stubs_out_of_lookups),
		cmocka_unit_test(test_cache_list_page_with_one_over_deep_item),
		cmocka_unit_test(test_cache_store_newer_respects_limits),
		cmocka_unit_test(test_cache_counts_bytes),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
