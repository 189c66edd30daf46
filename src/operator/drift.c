/* drift.c - desired-subset-of-observed comparison (see drift.h).
 *
 * Lists compare element by element in order (the API server keeps the order
 * of containers, env, ports, volumes), except ownerReferences, where another
 * owner may legitimately be present: there each desired entry must appear
 * somewhere, matched by uid. Strings in quantity maps (requests, limits,
 * capacity, sizeLimit) compare by value.
 */
#include "operator/drift.h"

#include <stdio.h>
#include <string.h>

#include "core/quantity.h"

/* A value the API server's Go types drop when empty (omitempty). */
static bool drift_is_zero(const struct json *v)
{
	switch (v->type) {
	case JSON_NULL: return true;
	case JSON_BOOL: return !v->u.b;
	case JSON_INT: return v->u.i == 0;
	case JSON_FLOAT: return v->u.f == 0;
	case JSON_STRING: return v->u.str.len == 0;
	case JSON_ARRAY: return v->u.arr.len == 0;
	case JSON_OBJECT: return false; /* emptyDir: {} is meaningful and kept */
	}
	return false;
}

static bool drift_quantity_key(const char *key)
{
	return key && (strcmp(key, "requests") == 0 || strcmp(key, "limits") == 0 ||
		       strcmp(key, "capacity") == 0 || strcmp(key, "sizeLimit") == 0);
}

struct drift_walk {
	char *path;
	size_t size;
	size_t len;
};

/* Appends ".key" (key non-NULL) or "[idx]" to the path; *mark restores it. */
static void drift_push(struct drift_walk *w, size_t *mark, const char *key, size_t idx)
{
	int n;

	*mark = w->len;
	if (!w->path || w->len >= w->size)
		return;
	if (key)
		n = snprintf(w->path + w->len, w->size - w->len, "%s%s", w->len ? "." : "", key);
	else
		n = snprintf(w->path + w->len, w->size - w->len, "[%zu]", idx);
	if (n > 0)
		w->len = w->len + (size_t)n < w->size ? w->len + (size_t)n : w->size - 1;
}

static void drift_pop(struct drift_walk *w, size_t mark)
{
	w->len = mark;
	if (w->path && mark < w->size)
		w->path[mark] = '\0';
}

static bool drift_walk(const struct json *d, const struct json *o, bool quantities,
		       struct drift_walk *w);

static bool drift_owner_refs(const struct json *d, const struct json *o, struct drift_walk *w)
{
	if (!o || o->type != JSON_ARRAY)
		return d->u.arr.len > 0;
	for (size_t i = 0; i < d->u.arr.len; i++) {
		const char *uid = json_get_string(d->u.arr.items[i], "uid");
		bool found = false;

		for (size_t k = 0; !found && k < o->u.arr.len; k++) {
			const char *ouid = json_get_string(o->u.arr.items[k], "uid");

			if (uid && ouid && strcmp(uid, ouid) == 0)
				found = !drift_walk(d->u.arr.items[i], o->u.arr.items[k], false, w);
		}
		if (!found)
			return true;
	}
	return false;
}

static bool drift_walk(const struct json *d, const struct json *o, bool quantities,
		       struct drift_walk *w)
{
	size_t mark;

	if (!o)
		return !drift_is_zero(d);
	switch (d->type) {
	case JSON_OBJECT:
		if (o->type != JSON_OBJECT)
			return true;
		for (size_t i = 0; i < d->u.obj.len; i++) {
			const char *key = d->u.obj.items[i].key;
			const struct json *dv = d->u.obj.items[i].value;
			bool drifted;

			drift_push(w, &mark, key, 0);
			if (strcmp(key, "ownerReferences") == 0 && dv->type == JSON_ARRAY)
				drifted = drift_owner_refs(dv, json_get(o, key), w);
			else
				drifted = drift_walk(dv, json_get(o, key),
						     quantities || drift_quantity_key(key), w);
			if (drifted)
				return true;
			drift_pop(w, mark);
		}
		return false;
	case JSON_ARRAY:
		if (o->type != JSON_ARRAY || o->u.arr.len != d->u.arr.len)
			return true;
		for (size_t i = 0; i < d->u.arr.len; i++) {
			drift_push(w, &mark, NULL, i);
			if (drift_walk(d->u.arr.items[i], o->u.arr.items[i], quantities, w))
				return true;
			drift_pop(w, mark);
		}
		return false;
	case JSON_STRING:
		if (json_equal(d, o))
			return false;
		return !(quantities && o->type == JSON_STRING &&
			 quantity_equal(d->u.str.ptr, o->u.str.ptr));
	case JSON_INT:
	case JSON_FLOAT:
		if (json_equal(d, o))
			return false;
		/* a quantity written as a number comes back as a string */
		if (quantities && o->type == JSON_STRING) {
			char text[64];

			if (d->type == JSON_INT)
				snprintf(text, sizeof(text), "%lld", (long long)d->u.i);
			else
				snprintf(text, sizeof(text), "%.17g", d->u.f);
			return !quantity_equal(text, o->u.str.ptr);
		}
		return true;
	default:
		return !json_equal(d, o);
	}
}

bool drift_find(const struct json *desired, const struct json *observed, char *path, size_t path_size)
{
	struct drift_walk w = { path, path_size, 0 };

	if (path && path_size)
		path[0] = '\0';
	return drift_walk(desired, observed, false, &w);
}
