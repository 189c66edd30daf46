/* output.c - tables, humanized times and object encodings (see output.h).
 *
 * A missing field prints as <none> rather than an empty cell, so that a
 * table still splits into the same number of columns with awk or cut.
 */
#include "output.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "core/clock.h"
#include "core/mem.h"
#include "json/yaml_doc.h"
#include "flags.h"

#define TABLE_GAP "   "

void table_init(struct table *t, size_t ncols)
{
	memset(t, 0, sizeof(*t));
	t->ncols = ncols;
}

void table_cleanup(struct table *t)
{
	if (!t)
		return;
	for (size_t i = 0; i < t->nrows * t->ncols; i++)
		free(t->cells[i]);
	mem_free_ptr(&t->cells);
	t->nrows = t->cap = 0;
}

void table_add_row(struct table *t, const char *const *cells)
{
	if (t->nrows == t->cap) {
		t->cap = t->cap ? t->cap * 2 : 16;
		t->cells = mem_realloc(t->cells, t->cap * t->ncols * sizeof(char *));
	}
	for (size_t c = 0; c < t->ncols; c++) {
		const char *s = cells[c] && cells[c][0] ? cells[c] : OUTPUT_NONE;

		t->cells[t->nrows * t->ncols + c] = mem_strdup(s);
	}
	t->nrows++;
}

int table_render(const struct table *t, struct buf *out)
{
	size_t width[OUTPUT_TABLE_MAX_COLS] = { 0 };
	int rc = 0;

	for (size_t r = 0; r < t->nrows; r++)
		for (size_t c = 0; c < t->ncols && c < OUTPUT_TABLE_MAX_COLS; c++) {
			size_t n = strlen(t->cells[r * t->ncols + c]);

			if (n > width[c])
				width[c] = n;
		}
	for (size_t r = 0; r < t->nrows && rc == 0; r++) {
		for (size_t c = 0; c < t->ncols && rc == 0; c++) {
			const char *s = t->cells[r * t->ncols + c];

			if (c + 1 == t->ncols)
				rc = buf_append_str(out, s);
			else
				rc = buf_appendf(out, "%-*s" TABLE_GAP, (int)width[c], s);
		}
		if (rc == 0)
			rc = buf_append_char(out, '\n');
	}
	return rc;
}

void output_age(int64_t s, char *out)
{
	if (s < 0)
		s = 0;
	if (s < 60)
		snprintf(out, OUTPUT_AGE_BYTES, "%llds", (long long)s);
	else if (s < 3600)
		snprintf(out, OUTPUT_AGE_BYTES, "%lldm", (long long)(s / 60));
	else if (s < 86400 && (s % 3600) / 60)
		snprintf(out, OUTPUT_AGE_BYTES, "%lldh%lldm", (long long)(s / 3600),
			 (long long)((s % 3600) / 60));
	else if (s < 86400)
		snprintf(out, OUTPUT_AGE_BYTES, "%lldh", (long long)(s / 3600));
	else if (s < 7 * 86400 && (s % 86400) / 3600)
		snprintf(out, OUTPUT_AGE_BYTES, "%lldd%lldh", (long long)(s / 86400),
			 (long long)((s % 86400) / 3600));
	else
		snprintf(out, OUTPUT_AGE_BYTES, "%lldd", (long long)(s / 86400));
}

static int time_field(const struct json *obj, int64_t *t, ...) __attribute__((sentinel));
static int time_field(const struct json *obj, int64_t *t, ...)
{
	const struct json *v = obj;
	va_list ap;
	const char *k;

	va_start(ap, t);
	while (v && (k = va_arg(ap, const char *)))
		v = json_get(v, k);
	va_end(ap);
	if (!v || v->type != JSON_STRING)
		return -1;
	return clock_parse_rfc3339(v->u.str.ptr, t) == 0 ? 0 : -1;
}

void output_object_age(const struct json *obj, int64_t now, char *out)
{
	int64_t t;

	if (time_field(obj, &t, "metadata", "creationTimestamp", (char *)NULL) < 0)
		snprintf(out, OUTPUT_AGE_BYTES, OUTPUT_NONE);
	else
		output_age(now - t, out);
}

void output_expires_in(const struct json *ds, int64_t now, char *out)
{
	int64_t t;

	if (time_field(ds, &t, "status", "expiresAt", (char *)NULL) < 0)
		snprintf(out, OUTPUT_AGE_BYTES, OUTPUT_NONE);
	else if (t <= now)
		snprintf(out, OUTPUT_AGE_BYTES, "expired");
	else
		output_age(t - now, out);
	/* the operator's warning (condition ExpiringSoon): "25m!" */
	if (output_condition_status(ds, "ExpiringSoon") &&
	    strcmp(output_condition_status(ds, "ExpiringSoon"), "True") == 0) {
		size_t n = strlen(out);

		if (n + 2 <= OUTPUT_AGE_BYTES) {
			out[n] = '!';
			out[n + 1] = '\0';
		}
	}
}

const char *output_condition_status(const struct json *obj, const char *type)
{
	const struct json *conds = json_path(obj, "status", "conditions", (char *)NULL);

	if (!conds || conds->type != JSON_ARRAY)
		return NULL;
	for (size_t i = 0; i < conds->u.arr.len; i++) {
		const char *t = json_get_string(conds->u.arr.items[i], "type");

		if (t && strcmp(t, type) == 0)
			return json_get_string(conds->u.arr.items[i], "status");
	}
	return NULL;
}

static const char *str_at(const struct json *v, const char *k1, const char *k2)
{
	const struct json *o = k2 ? json_get(v, k1) : v;

	return json_get_string(o, k2 ? k2 : k1);
}

static const struct json *pod_for(const struct json *pods, const char *name)
{
	if (!pods || pods->type != JSON_ARRAY || !name)
		return NULL;
	for (size_t i = 0; i < pods->u.arr.len; i++) {
		const struct json *labels = json_path(pods->u.arr.items[i], "metadata", "labels",
						      (char *)NULL);
		const char *n = json_get_string(labels, API_LABEL_NAME);

		if (n && strcmp(n, name) == 0)
			return pods->u.arr.items[i];
	}
	return NULL;
}

static const char *pod_image(const struct json *pod)
{
	const struct json *cs = json_path(pod, "spec", "containers", (char *)NULL);

	if (!cs || cs->type != JSON_ARRAY || cs->u.arr.len == 0)
		return NULL;
	return json_get_string(cs->u.arr.items[0], "image");
}

int output_list_doc(const struct json *items, enum output_format f, struct buf *out,
		    struct error *err)
{
	struct json *list = json_new_object();
	int rc;

	json_object_set_take(list, "apiVersion", json_new_string("v1"));
	json_object_set_take(list, "kind", json_new_string("List"));
	json_object_set_take(list, "items", json_clone(items));
	rc = output_object(list, NULL, f, out, err);
	json_free(list);
	return rc;
}

int output_object(const struct json *obj, const char *resource, enum output_format f,
		  struct buf *out, struct error *err)
{
	int rc;

	if (f == OUT_YAML)
		return yaml_doc_encode(obj, out, err);
	if (f == OUT_NAME) {
		const char *name = str_at(obj, "metadata", "name");

		rc = buf_appendf(out, "%s/%s\n", resource ? resource : OUTPUT_DEVSERVER_RESOURCE,
				 name ? name : "");
	} else {
		rc = json_encode(obj, out, JSON_ENCODE_PRETTY);
		if (rc == 0)
			rc = buf_append_char(out, '\n');
	}
	if (rc < 0)
		return error_set(err, rc, "output larger than %zu bytes", out->max);
	return 0;
}

static int finish_table(struct table *t, struct buf *out, struct error *err)
{
	int rc = table_render(t, out);

	table_cleanup(t);
	if (rc < 0)
		return error_set(err, rc, "output larger than %zu bytes", out->max);
	return 0;
}

int output_devservers(const struct json *items, const struct json *pods,
		      enum output_format f, bool namespaces, int64_t now, struct buf *out,
		      struct error *err)
{
	static const char *const head[] = { "NAMESPACE", "NAME", "FLAVOR", "PHASE", "READY",
					    "EXPIRES", "AGE", "IMAGE", "NODE", "IP" };
	bool wide = f == OUT_WIDE;
	size_t first = namespaces ? 0 : 1, ncols = (wide ? 10 : 7) - first;
	struct table t;

	if (!items || items->type != JSON_ARRAY)
		return error_set(err, ERR_INVALID, "expected a list of DevServers");
	if (f == OUT_JSON || f == OUT_YAML)
		return output_list_doc(items, f, out, err);
	if (f == OUT_NAME) {
		for (size_t i = 0; i < items->u.arr.len; i++)
			if (output_object(items->u.arr.items[i], NULL, f, out, err) < 0)
				return err->code;
		return 0;
	}
	table_init(&t, ncols);
	table_add_row(&t, head + first);
	for (size_t i = 0; i < items->u.arr.len; i++) {
		const struct json *ds = items->u.arr.items[i];
		const char *name = str_at(ds, "metadata", "name");
		const struct json *pod = pod_for(pods, name);
		char age[OUTPUT_AGE_BYTES], exp[OUTPUT_AGE_BYTES];
		const char *flavor = str_at(ds, "status", "flavor");
		const char *image = pod_image(pod);
		const char *row[10];

		output_object_age(ds, now, age);
		output_expires_in(ds, now, exp);
		row[0] = str_at(ds, "metadata", "namespace");
		row[1] = name;
		row[2] = flavor ? flavor : str_at(ds, "spec", "flavor");
		row[3] = str_at(ds, "status", "phase");
		row[4] = output_condition_status(ds, "Ready");
		row[5] = exp;
		row[6] = age;
		row[7] = image ? image : str_at(ds, "spec", "image");
		row[8] = str_at(pod, "spec", "nodeName");
		row[9] = str_at(pod, "status", "podIP");
		table_add_row(&t, row + first);
	}
	return finish_table(&t, out, err);
}

static const char *quantity_text(const struct json *v, char *buf, size_t size)
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
		snprintf(buf, size, "%g", v->u.f);
		return buf;
	}
	return NULL;
}

int output_flavors(const struct json *items, enum output_format f, int64_t now,
		   struct buf *out, struct error *err)
{
	static const char *const head[] = { "NAME", "DEFAULT", "CPU", "MEMORY", "GPU", "SCHEDULABLE",
					    "MAX-TTL", "AGE", "IMAGE", "DESCRIPTION" };
	struct table t;

	if (!items || items->type != JSON_ARRAY)
		return error_set(err, ERR_INVALID, "expected a list of DevServerFlavors");
	if (f == OUT_JSON || f == OUT_YAML)
		return output_list_doc(items, f, out, err);
	if (f == OUT_NAME) {
		for (size_t i = 0; i < items->u.arr.len; i++)
			if (output_object(items->u.arr.items[i], "devserverflavor.devserver.io", f,
					  out, err) < 0)
				return err->code;
		return 0;
	}
	table_init(&t, f == OUT_WIDE ? 10 : 8);
	table_add_row(&t, head);
	for (size_t i = 0; i < items->u.arr.len; i++) {
		const struct json *fl = items->u.arr.items[i];
		const struct json *spec = json_get(fl, "spec");
		const struct json *req = json_path(spec, "resources", "requests", (char *)NULL);
		const struct json *lim = json_path(spec, "resources", "limits", (char *)NULL);
		char age[OUTPUT_AGE_BYTES], gpu[32], cpu[32], mem[32], desc[1400];
		const char *row[10];

		output_object_age(fl, now, age);
		row[0] = str_at(fl, "metadata", "name");
		row[1] = json_get_bool(spec, "default", false) ? "yes" : "no";
		/* quantities may be numbers (a YAML "nvidia.com/gpu: 1") */
		row[2] = quantity_text(json_get(req, "cpu"), cpu, sizeof(cpu));
		row[3] = quantity_text(json_get(req, "memory"), mem, sizeof(mem));
		row[4] = quantity_text(json_get(lim, "nvidia.com/gpu"), gpu, sizeof(gpu));
		if (!row[4])
			row[4] = quantity_text(json_get(req, "nvidia.com/gpu"), gpu, sizeof(gpu));
		row[5] = str_at(fl, "status", "schedulable");
		row[6] = str_at(spec, "lifecycle", "maxTimeToLive");
		row[7] = age;
		row[8] = json_get_string(spec, "defaultImage");
		row[9] = json_get_string(spec, "description");
		if (json_get_string(spec, "replacedBy")) {
			/* deprecated: say what to use instead, before anything else */
			snprintf(desc, sizeof(desc), "deprecated: use %s%s%s", json_get_string(spec, "replacedBy"),
				 row[9] && row[9][0] ? "; " : "", row[9] ? row[9] : "");
			row[9] = desc;
		}
		table_add_row(&t, row);
	}
	return finish_table(&t, out, err);
}

static void field(struct buf *out, const char *label, const char *value)
{
	buf_appendf(out, "%-18s%s\n", label, value && value[0] ? value : OUTPUT_NONE);
}

static void time_line(struct buf *out, const char *label, const struct json *obj,
		      const char *k1, const char *k2, int64_t now)
{
	const char *s = str_at(obj, k1, k2);
	char age[OUTPUT_AGE_BYTES];
	int64_t t;

	if (!s || clock_parse_rfc3339(s, &t) < 0) {
		field(out, label, s);
		return;
	}
	output_age(t <= now ? now - t : t - now, age);
	buf_appendf(out, t <= now ? "%-18s%s (%s ago)\n" : "%-18s%s (in %s)\n", label, s, age);
}

/* The spec.volumes entry that is the home when spec.home is not set, or
 * NULL. A flavor's volume at the home is not known here. */
static const struct json *describe_home_volume(const struct json *vols)
{
	for (size_t i = 0; vols && vols->type == JSON_ARRAY && i < vols->u.arr.len; i++) {
		const char *path = json_get_string(vols->u.arr.items[i], "mountPath");

		if (path && volume_path_is_home(path))
			return vols->u.arr.items[i];
	}
	return NULL;
}

static void describe_spec(const struct json *ds, struct buf *out)
{
	const struct json *spec = json_get(ds, "spec");
	const struct json *home = json_get(spec, "home");
	const struct json *vols = json_get(spec, "volumes");
	const struct json *hv;
	const struct json *env = json_get(spec, "env");
	const struct json *keys = json_path(spec, "ssh", "publicKeys", (char *)NULL);
	const char *one = str_at(spec, "ssh", "publicKey");
	size_t nkeys = one ? 1 : 0;

	/* devctl writes its first key as publicKey too: that is one key, as the
	 * operator's authorized_keys has it */
	for (size_t i = 0; keys && keys->type == JSON_ARRAY && i < keys->u.arr.len; i++)
		if (keys->u.arr.items[i]->type != JSON_STRING || !one ||
		    strcmp(keys->u.arr.items[i]->u.str.ptr, one) != 0)
			nkeys++;

	field(out, "Requested flavor:", json_get_string(spec, "flavor"));
	field(out, "Image:", json_get_string(spec, "image"));
	field(out, "Time to live:", str_at(spec, "lifecycle", "timeToLive"));
	field(out, "Stopped:", json_get_bool(spec, "stopped", false) ? "true" : "false");
	if (home) {
		const char *size = json_get_string(home, "size");
		const char *sc = json_get_string(home, "storageClassName");

		buf_appendf(out, "%-18s%s, storage class %s\n", "Home:", size ? size : "10Gi",
			    sc ? sc : "(cluster default)");
	} else if ((hv = describe_home_volume(vols)) != NULL) {
		buf_appendf(out, "%-18sclaim %s (spec.volumes)%s\n", "Home:",
			    json_get_string(hv, "claimName") ? json_get_string(hv, "claimName") : "<none>",
			    json_get_bool(hv, "readOnly", false) ? ", read-only" : "");
	} else {
		field(out, "Home:", "ephemeral");
	}
	buf_appendf(out, "%-18s%zu\n", "SSH keys:", nkeys);
	if (vols && vols->type == JSON_ARRAY && vols->u.arr.len) {
		buf_append_str(out, "Volumes:\n");
		for (size_t i = 0; i < vols->u.arr.len; i++) {
			const struct json *v = vols->u.arr.items[i];

			buf_appendf(out, "  %s -> %s%s\n", json_get_string(v, "claimName"),
				    json_get_string(v, "mountPath"),
				    json_get_bool(v, "readOnly", false) ? " (read-only)" : "");
		}
	}
	if (env && env->type == JSON_ARRAY && env->u.arr.len) {
		buf_append_str(out, "Env:\n");
		for (size_t i = 0; i < env->u.arr.len; i++) {
			const char *v = json_get_string(env->u.arr.items[i], "value");

			buf_appendf(out, "  %s=%s\n", json_get_string(env->u.arr.items[i], "name"),
				    v ? v : "");
		}
	}
}

static void describe_conditions(const struct json *ds, int64_t now, struct buf *out)
{
	const struct json *conds = json_path(ds, "status", "conditions", (char *)NULL);
	static const char *const head[] = { "TYPE", "STATUS", "REASON", "AGE", "MESSAGE" };
	struct table t;

	buf_append_str(out, "Conditions:\n");
	if (!conds || conds->type != JSON_ARRAY || conds->u.arr.len == 0) {
		buf_append_str(out, "  " OUTPUT_NONE "\n");
		return;
	}
	table_init(&t, 5);
	table_add_row(&t, head);
	for (size_t i = 0; i < conds->u.arr.len; i++) {
		const struct json *c = conds->u.arr.items[i];
		char age[OUTPUT_AGE_BYTES];
		int64_t ts;
		const char *row[5] = { json_get_string(c, "type"), json_get_string(c, "status"),
				       json_get_string(c, "reason"), age,
				       json_get_string(c, "message") };

		if (time_field(c, &ts, "lastTransitionTime", (char *)NULL) == 0)
			output_age(now - ts, age);
		else
			snprintf(age, sizeof(age), OUTPUT_NONE);
		table_add_row(&t, row);
	}
	/* Indent the table by two spaces, line by line. */
	{
		struct buf tb;

		buf_init(&tb, OUTPUT_MAX_BYTES);
		/* dropped past the ceiling, as in output_describe: one object's
		 * conditions are far below OUTPUT_MAX_BYTES */
		DS_IGNORE_RESULT(table_render(&t, &tb));
		for (const char *p = buf_str(&tb); *p;) {
			const char *nl = strchr(p, '\n');
			size_t n = nl ? (size_t)(nl - p) + 1 : strlen(p);

			buf_append_str(out, "  ");
			buf_append(out, p, n);
			p += n;
		}
		buf_cleanup(&tb);
	}
	table_cleanup(&t);
}

static void describe_events(const struct json *events, int64_t now, struct buf *out)
{
	buf_append_str(out, "Events:\n");
	if (!events || events->type != JSON_ARRAY || events->u.arr.len == 0) {
		buf_append_str(out, "  " OUTPUT_NONE "\n");
		return;
	}
	for (size_t i = 0; i < events->u.arr.len; i++) {
		const struct json *e = events->u.arr.items[i];
		const char *who = str_at(e, "involvedObject", "kind");
		const char *name = str_at(e, "involvedObject", "name");
		char age[OUTPUT_AGE_BYTES];
		int64_t ts;

		if (time_field(e, &ts, "lastTimestamp", (char *)NULL) == 0 ||
		    time_field(e, &ts, "eventTime", (char *)NULL) == 0)
			output_age(now - ts, age);
		else
			snprintf(age, sizeof(age), "?");
		buf_appendf(out, "  %s ago  %s  %s  %s/%s  %s", age,
			    json_get_string(e, "type") ? json_get_string(e, "type") : "Normal",
			    json_get_string(e, "reason") ? json_get_string(e, "reason") : "",
			    who ? who : "?", name ? name : "?",
			    json_get_string(e, "message") ? json_get_string(e, "message") : "");
		if (json_get_int(e, "count", 1) > 1)
			buf_appendf(out, " (x%lld)", (long long)json_get_int(e, "count", 1));
		buf_append_char(out, '\n');
	}
}

int output_describe(const struct json *ds, const struct json *events, int64_t now,
		    struct buf *out, struct error *err)
{
	const char *port_s = NULL;
	char port[24];
	int64_t p = json_get_int(json_path(ds, "status", "ssh", (char *)NULL), "port", 0);

	if (!ds || ds->type != JSON_OBJECT)
		return error_set(err, ERR_INVALID, "expected a DevServer object");
	if (p > 0) {
		snprintf(port, sizeof(port), "%lld", (long long)p);
		port_s = port;
	}
	field(out, "Name:", str_at(ds, "metadata", "name"));
	field(out, "Namespace:", str_at(ds, "metadata", "namespace"));
	time_line(out, "Created:", ds, "metadata", "creationTimestamp", now);
	field(out, "Phase:", str_at(ds, "status", "phase"));
	field(out, "Ready:", output_condition_status(ds, "Ready"));
	field(out, "Message:", str_at(ds, "status", "message"));
	field(out, "Flavor:", str_at(ds, "status", "flavor"));
	time_line(out, "Expires:", ds, "status", "expiresAt", now);
	if (output_condition_status(ds, "ExpiringSoon") &&
	    strcmp(output_condition_status(ds, "ExpiringSoon"), "True") == 0)
		buf_appendf(out, "%-18sexpiring soon: devctl extend %s --by DURATION keeps it longer\n", "",
			    str_at(ds, "metadata", "name") ?: "NAME");
	describe_spec(ds, out);
	field(out, "SSH service:", json_get_string(json_path(ds, "status", "ssh", (char *)NULL),
						  "service"));
	field(out, "SSH port:", port_s);
	field(out, "SSH:", json_get_string(json_path(ds, "status", "connection", (char *)NULL), "ssh"));
	field(out, "Policy revision:", json_get_string(json_path(ds, "status", "policy", (char *)NULL),
						      "revision"));
	{
		const struct json *pr = json_path(ds, "status", "pendingRestart", (char *)NULL);
		const char *changes = json_get_string(pr, "changes");

		if (pr) {
			time_line(out, "Pending restart:", pr, "since", NULL, now);
			buf_appendf(out, "%-18s%s: devctl restart %s applies it\n", "",
				    changes && changes[0] ? changes : "a flavor or policy change",
				    str_at(ds, "metadata", "name") ?: "NAME");
		}
	}
	describe_conditions(ds, now, out);
	describe_events(events, now, out);
	/* Appends past the ceiling are dropped, not reported: one object is at
	 * most the API server's 1.5 MiB, far below OUTPUT_MAX_BYTES. */
	return 0;
}

int output_policy_status(const struct json *st, struct buf *out, struct error *err)
{
	const struct json *rej = json_get(st, "lastRejection");

	if (!st || st->type != JSON_OBJECT)
		return error_set(err, ERR_INVALID, "expected a policy status object");
	field(out, "Active revision:", json_get_string(st, "revision"));
	field(out, "Source:", json_get_string(st, "source"));
	field(out, "Loaded at:", json_get_string(st, "loadedAt"));
	if (json_get_string(st, "unreadable")) /* an annotation neither JSON nor an older operator's text */
		field(out, "Status:", json_get_string(st, "unreadable"));
	if (!rej || rej->type != JSON_OBJECT) {
		field(out, "Last rejection:", NULL);
		return 0;
	}
	buf_appendf(out, "Last rejection:\n");
	field(out, "  Revision:", json_get_string(rej, "revision"));
	field(out, "  Time:", json_get_string(rej, "time"));
	field(out, "  Reason:", json_get_string(rej, "reason"));
	return 0;
}
