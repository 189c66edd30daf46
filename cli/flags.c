/* flags.c - the flag parser (see flags.h) and the value checks it shares
 * with the config file and the object builders.
 *
 * Why our own and not getopt_long: getopt permutes argv, has no notion of a
 * value type or a repeatable flag, prints its own messages to stderr, and
 * keeps global state (optind) that a test calling cli_main twice must reset.
 * The table form also feeds `completion bash` and the help consistency test.
 *
 * A non-repeatable flag given twice is an error rather than "last one wins":
 * `--ttl 4h ... --ttl 8h` in a script is almost always a mistake.
 */
#include "flags.h"

#include <ctype.h>
#include <errno.h>
#include <regex.h>
#include <stdlib.h>
#include <string.h>

#include "command.h"
#include "core/duration.h"
#include "core/utf8.h"

const struct flag_spec flags_global[] = {
	{ "kubeconfig", 0, FLAG_STRING, 0, offsetof(struct global_opts, kubeconfig), "FILE" },
	{ "context", 0, FLAG_STRING, 0, offsetof(struct global_opts, context), "NAME" },
	{ "namespace", 'n', FLAG_STRING, 0, offsetof(struct global_opts, namespace), "NS" },
	{ "all-namespaces", 'A', FLAG_BOOL, 0, offsetof(struct global_opts, all_namespaces), NULL },
	{ "output", 'o', FLAG_STRING, 0, offsetof(struct global_opts, output), "FORMAT" },
	{ NULL, 0, 0, 0, 0, NULL },
};

int flags_check_duration(const char *s, int64_t *seconds, struct error *err)
{
	int rc = duration_parse(s, seconds);

	if (rc == ERR_LIMIT)
		return error_set(err, ERR_INVALID, "duration \"%s\" is too long (at most %lldd)",
				 s, (long long)(DURATION_MAX_SECONDS / 86400));
	if (rc < 0)
		return error_set(err, ERR_INVALID, "invalid duration \"%s\" (use e.g. 4h, 1h30m, 2d)", s);
	return 0;
}

/* The CRD's quantity pattern (docs/api.md, Quantities), without a sign. */
#define QUANTITY_RE "^\\+?(([0-9]+(\\.[0-9]*)?)|(\\.[0-9]+))" \
	"(([KMGTPE]i)|[numkMGTPE]|([eE][+-]?(([0-9]+(\\.[0-9]*)?)|(\\.[0-9]+))))?$"
#define QUANTITY_MAX_BYTES 64

int flags_check_quantity(const char *s, struct error *err)
{
	regex_t re;
	int rc;

	if (strlen(s) > QUANTITY_MAX_BYTES)
		return error_set(err, ERR_INVALID, "quantity \"%.20s...\" is too long", s);
	rc = regcomp(&re, QUANTITY_RE, REG_EXTENDED | REG_NOSUB);
	if (rc != 0)
		return error_set(err, ERR_INVALID, "internal: quantity pattern does not compile");
	rc = regexec(&re, s, 0, NULL, 0);
	regfree(&re);
	if (rc != 0)
		return error_set(err, ERR_INVALID,
				 "invalid quantity \"%s\" (use e.g. 20Gi, 500Mi, 1Ti)", s);
	return 0;
}

int flags_check_env_name(const char *s, size_t len, struct error *err)
{
	bool ok = len > 0 && len <= 128 && (isalpha((unsigned char)s[0]) || s[0] == '_');

	for (size_t i = 1; ok && i < len; i++)
		ok = isalnum((unsigned char)s[i]) || s[i] == '_';
	if (!ok)
		return error_set(err, ERR_INVALID,
				 "invalid variable name \"%.*s\" (letters, digits and _, not starting with a digit)",
				 (int)(len > 128 ? 128 : len), s);
	return 0;
}

int flags_parse_volume(const char *s, struct volume_spec *v, struct error *err)
{
	const char *colon = strchr(s, ':');
	const char *path, *mode;
	size_t claim_len, path_len;

	memset(v, 0, sizeof(*v));
	if (!colon)
		return error_set(err, ERR_INVALID,
				 "invalid volume \"%s\" (use CLAIM:/path or CLAIM:/path:ro)", s);
	claim_len = (size_t)(colon - s);
	if (!api_is_dns1123_subdomain(s, claim_len))
		return error_set(err, ERR_INVALID,
				 "invalid volume \"%s\": claim \"%.*s\" is not a valid PVC name", s,
				 (int)(claim_len > 253 ? 253 : claim_len), s);
	path = colon + 1;
	mode = strchr(path, ':');
	path_len = mode ? (size_t)(mode - path) : strlen(path);
	if (path_len == 0 || path[0] != '/')
		return error_set(err, ERR_INVALID,
				 "invalid volume \"%s\": the mount path must be absolute", s);
	if (path_len > VOLUME_PATH_MAX_BYTES)
		return error_set(err, ERR_INVALID, "invalid volume: the mount path is too long");
	for (size_t i = 0; i < path_len; i++)
		if ((unsigned char)path[i] < 0x20 || path[i] == 0x7f)
			return error_set(err, ERR_INVALID,
					 "invalid volume \"%s\": the mount path has a control character", s);
	if (mode) {
		if (strcmp(mode + 1, "ro") == 0)
			v->read_only = true;
		else if (strcmp(mode + 1, "rw") != 0)
			return error_set(err, ERR_INVALID,
					 "invalid volume \"%s\": suffix \"%s\" must be ro or rw", s, mode + 1);
	}
	memcpy(v->claim, s, claim_len);
	memcpy(v->path, path, path_len);
	return 0;
}

bool volume_path_is_home(const char *path)
{
	size_t n = strlen(path), home = sizeof(VOLUME_HOME_PATH) - 1;

	while (n > 1 && path[n - 1] == '/')
		n--;
	return n == home && memcmp(path, VOLUME_HOME_PATH, home) == 0;
}

static int check_int(const char *s, int64_t *out, struct error *err)
{
	char *end;
	long long v;

	errno = 0;
	if (!isdigit((unsigned char)s[0]))
		return error_set(err, ERR_INVALID, "invalid number \"%s\" (a whole number >= 0)", s);
	v = strtoll(s, &end, 10);
	if (*end != '\0' || errno == ERANGE)
		return error_set(err, ERR_INVALID, "invalid number \"%s\" (a whole number >= 0)", s);
	*out = v;
	return 0;
}

/* Stores value (NULL for a bare boolean flag) into the field of f. */
static int store(const struct flag_spec *f, void *base, const char *value, struct error *err)
{
	char *field = (char *)base + f->off;
	struct flag_list *list = (struct flag_list *)field;
	struct volume_spec vol;
	int rc = 0;

	/* Every value ends up in JSON/YAML, which cannot carry invalid UTF-8;
	 * say so here, naming the flag, rather than when encoding. */
	if (value && !utf8_valid(value, strlen(value)))
		return error_set(err, ERR_INVALID, "value is not valid UTF-8");
	switch (f->type) {
	case FLAG_BOOL:
		if (!value || strcmp(value, "true") == 0)
			*(bool *)field = true;
		else if (strcmp(value, "false") == 0)
			*(bool *)field = false;
		else
			rc = error_set(err, ERR_INVALID, "invalid value \"%s\" (true or false)", value);
		return rc;
	case FLAG_STRING:
		if (value[0] == '\0')
			return error_set(err, ERR_INVALID, "empty value");
		*(const char **)field = value;
		return 0;
	case FLAG_QUANTITY:
		rc = flags_check_quantity(value, err);
		if (rc == 0)
			*(const char **)field = value;
		return rc;
	case FLAG_DURATION: {
		struct flag_duration *d = (struct flag_duration *)field;

		rc = flags_check_duration(value, &d->seconds, err);
		if (rc == 0)
			d->text = value;
		return rc;
	}
	case FLAG_INT:
		return check_int(value, (int64_t *)field, err);
	case FLAG_KEYVALUE: {
		const char *eq = strchr(value, '=');

		if (!eq)
			return error_set(err, ERR_INVALID, "invalid value \"%s\" (use NAME=VALUE)", value);
		rc = flags_check_env_name(value, (size_t)(eq - value), err);
		break;
	}
	case FLAG_VOLUME:
		rc = flags_parse_volume(value, &vol, err);
		break;
	}
	if (rc < 0)
		return rc;
	if (list->n >= FLAG_LIST_MAX)
		return error_set(err, ERR_INVALID, "given more than %d times", FLAG_LIST_MAX);
	list->items[list->n++] = value;
	return 0;
}

/* Finds the flag for "--name" (name_len bytes) or "-x" in spec then the
 * globals; *base gets the struct it writes to. */
static const struct flag_spec *lookup(const struct flag_spec *spec, void *opts,
				      struct global_opts *g, const char *name, size_t name_len,
				      char shrt, void **base)
{
	const struct flag_spec *tables[2] = { spec, flags_global };
	void *bases[2] = { opts, g };

	for (int t = 0; t < 2; t++) {
		for (const struct flag_spec *f = tables[t]; f && f->name; f++) {
			if (shrt ? f->shrt == shrt
				 : strlen(f->name) == name_len && memcmp(f->name, name, name_len) == 0) {
				*base = bases[t];
				return f;
			}
		}
	}
	return NULL;
}

int flags_parse(const struct flag_spec *spec, void *opts, struct global_opts *g,
		int argc, char **argv, const char **pos, int max_pos, int *npos,
		bool stop_at_pos, int *consumed, bool *help, struct error *err)
{
	/* Fields already set by a flag, to refuse a second one (aliases share the
	 * field, so --ttl 4h --time 8h is refused too). */
	const void *seen[2 * FLAGS_MAX_SPECS];
	size_t nseen = 0;
	bool flags_done = false;
	int i;

	*npos = 0;
	for (i = 0; i < argc; i++) {
		const char *a = argv[i], *name, *value = NULL, *eq;
		const struct flag_spec *f;
		char shown[80];
		void *base = NULL;
		size_t name_len;
		int rc;

		if (flags_done || a[0] != '-' || a[1] == '\0') {
			if (stop_at_pos)
				break;
			if (*npos >= max_pos)
				return max_pos == 0
					? error_set(err, ERR_INVALID, "unexpected argument \"%s\"", a)
					: error_set(err, ERR_INVALID, "too many arguments (at most %d)", max_pos);
			pos[(*npos)++] = a;
			continue;
		}
		if (strcmp(a, "--") == 0) {
			flags_done = true;
			continue;
		}
		if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
			*help = true;
			continue;
		}
		if (a[1] == '-') {
			name = a + 2;
			eq = strchr(name, '=');
			name_len = eq ? (size_t)(eq - name) : strlen(name);
			if (eq)
				value = eq + 1;
			f = lookup(spec, opts, g, name, name_len, 0, &base);
			snprintf(shown, sizeof(shown), "--%.*s", (int)(name_len > 60 ? 60 : name_len), name);
		} else {
			if (a[2] != '\0')
				return error_set(err, ERR_INVALID,
						 "unknown flag \"%s\" (short flags stand alone: -n NS, not -nNS)", a);
			f = lookup(spec, opts, g, NULL, 0, a[1], &base);
			snprintf(shown, sizeof(shown), "%s", a);
		}
		if (!f)
			return error_set(err, ERR_INVALID, "unknown flag %s", shown);
		if (f->type == FLAG_BOOL) {
			/* a bare boolean never takes the next argument as its value */
		} else if (!value) {
			if (i + 1 >= argc)
				return error_set(err, ERR_INVALID, "%s needs a value", shown);
			value = argv[++i];
		}
		/* A global string flag already set was given before the command
		 * name (`devctl -o json list -o yaml`): the same mistake. */
		if (base == (void *)g && f->type == FLAG_STRING &&
		    *(const char **)((char *)base + f->off) != NULL)
			return error_set(err, ERR_INVALID, "%s given more than once", shown);
		if (!(f->attrs & FLAG_REPEATABLE)) {
			const void *field = (char *)base + f->off;

			for (size_t k = 0; k < nseen; k++)
				if (seen[k] == field)
					return error_set(err, ERR_INVALID, "%s given more than once", shown);
			if (nseen < sizeof(seen) / sizeof(seen[0]))
				seen[nseen++] = field;
		}
		rc = store(f, base, value, err);
		if (rc < 0)
			return error_prefix(err, "%s", shown);
	}
	if (consumed)
		*consumed = i;
	return 0;
}
