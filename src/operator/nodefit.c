/* nodefit.c - flavor against node (see nodefit.h).
 *
 * Tolerations follow the scheduler's rule: a toleration matches a taint when
 * its effect is empty or equal, and either its operator is Exists (with an
 * empty key: every taint) or its key and value are the taint's. Node
 * affinity: every term of requiredDuringSchedulingIgnoredDuringExecution is
 * ORed, the expressions of a term ANDed (In, NotIn, Exists, DoesNotExist, Gt,
 * Lt on labels; matchFields are not evaluated and count as matching).
 */
#include "operator/nodefit.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/quantity.h"

static const char *nodefit_label(const struct json *node, const char *key)
{
	return json_get_string(json_path(node, "metadata", "labels", NULL), key);
}

static bool nodefit_ready(const struct json *node)
{
	const struct json *conds = json_path(node, "status", "conditions", NULL);

	for (size_t i = 0; conds && conds->type == JSON_ARRAY && i < conds->u.arr.len; i++)
		if (strcmp(json_get_string(conds->u.arr.items[i], "type") ?: "", "Ready") == 0)
			return strcmp(json_get_string(conds->u.arr.items[i], "status") ?: "", "True") == 0;
	return false;
}

static bool nodefit_tolerated(const struct json *taint, const struct json *tolerations)
{
	const char *key = json_get_string(taint, "key") ?: "", *value = json_get_string(taint, "value") ?: "";
	const char *effect = json_get_string(taint, "effect") ?: "";

	for (size_t i = 0; tolerations && tolerations->type == JSON_ARRAY && i < tolerations->u.arr.len; i++) {
		const struct json *t = tolerations->u.arr.items[i];
		const char *tk = json_get_string(t, "key") ?: "", *op = json_get_string(t, "operator") ?: "Equal";
		const char *te = json_get_string(t, "effect") ?: "";

		if (*te && strcmp(te, effect) != 0)
			continue;
		if (strcmp(op, "Exists") == 0 && (!*tk || strcmp(tk, key) == 0))
			return true;
		if (strcmp(op, "Equal") == 0 && strcmp(tk, key) == 0 &&
		    strcmp(json_get_string(t, "value") ?: "", value) == 0)
			return true;
	}
	return false;
}

static bool nodefit_value_in(const char *v, const struct json *values)
{
	for (size_t i = 0; v && values && values->type == JSON_ARRAY && i < values->u.arr.len; i++)
		if (values->u.arr.items[i]->type == JSON_STRING && strcmp(values->u.arr.items[i]->u.str.ptr, v) == 0)
			return true;
	return false;
}

static bool nodefit_expression(const struct json *node, const struct json *e)
{
	const char *key = json_get_string(e, "key"), *op = json_get_string(e, "operator");
	const struct json *values = json_get(e, "values");
	const char *v = key ? nodefit_label(node, key) : NULL;

	if (!key || !op)
		return false;
	if (strcmp(op, "In") == 0)
		return nodefit_value_in(v, values);
	if (strcmp(op, "NotIn") == 0)
		return !nodefit_value_in(v, values);
	if (strcmp(op, "Exists") == 0)
		return v != NULL;
	if (strcmp(op, "DoesNotExist") == 0)
		return v == NULL;
	if ((strcmp(op, "Gt") == 0 || strcmp(op, "Lt") == 0) && v && values && values->type == JSON_ARRAY &&
	    values->u.arr.len == 1 && values->u.arr.items[0]->type == JSON_STRING) {
		char *end1, *end2;
		long long have = strtoll(v, &end1, 10), want = strtoll(values->u.arr.items[0]->u.str.ptr, &end2, 10);

		if (*end1 || *end2)
			return false;
		return op[0] == 'G' ? have > want : have < want;
	}
	return false;
}

static bool nodefit_affinity(const struct json *node, const struct json *flavor)
{
	const struct json *terms = json_path(flavor, "spec", "affinity", "nodeAffinity",
					     "requiredDuringSchedulingIgnoredDuringExecution", "nodeSelectorTerms", NULL);

	if (!terms || terms->type != JSON_ARRAY || terms->u.arr.len == 0)
		return true;
	for (size_t i = 0; i < terms->u.arr.len; i++) {
		const struct json *exprs = json_get(terms->u.arr.items[i], "matchExpressions");
		bool all = true;

		for (size_t k = 0; exprs && exprs->type == JSON_ARRAY && k < exprs->u.arr.len && all; k++)
			all = nodefit_expression(node, exprs->u.arr.items[k]);
		if (all)
			return true;
	}
	return false;
}

/* A quantity as text: strings as they are, numbers (a YAML author writing
 * nvidia.com/gpu: 1) formatted; NULL for anything else. */
static const char *nodefit_quantity_text(const struct json *v, char *buf, size_t size)
{
	if (!v)
		return NULL;
	if (v->type == JSON_STRING)
		return v->u.str.ptr;
	if (v->type == JSON_INT) {
		snprintf(buf, size, "%lld", (long long)v->u.i);
		return buf;
	}
	if (v->type == JSON_FLOAT) {
		snprintf(buf, size, "%.9g", v->u.f);
		return buf;
	}
	return NULL;
}

/* The flavor's demand for resource r: its request, else its limit (an
 * extended resource such as a GPU may set only the limit). */
static const char *nodefit_demand(const struct json *flavor, const char *r, char *buf, size_t size)
{
	const struct json *q = json_get(json_path(flavor, "spec", "resources", "requests", NULL), r);

	if (!q)
		q = json_get(json_path(flavor, "spec", "resources", "limits", NULL), r);
	return nodefit_quantity_text(q, buf, size);
}

static bool nodefit_resource(const struct json *flavor, const struct json *node, const char *r,
			     char *why)
{
	char want_buf[40], have_buf[40];
	const char *want_s = nodefit_demand(flavor, r, want_buf, sizeof(want_buf));
	const char *have_s = nodefit_quantity_text(json_get(json_path(node, "status", "allocatable", NULL), r),
						   have_buf, sizeof(have_buf));
	quantity_nanos want, have = 0;

	if (!want_s || quantity_parse(want_s, &want) < 0)
		return true;
	if (have_s && quantity_parse(have_s, &have) < 0)
		have = 0;
	if (want <= have)
		return true;
	snprintf(why, NODEFIT_REASON_MAX_BYTES, "%s: %s requested, %s allocatable", r, want_s,
		 have_s ? have_s : "none");
	return false;
}

bool nodefit_check(const struct json *flavor, const struct json *node, char *why)
{
	const struct json *sel = json_path(flavor, "spec", "nodeSelector", NULL);
	const struct json *taints = json_path(node, "spec", "taints", NULL);
	const struct json *tolerations = json_path(flavor, "spec", "tolerations", NULL);
	const struct json *demands[2] = {
		json_path(flavor, "spec", "resources", "requests", NULL),
		json_path(flavor, "spec", "resources", "limits", NULL),
	};

	why[0] = '\0';
	if (!nodefit_ready(node)) {
		snprintf(why, NODEFIT_REASON_MAX_BYTES, "not Ready");
		return false;
	}
	if (json_get_bool(json_get(node, "spec"), "unschedulable", false)) {
		snprintf(why, NODEFIT_REASON_MAX_BYTES, "cordoned (unschedulable)");
		return false;
	}
	for (size_t i = 0; sel && sel->type == JSON_OBJECT && i < sel->u.obj.len; i++) {
		const struct json_member *kv = &sel->u.obj.items[i];
		const char *v = nodefit_label(node, kv->key);

		if (kv->value->type != JSON_STRING || !v || strcmp(v, kv->value->u.str.ptr) != 0) {
			snprintf(why, NODEFIT_REASON_MAX_BYTES, "no label %s=%s", kv->key,
				 kv->value->type == JSON_STRING ? kv->value->u.str.ptr : "?");
			return false;
		}
	}
	if (!nodefit_affinity(node, flavor)) {
		snprintf(why, NODEFIT_REASON_MAX_BYTES, "required node affinity does not match");
		return false;
	}
	for (size_t i = 0; taints && taints->type == JSON_ARRAY && i < taints->u.arr.len; i++) {
		const struct json *t = taints->u.arr.items[i];
		const char *effect = json_get_string(t, "effect") ?: "";

		if (strcmp(effect, "PreferNoSchedule") == 0 || nodefit_tolerated(t, tolerations))
			continue;
		snprintf(why, NODEFIT_REASON_MAX_BYTES, "taint %s%s%s:%s is not tolerated",
			 json_get_string(t, "key") ?: "", json_get_string(t, "value") ? "=" : "",
			 json_get_string(t, "value") ?: "", effect);
		return false;
	}
	for (int d = 0; d < 2; d++)
		for (size_t i = 0; demands[d] && demands[d]->type == JSON_OBJECT && i < demands[d]->u.obj.len; i++)
			if (!nodefit_resource(flavor, node, demands[d]->u.obj.items[i].key, why))
				return false;
	return true;
}

const char *nodefit_summary(const struct json *flavor, const struct json *const *nodes, size_t n,
			    char *msg, size_t msg_size)
{
	size_t fit = 0, len = 0, listed = 0;
	char why[NODEFIT_REASON_MAX_BYTES];

	for (size_t i = 0; i < n; i++)
		if (nodefit_check(flavor, nodes[i], why))
			fit++;
	if (n == 0) {
		snprintf(msg, msg_size, "the cluster has no nodes");
		return "No";
	}
	if (fit > 0) {
		snprintf(msg, msg_size, "%zu of %zu nodes can run it", fit, n);
		return "Yes";
	}
	len = (size_t)snprintf(msg, msg_size, "none of %zu nodes can run it:", n);
	for (size_t i = 0; i < n && len < msg_size; i++) {
		const char *name = json_get_string(json_get(nodes[i], "metadata"), "name") ?: "?";

		nodefit_check(flavor, nodes[i], why);
		if (listed == 3) {
			len += (size_t)snprintf(msg + len, msg_size - len, " (and %zu more)", n - listed);
			break;
		}
		len += (size_t)snprintf(msg + len, msg_size - len, "%s %s: %s", listed ? ";" : "", name, why);
		listed++;
	}
	return "No";
}

static void nodefit_keep(struct json *obj, const char *const *keep)
{
	size_t i = 0;

	if (!obj || obj->type != JSON_OBJECT)
		return;
	while (i < obj->u.obj.len) {
		bool wanted = false;

		for (const char *const *k = keep; *k; k++)
			wanted = wanted || strcmp(*k, obj->u.obj.items[i].key) == 0;
		if (wanted)
			i++;
		else
			json_object_remove(obj, obj->u.obj.items[i].key);
	}
}

void nodefit_projection(struct json *node)
{
	static const char *const top[] = { "apiVersion", "kind", "metadata", "spec", "status", NULL };
	static const char *const meta[] = { "name", "labels", "resourceVersion", "uid", NULL };
	static const char *const spec[] = { "taints", "unschedulable", NULL };
	static const char *const status[] = { "allocatable", "conditions", NULL };
	static const char *const cond[] = { "type", "status", NULL };
	struct json *conds, *ready = NULL;

	nodefit_keep(node, top);
	nodefit_keep(json_get(node, "metadata"), meta);
	nodefit_keep(json_get(node, "spec"), spec);
	nodefit_keep(json_get(node, "status"), status);
	conds = json_path(node, "status", "conditions", NULL);
	if (!conds || conds->type != JSON_ARRAY)
		return;
	/* only Ready, with only its status */
	for (size_t i = 0; i < conds->u.arr.len; i++)
		if (strcmp(json_get_string(conds->u.arr.items[i], "type") ?: "", "Ready") == 0)
			ready = json_clone(conds->u.arr.items[i]);
	json_object_remove(json_get(node, "status"), "conditions");
	if (ready) {
		struct json *list = json_new_array();

		nodefit_keep(ready, cond);
		json_array_push_take(list, ready);
		json_object_set_take(json_get(node, "status"), "conditions", list);
	}
}
