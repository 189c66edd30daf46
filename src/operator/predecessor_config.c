/* predecessor_config.c - the predecessor's config.yaml and its environment
 * twins (see predecessor_config.h). One table names every key the
 * predecessor knew, with our equivalent or why there is none, so the
 * startup line can say what happened to each; the YAML goes through our
 * libyaml wrapper (1.2 core schema, node and alias limits). It does not
 * watch the file: the predecessor read it once at startup too. */
#include "operator/predecessor_config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/file.h"
#include "json/yaml_doc.h"

enum pc_target { PC_IGNORED, PC_DEFAULT_IMAGE };

struct pc_key {
	const char *key;       /* in config.yaml */
	const char *env;       /* the predecessor's variable for it */
	enum pc_target target;
	const char *why;       /* PC_IGNORED: why we have no equivalent */
};

static const struct pc_key pc_keys[] = {
	{ "defaultDevserverImage", "DEVSERVER_DEFAULT_DEVSERVER_IMAGE", PC_DEFAULT_IMAGE, NULL },
	{ "defaultPersistentHomeSize", "DEVSERVER_DEFAULT_PERSISTENT_HOME_SIZE", PC_IGNORED,
	  "the policy's lib/pvc.lua sets it, 10Gi as before" },
	{ "expirationInterval", "DEVSERVER_EXPIRATION_INTERVAL", PC_IGNORED,
	  "expiry is a timer per DevServer, not a poll" },
	{ "flavorReconciliationInterval", "DEVSERVER_FLAVOR_RECONCILIATION_INTERVAL", PC_IGNORED,
	  "flavors are watched, not polled" },
	{ "workerLimit", "DEVSERVER_WORKER_LIMIT", PC_IGNORED,
	  "kopf's worker count; --concurrency is ours" },
	{ "postingEnabled", "DEVSERVER_POSTING_ENABLED", PC_IGNORED,
	  "kopf's logs-as-Events; our Events are always on and rate-capped" },
	{ "staticDependenciesImage", "DEVSERVER_STATIC_DEPENDENCIES_IMAGE", PC_IGNORED,
	  "its image has another layout; --tools-image is ours" },
};

#define PC_KEY_COUNT (sizeof(pc_keys) / sizeof(pc_keys[0]))

void predecessor_config_init(struct predecessor_config *pc)
{
	memset(pc, 0, sizeof(*pc));
	buf_init(&pc->used, PREDECESSOR_CONFIG_SUMMARY_MAX_BYTES);
	buf_init(&pc->ignored, PREDECESSOR_CONFIG_SUMMARY_MAX_BYTES);
}

void predecessor_config_cleanup(struct predecessor_config *pc)
{
	if (!pc)
		return;
	buf_cleanup(&pc->used);
	buf_cleanup(&pc->ignored);
	pc->default_image[0] = '\0';
	pc->default_image_from = NULL;
}

/* Appends "name (why)" to a comma-separated list; past the ceiling the list
 * stays as it was (the buffer's error is sticky) and the caller's line says
 * so. name may be a key from the file: control bytes become '?' and only its
 * first PC_NAME_SHOWN_MAX_BYTES are shown, so it cannot forge log lines. */
#define PC_NAME_SHOWN_MAX_BYTES 64

static void pc_note(struct buf *list, const char *name, const char *why)
{
	size_t i;

	if (list->len)
		buf_append_str(list, ", ");
	for (i = 0; name[i] && i < PC_NAME_SHOWN_MAX_BYTES; i++)
		buf_append_char(list, (unsigned char)name[i] < ' ' || name[i] == 0x7f ? '?' : name[i]);
	if (name[i])
		buf_append_str(list, "...");
	if (why)
		buf_appendf(list, " (%s)", why);
}

static const char *pc_type_name(const struct json *v)
{
	switch (v->type) {
	case JSON_NULL: return "empty";
	case JSON_BOOL: return "a boolean";
	case JSON_INT: return "an integer";
	case JSON_FLOAT: return "a number";
	case JSON_STRING: return "a string";
	case JSON_ARRAY: return "a list";
	case JSON_OBJECT: return "a mapping";
	}
	return "unknown";
}

/* NULL when text can be an image reference, else why not. */
static const char *pc_image_problem(const char *text, size_t len)
{
	if (len == 0)
		return "empty";
	if (len >= PREDECESSOR_CONFIG_VALUE_MAX_BYTES)
		return "too long";
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)text[i] <= ' ' || text[i] == 0x7f)
			return "has spaces or control characters";
	return NULL;
}

/* Takes one value for the default image: from names it for the log line
 * (static text), env says it is a variable rather than a file key. */
static void pc_set_image(struct predecessor_config *pc, const char *from, bool env,
			 const char *text, size_t len)
{
	const char *problem = pc_image_problem(text, len);

	if (problem) {
		char name[64];

		snprintf(name, sizeof(name), "%s%s", env ? "$" : "", from);
		pc_note(&pc->ignored, name, problem);
		pc->bad_keys++;
		return;
	}
	if (env && pc->default_image[0] && !pc->default_image_from_env) {
		char why[64];

		snprintf(why, sizeof(why), "$%s wins", from);
		pc_note(&pc->ignored, pc->default_image_from, why);
	}
	memcpy(pc->default_image, text, len);
	pc->default_image[len] = '\0';
	pc->default_image_from = from;
	pc->default_image_from_env = env;
}

int predecessor_config_parse(struct predecessor_config *pc, const char *text, size_t len,
			     struct error *err)
{
	struct json **docs = NULL, *root;
	size_t ndocs = 0;
	int rc;

	if (len > PREDECESSOR_CONFIG_MAX_BYTES)
		return error_set(err, ERR_LIMIT, "%zu bytes exceeds the %d-byte limit", len,
				 PREDECESSOR_CONFIG_MAX_BYTES);
	rc = yaml_doc_parse_all(text, len, &docs, &ndocs, err);
	if (rc < 0)
		return error_prefix(err, "not valid YAML");
	if (ndocs != 1) {
		for (size_t i = 0; i < ndocs; i++)
			json_free(docs[i]);
		free(docs);
		if (ndocs == 0)
			return 0; /* empty, or only comments: the predecessor read {} too */
		return error_set(err, ERR_INVALID, "%zu YAML documents, want one mapping", ndocs);
	}
	root = docs[0];
	free(docs);
	if (root->type == JSON_NULL) {
		json_free(root);
		return 0; /* "~" or "null": nothing, as for the predecessor */
	}
	if (root->type != JSON_OBJECT) {
		error_set(err, ERR_INVALID, "want a mapping of settings, got %s", pc_type_name(root));
		json_free(root);
		return err->code;
	}
	pc->found = true;
	for (size_t i = 0; i < root->u.obj.len; i++) {
		const struct json_member *m = &root->u.obj.items[i];
		const struct pc_key *k = NULL;

		for (size_t j = 0; j < PC_KEY_COUNT; j++)
			if (strcmp(pc_keys[j].key, m->key) == 0)
				k = &pc_keys[j];
		if (!k) {
			pc_note(&pc->ignored, m->key, "unknown");
			continue;
		}
		if (k->target == PC_IGNORED) {
			pc_note(&pc->ignored, k->key, k->why);
			continue;
		}
		if (m->value->type != JSON_STRING) {
			char why[64];

			snprintf(why, sizeof(why), "want a string, got %s", pc_type_name(m->value));
			pc_note(&pc->ignored, k->key, why);
			pc->bad_keys++;
			continue;
		}
		pc_set_image(pc, k->key, false, m->value->u.str.ptr, m->value->u.str.len);
	}
	json_free(root);
	return 0;
}

int predecessor_config_load(struct predecessor_config *pc, const char *path, struct error *err)
{
	struct buf text;
	int rc;

	rc = file_read_bounded(path, PREDECESSOR_CONFIG_MAX_BYTES, FILE_READ_REGULAR, &text, err);
	if (rc < 0)
		return rc;
	rc = predecessor_config_parse(pc, buf_str(&text), text.len, err);
	if (rc < 0)
		error_prefix(err, "%s", path);
	buf_cleanup(&text);
	return rc;
}

void predecessor_config_env(struct predecessor_config *pc, options_getenv_fn getenv_fn)
{
	for (size_t i = 0; getenv_fn && i < PC_KEY_COUNT; i++) {
		const struct pc_key *k = &pc_keys[i];
		const char *v = getenv_fn(k->env);
		char name[64];

		if (!v || !*v)
			continue;
		pc->found = true;
		snprintf(name, sizeof(name), "$%s", k->env);
		if (k->target == PC_IGNORED)
			pc_note(&pc->ignored, name, k->why);
		else
			pc_set_image(pc, k->env, true, v, strlen(v));
	}
}

void predecessor_config_apply(struct predecessor_config *pc, struct operator_options *o)
{
	char name[64];

	if (!pc->default_image[0])
		return;
	snprintf(name, sizeof(name), "%s%s", pc->default_image_from_env ? "$" : "",
		 pc->default_image_from);
	if (options_given(o, "default-image")) {
		pc_note(&pc->ignored, name, "--default-image or $DEVSERVER_DEFAULT_IMAGE wins");
		return;
	}
	o->default_image = pc->default_image;
	pc->applied = true;
	if (pc->used.len)
		buf_append_str(&pc->used, ", ");
	buf_appendf(&pc->used, "%s -> --default-image", name);
}
