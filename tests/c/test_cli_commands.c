/* test_cli_commands.c - every devctl command: what its flags parse into, the
 * usage errors (exit 2 and the start of the message), the pure builders
 * (create's DevServer, the stop/start and extend patches, wait conditions),
 * the offline commands end to end, and help text that matches the docs.
 *
 * Commands run through cli_main_io with memstreams for stdout and stderr, and
 * a fixed clock; HOME is a temporary directory with an SSH key.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "cmd_opts.h"
#include "power.h"
#include "command.h"
#include "config.h"
#include "json/json.h"
#include "json/yaml_doc.h"
#include "support/testutil.h"

#define NOW 1795687200LL /* 2026-11-26T10:00:00Z */
#define MAX_WORDS 32

static char tmpdir[] = "/tmp/test_cli_commands.XXXXXX";
static char keyfile[512];

static void path_in_tmp(char *out, size_t n, const char *rel)
{
	snprintf(out, n, "%s/%s", tmpdir, rel);
}

static int setup(void **state)
{
	char p[512];

	if (tu_tmpdir_make(tmpdir))
		return -1;
	path_in_tmp(p, sizeof(p), ".ssh");
	mkdir(p, 0700);
	path_in_tmp(keyfile, sizeof(keyfile), ".ssh/id_ecdsa.pub");
	tu_write_file(keyfile, "# my laptop\nssh-ecdsa AAAAkey1 me@laptop\r\n\n  ssh-ed25519 AAAAkey2 me@desk  \n");
	setenv("HOME", tmpdir, 1);
	unsetenv("DEVCTL_CONFIG");
	return 0;
}

static int teardown(void **state)
{
	return tu_tmpdir_remove(tmpdir);
}

struct run {
	int rc;
	char *out, *err;
	size_t outlen, errlen;
};

/* Runs devctl with the NULL-terminated words. */
static void run(struct run *r, ...)
{
	char *argv[MAX_WORDS];
	int argc = 0;
	FILE *o, *e;
	va_list ap;
	char *w;

	argv[argc++] = "devctl";
	va_start(ap, r);
	while ((w = va_arg(ap, char *)) && argc < MAX_WORDS)
		argv[argc++] = w;
	va_end(ap);
	o = open_memstream(&r->out, &r->outlen);
	e = open_memstream(&r->err, &r->errlen);
	r->rc = cli_main_io(argc, argv, o, e, NOW);
	fclose(o);
	fclose(e);
}

static void run_free(struct run *r)
{
	free(r->out);
	free(r->err);
}

static void assert_starts_with(const char *s, const char *prefix)
{
	if (strncmp(s, prefix, strlen(prefix)) != 0)
		fail_msg("\"%s\" does not start with \"%s\"", s, prefix);
}

/* Runs and expects a usage error whose stderr starts with prefix, one line,
 * and nothing on stdout. */
#define EXPECT_USAGE(prefix, ...) do { \
		struct run r_; \
		run(&r_, __VA_ARGS__, NULL); \
		if (r_.rc != EXIT_USAGE) \
			fail_msg("exit %d, stderr: %s", r_.rc, r_.err); \
		assert_starts_with(r_.err, prefix); \
		assert_non_null(strchr(r_.err, '\n')); \
		assert_int_equal(strchr(r_.err, '\n')[1], '\0'); \
		assert_string_equal(r_.out, ""); \
		run_free(&r_); \
	} while (0)

/* Parses words (argv[0] is the command name) with an empty config, into
 * opts - which must be the command's own options struct: cli_parse clears
 * cmd->opts_size bytes of it (parse() checks the size). */
#define parse(cmd, opts, ...) \
	(assert_int_equal(sizeof(*(opts)), (cmd)->opts_size), parse_words((cmd), (opts), __VA_ARGS__))

static int parse_words(const struct command *cmd, void *opts, struct cli_ctx *ctx, struct error *err,
		       ...)
{
	static struct cli_config empty;
	char *argv[MAX_WORDS];
	int argc = 0;
	va_list ap;
	char *w;

	cli_config_init(&empty);
	memset(ctx, 0, sizeof(*ctx));
	ctx->config = &empty;
	ctx->home = tmpdir;
	ctx->now = NOW;
	va_start(ap, err);
	while ((w = va_arg(ap, char *)) && argc < MAX_WORDS)
		argv[argc++] = w;
	va_end(ap);
	return cli_parse(cmd, ctx, argc, argv, opts, err);
}

/* ---- global ---- */

static void test_global(void **state)
{
	struct run r;

	run(&r, "--help", NULL);
	assert_int_equal(r.rc, EXIT_OK);
	assert_starts_with(r.out, "Usage: devctl [global flags] COMMAND");
	for (size_t i = 0; cli_commands[i]; i++)
		assert_non_null(strstr(r.out, cli_commands[i]->name));
	run_free(&r);

	run(&r, NULL);
	assert_int_equal(r.rc, EXIT_USAGE);
	assert_starts_with(r.err, "Usage: devctl");
	run_free(&r);

	run(&r, "--version", NULL);
	assert_int_equal(r.rc, EXIT_OK);
	assert_starts_with(r.out, "Client Version: ");
	run_free(&r);

	EXPECT_USAGE("devctl: unknown command \"bogus\" (see devctl --help)", "bogus");
	EXPECT_USAGE("devctl: unknown flag --bogus (see devctl --help)", "--bogus", "list");
	EXPECT_USAGE("devctl: -n needs a value", "-n");
	EXPECT_USAGE("devctl: unknown flag \"-nfoo\"", "-nfoo", "list");
	EXPECT_USAGE("devctl list: unknown flag --bogus", "list", "--bogus");
	EXPECT_USAGE("devctl list: -o given more than once", "-o", "json", "list", "-o", "yaml");
	EXPECT_USAGE("devctl: --namespace given more than once", "-n", "a", "--namespace", "b", "list");
	/* -o is checked per command: a bogus value never passes */
	EXPECT_USAGE("devctl list: -o: invalid output format \"bogus\" (use table, wide, json, yaml or name)",
		     "list", "-o", "bogus");
	EXPECT_USAGE("devctl list: -o: invalid output format \"bogus\"", "-o", "bogus", "list");
	EXPECT_USAGE("devctl describe: -o: this command takes no output format", "describe", "x",
		     "-o", "json");
	EXPECT_USAGE("devctl delete: -o: invalid output format \"yaml\" (use table or name)", "delete",
		     "x", "-o", "yaml");
	EXPECT_USAGE("devctl render: -o: invalid output format \"wide\" (use table, json or yaml)",
		     "render", "-f", "x", "-o", "wide");
}

static void test_globals_before_and_after(void **state)
{
	struct cli_ctx ctx;
	struct name_opts o;
	struct error err;

	assert_int_equal(parse(&cmd_list, &o, &ctx, &err, "list", "-n", "ns1", "--context", "c",
			       "--kubeconfig=/k", "-o", "wide", NULL), 0);
	assert_string_equal(ctx.g.namespace, "ns1");
	assert_string_equal(ctx.g.context, "c");
	assert_string_equal(ctx.g.kubeconfig, "/k");
	assert_int_equal(ctx.format, OUT_WIDE);
	assert_int_equal(parse(&cmd_list, &o, &ctx, &err, "list", "--all-namespaces",
			       "--output=yaml", NULL), 0);
	assert_true(ctx.g.all_namespaces);
	assert_int_equal(ctx.format, OUT_YAML);
	assert_int_equal(parse(&cmd_list, &o, &ctx, &err, "list", NULL), 0);
	assert_int_equal(ctx.format, OUT_TABLE);
	assert_null(ctx.g.namespace);

	/* before the command, through cli_main: the stub answers, so parsing passed */
	{
		struct run r;

		run(&r, "-n", "ns1", "--context", "c", "-A", "-o", "name", "list", NULL);
		assert_int_equal(r.rc, EXIT_FAILED);
		assert_string_equal(r.err, "devctl list: not connected to a cluster yet\n");
		run_free(&r);
	}
}

/* ---- help ---- */

static void test_help_everywhere_and_in_docs(void **state)
{
	char *docs = NULL;
	size_t len;
	struct error err;
	char docs_path[512];

	snprintf(docs_path, sizeof(docs_path), "%s/docs/devctl.md", DEVSERVER_SOURCE_DIR);
	assert_int_equal(cli_read_file(docs_path, 1024 * 1024, &docs, &len, &err), 0);
	for (size_t i = 0; cli_commands[i]; i++) {
		const struct command *c = cli_commands[i];
		struct run r;

		run(&r, c->name, "--help", NULL);
		assert_int_equal(r.rc, EXIT_OK);
		assert_string_equal(r.out, c->usage);
		run_free(&r);
		run(&r, c->name, "-h", "--bogus-is-ignored-with-help", NULL);
		assert_int_equal(r.rc, EXIT_OK);
		run_free(&r);
		/* the docs repeat each help text verbatim */
		if (!strstr(docs, c->usage))
			fail_msg("docs/devctl.md lacks the help text of %s", c->name);
		/* every flag in the table is in the help */
		for (const struct flag_spec *f = c->flags; f && f->name; f++) {
			char word[64];

			snprintf(word, sizeof(word), "--%s", f->name);
			if (!strstr(c->usage, word))
				fail_msg("%s --help does not mention %s", c->name, word);
		}
	}
	free(docs);
}

/* ---- create ---- */

static void test_create_parse(void **state)
{
	struct create_opts o;
	struct cli_ctx ctx;
	struct error err;

	assert_int_equal(parse(&cmd_create, &o, &ctx, &err, "create", "mybox", "--flavor", "cpu-small",
			       "--image", "img:1", "--time", "90m", "--home-size", "20Gi",
			       "--storage-class", "fast", "-v", "data:/data:ro", "--volume=scratch:/s",
			       "--env", "A=1", "--env", "B=x=y", "--wait", "--timeout", "10m", "-n",
			       "team", NULL), 0);
	assert_string_equal(o.name, "mybox");
	assert_string_equal(o.namespace, "team");
	assert_string_equal(o.flavor, "cpu-small");
	assert_string_equal(o.image, "img:1");
	assert_string_equal(o.ttl.text, "90m");
	assert_int_equal(o.ttl.seconds, 5400);
	assert_string_equal(o.home_size, "20Gi");
	assert_string_equal(o.storage_class, "fast");
	assert_int_equal(o.volumes.n, 2);
	assert_int_equal(o.env.n, 2);
	assert_true(o.wait);
	assert_false(o.dry_run);
	assert_int_equal(o.timeout.seconds, 600);
	assert_string_equal(o.ssh_key_path, keyfile);

	/* --name, the predecessor's spelling; defaults */
	assert_int_equal(parse(&cmd_create, &o, &ctx, &err, "create", "--name", "old", NULL), 0);
	assert_string_equal(o.name, "old");
	assert_null(o.flavor);
	assert_null(o.ttl.text);
	assert_int_equal(o.timeout.seconds, CLI_DEFAULT_TIMEOUT_SECONDS);
	assert_false(o.wait);
	/* the same name both ways is fine */
	assert_int_equal(parse(&cmd_create, &o, &ctx, &err, "create", "a", "--name", "a", NULL), 0);
	/* no name at all: the predecessor's default */
	assert_int_equal(parse(&cmd_create, &o, &ctx, &err, "create", "--flavor", "f", NULL), 0);
	assert_string_equal(o.name, "dev");
	assert_string_equal(o.name, CREATE_DEFAULT_NAME);
}

static void test_create_usage_errors(void **state)
{
	char missing[600];

	path_in_tmp(missing, sizeof(missing), "nope.pub");
	EXPECT_USAGE("devctl create: --ttl: invalid duration \"4x\" (use e.g. 4h, 1h30m, 2d)",
		     "create", "box", "--ttl", "4x");
	EXPECT_USAGE("devctl create: --time: invalid duration", "create", "box", "--time", "4");
	EXPECT_USAGE("devctl create: --time given more than once", "create", "box", "--ttl", "1h",
		     "--time", "2h");
	EXPECT_USAGE("devctl create: give the name once, as NAME or --name", "create", "a", "--name",
		     "b");
	EXPECT_USAGE("devctl create: too many arguments (at most 1)", "create", "a", "b");
	EXPECT_USAGE("devctl create: invalid name \"1box\"", "create", "1box");
	EXPECT_USAGE("devctl create: invalid name \"My_Box\"", "create", "My_Box");
	EXPECT_USAGE("devctl create: invalid name \"a234567890123456789012345678901234567890123456789012345678x\"",
		     "create", "a234567890123456789012345678901234567890123456789012345678x");
	EXPECT_USAGE("devctl create: --home-size: invalid quantity \"20GB\"", "create", "box",
		     "--home-size", "20GB");
	EXPECT_USAGE("devctl create: -v: invalid volume \"data:rel\": the mount path must be absolute",
		     "create", "box", "-v", "data:rel");
	EXPECT_USAGE("devctl create: -v: invalid volume \"data:/d:rox\": suffix \"rox\" must be ro or rw",
		     "create", "box", "-v", "data:/d:rox");
	EXPECT_USAGE("devctl create: --volume: invalid volume \"BAD:/d\": claim \"BAD\" is not a valid PVC name",
		     "create", "box", "--volume", "BAD:/d");
	EXPECT_USAGE("devctl create: --volume: /d is mounted twice", "create", "box", "-v", "a:/d",
		     "-v", "b:/d:ro");
	/* a volume at /home/dev is the home: not beside a persistent home of the operator's */
	EXPECT_USAGE("devctl create: --volume: /home/dev/ is the home, which --home-size already "
		     "provides; remove one of them\n", "create", "box", "--home-size", "5Gi", "-v",
		     "mine:/home/dev/");
	EXPECT_USAGE("devctl create: --volume: /home/dev is the home, which --storage-class already "
		     "provides; remove one of them\n", "create", "box", "--storage-class", "fast", "-v",
		     "data:/data", "-v", "mine:/home/dev:ro");
	EXPECT_USAGE("devctl create: --env: invalid variable name \"A-B\"", "create", "box", "--env",
		     "A-B=1");
	EXPECT_USAGE("devctl create: --env: invalid value \"A\" (use NAME=VALUE)", "create", "box",
		     "--env", "A");
	EXPECT_USAGE("devctl create: --env: A is set twice", "create", "box", "--env", "A=1", "--env",
		     "A=2");
	EXPECT_USAGE("devctl create: --flavor: invalid flavor name \"Big\"", "create", "box",
		     "--flavor", "Big");
	EXPECT_USAGE("devctl create: --storage-class: invalid class name \"a b\"", "create", "box",
		     "--storage-class", "a b");
	EXPECT_USAGE("devctl create: --image: invalid image \"a b\"", "create", "box", "--image", "a b");
	EXPECT_USAGE("devctl create: --wait and --dry-run cannot be combined", "create", "box",
		     "--wait", "--dry-run");
	EXPECT_USAGE("devctl create: --wait: invalid value \"no\" (true or false)", "create", "box",
		     "--wait=no");
	EXPECT_USAGE("devctl create: --timeout: invalid duration \"soon\"", "create", "box",
		     "--timeout", "soon");
	EXPECT_USAGE("devctl create: -A does not apply to create", "create", "box", "-A");
	EXPECT_USAGE("devctl create: --ssh-public-key-file: cannot read \"", "create", "box",
		     "--ssh-public-key-file", missing);
	EXPECT_USAGE("devctl create: -o: invalid output format \"wide\" (use table, json, yaml or name)",
		     "create", "box", "-o", "wide");
}

static void test_create_no_default_key(void **state)
{
	char key[600], moved[600];

	path_in_tmp(key, sizeof(key), ".ssh/id_ecdsa.pub");
	path_in_tmp(moved, sizeof(moved), ".ssh/elsewhere.pub");
	assert_int_equal(rename(key, moved), 0);
	EXPECT_USAGE("devctl create: no SSH public key found (tried ~/.ssh/id_ed25519.pub, "
		     "~/.ssh/id_ecdsa.pub, ~/.ssh/id_rsa.pub); use --ssh-public-key-file",
		     "create", "box", "--dry-run");
	/* an explicit file works without the defaults */
	{
		struct run r;

		run(&r, "create", "box", "--dry-run", "--ssh-public-key-file", moved, NULL);
		assert_int_equal(r.rc, EXIT_OK);
		run_free(&r);
	}
	/* the first default wins: ed25519 before ecdsa and rsa */
	path_in_tmp(key, sizeof(key), ".ssh/id_rsa.pub");
	tu_write_file(key, "ssh-rsa AAAArsa r@x\n");
	path_in_tmp(key, sizeof(key), ".ssh/id_ed25519.pub");
	tu_write_file(key, "ssh-ed25519 AAAAed e@x\n");
	{
		struct create_opts o;
		struct cli_ctx ctx;
		struct error err;

		assert_int_equal(parse(&cmd_create, &o, &ctx, &err, "create", "box", NULL), 0);
		assert_string_equal(o.ssh_keys, "ssh-ed25519 AAAAed e@x\n");
	}
	unlink(key);
	path_in_tmp(key, sizeof(key), ".ssh/id_rsa.pub");
	unlink(key);
	path_in_tmp(key, sizeof(key), ".ssh/id_ecdsa.pub");
	assert_int_equal(rename(moved, key), 0);
}

static void test_create_build(void **state)
{
	struct create_opts o;
	struct cli_ctx ctx;
	struct error err;
	struct json *ds, *spec, *v;

	assert_int_equal(parse(&cmd_create, &o, &ctx, &err, "create", "mybox", "--flavor", "gpu",
			       "--image", "img:2", "--ttl", "8h", "--home-size", "20Gi",
			       "--storage-class", "fast", "-v", "data:/data:ro", "-v", "s:/s:rw",
			       "--env", "A=1", "--env", "E=", "-n", "team", NULL), 0);
	assert_int_equal(create_build_devserver(&o, &ds, &err), 0);
	assert_string_equal(json_get_string(ds, "apiVersion"), "devserver.io/v1");
	assert_string_equal(json_get_string(ds, "kind"), "DevServer");
	assert_string_equal(json_get_string(json_get(ds, "metadata"), "name"), "mybox");
	assert_string_equal(json_get_string(json_get(ds, "metadata"), "namespace"), "team");
	spec = json_get(ds, "spec");
	assert_string_equal(json_get_string(spec, "flavor"), "gpu");
	assert_string_equal(json_get_string(spec, "image"), "img:2");
	assert_string_equal(json_get_string(json_get(spec, "lifecycle"), "timeToLive"), "8h");
	assert_string_equal(json_get_string(json_get(spec, "home"), "size"), "20Gi");
	assert_string_equal(json_get_string(json_get(spec, "home"), "storageClassName"), "fast");
	v = json_get(spec, "volumes");
	assert_int_equal(v->u.arr.len, 2);
	assert_string_equal(json_get_string(v->u.arr.items[0], "claimName"), "data");
	assert_string_equal(json_get_string(v->u.arr.items[0], "mountPath"), "/data");
	assert_true(json_get_bool(v->u.arr.items[0], "readOnly", false));
	assert_null(json_get(v->u.arr.items[1], "readOnly"));
	/* one key per line; comments, blank lines and surrounding blanks dropped */
	v = json_path(spec, "ssh", "publicKeys", (char *)NULL);
	assert_int_equal(v->u.arr.len, 2);
	assert_string_equal(v->u.arr.items[0]->u.str.ptr, "ssh-ecdsa AAAAkey1 me@laptop");
	assert_string_equal(v->u.arr.items[1]->u.str.ptr, "ssh-ed25519 AAAAkey2 me@desk");
	/* ... and the first again as publicKey, the predecessor's required field */
	assert_string_equal(json_get_string(json_get(spec, "ssh"), "publicKey"),
			    "ssh-ecdsa AAAAkey1 me@laptop");
	v = json_get(spec, "env");
	assert_int_equal(v->u.arr.len, 2);
	assert_string_equal(json_get_string(v->u.arr.items[0], "name"), "A");
	assert_string_equal(json_get_string(v->u.arr.items[0], "value"), "1");
	assert_string_equal(json_get_string(v->u.arr.items[1], "name"), "E");
	assert_string_equal(json_get_string(v->u.arr.items[1], "value"), "");
	json_free(ds);

	/* the minimum: no optional fields at all */
	assert_int_equal(parse(&cmd_create, &o, &ctx, &err, "create", "b", NULL), 0);
	assert_int_equal(create_build_devserver(&o, &ds, &err), 0);
	spec = json_get(ds, "spec");
	assert_int_equal(spec->u.obj.len, 1); /* ssh only */
	assert_null(json_get(json_get(ds, "metadata"), "namespace"));
	json_free(ds);

	/* --storage-class alone still asks for a home (size by the CRD default) */
	assert_int_equal(parse(&cmd_create, &o, &ctx, &err, "create", "b", "--storage-class", "x",
			       NULL), 0);
	assert_int_equal(create_build_devserver(&o, &ds, &err), 0);
	assert_null(json_path(ds, "spec", "home", "size", (char *)NULL));
	assert_string_equal(json_get_string(json_path(ds, "spec", "home", (char *)NULL),
					    "storageClassName"), "x");
	json_free(ds);

	/* a volume at /home/dev is the home when no persistent home is asked for;
	 * below it (or beside it) a volume goes with one */
	assert_int_equal(parse(&cmd_create, &o, &ctx, &err, "create", "b", "-v", "mine:/home/dev/",
			       NULL), 0);
	assert_int_equal(create_build_devserver(&o, &ds, &err), 0);
	assert_string_equal(json_get_string(json_path(ds, "spec", "volumes", (char *)NULL)->u.arr.items[0],
					    "mountPath"), "/home/dev/");
	json_free(ds);
	assert_int_equal(parse(&cmd_create, &o, &ctx, &err, "create", "b", "--home-size", "5Gi",
			       "-v", "d:/home/dev/data", "-v", "x:/home/devx", NULL), 0);
}

/* The default time to live, the one the operator would apply: the flavor's
 * defaultTimeToLive, else the fallback (4h, or the config's defaultTTL); at
 * most that flavor's maxTimeToLive, which applies even when neither gives
 * one; the fallback when the flavors are not known; none (false) only when
 * nothing at all limits the DevServer's life. */
static void default_ttl_case(const char *flavor, const char *flavors_json, const char *fallback,
			     const char *want)
{
	struct json *flavors = NULL;
	struct error err;
	char out[DURATION_TEXT_BYTES] = "unchanged";
	int64_t fallback_s = 0;
	bool set;

	if (flavors_json) {
		flavors = json_parse(flavors_json, strlen(flavors_json), &err);
		assert_non_null(flavors);
	}
	if (fallback)
		assert_int_equal(flags_check_duration(fallback, &fallback_s, &err), 0);
	set = create_default_ttl(flavor, flavors, fallback, fallback_s, out);
	if (!want) {
		if (set)
			fail_msg("flavor %s, %s: set %s, want none", flavor ? flavor : "(default)",
				 flavors_json ? flavors_json : "no flavors", out);
	} else {
		if (!set)
			fail_msg("flavor %s, %s: none, want %s", flavor ? flavor : "(default)",
				 flavors_json ? flavors_json : "no flavors", want);
		assert_string_equal(out, want);
	}
	json_free(flavors);
}

#define FLAVOR(name, extra) "{\"metadata\":{\"name\":\"" name "\"},\"spec\":{" extra "}}"
#define LC(x) "\"lifecycle\":{" x "}"

static void test_create_default_ttl(void **state)
{
	const char *plain = "[" FLAVOR("small", "") "," FLAVOR("big", "\"default\":true") "]";
	const char *dflt = "[" FLAVOR("small", LC("\"defaultTimeToLive\":\"8h\"")) ","
		FLAVOR("big", "\"default\":true," LC("\"defaultTimeToLive\":\"1d\"")) "]";
	const char *capped = "[" FLAVOR("short", LC("\"maxTimeToLive\":\"2h\"")) ","
		FLAVOR("long", LC("\"maxTimeToLive\":\"7d\"")) ","
		FLAVOR("over", LC("\"defaultTimeToLive\":\"12h\",\"maxTimeToLive\":\"6h\"")) "]";
	const char *old = "[" FLAVOR("old", "\"replacedBy\":\"new\"") ","
		FLAVOR("new", LC("\"defaultTimeToLive\":\"6h\"")) "]";

	/* flavors unknown (not readable): the fallback */
	default_ttl_case("small", NULL, "4h", "4h");
	default_ttl_case(NULL, NULL, "4h", "4h");
	/* no flavor sets one */
	default_ttl_case("small", plain, "4h", "4h");
	default_ttl_case(NULL, plain, "90m", "90m");
	/* the named flavor, or the default one, sets one: written as the
	 * operator would apply it, so the object says it */
	default_ttl_case("small", dflt, "4h", "8h");
	default_ttl_case(NULL, dflt, "4h", "1d");
	default_ttl_case("small", dflt, NULL, "8h");
	/* ... through a deprecated flavor's replacement */
	default_ttl_case("old", old, "4h", "6h");
	/* capped by the flavor's maxTimeToLive, as the operator would */
	default_ttl_case("short", capped, "4h", "2h");
	default_ttl_case("long", capped, "4h", "4h");
	default_ttl_case("over", capped, "4h", "6h");
	/* a flavor that does not resolve: the fallback (the operator reports it) */
	default_ttl_case("nope", plain, "4h", "4h");
	/* turned off: no expiry, unless the flavor's maximum is one */
	default_ttl_case("small", plain, NULL, NULL);
	default_ttl_case("small", NULL, NULL, NULL);
	default_ttl_case("short", capped, NULL, "2h");
}

/* The flavor create names when none was given: the single default, before
 * its replacedBy redirect; none when there is no single default or the
 * flavors are unknown. */
static void test_create_default_flavor(void **state)
{
	const char *one = "[" FLAVOR("small", "") "," FLAVOR("big", "\"default\":true") "]";
	const char *two = "[" FLAVOR("a", "\"default\":true") "," FLAVOR("b", "\"default\":true") "]";
	const char *old = "[" FLAVOR("old", "\"default\":true,\"replacedBy\":\"new\"") ","
		FLAVOR("new", "") "]";
	const char *gone = "[" FLAVOR("old", "\"default\":true,\"replacedBy\":\"gone\"") "]";
	const char *cases[][2] = {
		{ one, "big" }, { old, "old" }, { gone, "old" },
		{ two, NULL }, { "[" FLAVOR("small", "") "]", NULL }, { "[]", NULL }, { "{}", NULL },
	};
	char out[CREATE_FLAVOR_NAME_MAX_BYTES + 1];
	struct json *flavors;
	struct error err;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		flavors = json_parse(cases[i][0], strlen(cases[i][0]), &err);
		assert_non_null(flavors);
		snprintf(out, sizeof(out), "unchanged");
		if (cases[i][1]) {
			assert_true(create_default_flavor(flavors, out));
			assert_string_equal(out, cases[i][1]);
		} else {
			assert_false(create_default_flavor(flavors, out));
		}
		json_free(flavors);
	}
	assert_false(create_default_flavor(NULL, out));
}

/* What the predecessor's devctl reads of every DevServer (list: spec.flavor,
 * spec.lifecycle.timeToLive; its operator: spec.ssh.publicKey) is in the
 * object create writes, whatever the command line left open. */
static void written_case(const char *flavors_json, bool ttl_off, const char *flavor,
			 const char *ttl, const char *want_flavor, const char *want_ttl)
{
	struct json *flavors = NULL, *ds, *spec;
	struct cli_config cfg;
	struct create_opts o;
	struct cli_ctx ctx;
	struct error err;
	char *argv[6] = { "create", "box" };
	int argc = 2;

	cli_config_init(&cfg);
	cfg.default_ttl_off = ttl_off; /* defaultTTL: none */
	memset(&ctx, 0, sizeof(ctx));
	ctx.config = &cfg;
	ctx.home = tmpdir;
	ctx.now = NOW;
	if (flavor) {
		argv[argc++] = "--flavor";
		argv[argc++] = (char *)flavor;
	}
	if (ttl) {
		argv[argc++] = "--time";
		argv[argc++] = (char *)ttl;
	}
	assert_int_equal(cli_parse(&cmd_create, &ctx, argc, argv, &o, &err), 0);
	if (flavors_json) {
		flavors = json_parse(flavors_json, strlen(flavors_json), &err);
		assert_non_null(flavors);
	}
	create_apply_flavors(&o, flavors);
	json_free(flavors);
	assert_int_equal(create_build_devserver(&o, &ds, &err), 0);
	spec = json_get(ds, "spec");
	if (want_flavor)
		assert_string_equal(json_get_string(spec, "flavor"), want_flavor);
	else
		assert_null(json_get(spec, "flavor"));
	if (want_ttl)
		assert_string_equal(json_get_string(json_get(spec, "lifecycle"), "timeToLive"), want_ttl);
	else
		assert_null(json_get(spec, "lifecycle"));
	assert_string_equal(json_get_string(json_get(spec, "ssh"), "publicKey"),
			    "ssh-ecdsa AAAAkey1 me@laptop");
	assert_string_equal(json_path(spec, "ssh", "publicKeys", (char *)NULL)->u.arr.items[0]->u.str.ptr,
			    "ssh-ecdsa AAAAkey1 me@laptop");
	json_free(ds);
}

static void test_create_written_fields(void **state)
{
	const char *flavors = "[" FLAVOR("small", "") ","
		FLAVOR("big", "\"default\":true," LC("\"defaultTimeToLive\":\"1d\"")) ","
		FLAVOR("capped", LC("\"maxTimeToLive\":\"2h\"")) "]";

	/* nothing given: the default flavor by name, its time to live */
	written_case(flavors, false, NULL, NULL, "big", "1d");
	/* a named flavor without one: the predecessor's 4h */
	written_case(flavors, false, "small", NULL, "small", "4h");
	/* what the command line says wins */
	written_case(flavors, false, "small", "30m", "small", "30m");
	written_case(flavors, false, NULL, "3h", "big", "3h");
	/* defaultTTL: none - no expiry, so no timeToLive ... */
	written_case(flavors, true, "small", NULL, "small", NULL);
	/* ... unless the flavor's maximum is one */
	written_case(flavors, true, "capped", NULL, "capped", "2h");
	/* the flavors unreadable: no flavor to name, the fallback 4h */
	written_case(NULL, false, NULL, NULL, NULL, "4h");
}

/* create writes the default when no --ttl, ttl or flavor gave one; here the
 * stub backend cannot list flavors, so it is the fallback. */
static void test_create_dry_run_default_ttl(void **state)
{
	struct run r;

	run(&r, "create", "box", "--dry-run", NULL);
	assert_int_equal(r.rc, EXIT_OK);
	assert_non_null(strstr(r.out, "  lifecycle:\n    timeToLive: 4h\n"));
	run_free(&r);
	run(&r, "create", "box", "--ttl", "30m", "--dry-run", NULL);
	assert_int_equal(r.rc, EXIT_OK);
	assert_non_null(strstr(r.out, "  lifecycle:\n    timeToLive: 30m\n"));
	run_free(&r);
}

static void test_create_key_file_without_keys(void **state)
{
	char p[600];
	struct run r;

	path_in_tmp(p, sizeof(p), "empty.pub");
	tu_write_file(p, "# nothing\n\n");
	run(&r, "create", "box", "--dry-run", "--ssh-public-key-file", p, NULL);
	assert_int_equal(r.rc, EXIT_FAILED);
	assert_starts_with(r.err, "devctl create: --ssh-public-key-file: \"");
	assert_non_null(strstr(r.err, "empty.pub\" holds no SSH public key\n"));
	run_free(&r);

	/* a file that is not a key file at all used to be sent line by line as
	 * "keys" (a YAML document, a key with invalid UTF-8 in its comment) */
	path_in_tmp(p, sizeof(p), "not-a-key.pub");
	tu_write_file(p, "# fine\nssh-ed25519 AAAAok me\napiVersion: v1\n");
	run(&r, "create", "box", "--dry-run", "--ssh-public-key-file", p, NULL);
	assert_int_equal(r.rc, EXIT_FAILED);
	assert_non_null(strstr(r.err, "not-a-key.pub\" line 3 is not an SSH public key (TYPE BASE64 [COMMENT])\n"));
	run_free(&r);
	tu_write_file(p, "ssh-ed25519 AAAAok m\xff" "e\n");
	run(&r, "create", "box", "--dry-run", "--ssh-public-key-file", p, NULL);
	assert_int_equal(r.rc, EXIT_FAILED);
	assert_non_null(strstr(r.err, "line 1 is not an SSH public key"));
	run_free(&r);
	tu_write_file(p, "ssh-ed25519 !!notbase64 me\n");
	run(&r, "create", "box", "--dry-run", "--ssh-public-key-file", p, NULL);
	assert_int_equal(r.rc, EXIT_FAILED);
	run_free(&r);
	/* the forms real key files have still pass */
	tu_write_file(p, "ecdsa-sha2-nistp256 AAAAE2VjZHNh+/= me@host\n"
		      "sk-ssh-ed25519@openssh.com AAAAGnNr Yubikey \xc3\xa9\n\tssh-rsa AAAAB3Nza==\n");
	run(&r, "create", "box", "--dry-run", "--ssh-public-key-file", p, NULL);
	assert_int_equal(r.rc, EXIT_OK);
	run_free(&r);
}

static void test_create_dry_run(void **state)
{
	struct run r;
	struct error err;
	struct json *v;

	run(&r, "create", "box", "--ttl", "2h", "--dry-run", NULL);
	assert_int_equal(r.rc, EXIT_OK);
	assert_string_equal(r.err, "");
	assert_string_equal(r.out,
			    "apiVersion: devserver.io/v1\n"
			    "kind: DevServer\n"
			    "metadata:\n"
			    "  name: box\n"
			    "spec:\n"
			    "  lifecycle:\n"
			    "    timeToLive: 2h\n"
			    "  ssh:\n"
			    "    publicKey: ssh-ecdsa AAAAkey1 me@laptop\n"
			    "    publicKeys:\n"
			    "    - ssh-ecdsa AAAAkey1 me@laptop\n"
			    "    - ssh-ed25519 AAAAkey2 me@desk\n");
	v = yaml_doc_parse(r.out, r.outlen, &err);
	assert_non_null(v);
	json_free(v);
	run_free(&r);

	run(&r, "-o", "json", "create", "box", "--dry-run", NULL);
	assert_int_equal(r.rc, EXIT_OK);
	v = json_parse(r.out, r.outlen, &err);
	assert_non_null(v);
	assert_string_equal(json_get_string(v, "kind"), "DevServer");
	json_free(v);
	run_free(&r);

	run(&r, "create", "box", "--dry-run", "-o", "name", NULL);
	assert_string_equal(r.out, "devserver.devserver.io/box\n");
	run_free(&r);

	/* without --dry-run it needs the cluster */
	run(&r, "create", "box", NULL);
	assert_int_equal(r.rc, EXIT_FAILED);
	assert_string_equal(r.err, "devctl create: not connected to a cluster yet\n");
	assert_string_equal(r.out, "");
	run_free(&r);
}

/* ---- list / get / describe ---- */

static void test_list_get_describe(void **state)
{
	struct name_opts o;
	struct cli_ctx ctx;
	struct error err;

	assert_int_equal(parse(&cmd_get, &o, &ctx, &err, "get", "box", "-o", "yaml", NULL), 0);
	assert_int_equal(o.c.nargs, 1);
	assert_string_equal(o.c.args[0], "box");
	assert_int_equal(parse(&cmd_get, &o, &ctx, &err, "get", NULL), 0);
	assert_int_equal(o.c.nargs, 0);
	assert_int_equal(parse(&cmd_describe, &o, &ctx, &err, "describe", "box", NULL), 0);
	assert_string_equal(o.c.args[0], "box");

	EXPECT_USAGE("devctl list: unexpected argument \"box\"", "list", "box");
	EXPECT_USAGE("devctl get: too many arguments (at most 1)", "get", "a", "b");
	EXPECT_USAGE("devctl get: a NAME cannot be combined with -A", "get", "a", "-A");
	EXPECT_USAGE("devctl describe: missing argument (see devctl describe --help)", "describe");
	EXPECT_USAGE("devctl describe: too many arguments (at most 1)", "describe", "a", "b");
	{
		struct run r;

		run(&r, "describe", "box", NULL);
		assert_int_equal(r.rc, EXIT_FAILED);
		assert_string_equal(r.err, "devctl describe: not connected to a cluster yet\n");
		run_free(&r);
		run(&r, "get", NULL);
		assert_int_equal(r.rc, EXIT_FAILED);
		assert_string_equal(r.err, "devctl get: not connected to a cluster yet\n");
		run_free(&r);
		run(&r, "get", "box", "-o", "json", NULL);
		assert_int_equal(r.rc, EXIT_FAILED);
		assert_string_equal(r.err, "devctl get: not connected to a cluster yet\n");
		run_free(&r);
	}
}

/* A name argument that is not a DevServer name is a usage error for every
 * command that takes one, before the backend is called: names go into API
 * paths ("get ../../namespaces/kube-system" used to reach the backend). */
static void test_name_arguments_are_checked(void **state)
{
	static const char *const cmds[] = { "get", "describe", "delete", "start", "stop", "restart",
					    "logs", "ssh", "ssh-config" };

	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
		struct run r;

		run(&r, cmds[i], "../../namespaces/kube-system", NULL);
		assert_int_equal(r.rc, EXIT_USAGE);
		assert_non_null(strstr(r.err, ": invalid name \"../../namespaces/kube-system\""));
		run_free(&r);
	}
	EXPECT_USAGE("devctl wait: invalid name \"Box\"", "wait", "Box", "--for", "ready");
	EXPECT_USAGE("devctl extend: invalid name \"1box\"", "extend", "1box", "--by", "1h");
	/* every name of delete, not just the first */
	EXPECT_USAGE("devctl delete: invalid name \"b/c\"", "delete", "a", "b/c");
	/* ssh: only the first word is a name, the rest is the remote command */
	{
		struct run r;

		run(&r, "ssh", "box", "--", "ls", "/tmp/../x", NULL);
		assert_int_equal(r.rc, EXIT_FAILED);
		assert_string_equal(r.err, "devctl ssh: not connected to a cluster yet\n");
		run_free(&r);
	}
}

/* --name NAME, the predecessor's spelling, works on every command that takes
 * a DevServer name: it is that name; given with a different positional name
 * it is a usage error; on ssh, the positional words are then the remote
 * command. */
static void test_name_flag_everywhere(void **state)
{
	struct name_opts o;
	struct delete_opts d;
	struct wait_opts w;
	struct ssh_opts s;
	struct cli_ctx ctx;
	struct error err;

	for (size_t i = 0; cli_commands[i]; i++) {
		const struct command *c = cli_commands[i];
		bool found = false;

		for (const struct flag_spec *f = c->flags; f && f->name; f++)
			found = found || (strcmp(f->name, "name") == 0 && f->type == FLAG_STRING &&
					  f->off == offsetof(struct cmd_common, name_flag));
		if (c->name_args && !found)
			fail_msg("devctl %s takes a NAME but not --name", c->name);
	}
	assert_int_equal(parse(&cmd_describe, &o, &ctx, &err, "describe", "--name", "box", NULL), 0);
	assert_int_equal(o.c.nargs, 1);
	assert_string_equal(o.c.args[0], "box");
	assert_int_equal(parse(&cmd_get, &o, &ctx, &err, "get", "--name=box", "-o", "yaml", NULL), 0);
	assert_int_equal(o.c.nargs, 1);
	assert_string_equal(o.c.args[0], "box");
	/* the same name both ways is fine */
	assert_int_equal(parse(&cmd_stop, &o, &ctx, &err, "stop", "box", "--name", "box", NULL), 0);
	assert_int_equal(o.c.nargs, 1);
	assert_int_equal(parse(&cmd_delete, &d, &ctx, &err, "delete", "--name", "box", "--wait", NULL), 0);
	assert_int_equal(d.c.nargs, 1);
	assert_string_equal(d.c.args[0], "box");
	assert_true(d.wait);
	assert_int_equal(parse(&cmd_wait, &w, &ctx, &err, "wait", "--name", "box", "--for", "ready", NULL), 0);
	assert_string_equal(w.c.args[0], "box");
	/* ssh: the name, then the remote command */
	assert_int_equal(parse(&cmd_ssh, &s, &ctx, &err, "ssh", "--name", "box", "--", "ls", "-l", NULL), 0);
	assert_int_equal(s.c.nargs, 3);
	assert_string_equal(s.c.args[0], "box");
	assert_string_equal(s.c.args[1], "ls");
	assert_string_equal(s.c.args[2], "-l");

	EXPECT_USAGE("devctl describe: give the name once, as NAME or --name (got \"a\" and --name \"b\")",
		     "describe", "a", "--name", "b");
	EXPECT_USAGE("devctl delete: give the name once, as NAME or --name", "delete", "a", "b", "--name", "a");
	EXPECT_USAGE("devctl start: --name given more than once", "start", "--name", "a", "--name", "a");
	EXPECT_USAGE("devctl logs: --name needs a value", "logs", "--name");
	/* the name from --name is checked like a positional one */
	EXPECT_USAGE("devctl describe: invalid name \"../x\"", "describe", "--name", "../x");
	EXPECT_USAGE("devctl ssh: invalid name \"Box\"", "ssh", "--name", "Box", "--", "ls");
	/* commands without a name do not take it */
	EXPECT_USAGE("devctl list: unknown flag --name", "list", "--name", "a");
}

/* Errors quote user input; they stay one printable line whatever it holds:
 * a name with a newline used to print two lines, an escape sequence reached
 * the terminal raw. */
static void test_errors_are_one_printable_line(void **state)
{
	struct run r;

	run(&r, "create", "a\nb", "--dry-run", NULL);
	assert_int_equal(r.rc, EXIT_USAGE);
	assert_non_null(strstr(r.err, "invalid name \"a\\nb\""));
	assert_ptr_equal(strchr(r.err, '\n'), r.err + r.errlen - 1);
	run_free(&r);

	run(&r, "describe", "bo\x1b[31mx\t\xff\xe2\x80\xaex", NULL);
	assert_int_equal(r.rc, EXIT_USAGE);
	assert_non_null(strstr(r.err, "\"bo\\x1b[31mx\\t\\xff\\u202ex\""));
	run_free(&r);

	/* valid UTF-8 passes through */
	run(&r, "get", "caf\xc3\xa9", NULL);
	assert_int_equal(r.rc, EXIT_USAGE);
	assert_non_null(strstr(r.err, "\"caf\xc3\xa9\""));
	run_free(&r);
}

/* ---- delete / start / stop ---- */

static void test_delete_start_stop(void **state)
{
	struct delete_opts d;
	struct name_opts o;
	struct cli_ctx ctx;
	struct error err;
	struct json *patch;
	char *s;

	assert_int_equal(parse(&cmd_delete, &d, &ctx, &err, "delete", "a", "b", "c", "--wait",
			       "--timeout=30s", NULL), 0);
	assert_int_equal(d.c.nargs, 3);
	assert_string_equal(d.c.args[2], "c");
	assert_true(d.wait);
	assert_int_equal(d.timeout.seconds, 30);
	assert_int_equal(parse(&cmd_delete, &d, &ctx, &err, "delete", "a", NULL), 0);
	assert_false(d.wait);
	assert_int_equal(d.timeout.seconds, CLI_DEFAULT_TIMEOUT_SECONDS);
	EXPECT_USAGE("devctl delete: missing argument", "delete");
	EXPECT_USAGE("devctl delete: --timeout: invalid duration \"5\"", "delete", "a", "--timeout",
		     "5");

	assert_int_equal(parse(&cmd_stop, &o, &ctx, &err, "stop", "box", NULL), 0);
	assert_int_equal(parse(&cmd_start, &o, &ctx, &err, "start", "box", "-o", "name", NULL), 0);
	EXPECT_USAGE("devctl stop: missing argument", "stop");
	EXPECT_USAGE("devctl start: too many arguments (at most 1)", "start", "a", "b");
	EXPECT_USAGE("devctl stop: unknown flag --force", "stop", "a", "--force");

	patch = power_build_patch(true);
	s = json_encode_str(patch, 1024, 0);
	/* the user's stop or start also clears the operator's idle-stop record */
	assert_string_equal(s, "{\"metadata\":{\"annotations\":{\"devserver.io/stopped-by\":null}},"
			    "\"spec\":{\"stopped\":true}}");
	free(s);
	json_free(patch);
	patch = power_build_patch(false);
	s = json_encode_str(patch, 1024, 0);
	assert_string_equal(s, "{\"metadata\":{\"annotations\":{\"devserver.io/stopped-by\":null}},"
			    "\"spec\":{\"stopped\":false}}");
	free(s);
	json_free(patch);

	/* restart: the time it was asked for, as the pod template will carry it */
	assert_int_equal(parse(&cmd_restart, &o, &ctx, &err, "restart", "box", NULL), 0);
	EXPECT_USAGE("devctl restart: missing argument", "restart");
	EXPECT_USAGE("devctl restart: unknown flag --now", "restart", "a", "--now");
	patch = power_build_restart_patch(1764669600);
	s = json_encode_str(patch, 1024, 0);
	assert_string_equal(s, "{\"metadata\":{\"annotations\":{\"devserver.io/restart\":\"2025-12-02T10:00:00Z\"}}}");
	free(s);
	json_free(patch);

	{
		struct run r;

		run(&r, "restart", "a", NULL);
		assert_int_equal(r.rc, EXIT_FAILED);
		assert_string_equal(r.err, "devctl restart: not connected to a cluster yet\n");
		run_free(&r);
		run(&r, "delete", "a", "b", NULL);
		assert_int_equal(r.rc, EXIT_FAILED);
		/* every name is tried */
		assert_string_equal(r.err, "devctl delete: not connected to a cluster yet\n"
					   "devctl delete: not connected to a cluster yet\n");
		run_free(&r);
		run(&r, "stop", "a", NULL);
		assert_int_equal(r.rc, EXIT_FAILED);
		assert_string_equal(r.err, "devctl stop: not connected to a cluster yet\n");
		run_free(&r);
	}
}

/* ---- wait ---- */

static void test_wait(void **state)
{
	struct wait_opts o;
	struct cli_ctx ctx;
	struct error err;
	struct wait_for w;
	static const char ready_json[] = "{\"status\":{\"phase\":\"Running\",\"conditions\":"
					 "[{\"type\":\"Ready\",\"status\":\"True\"}]}}";
	static const char pending_json[] = "{\"status\":{\"phase\":\"Pending\",\"conditions\":"
					   "[{\"type\":\"Ready\",\"status\":\"False\"}]}}";
	struct json *ready = json_parse(ready_json, sizeof(ready_json) - 1, &err);
	struct json *pending = json_parse(pending_json, sizeof(pending_json) - 1, &err);

	assert_non_null(ready);
	assert_non_null(pending);
	assert_int_equal(parse(&cmd_wait, &o, &ctx, &err, "wait", "box", "--for=ready", NULL), 0);
	assert_int_equal(o.cond.kind, WAIT_READY);
	assert_int_equal(o.timeout.seconds, CLI_DEFAULT_TIMEOUT_SECONDS);
	assert_int_equal(parse(&cmd_wait, &o, &ctx, &err, "wait", "box", "--for", "phase=Stopped",
			       "--timeout", "1m", NULL), 0);
	assert_int_equal(o.cond.kind, WAIT_PHASE);
	assert_string_equal(o.cond.phase, "Stopped");
	assert_int_equal(o.timeout.seconds, 60);
	assert_int_equal(parse(&cmd_wait, &o, &ctx, &err, "wait", "box", "--for=deleted", NULL), 0);
	assert_int_equal(o.cond.kind, WAIT_DELETED);

	EXPECT_USAGE("devctl wait: --for is required (ready, deleted or phase=PHASE)", "wait", "box");
	EXPECT_USAGE("devctl wait: --for: invalid condition \"gone\" (use ready, deleted or phase=PHASE)",
		     "wait", "box", "--for=gone");
	EXPECT_USAGE("devctl wait: --for: unknown phase \"running\" (Pending, Running, Stopped, Failed or Unknown)",
		     "wait", "box", "--for=phase=running");
	EXPECT_USAGE("devctl wait: missing argument", "wait", "--for=ready");

	assert_int_equal(wait_parse_for("ready", &w, &err), 0);
	assert_true(wait_is_met(&w, ready));
	assert_false(wait_is_met(&w, pending));
	assert_false(wait_is_met(&w, NULL));
	assert_int_equal(wait_parse_for("deleted", &w, &err), 0);
	assert_true(wait_is_met(&w, NULL));
	assert_false(wait_is_met(&w, ready));
	assert_int_equal(wait_parse_for("phase=Pending", &w, &err), 0);
	assert_true(wait_is_met(&w, pending));
	assert_false(wait_is_met(&w, ready));
	assert_false(wait_is_met(&w, NULL));
	json_free(ready);
	json_free(pending);
}

/* ---- extend ---- */

static void extend_case(const char *ds_json, int64_t by, const char *want_ttl)
{
	struct error err;
	struct json *ds = json_parse(ds_json, strlen(ds_json), &err), *patch;
	char *s, want[128];

	assert_non_null(ds);
	assert_int_equal(extend_build_patch(ds, by, NOW, &patch, &err), 0);
	s = json_encode_str(patch, 1024, 0);
	snprintf(want, sizeof(want), "{\"spec\":{\"lifecycle\":{\"timeToLive\":\"%s\"}}}", want_ttl);
	assert_string_equal(s, want);
	free(s);
	json_free(patch);
	json_free(ds);
}

static void test_extend(void **state)
{
	struct extend_opts o;
	struct cli_ctx ctx;
	struct error err;
	struct json *ds, *patch;

	assert_int_equal(parse(&cmd_extend, &o, &ctx, &err, "extend", "box", "--by", "2h", NULL), 0);
	assert_int_equal(o.by.seconds, 7200);
	EXPECT_USAGE("devctl extend: --by is required (e.g. --by 2h)", "extend", "box");
	EXPECT_USAGE("devctl extend: --by: invalid duration \"2\"", "extend", "box", "--by", "2");
	EXPECT_USAGE("devctl extend: --by must be longer than 0s", "extend", "box", "--by", "0s");
	EXPECT_USAGE("devctl extend: missing argument", "extend", "--by", "1h");

	/* current TTL + by */
	extend_case("{\"spec\":{\"lifecycle\":{\"timeToLive\":\"8h\"}}}", 7200, "10h");
	extend_case("{\"spec\":{\"lifecycle\":{\"timeToLive\":\"1d\"}}}", 90 * 60, "1d1h30m");
	/* no TTL: time since creation (2h3m) + by */
	extend_case("{\"metadata\":{\"creationTimestamp\":\"2026-11-26T07:57:00Z\"},\"spec\":{}}",
		    3600, "3h3m");
	/* no TTL of its own but the flavor's default (expiresAt 8h after
	 * creation): 8h + by, never shorter than what it had */
	extend_case("{\"metadata\":{\"creationTimestamp\":\"2026-11-26T07:57:00Z\"},\"spec\":{},"
		    "\"status\":{\"expiresAt\":\"2026-11-26T15:57:00Z\"}}", 3600, "9h");
	/* the flavor's maxTimeToLive: refused with what is left */
	{
		const char *dst = "{\"metadata\":{\"name\":\"box\",\"creationTimestamp\":\"2026-11-26T07:57:00Z\"},"
				  "\"spec\":{\"lifecycle\":{\"timeToLive\":\"20h\"}},"
				  "\"status\":{\"flavor\":\"cpu-small\",\"expiresAt\":\"2026-11-27T03:57:00Z\"}}";
		const char *fl = "[{\"metadata\":{\"name\":\"gpu\"},\"spec\":{\"lifecycle\":{\"maxTimeToLive\":\"1h\"}}},"
				 "{\"metadata\":{\"name\":\"cpu-small\"},\"spec\":{\"lifecycle\":{\"maxTimeToLive\":\"1d\"}}}]";
		struct json *d = json_parse(dst, strlen(dst), &err), *f = json_parse(fl, strlen(fl), &err);

		assert_non_null(d);
		assert_non_null(f);
		assert_int_equal(extend_build_patch(d, 3 * 3600, NOW, &patch, &err), 0);
		assert_int_equal(extend_check_max(d, f, patch, &err), 0); /* 23h <= 1d */
		json_free(patch);
		assert_int_equal(extend_build_patch(d, 5 * 3600, NOW, &patch, &err), 0);
		assert_int_equal(extend_check_max(d, f, patch, &err), ERR_INVALID);
		assert_string_equal(err.msg, "flavor \"cpu-small\" allows a time to live of at most 1d "
				    "(maxTimeToLive): box can be extended by at most 4h");
		json_free(patch);
		json_free(d);
		json_free(f);
	}
	/* errors */
	ds = json_parse("{\"spec\":{}}", strlen("{\"spec\":{}}"), &err);
	assert_int_equal(extend_build_patch(ds, 60, NOW, &patch, &err), ERR_INVALID);
	assert_string_equal(err.msg, "the DevServer has no creationTimestamp");
	assert_null(patch);
	json_free(ds);
	ds = json_parse("{\"spec\":{\"lifecycle\":{\"timeToLive\":\"36600d\"}}}",
			strlen("{\"spec\":{\"lifecycle\":{\"timeToLive\":\"36600d\"}}}"), &err);
	assert_non_null(ds);
	assert_int_equal(extend_build_patch(ds, 60, NOW, &patch, &err), ERR_INVALID);
	assert_string_equal(err.msg, "the new time to live would exceed 36600d");
	json_free(ds);
	ds = json_parse("{\"spec\":{\"lifecycle\":{\"timeToLive\":\"8x\"}}}",
			strlen("{\"spec\":{\"lifecycle\":{\"timeToLive\":\"8x\"}}}"), &err);
	assert_non_null(ds);
	assert_int_equal(extend_build_patch(ds, 60, NOW, &patch, &err), ERR_INVALID);
	json_free(ds);
}

/* ---- logs / ssh / ssh-config / flavors / version ---- */

static void test_logs_ssh_flavors_version(void **state)
{
	struct logs_opts l;
	struct ssh_opts o;
	struct name_opts f;
	struct version_opts v;
	struct cli_ctx ctx;
	struct error err;
	struct run r;

	assert_int_equal(parse(&cmd_logs, &l, &ctx, &err, "logs", "box", NULL), 0);
	assert_false(l.follow);
	assert_int_equal(l.tail, -1);
	assert_int_equal(parse(&cmd_logs, &l, &ctx, &err, "logs", "box", "-f", "--tail", "100", NULL), 0);
	assert_true(l.follow);
	assert_int_equal(l.tail, 100);
	EXPECT_USAGE("devctl logs: --tail: invalid number \"ten\"", "logs", "box", "--tail", "ten");
	EXPECT_USAGE("devctl logs: missing argument", "logs");
	EXPECT_USAGE("devctl logs: unknown flag \"-fx\"", "logs", "box", "-fx");

	assert_int_equal(parse(&cmd_ssh, &o, &ctx, &err, "ssh", "box", "--", "ls", "-la", NULL), 0);
	assert_int_equal(o.c.nargs, 3);
	assert_string_equal(o.c.args[0], "box");
	assert_string_equal(o.c.args[2], "-la");
	assert_int_equal(parse(&cmd_ssh, &o, &ctx, &err, "ssh", "box", NULL), 0);
	assert_int_equal(o.c.nargs, 1);
	EXPECT_USAGE("devctl ssh: missing argument", "ssh");
	EXPECT_USAGE("devctl ssh: unknown flag -l", "ssh", "box", "-l");
	EXPECT_USAGE("devctl ssh-config: missing argument", "ssh-config");
	EXPECT_USAGE("devctl ssh-config: too many arguments", "ssh-config", "a", "b");
	run(&r, "ssh", "box", "--", "true", NULL);
	assert_int_equal(r.rc, EXIT_FAILED);
	assert_string_equal(r.err, "devctl ssh: not connected to a cluster yet\n");
	run_free(&r);

	assert_int_equal(parse(&cmd_flavors, &f, &ctx, &err, "flavors", "-o", "wide", NULL), 0);
	assert_int_equal(ctx.format, OUT_WIDE);
	EXPECT_USAGE("devctl flavors: unexpected argument \"x\"", "flavors", "x");
	run(&r, "flavors", NULL);
	assert_int_equal(r.rc, EXIT_FAILED);
	assert_string_equal(r.err, "devctl flavors: not connected to a cluster yet\n");
	run_free(&r);

	assert_int_equal(parse(&cmd_version, &v, &ctx, &err, "version", "--client", NULL), 0);
	assert_true(v.client);
	EXPECT_USAGE("devctl version: unexpected argument \"x\"", "version", "x");
	run(&r, "version", "--client", NULL);
	assert_int_equal(r.rc, EXIT_OK);
	assert_starts_with(r.out, "Client Version: ");
	assert_null(strchr(r.out, '\n')[1] ? "more than one line" : NULL);
	run_free(&r);
	/* the server part needs the cluster; the client line still comes first */
	run(&r, "version", NULL);
	assert_int_equal(r.rc, EXIT_FAILED);
	assert_starts_with(r.out, "Client Version: ");
	assert_string_equal(r.err, "devctl version: not connected to a cluster yet\n");
	run_free(&r);
}

/* ---- render ---- */

static void test_render(void **state)
{
	char ds[600], fl[600], fixtures[600];
	struct render_opts o;
	struct cli_ctx ctx;
	struct error err;
	struct json **docs = NULL, *v;
	size_t n = 0;
	struct run r;

	snprintf(ds, sizeof(ds), "%s/tests/fixtures/render/full/devserver.yaml", DEVSERVER_SOURCE_DIR);
	snprintf(fl, sizeof(fl), "%s/tests/fixtures/render/full/flavor.yaml", DEVSERVER_SOURCE_DIR);
	snprintf(fixtures, sizeof(fixtures), "%s/tests/fixtures/render", DEVSERVER_SOURCE_DIR);

	assert_int_equal(parse(&cmd_render, &o, &ctx, &err, "render", "-f", ds, "--flavor-file", fl,
			       "--policies", "/p", "-o", "json", NULL), 0);
	assert_string_equal(o.file, ds);
	assert_string_equal(o.flavor_file, fl);
	assert_string_equal(o.policies, "/p");
	assert_int_equal(ctx.format, OUT_JSON);
	assert_int_equal(parse(&cmd_render, &o, &ctx, &err, "render", "--check", "/d", NULL), 0);
	assert_string_equal(o.check, "/d");
	EXPECT_USAGE("devctl render: give either -f FILE or --check DIR", "render");
	EXPECT_USAGE("devctl render: give either -f FILE or --check DIR", "render", "-f", "a",
		     "--check", "b");
	EXPECT_USAGE("devctl render: --flavor-file does not apply to --check", "render", "--check",
		     "d", "--flavor-file", "f");
	EXPECT_USAGE("devctl render: -o does not apply to --check", "render", "--check", "d", "-o",
		     "json");
	EXPECT_USAGE("devctl render: unexpected argument \"x\"", "render", "-f", "a", "x");

	/* YAML: one document per object, the same objects as expected.yaml */
	run(&r, "render", "-f", ds, "--flavor-file", fl, "--default-image",
	    "registry.example.com/devserver/base:1", "--tools-image",
	    "registry.example.com/devserver/tools:1", NULL);
	assert_int_equal(r.rc, EXIT_OK);
	assert_string_equal(r.err, "");
	assert_starts_with(r.out, "---\napiVersion: v1\n");
	assert_int_equal(yaml_doc_parse_all(r.out, r.outlen, &docs, &n, &err), 0);
	{
		char exp_path[600], *text;
		size_t len;
		struct json *expected;

		snprintf(exp_path, sizeof(exp_path), "%s/tests/fixtures/render/full/expected.yaml",
			 DEVSERVER_SOURCE_DIR);
		assert_int_equal(cli_read_file(exp_path, 1 << 20, &text, &len, &err), 0);
		expected = yaml_doc_parse(text, len, &err);
		free(text);
		assert_non_null(expected);
		assert_int_equal(n, expected->u.arr.len);
		for (size_t i = 0; i < n; i++)
			assert_true(json_equal(docs[i], expected->u.arr.items[i]));
		json_free(expected);
	}
	for (size_t i = 0; i < n; i++)
		json_free(docs[i]);
	free(docs);
	run_free(&r);

	/* JSON: a v1 List */
	run(&r, "render", "-f", ds, "-o", "json", NULL);
	assert_int_equal(r.rc, EXIT_OK);
	v = json_parse(r.out, r.outlen, &err);
	assert_non_null(v);
	assert_string_equal(json_get_string(v, "kind"), "List");
	assert_true(json_get(v, "items")->u.arr.len >= 3);
	json_free(v);
	run_free(&r);

	/* input and policy errors: exit 1, one line */
	run(&r, "render", "-f", "/nonexistent/ds.yaml", NULL);
	assert_int_equal(r.rc, EXIT_FAILED);
	assert_string_equal(r.err, "devctl render: cannot read \"/nonexistent/ds.yaml\": No such file or directory\n");
	run_free(&r);
	snprintf(ds, sizeof(ds), "%s/tests/fixtures/render/invalid-name/devserver.yaml",
		 DEVSERVER_SOURCE_DIR);
	run(&r, "render", "-f", ds, NULL);
	assert_int_equal(r.rc, EXIT_FAILED);
	assert_starts_with(r.err, "devctl render: ");
	assert_string_equal(r.out, "");
	run_free(&r);

	/* --check over the shared fixtures: all pass */
	run(&r, "render", "--check", fixtures, NULL);
	assert_int_equal(r.rc, EXIT_OK);
	assert_non_null(strstr(r.out, "ok   full\n"));
	assert_non_null(strstr(r.out, " passed, 0 failed\n"));
	run_free(&r);
}

/* render -f retries a render that ran out of time once, as render --check
 * does: under valgrind or on a loaded machine the first render of a fresh
 * state can pass the 100 ms budget (render -f failed under make valgrind).
 * This policy loops on its first call only. */
static void test_render_retries_one_timeout(void **state)
{
	char dir[600], p[700], ds[600];
	struct run r;

	path_in_tmp(dir, sizeof(dir), "slow-once");
	mkdir(dir, 0700);
	snprintf(p, sizeof(p), "%s/devserver.lua", dir);
	tu_write_file(p, "local calls = 0\n"
		      "return {api = 1, render = function(ds)\n"
		      "  calls = calls + 1\n"
		      "  if calls == 1 then while true do end end\n"
		      "  return {{apiVersion = 'v1', kind = 'ConfigMap', metadata = {name = 'x'}}}\n"
		      "end}\n");
	snprintf(ds, sizeof(ds), "%s/tests/fixtures/render/minimal/devserver.yaml",
		 DEVSERVER_SOURCE_DIR);
	run(&r, "render", "-f", ds, "--policies", dir, NULL);
	assert_int_equal(r.rc, EXIT_OK);
	assert_string_equal(r.err, "");
	assert_non_null(strstr(r.out, "kind: ConfigMap"));
	run_free(&r);

	/* a policy that is always too slow still fails, with one line */
	tu_write_file(p, "return {api = 1, render = function(ds) while true do end end}\n");
	run(&r, "render", "-f", ds, "--policies", dir, NULL);
	assert_int_equal(r.rc, EXIT_FAILED);
	assert_starts_with(r.err, "devctl render: policy time budget of 100 ms exceeded");
	run_free(&r);

	/* out of time while loading: nothing to retry with (this crashed) */
	tu_write_file(p, "while true do end\n");
	run(&r, "render", "-f", ds, "--policies", dir, NULL);
	assert_int_equal(r.rc, EXIT_FAILED);
	assert_starts_with(r.err, "devctl render: policy time budget of 1000 ms exceeded");
	run_free(&r);
}

/* devctl render applies the operator's own checks: a privileged pod, a
 * hostPath volume or a kind outside the allow-list fails offline exactly as
 * the operator would refuse it (it printed them before). */
static void test_render_applies_the_host_checks(void **state)
{
	static const char *const bad[][2] = {
		{ "{apiVersion = 'v1', kind = 'Pod', metadata = {name = 'x'}}",
		  "is not a kind policies may create" },
		{ "{apiVersion = 'apps/v1', kind = 'Deployment', metadata = {name = 'x'}, spec = {template = "
		  "{spec = {automountServiceAccountToken = false, hostNetwork = true, containers = {}}}}}",
		  "hostNetwork may not be true" },
		{ "{apiVersion = 'apps/v1', kind = 'Deployment', metadata = {name = 'x'}, spec = {template = "
		  "{spec = {automountServiceAccountToken = false, volumes = {{name = 'r', hostPath = {path = '/'}}}}}}}",
		  "hostPath is not a volume type" },
	};
	char dir[600], p[700], ds[600], text[1024];
	struct run r;

	path_in_tmp(dir, sizeof(dir), "host-checks");
	mkdir(dir, 0700);
	snprintf(p, sizeof(p), "%s/devserver.lua", dir);
	snprintf(ds, sizeof(ds), "%s/tests/fixtures/render/minimal/devserver.yaml", DEVSERVER_SOURCE_DIR);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(text, sizeof(text), "return {api = 1, render = function(ds) return {%s} end}\n", bad[i][0]);
		tu_write_file(p, text);
		run(&r, "render", "-f", ds, "--policies", dir, NULL);
		assert_int_equal(r.rc, EXIT_FAILED);
		assert_string_equal(r.out, "");
		assert_starts_with(r.err, "devctl render: the operator would refuse this render: ");
		if (!strstr(r.err, bad[i][1]))
			fail_msg("case %zu: want \"%s\" in \"%s\"", i, bad[i][1], r.err);
		run_free(&r);
	}
}

static void test_render_check_reports_differences(void **state)
{
	char dir[600], p[700], src[600];
	struct run r;

	path_in_tmp(dir, sizeof(dir), "fixtures");
	mkdir(dir, 0700);
	snprintf(p, sizeof(p), "%s/minimal", dir);
	mkdir(p, 0700);
	snprintf(src, sizeof(src), "%s/tests/fixtures/render/minimal/devserver.yaml",
		 DEVSERVER_SOURCE_DIR);
	{
		char *text;
		size_t len;
		struct error err;

		assert_int_equal(cli_read_file(src, 1 << 20, &text, &len, &err), 0);
		snprintf(p, sizeof(p), "%s/minimal/devserver.yaml", dir);
		tu_write_file(p, text);
		snprintf(p, sizeof(p), "%s/wrong-error", dir);
		mkdir(p, 0700);
		snprintf(p, sizeof(p), "%s/wrong-error/devserver.yaml", dir);
		tu_write_file(p, text);
		free(text);
	}
	snprintf(p, sizeof(p), "%s/minimal/expected.yaml", dir);
	tu_write_file(p, "- apiVersion: v1\n  kind: Nothing\n");
	snprintf(p, sizeof(p), "%s/wrong-error/error.txt", dir);
	tu_write_file(p, "this error never happens\n");
	snprintf(p, sizeof(p), "%s/ctx.yaml", dir);
	tu_write_file(p, "namespace: default\ndefault_image: img:1\ntools_image: tools:1\n");

	run(&r, "render", "--check", dir, NULL);
	assert_int_equal(r.rc, EXIT_FAILED);
	assert_non_null(strstr(r.out, "FAIL minimal: differs from expected.yaml at "));
	assert_non_null(strstr(r.out, "FAIL wrong-error: rendered, but error.txt expects \"this error never happens\"\n"));
	assert_non_null(strstr(r.out, "0 passed, 2 failed\n"));
	/* exit 1 comes with its one-line reason, as for policy test (stderr
	 * used to be empty) */
	assert_string_equal(r.err, "devctl render: 2 of 2 fixtures failed\n");
	run_free(&r);

	run(&r, "render", "--check", tmpdir, NULL);
	assert_int_equal(r.rc, EXIT_FAILED);
	assert_starts_with(r.err, "devctl render: no fixture directories (*/devserver.yaml) in \"");
	run_free(&r);
}

/* ---- policy ---- */

static void test_policy(void **state)
{
	char lua[600], bad[600], p[700];
	struct policy_opts o;
	struct cli_ctx ctx;
	struct error err;
	struct run r;

	assert_int_equal(parse(&cmd_policy, &o, &ctx, &err, "policy", "test", "dir", NULL), 0);
	assert_int_equal(o.sub, POLICY_TEST);
	assert_string_equal(o.dir, "dir");
	assert_int_equal(parse(&cmd_policy, &o, &ctx, &err, "policy", "push", "d2", NULL), 0);
	assert_int_equal(o.sub, POLICY_PUSH);
	assert_int_equal(parse(&cmd_policy, &o, &ctx, &err, "policy", "status", "-o", "json", NULL), 0);
	assert_int_equal(o.sub, POLICY_STATUS);
	assert_int_equal(ctx.format, OUT_JSON);
	EXPECT_USAGE("devctl policy: missing argument", "policy");
	EXPECT_USAGE("devctl policy: unknown subcommand \"run\" (test, push or status)", "policy", "run");
	EXPECT_USAGE("devctl policy: test needs the bundle directory (policy test DIR)", "policy", "test");
	EXPECT_USAGE("devctl policy: push needs the bundle directory (policy push DIR)", "policy", "push");
	EXPECT_USAGE("devctl policy: status takes no argument", "policy", "status", "x");
	EXPECT_USAGE("devctl policy: -o applies to policy status only", "policy", "test", "d", "-o", "json");
	EXPECT_USAGE("devctl policy: too many arguments (at most 2)", "policy", "test", "a", "b");

	/* the shipped policy compiles */
	snprintf(lua, sizeof(lua), "%s/lua", DEVSERVER_SOURCE_DIR);
	run(&r, "policy", "test", lua, NULL);
	assert_int_equal(r.rc, EXIT_OK);
	assert_starts_with(r.out, "bundle ");
	assert_non_null(strstr(r.out, ", compiles\n"));
	run_free(&r);

	/* a bundle that does not compile: exit 1, nothing pushed */
	path_in_tmp(bad, sizeof(bad), "badpolicy");
	mkdir(bad, 0700);
	snprintf(p, sizeof(p), "%s/devserver.lua", bad);
	tu_write_file(p, "return {{{\n");
	run(&r, "policy", "test", bad, NULL);
	assert_int_equal(r.rc, EXIT_FAILED);
	assert_starts_with(r.err, "devctl policy test: ");
	run_free(&r);
	run(&r, "policy", "push", bad, NULL);
	assert_int_equal(r.rc, EXIT_FAILED);
	assert_starts_with(r.err, "devctl policy push: ");
	assert_null(strstr(r.err, "not connected"));
	run_free(&r);

	/* a good bundle gets as far as the cluster */
	run(&r, "policy", "push", lua, NULL);
	assert_int_equal(r.rc, EXIT_FAILED);
	assert_string_equal(r.err, "devctl policy push: not connected to a cluster yet\n");
	run_free(&r);
	run(&r, "policy", "status", NULL);
	assert_int_equal(r.rc, EXIT_FAILED);
	assert_string_equal(r.err, "devctl policy status: not connected to a cluster yet\n");
	run_free(&r);
}

static void test_policy_fixtures_in_bundle(void **state)
{
	char dir[600], p[700], cmd[1400];
	struct run r;

	/* the shipped policy plus one fixture case copied next to it */
	path_in_tmp(dir, sizeof(dir), "bundle");
	snprintf(cmd, sizeof(cmd), "cp -r '%s/lua' '%s' && mkdir -p '%s/fixtures' && cp -r "
		 "'%s/tests/fixtures/render/full' '%s/fixtures/' && cp '%s/tests/fixtures/render/ctx.yaml' '%s/fixtures/'",
		 DEVSERVER_SOURCE_DIR, dir, dir, DEVSERVER_SOURCE_DIR, dir, DEVSERVER_SOURCE_DIR, dir);
	assert_int_equal(system(cmd), 0);
	run(&r, "policy", "test", dir, NULL);
	assert_int_equal(r.rc, EXIT_OK);
	assert_non_null(strstr(r.out, "ok   full\n1 passed, 0 failed\n"));
	run_free(&r);
	/* break the expectation: the test fails */
	snprintf(p, sizeof(p), "%s/fixtures/full/expected.yaml", dir);
	tu_write_file(p, "[]\n");
	run(&r, "policy", "test", dir, NULL);
	assert_int_equal(r.rc, EXIT_FAILED);
	assert_non_null(strstr(r.out, "FAIL full: differs from expected.yaml at  (length "));
	assert_string_equal(r.err, "devctl policy test: 1 of 1 fixtures failed\n");
	run_free(&r);
}

/* ---- completion ---- */

static void test_completion(void **state)
{
	char script[600], cmd[1400];
	struct run r;
	FILE *f;

	EXPECT_USAGE("devctl completion: missing argument", "completion");
	EXPECT_USAGE("devctl completion: unsupported shell \"zsh\" (only bash)", "completion", "zsh");
	run(&r, "completion", "bash", NULL);
	assert_int_equal(r.rc, EXIT_OK);
	assert_non_null(strstr(r.out, "complete -F _devctl devctl\n"));
	for (size_t i = 0; cli_commands[i]; i++) {
		char arm[64];

		snprintf(arm, sizeof(arm), "\t%s)\n", cli_commands[i]->name);
		assert_non_null(strstr(r.out, arm));
		for (const struct flag_spec *fl = cli_commands[i]->flags; fl && fl->name; fl++) {
			snprintf(arm, sizeof(arm), " --%s", fl->name);
			assert_non_null(strstr(r.out, arm));
		}
	}
	/* --name completes DevServer names where it names one, not on create */
	assert_non_null(strstr(r.out, "\tdescribe)\n\t\tcase \"$prev\" in\n"
				      "\t\t--name) COMPREPLY=( $(compgen -W \"$(_devctl_names)\" -- \"$cur\") ); return 0 ;;\n"));
	assert_non_null(strstr(r.out, "\tcreate)\n\t\tcase \"$prev\" in\n\t\t--name) return 0 ;;\n"));
	path_in_tmp(script, sizeof(script), "devctl.bash");
	f = fopen(script, "w");
	assert_non_null(f);
	fwrite(r.out, 1, r.outlen, f);
	fclose(f);
	run_free(&r);

	/* it parses, and it completes: commands, a command's flags, -o values */
	snprintf(cmd, sizeof(cmd), "bash -n '%s'", script);
	assert_int_equal(system(cmd), 0);
	snprintf(cmd, sizeof(cmd),
		 "bash -c 'source \"%s\"; "
		 "COMP_WORDS=(devctl cr); COMP_CWORD=1; _devctl; [ \"${COMPREPLY[*]}\" = create ] || exit 1; "
		 "COMP_WORDS=(devctl -n x create --ss); COMP_CWORD=4; _devctl; [ \"${COMPREPLY[*]}\" = --ssh-public-key-file ] || exit 2; "
		 "COMP_WORDS=(devctl render -o \"\"); COMP_CWORD=3; _devctl; [ \"${COMPREPLY[*]}\" = \"table json yaml\" ] || exit 3; "
		 "COMP_WORDS=(devctl policy \"\"); COMP_CWORD=2; _devctl; [ \"${COMPREPLY[*]}\" = \"test push status\" ] || exit 4; "
		 "COMP_WORDS=(devctl wait x --for \"\"); COMP_CWORD=4; _devctl; [ ${#COMPREPLY[@]} = 7 ] || exit 5; "
		 "exit 0'", script);
	assert_int_equal(system(cmd), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_global),
		cmocka_unit_test(test_globals_before_and_after),
		cmocka_unit_test(test_help_everywhere_and_in_docs),
		cmocka_unit_test(test_create_parse),
		cmocka_unit_test(test_create_usage_errors),
		cmocka_unit_test(test_create_no_default_key),
		cmocka_unit_test(test_create_build),
		cmocka_unit_test(test_create_key_file_without_keys),
		cmocka_unit_test(test_create_dry_run),
		cmocka_unit_test(test_create_default_ttl),
		cmocka_unit_test(test_create_default_flavor),
		cmocka_unit_test(test_create_written_fields),
		cmocka_unit_test(test_create_dry_run_default_ttl),
		cmocka_unit_test(test_list_get_describe),
		cmocka_unit_test(test_name_arguments_are_checked),
		cmocka_unit_test(test_name_flag_everywhere),
		cmocka_unit_test(test_errors_are_one_printable_line),
		cmocka_unit_test(test_delete_start_stop),
		cmocka_unit_test(test_wait),
		cmocka_unit_test(test_extend),
		cmocka_unit_test(test_logs_ssh_flavors_version),
		cmocka_unit_test(test_render),
		cmocka_unit_test(test_render_retries_one_timeout),
		cmocka_unit_test(test_render_applies_the_host_checks),
		cmocka_unit_test(test_render_check_reports_differences),
		cmocka_unit_test(test_policy),
		cmocka_unit_test(test_policy_fixtures_in_bundle),
		cmocka_unit_test(test_completion),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
