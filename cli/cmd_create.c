/* cmd_create.c - `devctl create [NAME]`: build a DevServer and create it.
 *
 * The object is built by a pure function from the parsed options, so
 * --dry-run prints exactly what would be sent and the tests check it field by
 * field. The predecessor's flags keep working (--name, --time, -v, --wait),
 * and so do its defaults: `devctl create` alone creates "dev", and a
 * DevServer whose flavor gives no time to live gets 4h (create_default_ttl;
 * the flavors are read at run time, so the check step stays offline).
 * So does the shape of what it wrote: the predecessor's devctl list reads
 * spec.flavor and spec.lifecycle.timeToLive of every DevServer, and its
 * operator spec.ssh.publicKey, so the object always says which
 * flavor (the default's name when none was given) and which time to live
 * (the one the operator would apply) it got, and carries the first key as
 * publicKey too. Only "no expiry at all" is written as an absent timeToLive.
 * The SSH key file is read during the check step, not while building: a
 * missing key is a usage error reported before anything else happens.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "api/flavor.h"
#include "backend.h"
#include "cmd_opts.h"
#include "config.h"
#include "core/duration.h"
#include "core/mem.h"
#include "core/utf8.h"
#include "json/yaml_doc.h"
#include "output.h"
#include "wait.h"

#define CREATE_MAX_VOLUMES 16
#define CREATE_MAX_ENV 64
#define IMAGE_MAX_BYTES 512

static const struct flag_spec create_flags[] = {
	CMD_NAME_FLAG,
	{ "flavor", 0, FLAG_STRING, 0, offsetof(struct create_opts, flavor), "FLAVOR" },
	{ "image", 0, FLAG_STRING, 0, offsetof(struct create_opts, image), "IMAGE" },
	{ "ttl", 0, FLAG_DURATION, 0, offsetof(struct create_opts, ttl), "DURATION" },
	{ "time", 0, FLAG_DURATION, 0, offsetof(struct create_opts, ttl), "DURATION" },
	{ "home-size", 0, FLAG_QUANTITY, 0, offsetof(struct create_opts, home_size), "SIZE" },
	{ "storage-class", 0, FLAG_STRING, 0, offsetof(struct create_opts, storage_class), "CLASS" },
	{ "volume", 'v', FLAG_VOLUME, FLAG_REPEATABLE, offsetof(struct create_opts, volumes), "VOLUME" },
	{ "ssh-public-key-file", 0, FLAG_STRING, 0, offsetof(struct create_opts, ssh_key_file), "FILE" },
	{ "env", 0, FLAG_KEYVALUE, FLAG_REPEATABLE, offsetof(struct create_opts, env), "NAME=VALUE" },
	{ "wait", 0, FLAG_BOOL, 0, offsetof(struct create_opts, wait), NULL },
	{ "timeout", 0, FLAG_DURATION, 0, offsetof(struct create_opts, timeout), "DURATION" },
	{ "dry-run", 0, FLAG_BOOL, 0, offsetof(struct create_opts, dry_run), NULL },
	{ NULL, 0, 0, 0, 0, NULL },
};

static void create_init(void *p)
{
	struct create_opts *o = p;

	o->timeout.seconds = CLI_DEFAULT_TIMEOUT_SECONDS;
}

/* Reads the key file into o->ssh_keys: --ssh-public-key-file, the config's,
 * or the first of the usual ~/.ssh/id_*.pub keys. */
static int read_key_file(struct create_opts *o, const struct cli_ctx *ctx, struct error *err)
{
	static const char *const defaults[] = { "id_ed25519.pub", "id_ecdsa.pub", "id_rsa.pub" };
	const char *path = o->ssh_key_file;
	char *text = NULL;
	size_t len = 0;
	int rc;

	if (!path && ctx->config->ssh_public_key_file)
		path = ctx->config->ssh_public_key_file;
	if (!path) {
		struct error ignored;

		for (size_t i = 0; i < sizeof(defaults) / sizeof(defaults[0]) && ctx->home; i++) {
			snprintf(o->ssh_key_path, sizeof(o->ssh_key_path), "%s/.ssh/%s", ctx->home,
				 defaults[i]);
			if (cli_read_file(o->ssh_key_path, CREATE_SSH_KEYS_MAX_BYTES, &text, &len,
					  &ignored) == 0)
				break;
		}
		if (!text)
			return error_set(err, ERR_INVALID,
					 "no SSH public key found (tried ~/.ssh/id_ed25519.pub, "
					 "~/.ssh/id_ecdsa.pub, ~/.ssh/id_rsa.pub); use --ssh-public-key-file");
	} else {
		snprintf(o->ssh_key_path, sizeof(o->ssh_key_path), "%s", path);
		rc = cli_read_file(path, CREATE_SSH_KEYS_MAX_BYTES, &text, &len, err);
		if (rc < 0) {
			/* a usage error: the user named the file */
			error_prefix(err, "--ssh-public-key-file");
			err->code = ERR_INVALID;
			return ERR_INVALID;
		}
	}
	if (memchr(text, '\0', len)) {
		free(text);
		return error_set(err, ERR_INVALID, "--ssh-public-key-file: \"%s\" is not a text file",
				 o->ssh_key_path);
	}
	memcpy(o->ssh_keys, text, len + 1);
	free(text);
	return 0;
}

static bool has_space(const char *s)
{
	return strpbrk(s, " \t\r\n\v\f") != NULL;
}

static int create_check(struct cli_ctx *ctx, void *p, struct error *err)
{
	struct create_opts *o = p;
	struct volume_spec vi, vj;

	/* cli_parse has made --name the argument (CMD_NAME_FLAG) */
	o->name = o->c.nargs == 1 ? o->c.args[0] : CREATE_DEFAULT_NAME;
	if (!api_is_devserver_name(o->name, strlen(o->name)))
		return error_set(err, ERR_INVALID,
				 "invalid name \"%s\" (lower-case letters, digits and '-', starting "
				 "with a letter, at most %d characters)", o->name, API_DEVSERVER_NAME_MAX);
	o->namespace = ctx->g.namespace;
	if (ctx->g.all_namespaces)
		return error_set(err, ERR_INVALID, "-A does not apply to create");
	if (!o->flavor)
		o->flavor = ctx->config->flavor;
	if (o->flavor && !api_is_dns1123_subdomain(o->flavor, strlen(o->flavor)))
		return error_set(err, ERR_INVALID, "--flavor: invalid flavor name \"%s\"", o->flavor);
	if (!o->ttl.text && ctx->config->ttl) {
		o->ttl.text = ctx->config->ttl;
		o->ttl.seconds = ctx->config->ttl_seconds;
	}
	if (ctx->config->default_ttl_off) {
		o->default_ttl = NULL;
	} else if (ctx->config->default_ttl) {
		o->default_ttl = ctx->config->default_ttl;
		o->default_ttl_seconds = ctx->config->default_ttl_seconds;
	} else {
		o->default_ttl = CREATE_DEFAULT_TTL;
		o->default_ttl_seconds = CREATE_DEFAULT_TTL_SECONDS;
	}
	if (o->image && (has_space(o->image) || strlen(o->image) > IMAGE_MAX_BYTES))
		return error_set(err, ERR_INVALID, "--image: invalid image \"%s\"", o->image);
	if (o->storage_class && !api_is_dns1123_subdomain(o->storage_class, strlen(o->storage_class)))
		return error_set(err, ERR_INVALID, "--storage-class: invalid class name \"%s\"",
				 o->storage_class);
	if (o->volumes.n > CREATE_MAX_VOLUMES)
		return error_set(err, ERR_INVALID, "--volume: at most %d volumes", CREATE_MAX_VOLUMES);
	for (size_t i = 0; i < o->volumes.n; i++) {
		/* cannot fail: flags_parse accepted every --volume value with this
		 * same function before check runs */
		DS_IGNORE_RESULT(flags_parse_volume(o->volumes.items[i], &vi, NULL));
		/* the operator would refuse the DevServer for asking for two homes */
		if ((o->home_size || o->storage_class) && volume_path_is_home(vi.path))
			return error_set(err, ERR_INVALID,
					 "--volume: %s is the home, which %s already provides; remove one "
					 "of them", vi.path, o->home_size ? "--home-size" : "--storage-class");
		for (size_t j = 0; j < i; j++) {
			DS_IGNORE_RESULT(flags_parse_volume(o->volumes.items[j], &vj, NULL)); /* as above */
			if (strcmp(vi.path, vj.path) == 0)
				return error_set(err, ERR_INVALID, "--volume: %s is mounted twice", vi.path);
		}
	}
	if (o->env.n > CREATE_MAX_ENV)
		return error_set(err, ERR_INVALID, "--env: at most %d variables", CREATE_MAX_ENV);
	for (size_t i = 0; i < o->env.n; i++) {
		size_t ni = strcspn(o->env.items[i], "=");

		for (size_t j = 0; j < i; j++)
			if (strcspn(o->env.items[j], "=") == ni &&
			    memcmp(o->env.items[i], o->env.items[j], ni) == 0)
				return error_set(err, ERR_INVALID, "--env: %.*s is set twice", (int)ni,
						 o->env.items[i]);
	}
	if (o->wait && o->dry_run)
		return error_set(err, ERR_INVALID, "--wait and --dry-run cannot be combined");
	return read_key_file(o, ctx, err);
}

static struct json *obj_at(struct json *parent, const char *key)
{
	struct json *v = json_get(parent, key);

	if (!v) {
		v = json_new_object();
		json_object_set_take(parent, key, v);
	}
	return v;
}

/* True when line[0..len) looks like one OpenSSH public key: a key type
 * (ssh-*, ecdsa-*, sk-*), a base64 blob, an optional comment, all UTF-8.
 * Not a full parse: enough that a binary file or a YAML document given as
 * the key file is an error here rather than garbage sent as keys. */
static bool looks_like_key(const char *line, size_t len)
{
	size_t t = 0, b;

	while (t < len && line[t] != ' ' && line[t] != '\t')
		t++;
	if (!((t > 4 && strncmp(line, "ssh-", 4) == 0) ||
	      (t > 6 && strncmp(line, "ecdsa-", 6) == 0) || (t > 3 && strncmp(line, "sk-", 3) == 0)))
		return false;
	for (size_t i = 0; i < t; i++)
		if (!isalnum((unsigned char)line[i]) && !strchr("-@._", line[i]))
			return false;
	while (t < len && (line[t] == ' ' || line[t] == '\t'))
		t++;
	for (b = t; b < len && line[b] != ' ' && line[b] != '\t'; b++)
		if (!isalnum((unsigned char)line[b]) && !strchr("+/=", line[b]))
			return false;
	if (b == t)
		return false;
	for (size_t i = b, k; i < len; i += k)
		if ((k = utf8_seq_len(line + i, len - i)) == 0 ||
		    (k == 1 && (unsigned char)line[i] < 0x20 && line[i] != '\t'))
			return false;
	return true;
}

static int add_keys(struct json *spec, const char *text, const char *path, struct error *err)
{
	struct json *keys = json_new_array();
	const char *p = text;
	size_t lineno = 0;

	while (*p) {
		size_t n = strcspn(p, "\n");
		size_t m = n;

		while (m > 0 && (p[m - 1] == '\r' || p[m - 1] == ' ' || p[m - 1] == '\t'))
			m--;
		while (m > 0 && (*p == ' ' || *p == '\t'))
			p++, m--, n--;
		lineno++;
		if (m > 0 && p[0] != '#' && !looks_like_key(p, m)) {
			json_free(keys);
			return error_set(err, ERR_INVALID,
					 "\"%s\" line %zu is not an SSH public key (TYPE BASE64 [COMMENT])",
					 path, lineno);
		}
		if (m > 0 && p[0] != '#') {
			if (keys->u.arr.len >= CREATE_SSH_KEYS_MAX) {
				json_free(keys);
				return error_set(err, ERR_INVALID, "\"%s\" has more than %d keys", path,
						 CREATE_SSH_KEYS_MAX);
			}
			json_array_push_take(keys, json_new_stringn(p, m));
		}
		p += n;
		if (*p == '\n')
			p++;
	}
	if (keys->u.arr.len == 0) {
		json_free(keys);
		return error_set(err, ERR_INVALID, "\"%s\" holds no SSH public key", path);
	}
	/* the predecessor's field, which its tools require; the same key is no
	 * second key (the operator keeps the first of each duplicate) */
	json_object_set_take(obj_at(spec, "ssh"), "publicKey",
			     json_new_stringn(keys->u.arr.items[0]->u.str.ptr,
					      keys->u.arr.items[0]->u.str.len));
	json_object_set_take(obj_at(spec, "ssh"), "publicKeys", keys);
	return 0;
}

int create_build_devserver(const struct create_opts *o, struct json **out, struct error *err)
{
	struct json *ds = json_new_object(), *meta = json_new_object(), *spec = json_new_object();

	*out = NULL;
	json_object_set_take(ds, "apiVersion", json_new_string(API_GROUP_VERSION));
	json_object_set_take(ds, "kind", json_new_string("DevServer"));
	json_object_set_take(ds, "metadata", meta);
	json_object_set_take(ds, "spec", spec);
	json_object_set_take(meta, "name", json_new_string(o->name));
	if (o->namespace)
		json_object_set_take(meta, "namespace", json_new_string(o->namespace));
	if (o->flavor)
		json_object_set_take(spec, "flavor", json_new_string(o->flavor));
	if (o->image)
		json_object_set_take(spec, "image", json_new_string(o->image));
	if (o->ttl.text)
		json_object_set_take(obj_at(spec, "lifecycle"), "timeToLive",
				     json_new_string(o->ttl.text));
	if (o->home_size || o->storage_class) {
		struct json *home = obj_at(spec, "home");

		if (o->home_size)
			json_object_set_take(home, "size", json_new_string(o->home_size));
		if (o->storage_class)
			json_object_set_take(home, "storageClassName", json_new_string(o->storage_class));
	}
	if (o->volumes.n) {
		struct json *vols = json_new_array();

		json_object_set_take(spec, "volumes", vols);
		for (size_t i = 0; i < o->volumes.n; i++) {
			struct json *v = json_new_object();
			struct volume_spec vs;

			if (flags_parse_volume(o->volumes.items[i], &vs, err) < 0) {
				json_free(ds);
				return error_prefix(err, "--volume");
			}
			json_object_set_take(v, "claimName", json_new_string(vs.claim));
			json_object_set_take(v, "mountPath", json_new_string(vs.path));
			if (vs.read_only)
				json_object_set_take(v, "readOnly", json_new_bool(true));
			json_array_push_take(vols, v);
		}
	}
	if (add_keys(spec, o->ssh_keys, o->ssh_key_path, err) < 0) {
		json_free(ds);
		return error_prefix(err, "--ssh-public-key-file");
	}
	if (o->env.n) {
		struct json *env = json_new_array();

		json_object_set_take(spec, "env", env);
		for (size_t i = 0; i < o->env.n; i++) {
			struct json *e = json_new_object();
			const char *kv = o->env.items[i];
			size_t n = strcspn(kv, "=");

			json_object_set_take(e, "name", json_new_stringn(kv, n));
			json_object_set_take(e, "value", json_new_string(kv[n] ? kv + n + 1 : ""));
			json_array_push_take(env, e);
		}
	}
	*out = ds;
	return 0;
}

/* flavors as the pointer list flavor.h takes (NULL when not an array);
 * free() it. */
static const struct json **flavor_list(const struct json *flavors, size_t *n)
{
	const struct json **list;

	*n = 0;
	if (!flavors || flavors->type != JSON_ARRAY)
		return NULL;
	list = mem_calloc(flavors->u.arr.len + 1, sizeof(*list));
	for (size_t i = 0; i < flavors->u.arr.len; i++)
		list[(*n)++] = flavors->u.arr.items[i];
	return list;
}

bool create_default_ttl(const char *flavor, const struct json *flavors, const char *fallback,
			int64_t fallback_s, char out[DURATION_TEXT_BYTES])
{
	const struct json **list, *f = NULL, *lc;
	struct json *ds, *spec;
	const char *dflt, *max_text;
	int64_t ttl = 0, max = 0;
	bool have_max;
	size_t n;
	struct error ignored;

	list = flavor_list(flavors, &n);
	if (list) {
		/* the DevServer as the operator will see it, for flavor_resolve */
		ds = json_new_object();
		spec = json_new_object();
		json_object_set_take(ds, "spec", spec);
		if (flavor)
			json_object_set_take(spec, "flavor", json_new_string(flavor));
		if (flavor_resolve(ds, list, n, &f, &ignored) < 0)
			f = NULL; /* the operator reports it; the fallback stands meanwhile */
		json_free(ds);
		free(list);
	}
	lc = json_path(f, "spec", "lifecycle", (char *)NULL);
	dflt = json_get_string(lc, "defaultTimeToLive");
	max_text = json_get_string(lc, "maxTimeToLive");
	have_max = max_text && duration_parse(max_text, &max) == 0 && max > 0;
	if (dflt && duration_parse(dflt, &ttl) == 0) {
		snprintf(out, DURATION_TEXT_BYTES, "%s", dflt);
	} else if (fallback) {
		snprintf(out, DURATION_TEXT_BYTES, "%s", fallback);
		ttl = fallback_s;
	} else if (have_max) {
		/* the operator caps "no expiry" at the maximum too */
		duration_format(max, out);
		return true;
	} else {
		return false;
	}
	if (have_max && max < ttl)
		duration_format(max, out);
	return true;
}

bool create_default_flavor(const struct json *flavors, char out[CREATE_FLAVOR_NAME_MAX_BYTES + 1])
{
	const struct json **list, *named = NULL, *f;
	struct json *ds;
	const char *name;
	size_t n;
	struct error ignored;

	list = flavor_list(flavors, &n);
	if (!list)
		return false;
	ds = json_new_object();
	json_object_set_take(ds, "spec", json_new_object());
	/* named is set before redirects are followed, even when one fails: the
	 * result (whether the redirect chain resolves) is the operator's to report */
	DS_IGNORE_RESULT(flavor_resolve_via(ds, list, n, &named, &f, &ignored));
	json_free(ds);
	free(list);
	name = flavor_name(named);
	if (!name || strlen(name) > CREATE_FLAVOR_NAME_MAX_BYTES ||
	    !api_is_dns1123_subdomain(name, strlen(name)))
		return false;
	snprintf(out, CREATE_FLAVOR_NAME_MAX_BYTES + 1, "%s", name);
	return true;
}

void create_apply_flavors(struct create_opts *o, const struct json *flavors)
{
	if (!o->flavor && create_default_flavor(flavors, o->flavor_name))
		o->flavor = o->flavor_name;
	if (!o->ttl.text &&
	    create_default_ttl(o->flavor, flavors, o->default_ttl, o->default_ttl_seconds, o->ttl_text)) {
		o->ttl.text = o->ttl_text;
		/* cannot fail: create_default_ttl wrote ttl_text as a duration */
		DS_IGNORE_RESULT(duration_parse(o->ttl_text, &o->ttl.seconds));
	}
}

/* create_apply_flavors with the cluster's flavors, read only when the
 * command line left the flavor or the time to live open (unreadable ones
 * count as unknown). */
static void create_read_flavors(struct cli_ctx *ctx, struct create_opts *o)
{
	struct json *flavors = NULL;
	struct error ignored;

	if (o->flavor && o->ttl.text)
		return;
	if (backend_list_flavors(&ctx->g, &flavors, &ignored) < 0)
		flavors = NULL;
	create_apply_flavors(o, flavors);
	json_free(flavors);
}

static bool ready_done(const struct json *obj, void *arg)
{
	struct wait_for w = { .kind = WAIT_READY };

	return wait_is_met(&w, obj);
}

static int create_run(struct cli_ctx *ctx, void *p)
{
	struct create_opts *o = p;
	struct json *ds = NULL, *created = NULL;
	struct error err;
	struct buf b;
	int rc;

	buf_init(&b, OUTPUT_MAX_BYTES);
	create_read_flavors(ctx, o);
	if (create_build_devserver(o, &ds, &err) < 0) {
		buf_cleanup(&b);
		return cli_fail_err(ctx, "create", &err);
	}
	if (o->dry_run) {
		rc = output_object(ds, NULL, ctx->format == OUT_TABLE ? OUT_YAML : ctx->format, &b,
				   &err);
		json_free(ds);
		rc = rc < 0 ? cli_fail_err(ctx, "create", &err) : cli_write(ctx, &b);
		buf_cleanup(&b);
		return rc;
	}
	rc = backend_create(&ctx->g, ds, &created, &err);
	json_free(ds);
	if (rc < 0) {
		buf_cleanup(&b);
		return cli_fail_err(ctx, "create", &err);
	}
	if (ctx->format == OUT_TABLE)
		buf_appendf(&b, OUTPUT_DEVSERVER_RESOURCE "/%s created\n", o->name);
	else
		rc = output_object(created, NULL, ctx->format, &b, &err);
	json_free(created);
	if (rc < 0) {
		buf_cleanup(&b);
		return cli_fail_err(ctx, "create", &err);
	}
	rc = cli_write(ctx, &b);
	buf_cleanup(&b);
	if (rc != EXIT_OK || !o->wait)
		return rc;
	if (backend_watch(&ctx->g, o->name, o->timeout.seconds * 1000, ready_done, NULL, NULL,
			  &err) < 0)
		return cli_fail_err(ctx, "create", &err);
	if (ctx->format == OUT_TABLE)
		fprintf(ctx->out, OUTPUT_DEVSERVER_RESOURCE "/%s ready\n", o->name);
	return EXIT_OK;
}

const struct command cmd_create = {
	.name = "create",
	.summary = "Create a DevServer",
	.usage =
	"Usage: devctl create [NAME] [flags]\n"
	"\n"
	"Create a DevServer named NAME (--name NAME also works; default: dev).\n"
	"\n"
	"Flags:\n"
	"      --name NAME                 the name, instead of the NAME argument\n"
	"      --flavor FLAVOR             DevServerFlavor to use (default: the cluster's default flavor)\n"
	"      --image IMAGE               container image (default: the flavor's)\n"
	"      --ttl DURATION              time to live, e.g. 4h, 1h30m, 2d (alias --time; default:\n"
	"                                  the flavor's defaultTimeToLive, else 4h - defaultTTL in\n"
	"                                  the config file changes that, defaultTTL: none drops it)\n"
	"      --home-size SIZE            persistent home of this size, e.g. 20Gi\n"
	"      --storage-class CLASS       storage class of the home (implies a persistent home)\n"
	"  -v, --volume CLAIM:/path[:ro]   mount an existing PVC; repeatable\n"
	"      --ssh-public-key-file FILE  key to authorize (default: the first of ~/.ssh/id_ed25519.pub,\n"
	"                                  ~/.ssh/id_ecdsa.pub, ~/.ssh/id_rsa.pub)\n"
	"      --env NAME=VALUE            environment variable; repeatable\n"
	"      --wait                      wait until the DevServer is ready\n"
	"      --timeout DURATION          how long --wait waits (default 5m)\n"
	"      --dry-run                   print the DevServer instead of creating it\n"
	"  -o, --output FORMAT             yaml|json|name (--dry-run prints yaml by default)\n"
	"\n"
	"Examples:\n"
	"  devctl create mybox --flavor cpu-small --ttl 8h --home-size 20Gi\n"
	"  devctl create --flavor cpu-small          # named dev\n"
	"  devctl create mybox -v datasets:/data:ro --env HF_HOME=/data/hf --wait\n"
	"  devctl create mybox --dry-run -o json\n",
	.flags = create_flags,
	.min_args = 0,
	.max_args = 1,
	.formats = OUT_TABLE | OUT_JSON | OUT_YAML | OUT_NAME,
	.opts_size = sizeof(struct create_opts),
	.init = create_init,
	.check = create_check,
	.run = create_run,
};
