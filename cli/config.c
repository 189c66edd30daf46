/* config.c - ~/.config/devctl/config.yaml, and the predecessor's
 * config.yml (see config.h).
 *
 * The values are checked with the same functions as the flags, so a value
 * that would be refused on the command line is refused in the file too, but
 * the message names the file and the key instead of the flag. The
 * predecessor's file has its own small reader: its layout differs (nested
 * ssh keys) and it is lenient where ours is strict, so that a file that
 * worked with the old devctl keeps working.
 */
#include "config.h"

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "command.h"
#include "core/file.h"
#include "core/mem.h"
#include "flags.h"
#include "json/yaml_doc.h"

void cli_config_init(struct cli_config *c)
{
	memset(c, 0, sizeof(*c));
}

void cli_config_cleanup(struct cli_config *c)
{
	if (!c)
		return;
	mem_free_ptr(&c->namespace);
	mem_free_ptr(&c->flavor);
	mem_free_ptr(&c->ssh_public_key_file);
	mem_free_ptr(&c->ssh_identity_file);
	mem_free_ptr(&c->ttl);
	mem_free_ptr(&c->default_ttl);
	mem_free_ptr(&c->output);
}

int cli_read_file(const char *path, size_t max_bytes, char **text, size_t *len,
		  struct error *err)
{
	struct error read_err;
	struct buf b;
	size_t skip = strlen(path) + 2; /* file.h: the message is "<path>: <reason>" */
	int rc;

	*text = NULL;
	*len = 0;
	rc = file_read_bounded(path, max_bytes, 0, &b, &read_err);
	if (rc == ERR_LIMIT)
		return error_set(err, ERR_LIMIT, "\"%s\" is larger than %zu bytes", path, max_bytes);
	if (rc < 0) /* devctl's wording, and ERR_IO for a missing file too */
		return error_set(err, ERR_IO, "cannot read \"%s\": %s", path,
				 strlen(read_err.msg) >= skip ? read_err.msg + skip : read_err.msg);
	*len = b.len;
	*text = buf_take(&b);
	return 0;
}

/* *dst = v with a leading "~/" made home's. */
static int set_path(char **dst, const char *v, const char *home, struct error *err)
{
	if (strncmp(v, "~/", 2) == 0) {
		size_t n;

		if (!home)
			return error_set(err, ERR_INVALID, "\"~/\" needs $HOME to be set");
		n = strlen(home) + strlen(v);
		*dst = mem_alloc(n);
		snprintf(*dst, n, "%s%s", home, v + 1);
		return 0;
	}
	*dst = mem_strdup(v);
	return 0;
}

/* Checks and stores one key; err without the "config FILE: KEY: " prefix. */
static int set_key(struct cli_config *c, const char *key, const struct json *val,
		   const char *home, struct error *err)
{
	enum output_format f;
	const char *v;

	if (strcmp(key, "namespace") != 0 && strcmp(key, "flavor") != 0 &&
	    strcmp(key, "sshPublicKeyFile") != 0 && strcmp(key, "sshIdentityFile") != 0 &&
	    strcmp(key, "ttl") != 0 && strcmp(key, "defaultTTL") != 0 && strcmp(key, "output") != 0)
		return error_set(err, ERR_INVALID,
				 "unknown key (known: namespace, flavor, sshPublicKeyFile, sshIdentityFile, "
				 "ttl, defaultTTL, output)");
	if (val->type != JSON_STRING || val->u.str.len == 0 || strlen(val->u.str.ptr) != val->u.str.len)
		return error_set(err, ERR_INVALID, "must be a non-empty string");
	v = val->u.str.ptr;
	if (strcmp(key, "namespace") == 0) {
		if (!api_is_dns1123_label(v, strlen(v)))
			return error_set(err, ERR_INVALID, "\"%s\" is not a valid namespace name", v);
		c->namespace = mem_strdup(v);
	} else if (strcmp(key, "flavor") == 0) {
		if (!api_is_dns1123_subdomain(v, strlen(v)))
			return error_set(err, ERR_INVALID, "\"%s\" is not a valid flavor name", v);
		c->flavor = mem_strdup(v);
	} else if (strcmp(key, "ttl") == 0) {
		if (flags_check_duration(v, &c->ttl_seconds, err) < 0)
			return ERR_INVALID;
		c->ttl = mem_strdup(v);
	} else if (strcmp(key, "defaultTTL") == 0) {
		if (strcmp(v, CLI_CONFIG_TTL_OFF) == 0) {
			c->default_ttl_off = true;
			return 0;
		}
		if (flags_check_duration(v, &c->default_ttl_seconds, NULL) < 0)
			return error_set(err, ERR_INVALID, "invalid duration \"%s\" (use e.g. 4h, 1h30m, 2d, or %s)",
					 v, CLI_CONFIG_TTL_OFF);
		if (c->default_ttl_seconds == 0)
			return error_set(err, ERR_INVALID, "must be longer than 0s (%s turns it off)",
					 CLI_CONFIG_TTL_OFF);
		c->default_ttl = mem_strdup(v);
	} else if (strcmp(key, "output") == 0) {
		if (cli_parse_format(v, OUT_TABLE | OUT_WIDE | OUT_JSON | OUT_YAML | OUT_NAME, &f,
				     err) < 0)
			return ERR_INVALID;
		c->output = mem_strdup(v);
	} else if (strcmp(key, "sshIdentityFile") == 0) {
		return set_path(&c->ssh_identity_file, v, home, err);
	} else {
		return set_path(&c->ssh_public_key_file, v, home, err);
	}
	return 0;
}

/* The file's mapping into *doc (caller frees), or NULL for an empty file
 * (nothing, or only comments: an empty config, not an error). 0 or
 * ERR_INVALID naming path. */
static int config_read_mapping(const char *text, size_t len, const char *path, struct json **doc,
			       struct error *err)
{
	*doc = yaml_doc_parse(text, len, err);
	if (!*doc) {
		struct json **docs = NULL;
		size_t n = 0;

		if (yaml_doc_parse_all(text, len, &docs, &n, NULL) == 0 && n == 0) {
			free(docs);
			return 0;
		}
		for (size_t i = 0; i < n; i++)
			json_free(docs[i]);
		free(docs);
		error_prefix(err, "config %s", path);
		return ERR_INVALID;
	}
	if ((*doc)->type == JSON_NULL) {
		json_free(*doc);
		*doc = NULL;
		return 0;
	}
	if ((*doc)->type != JSON_OBJECT) {
		json_free(*doc);
		*doc = NULL;
		return error_set(err, ERR_INVALID, "config %s: must be a mapping of key: value", path);
	}
	return 0;
}

int cli_config_parse(struct cli_config *c, const char *text, size_t len, const char *path,
		     const char *home, struct error *err)
{
	struct json *doc;
	int rc = 0;

	snprintf(c->path, sizeof(c->path), "%s", path);
	if (config_read_mapping(text, len, path, &doc, err) < 0)
		return ERR_INVALID;
	if (!doc)
		return 0;
	for (size_t i = 0; i < doc->u.obj.len && rc == 0; i++) {
		const char *key = doc->u.obj.items[i].key;

		rc = set_key(c, key, doc->u.obj.items[i].value, home, err);
		if (rc < 0)
			error_prefix(err, "config %s: %s", path, key);
	}
	json_free(doc);
	return rc < 0 ? ERR_INVALID : 0;
}

int cli_config_parse_legacy(struct cli_config *c, const char *text, size_t len, const char *path,
			    const char *home, struct error *err)
{
	static const struct { const char *key; size_t off; } keys[] = {
		{ "public_key_file", offsetof(struct cli_config, ssh_public_key_file) },
		{ "private_key_file", offsetof(struct cli_config, ssh_identity_file) },
	};
	const struct json *ssh;
	struct json *doc;
	int rc = 0;

	snprintf(c->path, sizeof(c->path), "%s", path);
	c->legacy = true;
	if (config_read_mapping(text, len, path, &doc, err) < 0)
		return ERR_INVALID;
	if (!doc)
		return 0;
	ssh = json_get(doc, "ssh");
	if (ssh && ssh->type != JSON_OBJECT && ssh->type != JSON_NULL)
		rc = error_set(err, ERR_INVALID, "config %s: ssh: must be a mapping", path);
	for (size_t i = 0; rc == 0 && ssh && ssh->type == JSON_OBJECT && i < sizeof(keys) / sizeof(keys[0]); i++) {
		const struct json *v = json_get(ssh, keys[i].key);
		char **dst = (char **)((char *)c + keys[i].off);

		if (!v || v->type == JSON_NULL || (v->type == JSON_STRING && v->u.str.len == 0))
			continue; /* "" is the predecessor's "not configured" */
		if (v->type != JSON_STRING || strlen(v->u.str.ptr) != v->u.str.len)
			rc = error_set(err, ERR_INVALID, "config %s: ssh.%s: must be a string", path, keys[i].key);
		else if ((rc = set_path(dst, v->u.str.ptr, home, err)) < 0)
			error_prefix(err, "config %s: ssh.%s", path, keys[i].key);
	}
	json_free(doc);
	return rc < 0 ? ERR_INVALID : 0;
}

void cli_config_legacy_notice(const struct cli_config *c, const char *home, char *out, size_t size)
{
	if (!c->legacy) {
		out[0] = '\0';
		return;
	}
	snprintf(out, size, "read the predecessor's config %s; devctl's own is %s/.config/devctl/%s "
		 "(its ssh.public_key_file and ssh.private_key_file are sshPublicKeyFile and "
		 "sshIdentityFile there)", c->path, home ? home : "~", CLI_CONFIG_FILE);
}

int cli_config_load(struct cli_config *c, const char *env_path, const char *home,
		    struct error *err)
{
	char path[CLI_CONFIG_PATH_MAX_BYTES];
	struct stat st;
	bool legacy = false;
	char *text;
	size_t len;
	int rc;

	if (env_path && env_path[0]) {
		snprintf(path, sizeof(path), "%s", env_path);
	} else {
		if (!home || !home[0])
			return 0;
		snprintf(path, sizeof(path), "%s/.config/devctl/" CLI_CONFIG_FILE, home);
		if (stat(path, &st) != 0 && errno == ENOENT) {
			snprintf(path, sizeof(path), "%s/.config/devctl/" CLI_CONFIG_LEGACY_FILE, home);
			if (stat(path, &st) != 0 && errno == ENOENT)
				return 0;
			legacy = true;
		}
	}
	rc = cli_read_file(path, CLI_CONFIG_MAX_BYTES, &text, &len, err);
	if (rc < 0)
		return error_prefix(err, "config");
	rc = legacy ? cli_config_parse_legacy(c, text, len, path, home, err)
		    : cli_config_parse(c, text, len, path, home, err);
	free(text);
	return rc;
}
