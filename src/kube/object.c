/* object.c - one Kubernetes object within limits, stubs, and List pages
 * decoded item by item (see object.h).
 *
 * Why this way: json_parse is all or nothing, and a List page or a watch
 * event holds objects written by users. json_scan finds each item (and each
 * member of an object) in the text without building it; each piece is then
 * parsed with json_parse_limited and a share of the object's budget: the
 * depth left below it and the values not used yet. metadata is walked one
 * member further so that managedFields can be stepped over unread - no
 * parse, no node, whatever its depth. A failure names the field it happened
 * in, because the message ends up in an Event the object's owner reads.
 *
 * A stub is built from the same text with the scanner, taking only small
 * scalars from metadata and, when they parse within KUBE_OBJECT_STUB_MAX_NODES,
 * ownerReferences and status; it never builds what made the object fail.
 *
 * What it does not do: decide what a skipped object means (the cache keeps
 * stubs out of reconcile; the operator reports them).
 */
#include "kube/object.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/mem.h"
#include "json/json_scan.h"

static void object_limits(const struct kube_object_limits *in, struct kube_object_limits *out)
{
	static const struct kube_object_limits none = { 0 };

	if (!in)
		in = &none;
	out->max_bytes = in->max_bytes ? in->max_bytes : KUBE_OBJECT_MAX_BYTES;
	out->max_depth = in->max_depth > 0 ? in->max_depth : KUBE_OBJECT_MAX_DEPTH;
	if (out->max_depth < 3)
		out->max_depth = 3; /* the object and its metadata, at least */
	out->max_nodes = in->max_nodes ? in->max_nodes : KUBE_OBJECT_MAX_NODES;
	out->keep_managed_fields = in->keep_managed_fields;
}

/* ---- decoding ------------------------------------------------------------ */

struct decode {
	const struct kube_object_limits *lim;
	struct json *obj;          /* being built */
	struct json *meta;         /* obj's metadata while it is walked */
	size_t nodes;              /* values built so far */
};

/* Parses one member's value at `level` (its depth in the object, 2 for a
 * top-level member) into the object being built. */
static int decode_value(struct decode *d, struct json *into, const char *key, const char *path,
			const char *text, size_t len, int level, struct error *err)
{
	struct json_limits jl;
	struct json *v;
	size_t used = 0;

	if (!key)
		return error_set(err, ERR_INVALID, "%s: a member name is not valid JSON text", path);
	if (d->nodes >= d->lim->max_nodes)
		return error_set(err, ERR_LIMIT, "%s%s%s: more than %zu values (KUBE_OBJECT_MAX_NODES)",
				 path, *path ? "." : "", key, d->lim->max_nodes);
	jl.max_depth = d->lim->max_depth - level + 1; /* the value's own level counts */
	jl.max_nodes = d->lim->max_nodes - d->nodes;
	v = json_parse_limited(text, len, &jl, &used, err);
	if (!v) {
		if (err && err->code == ERR_LIMIT && strstr(err->msg, "values"))
			error_set(err, ERR_LIMIT, "%s%s%s: more than %zu values (KUBE_OBJECT_MAX_NODES)",
				  path, *path ? "." : "", key, d->lim->max_nodes);
		else if (err && err->code == ERR_LIMIT)
			error_set(err, ERR_LIMIT, "%s%s%s: nesting deeper than %d levels (KUBE_OBJECT_MAX_DEPTH)",
				  path, *path ? "." : "", key, d->lim->max_depth);
		else
			error_prefix(err, "%s%s%s", path, *path ? "." : "", key);
		return err ? err->code : ERR_INVALID;
	}
	d->nodes += used;
	json_object_set_take(into, key, v);
	return 0;
}

static int decode_meta_member(void *ud, const char *key, const char *value, size_t len, struct error *err)
{
	struct decode *d = ud;

	if (key && strcmp(key, "managedFields") == 0 && !d->lim->keep_managed_fields)
		return 0;
	return decode_value(d, d->meta, key, "metadata", value, len, 3, err);
}

static int decode_member(void *ud, const char *key, const char *value, size_t len, struct error *err)
{
	struct decode *d = ud;
	int rc;

	if (key && strcmp(key, "metadata") == 0) {
		size_t start, end;

		if (json_scan_value(value, len, &start, &end, err) == 0 && value[start] == '{') {
			json_object_remove(d->obj, "metadata"); /* a duplicate: the last one wins */
			d->meta = json_new_object();
			d->nodes++;
			rc = json_scan_object(value, len, decode_meta_member, d, err);
			json_object_set_take(d->obj, "metadata", d->meta);
			d->meta = NULL;
			return rc;
		}
	}
	return decode_value(d, d->obj, key, "", value, len, 2, err);
}

int kube_object_decode(const char *text, size_t len, const struct kube_object_limits *lim_in,
		       struct json **out, struct error *err)
{
	struct kube_object_limits lim;
	struct decode d = { 0 };
	int rc;

	*out = NULL;
	object_limits(lim_in, &lim);
	if (len > lim.max_bytes)
		return error_set(err, ERR_LIMIT, "object of %zu bytes exceeds %zu (KUBE_OBJECT_MAX_BYTES)",
				 len, lim.max_bytes);
	if (lim.keep_managed_fields) {
		struct json_limits jl = { lim.max_depth, lim.max_nodes };

		*out = json_parse_limited(text, len, &jl, NULL, err);
		if (*out && (*out)->type != JSON_OBJECT) {
			json_free(*out);
			*out = NULL;
			return error_set(err, ERR_INVALID, "not a JSON object");
		}
		if (!*out && err && err->code == ERR_LIMIT)
			error_prefix(err, "object (KUBE_OBJECT_MAX_DEPTH %d, KUBE_OBJECT_MAX_NODES %zu)",
				     lim.max_depth, lim.max_nodes);
		return *out ? 0 : (err ? err->code : ERR_INVALID);
	}
	d.lim = &lim;
	d.obj = json_new_object();
	d.nodes = 1;
	rc = json_scan_object(text, len, decode_member, &d, err);
	if (rc < 0) {
		json_free(d.obj);
		return rc;
	}
	*out = d.obj;
	return 0;
}

/* ---- stubs ------------------------------------------------------------------ */

struct stub {
	struct json *obj, *meta;
};

/* A small value worth keeping: parsed when its text is short. */
static void stub_small(struct json *into, const char *key, const char *text, size_t len, bool string_only)
{
	struct error err;
	struct json *v;

	if (len > KUBE_OBJECT_STUB_FIELD_BYTES)
		return;
	v = json_parse(text, len, &err);
	if (v && (v->type == JSON_STRING || (!string_only && v->type == JSON_INT)))
		json_object_set_take(into, key, v);
	else
		json_free(v);
}

static void stub_bounded(struct json *into, const char *key, const char *text, size_t len)
{
	struct json_limits jl = { 8, KUBE_OBJECT_STUB_MAX_NODES };
	struct error err;
	struct json *v = json_parse_limited(text, len, &jl, NULL, &err);

	if (v)
		json_object_set_take(into, key, v);
}

static int stub_meta_member(void *ud, const char *key, const char *value, size_t len, struct error *err)
{
	static const char *const scalars[] = {
		"name", "namespace", "uid", "resourceVersion", "creationTimestamp", "deletionTimestamp",
	};
	struct stub *s = ud;

	if (!key)
		return 0;
	for (size_t i = 0; i < sizeof(scalars) / sizeof(scalars[0]); i++)
		if (strcmp(key, scalars[i]) == 0)
			stub_small(s->meta, key, value, len, true);
	if (strcmp(key, "generation") == 0)
		stub_small(s->meta, key, value, len, false);
	else if (strcmp(key, "ownerReferences") == 0)
		stub_bounded(s->meta, key, value, len);
	return 0;
}

static int stub_member(void *ud, const char *key, const char *value, size_t len, struct error *err)
{
	struct stub *s = ud;

	if (!key)
		return 0;
	if (strcmp(key, "apiVersion") == 0 || strcmp(key, "kind") == 0) {
		stub_small(s->obj, key, value, len, true);
	} else if (strcmp(key, "status") == 0) {
		stub_bounded(s->obj, key, value, len);
	} else if (strcmp(key, "metadata") == 0) {
		struct error e2;

		json_object_remove(s->meta, "name");
		if (json_scan_object(value, len, stub_meta_member, s, &e2) < 0)
			json_object_remove(s->meta, "name"); /* a broken metadata names nothing */
	}
	return 0;
}

struct json *kube_object_stub(const char *text, size_t len, const char *why)
{
	struct stub s;
	struct error err;

	s.obj = json_new_object();
	s.meta = json_new_object();
	if (json_scan_object(text, len, stub_member, &s, &err) < 0 || !json_get_string(s.meta, "name")) {
		json_free(s.meta);
		json_free(s.obj);
		return NULL;
	}
	json_object_set_take(s.obj, "metadata", s.meta);
	json_object_set_take(s.obj, KUBE_OBJECT_SKIPPED_KEY, json_new_string(why ? why : "skipped"));
	return s.obj;
}

const char *kube_object_skipped(const struct json *obj)
{
	return json_get_string(obj, KUBE_OBJECT_SKIPPED_KEY);
}

/* ---- limits on built trees ----------------------------------------------- */

int kube_object_check(const struct json *obj, const struct kube_object_limits *lim_in, struct error *err)
{
	struct kube_object_limits lim;
	size_t nodes = 1, bytes;
	int depth = 1;

	object_limits(lim_in, &lim);
	if (!obj || obj->type != JSON_OBJECT)
		return error_set(err, ERR_INVALID, "not a JSON object");
	bytes = json_encoded_size(obj);
	for (size_t i = 0; i < obj->u.obj.len; i++) {
		const struct json_member *m = &obj->u.obj.items[i];
		bool meta = strcmp(m->key, "metadata") == 0 && m->value->type == JSON_OBJECT;
		struct json_shape sh;

		for (size_t k = 0; meta && k < m->value->u.obj.len; k++) {
			const struct json_member *mm = &m->value->u.obj.items[k];

			if (strcmp(mm->key, "managedFields") == 0 && !lim.keep_managed_fields) {
				size_t mf = json_encoded_size(mm->value);

				bytes -= mf == SIZE_MAX || mf > bytes ? 0 : mf;
				continue;
			}
			json_shape(mm->value, &sh);
			nodes += sh.nodes;
			if (sh.depth + 2 > depth)
				depth = sh.depth + 2;
		}
		if (meta) {
			nodes++;
			continue;
		}
		json_shape(m->value, &sh);
		nodes += sh.nodes;
		if (sh.depth + 1 > depth)
			depth = sh.depth + 1;
	}
	if (depth > lim.max_depth)
		return error_set(err, ERR_LIMIT, "nesting deeper than %d levels (KUBE_OBJECT_MAX_DEPTH)",
				 lim.max_depth);
	if (nodes > lim.max_nodes)
		return error_set(err, ERR_LIMIT, "more than %zu values (KUBE_OBJECT_MAX_NODES)", lim.max_nodes);
	if (bytes != SIZE_MAX && bytes > lim.max_bytes)
		return error_set(err, ERR_LIMIT, "object of %zu bytes exceeds %zu (KUBE_OBJECT_MAX_BYTES)",
				 bytes, lim.max_bytes);
	return 0;
}

/* ---- List pages ------------------------------------------------------------ */

struct list_decode {
	const struct kube_object_limits *lim;
	kube_object_fn prepare;
	void *ud;
	struct json *list, *items;
	size_t dropped;
};

static int list_item(void *ud, size_t index, const char *text, size_t len, struct error *err)
{
	struct list_decode *l = ud;
	struct json *obj = NULL;
	struct error why;

	if (kube_object_decode(text, len, l->lim, &obj, &why) == 0) {
		if (l->prepare)
			l->prepare(l->ud, obj);
		json_array_push_take(l->items, obj);
		return 0;
	}
	obj = kube_object_stub(text, len, why.msg);
	if (obj)
		json_array_push_take(l->items, obj);
	else
		l->dropped++;
	return 0;
}

static int list_member(void *ud, const char *key, const char *text, size_t len, struct error *err)
{
	struct list_decode *l = ud;
	struct json *v;

	if (!key)
		return error_set(err, ERR_INVALID, "list response: a member name is not valid JSON text");
	if (strcmp(key, "items") == 0) {
		size_t start, end;
		int rc;

		if ((rc = json_scan_value(text, len, &start, &end, err)) < 0)
			return rc;
		json_object_remove(l->list, "items");
		l->items = json_new_array();
		json_object_set_take(l->list, "items", l->items);
		if (end - start == 4 && memcmp(text + start, "null", 4) == 0)
			return 0;
		if (text[start] != '[')
			return error_set(err, ERR_INVALID, "list response has no items array");
		return json_scan_array(text, len, list_item, l, err);
	}
	/* kind, apiVersion, metadata: small, and ours to trust as a whole */
	if (!(v = json_parse(text, len, err)))
		return error_prefix(err, "list response %s", key);
	json_object_set_take(l->list, key, v);
	return 0;
}

int kube_list_decode(const char *text, size_t len, const struct kube_object_limits *lim,
		     kube_object_fn prepare, void *ud, struct json **out, size_t *dropped,
		     struct error *err)
{
	struct list_decode l = { lim, prepare, ud, json_new_object(), NULL, 0 };
	int rc;

	*out = NULL;
	if (dropped)
		*dropped = 0;
	rc = json_scan_object(text, len, list_member, &l, err);
	if (rc == 0 && !l.items)
		json_object_set_take(l.list, "items", json_new_array());
	if (rc < 0) {
		json_free(l.list);
		return rc;
	}
	if (dropped)
		*dropped = l.dropped;
	*out = l.list;
	return 0;
}
