/* test_cli_config.c - cli/config: the defaults file, its errors, and that
 * flags win over it. */
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
#include "command.h"
#include "config.h"
#include "support/testutil.h"

static char tmpdir[] = "/tmp/test_cli_config.XXXXXX";

static int setup(void **state)
{
	char path[512];

	if (tu_tmpdir_make(tmpdir))
		return -1;
	snprintf(path, sizeof(path), "%s/.ssh", tmpdir);
	mkdir(path, 0700);
	snprintf(path, sizeof(path), "%s/.ssh/id_ed25519.pub", tmpdir);
	tu_write_file(path, "ssh-ed25519 AAAAdefault me@host\n");
	snprintf(path, sizeof(path), "%s/work.pub", tmpdir);
	tu_write_file(path, "ssh-ed25519 AAAAwork me@work\n");
	snprintf(path, sizeof(path), "%s/.config", tmpdir);
	mkdir(path, 0700);
	snprintf(path, sizeof(path), "%s/.config/devctl", tmpdir);
	mkdir(path, 0700);
	setenv("HOME", tmpdir, 1);
	unsetenv("DEVCTL_CONFIG");
	return 0;
}

static int teardown(void **state)
{
	return tu_tmpdir_remove(tmpdir);
}

static int parse_text(struct cli_config *c, const char *text, struct error *err)
{
	cli_config_init(c);
	return cli_config_parse(c, text, strlen(text), "/cfg.yaml", "/home/me", err);
}

static void test_config_good(void **state)
{
	struct cli_config c;
	struct error err;

	assert_int_equal(parse_text(&c, "# defaults\nnamespace: team-a\nflavor: gpu.small\n"
				    "sshPublicKeyFile: ~/.ssh/work.pub\nttl: 8h\noutput: wide\n", &err), 0);
	assert_string_equal(c.namespace, "team-a");
	assert_string_equal(c.flavor, "gpu.small");
	assert_string_equal(c.ssh_public_key_file, "/home/me/.ssh/work.pub");
	assert_string_equal(c.ttl, "8h");
	assert_int_equal(c.ttl_seconds, 8 * 3600);
	assert_string_equal(c.output, "wide");
	assert_string_equal(c.path, "/cfg.yaml");
	cli_config_cleanup(&c);

	assert_int_equal(parse_text(&c, "sshPublicKeyFile: /abs/key.pub\n", &err), 0);
	assert_string_equal(c.ssh_public_key_file, "/abs/key.pub");
	assert_null(c.namespace);
	assert_null(c.ssh_identity_file);
	cli_config_cleanup(&c);
	assert_int_equal(parse_text(&c, "sshIdentityFile: ~/.ssh/work\n", &err), 0);
	assert_string_equal(c.ssh_identity_file, "/home/me/.ssh/work");
	cli_config_cleanup(&c);

	/* empty, comments only, explicit null: no defaults, no error */
	assert_int_equal(parse_text(&c, "", &err), 0);
	cli_config_cleanup(&c);
	assert_int_equal(parse_text(&c, "# nothing yet\n", &err), 0);
	cli_config_cleanup(&c);
	assert_int_equal(parse_text(&c, "~\n", &err), 0);
	cli_config_cleanup(&c);
}

static void test_config_errors(void **state)
{
	static const struct { const char *text, *msg; } cases[] = {
		{ "namespcae: x\n",
		  "config /cfg.yaml: namespcae: unknown key (known: namespace, flavor, sshPublicKeyFile, "
		  "sshIdentityFile, ttl, defaultTTL, output)" },
		{ "defaultTTL: forever\n",
		  "config /cfg.yaml: defaultTTL: invalid duration \"forever\" (use e.g. 4h, 1h30m, 2d, or none)" },
		{ "defaultTTL: 0s\n",
		  "config /cfg.yaml: defaultTTL: must be longer than 0s (none turns it off)" },
		{ "namespace: Team_A\n", "config /cfg.yaml: namespace: \"Team_A\" is not a valid namespace name" },
		{ "flavor: -x\n", "config /cfg.yaml: flavor: \"-x\" is not a valid flavor name" },
		{ "ttl: 4x\n", "config /cfg.yaml: ttl: invalid duration \"4x\" (use e.g. 4h, 1h30m, 2d)" },
		{ "ttl: 8\n", "config /cfg.yaml: ttl: must be a non-empty string" },
		{ "output: fancy\n",
		  "config /cfg.yaml: output: -o: invalid output format \"fancy\" (use table, wide, json, yaml or name)" },
		{ "flavor: \"\"\n", "config /cfg.yaml: flavor: must be a non-empty string" },
		{ "namespace: [a]\n", "config /cfg.yaml: namespace: must be a non-empty string" },
		{ "- a\n- b\n", "config /cfg.yaml: must be a mapping of key: value" },
		{ "just text\n", "config /cfg.yaml: must be a mapping of key: value" },
	};
	struct cli_config c;
	struct error err;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_int_equal(parse_text(&c, cases[i].text, &err), ERR_INVALID);
		assert_string_equal(err.msg, cases[i].msg);
		cli_config_cleanup(&c);
	}
	/* a YAML syntax error names the file too */
	assert_int_equal(parse_text(&c, "a: [\n", &err), ERR_INVALID);
	assert_memory_equal(err.msg, "config /cfg.yaml: ", 18);
	cli_config_cleanup(&c);
	/* ~/ without a home */
	cli_config_init(&c);
	assert_int_equal(cli_config_parse(&c, "sshPublicKeyFile: ~/k\n", 21, "/c", NULL, &err),
			 ERR_INVALID);
	assert_string_equal(err.msg, "config /c: sshPublicKeyFile: \"~/\" needs $HOME to be set");
	cli_config_cleanup(&c);
}

/* defaultTTL: the time to live create falls back to (4h unless set), or
 * none to turn that off; ttl (like --ttl) always applies and wins. */
static void test_config_default_ttl(void **state)
{
	struct cli_config c;
	struct cli_ctx ctx = { .config = &c, .home = tmpdir };
	struct create_opts o;
	struct error err;
	char *argv[] = { "create", "box" };

	/* no file: 4h */
	cli_config_init(&c);
	assert_int_equal(cli_parse(&cmd_create, &ctx, 2, argv, &o, &err), 0);
	assert_string_equal(o.default_ttl, "4h");
	assert_int_equal(o.default_ttl_seconds, 4 * 3600);
	assert_null(o.ttl.text);
	cli_config_cleanup(&c);

	assert_int_equal(parse_text(&c, "defaultTTL: 1d\n", &err), 0);
	assert_string_equal(c.default_ttl, "1d");
	memset(&ctx.g, 0, sizeof(ctx.g));
	assert_int_equal(cli_parse(&cmd_create, &ctx, 2, argv, &o, &err), 0);
	assert_string_equal(o.default_ttl, "1d");
	assert_int_equal(o.default_ttl_seconds, 86400);
	cli_config_cleanup(&c);

	assert_int_equal(parse_text(&c, "defaultTTL: none\n", &err), 0);
	assert_true(c.default_ttl_off);
	memset(&ctx.g, 0, sizeof(ctx.g));
	assert_int_equal(cli_parse(&cmd_create, &ctx, 2, argv, &o, &err), 0);
	assert_null(o.default_ttl);
	cli_config_cleanup(&c);
}

static void test_config_load(void **state)
{
	char path[512], missing[512];
	struct cli_config c;
	struct error err;

	/* the default file may be absent */
	cli_config_init(&c);
	assert_int_equal(cli_config_load(&c, NULL, tmpdir, &err), 0);
	assert_string_equal(c.path, "");
	cli_config_cleanup(&c);
	/* an explicit one must exist */
	snprintf(missing, sizeof(missing), "%s/nope.yaml", tmpdir);
	cli_config_init(&c);
	assert_int_equal(cli_config_load(&c, missing, tmpdir, &err), ERR_IO);
	assert_memory_equal(err.msg, "config: cannot read \"", 21);
	cli_config_cleanup(&c);

	snprintf(path, sizeof(path), "%s/.config/devctl/config.yaml", tmpdir);
	tu_write_file(path, "flavor: cpu-small\n");
	cli_config_init(&c);
	assert_int_equal(cli_config_load(&c, NULL, tmpdir, &err), 0);
	assert_string_equal(c.flavor, "cpu-small");
	assert_string_equal(c.path, path);
	cli_config_cleanup(&c);
	/* $DEVCTL_CONFIG wins over the default path */
	snprintf(path, sizeof(path), "%s/other.yaml", tmpdir);
	tu_write_file(path, "flavor: other\n");
	cli_config_init(&c);
	assert_int_equal(cli_config_load(&c, path, tmpdir, &err), 0);
	assert_string_equal(c.flavor, "other");
	cli_config_cleanup(&c);
	snprintf(path, sizeof(path), "%s/.config/devctl/config.yaml", tmpdir);
	unlink(path);
}

struct run {
	int rc;
	char *out, *err;
	size_t outlen, errlen;
};

static void run(struct run *r, int argc, char **argv)
{
	FILE *o = open_memstream(&r->out, &r->outlen), *e = open_memstream(&r->err, &r->errlen);

	r->rc = cli_main_io(argc, argv, o, e, 1795687200);
	fclose(o);
	fclose(e);
}

static void run_free(struct run *r)
{
	free(r->out);
	free(r->err);
}

static void test_config_defaults_and_flags(void **state)
{
	char path[512], keyflag[512];
	struct cli_config c;
	struct cli_ctx ctx = { .config = &c, .home = tmpdir };
	struct create_opts o;
	struct error err;

	snprintf(path, sizeof(path), "sshPublicKeyFile: %s/work.pub\n", tmpdir);
	cli_config_init(&c);
	assert_int_equal(parse_text(&c, "namespace: team-a\nflavor: cpu-small\nttl: 8h\n", &err), 0);
	{
		char *argv[] = { "create", "box" };

		assert_int_equal(cli_parse(&cmd_create, &ctx, 2, argv, &o, &err), 0);
		assert_string_equal(o.flavor, "cpu-small");
		assert_string_equal(o.ttl.text, "8h");
		assert_string_equal(o.namespace, "team-a");
		assert_string_equal(o.ssh_keys, "ssh-ed25519 AAAAdefault me@host\n");
	}
	{
		char *argv[] = { "create", "box", "--flavor", "gpu", "--ttl", "1h", "-n", "mine" };

		memset(&ctx.g, 0, sizeof(ctx.g));
		assert_int_equal(cli_parse(&cmd_create, &ctx, 8, argv, &o, &err), 0);
		assert_string_equal(o.flavor, "gpu");
		assert_string_equal(o.ttl.text, "1h");
		assert_int_equal(o.ttl.seconds, 3600);
		assert_string_equal(o.namespace, "mine");
	}
	cli_config_cleanup(&c);
	/* the key file from the config, and --ssh-public-key-file over it */
	cli_config_init(&c);
	assert_int_equal(parse_text(&c, path, &err), 0);
	{
		char *argv[] = { "create", "box" };

		memset(&ctx.g, 0, sizeof(ctx.g));
		assert_int_equal(cli_parse(&cmd_create, &ctx, 2, argv, &o, &err), 0);
		assert_string_equal(o.ssh_keys, "ssh-ed25519 AAAAwork me@work\n");
	}
	snprintf(keyflag, sizeof(keyflag), "%s/.ssh/id_ed25519.pub", tmpdir);
	{
		char *argv[] = { "create", "box", "--ssh-public-key-file", keyflag };

		memset(&ctx.g, 0, sizeof(ctx.g));
		assert_int_equal(cli_parse(&cmd_create, &ctx, 4, argv, &o, &err), 0);
		assert_string_equal(o.ssh_keys, "ssh-ed25519 AAAAdefault me@host\n");
	}
	cli_config_cleanup(&c);
}

static void test_config_namespace_and_output(void **state)
{
	struct cli_config c;
	struct cli_ctx ctx = { .config = &c, .home = tmpdir };
	struct name_opts o;
	struct error err;

	cli_config_init(&c);
	assert_int_equal(parse_text(&c, "namespace: team-a\noutput: wide\n", &err), 0);
	{
		char *argv[] = { "list" };

		assert_int_equal(cli_parse(&cmd_list, &ctx, 1, argv, &o, &err), 0);
		assert_string_equal(ctx.g.namespace, "team-a");
		assert_int_equal(ctx.format, OUT_WIDE);
	}
	{
		/* -A beats the config's namespace; -o beats its output */
		char *argv[] = { "list", "-A", "-o", "name" };

		memset(&ctx.g, 0, sizeof(ctx.g));
		assert_int_equal(cli_parse(&cmd_list, &ctx, 4, argv, &o, &err), 0);
		assert_null(ctx.g.namespace);
		assert_int_equal(ctx.format, OUT_NAME);
	}
	{
		/* a command without the config's format uses its own default */
		char *argv[] = { "delete", "box" };
		struct delete_opts d;

		memset(&ctx.g, 0, sizeof(ctx.g));
		assert_int_equal(cli_parse(&cmd_delete, &ctx, 2, argv, &d, &err), 0);
		assert_int_equal(ctx.format, OUT_TABLE);
	}
	cli_config_cleanup(&c);
}

/* The predecessor's ~/.config/devctl/config.yml: read when devctl's own
 * file is absent, for the keys devctl has equivalents of (its
 * ssh.public_key_file is sshPublicKeyFile); its other keys (and any devctl
 * does not know) are ignored, as the predecessor ignored them. */
static void test_config_legacy_parse(void **state)
{
	struct cli_config c;
	struct error err;
	const char *text = "ssh:\n  public_key_file: ~/.ssh/id_ed25519.pub\n  private_key_file: ~/.ssh/id_ed25519\n"
			   "  forward_agent: true\ndevctl-ssh-config-dir: ~/.config/devctl/ssh/\n";

	cli_config_init(&c);
	assert_int_equal(cli_config_parse_legacy(&c, text, strlen(text), "/old.yml", "/home/me", &err), 0);
	assert_string_equal(c.ssh_public_key_file, "/home/me/.ssh/id_ed25519.pub");
	assert_string_equal(c.ssh_identity_file, "/home/me/.ssh/id_ed25519");
	assert_true(c.legacy);
	assert_string_equal(c.path, "/old.yml");
	assert_null(c.ttl);
	assert_null(c.namespace);
	cli_config_cleanup(&c);

	/* the predecessor's own default file: an empty key file means "none" */
	text = "ssh:\n  public_key_file: ''\n  private_key_file: ''\n  forward_agent: false\n";
	cli_config_init(&c);
	assert_int_equal(cli_config_parse_legacy(&c, text, strlen(text), "/old.yml", "/home/me", &err), 0);
	assert_null(c.ssh_public_key_file);
	assert_null(c.ssh_identity_file);
	cli_config_cleanup(&c);
	/* empty file, only comments */
	cli_config_init(&c);
	assert_int_equal(cli_config_parse_legacy(&c, "", 0, "/old.yml", "/home/me", &err), 0);
	cli_config_cleanup(&c);
	cli_config_init(&c);
	assert_int_equal(cli_config_parse_legacy(&c, "# old\n", 6, "/old.yml", "/home/me", &err), 0);
	assert_true(c.legacy);
	cli_config_cleanup(&c);

	/* values devctl would use are still checked */
	cli_config_init(&c);
	assert_int_equal(cli_config_parse_legacy(&c, "ssh: 5\n", 7, "/old.yml", "/home/me", &err), ERR_INVALID);
	assert_string_equal(err.msg, "config /old.yml: ssh: must be a mapping");
	cli_config_cleanup(&c);
	cli_config_init(&c);
	text = "ssh:\n  public_key_file: [a]\n";
	assert_int_equal(cli_config_parse_legacy(&c, text, strlen(text), "/old.yml", "/home/me", &err), ERR_INVALID);
	assert_string_equal(err.msg, "config /old.yml: ssh.public_key_file: must be a string");
	cli_config_cleanup(&c);
	cli_config_init(&c);
	text = "ssh:\n  private_key_file: 5\n";
	assert_int_equal(cli_config_parse_legacy(&c, text, strlen(text), "/old.yml", "/home/me", &err), ERR_INVALID);
	assert_string_equal(err.msg, "config /old.yml: ssh.private_key_file: must be a string");
	cli_config_cleanup(&c);
	cli_config_init(&c);
	assert_int_equal(cli_config_parse_legacy(&c, "- a\n", 4, "/old.yml", "/home/me", &err), ERR_INVALID);
	assert_string_equal(err.msg, "config /old.yml: must be a mapping of key: value");
	cli_config_cleanup(&c);
}

static void test_config_legacy_load(void **state)
{
	char yaml[512], yml[512];
	struct cli_config c;
	struct error err;
	struct run r;

	snprintf(yml, sizeof(yml), "%s/.config/devctl/config.yml", tmpdir);
	snprintf(yaml, sizeof(yaml), "%s/.config/devctl/config.yaml", tmpdir);
	{
		char text[700];

		snprintf(text, sizeof(text), "ssh:\n  public_key_file: %s/work.pub\n", tmpdir);
		tu_write_file(yml, text);
	}
	/* only the predecessor's file: read */
	cli_config_init(&c);
	assert_int_equal(cli_config_load(&c, NULL, tmpdir, &err), 0);
	assert_true(c.legacy);
	assert_string_equal(c.path, yml);
	assert_non_null(strstr(c.ssh_public_key_file, "/work.pub"));
	cli_config_cleanup(&c);
	/* through devctl: its key is used, and one line says which file to move to */
	unsetenv("DEVCTL_CONFIG");
	{
		char *argv[] = { "devctl", "create", "box", "--dry-run" };
		char want[1200];

		run(&r, 4, argv);
		assert_int_equal(r.rc, EXIT_OK);
		assert_non_null(strstr(r.out, "ssh-ed25519 AAAAwork me@work"));
		snprintf(want, sizeof(want), "devctl: read the predecessor's config %s; devctl's own is %s "
			 "(its ssh.public_key_file and ssh.private_key_file are sshPublicKeyFile and "
			 "sshIdentityFile there)\n", yml, yaml);
		assert_string_equal(r.err, want);
		run_free(&r);
	}
	/* devctl's own file wins, and then the old one is not read */
	tu_write_file(yaml, "flavor: mine\n");
	cli_config_init(&c);
	assert_int_equal(cli_config_load(&c, NULL, tmpdir, &err), 0);
	assert_false(c.legacy);
	assert_string_equal(c.path, yaml);
	assert_null(c.ssh_public_key_file);
	cli_config_cleanup(&c);
	/* and $DEVCTL_CONFIG names the only file read */
	unlink(yaml);
	{
		char other[600];

		snprintf(other, sizeof(other), "%s/other.yaml", tmpdir);
		tu_write_file(other, "flavor: other\n");
		cli_config_init(&c);
		assert_int_equal(cli_config_load(&c, other, tmpdir, &err), 0);
		assert_false(c.legacy);
		assert_null(c.ssh_public_key_file);
		cli_config_cleanup(&c);
		unlink(other);
	}
	unlink(yml);
}

/* sshIdentityFile is devctl ssh's -i when -i is not given. */
static void test_config_ssh_identity(void **state)
{
	struct cli_config c;
	struct cli_ctx ctx = { .config = &c, .home = tmpdir };
	struct ssh_opts o;
	struct error err;

	assert_int_equal(parse_text(&c, "sshIdentityFile: /keys/work\n", &err), 0);
	{
		char *argv[] = { "ssh", "box" };

		assert_int_equal(cli_parse(&cmd_ssh, &ctx, 2, argv, &o, &err), 0);
		assert_string_equal(o.identity, "/keys/work");
	}
	{
		char *argv[] = { "ssh", "box", "-i", "/keys/mine" };

		memset(&ctx.g, 0, sizeof(ctx.g));
		assert_int_equal(cli_parse(&cmd_ssh, &ctx, 4, argv, &o, &err), 0);
		assert_string_equal(o.identity, "/keys/mine");
	}
	cli_config_cleanup(&c);
	cli_config_init(&c);
	{
		char *argv[] = { "ssh", "box" };

		memset(&ctx.g, 0, sizeof(ctx.g));
		assert_int_equal(cli_parse(&cmd_ssh, &ctx, 2, argv, &o, &err), 0);
		assert_null(o.identity);
	}
	cli_config_cleanup(&c);
}

static void test_config_through_cli_main(void **state)
{
	char path[512];
	struct run r;

	snprintf(path, sizeof(path), "%s/bad.yaml", tmpdir);
	tu_write_file(path, "ttl: forever\n");
	setenv("DEVCTL_CONFIG", path, 1);
	{
		char *argv[] = { "devctl", "create", "box", "--dry-run" };

		run(&r, 4, argv);
		assert_int_equal(r.rc, EXIT_USAGE);
		assert_memory_equal(r.err, "devctl create: config ", 22);
		assert_non_null(strstr(r.err, "bad.yaml: ttl: invalid duration \"forever\""));
		assert_string_equal(r.out, "");
		run_free(&r);
	}
	{
		/* --help still works with a broken config */
		char *argv[] = { "devctl", "create", "--help" };

		run(&r, 3, argv);
		assert_int_equal(r.rc, EXIT_OK);
		assert_string_equal(r.out, cmd_create.usage);
		run_free(&r);
	}
	{
		/* an explicit file that is missing is an error too, not "no defaults" */
		char missing[600];
		char *argv[] = { "devctl", "version", "--client" };

		snprintf(missing, sizeof(missing), "%s/missing.yaml", tmpdir);
		setenv("DEVCTL_CONFIG", missing, 1);
		run(&r, 3, argv);
		assert_int_equal(r.rc, EXIT_USAGE);
		assert_memory_equal(r.err, "devctl version: config: cannot read \"", 37);
		run_free(&r);
		setenv("DEVCTL_CONFIG", path, 1);
	}
	tu_write_file(path, "flavor: from-config\n");
	{
		char *argv[] = { "devctl", "create", "box", "--dry-run", "-o", "json" };

		run(&r, 6, argv);
		assert_int_equal(r.rc, EXIT_OK);
		assert_non_null(strstr(r.out, "\"flavor\": \"from-config\""));
		run_free(&r);
	}
	unsetenv("DEVCTL_CONFIG");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_config_good),
		cmocka_unit_test(test_config_errors),
		cmocka_unit_test(test_config_default_ttl),
		cmocka_unit_test(test_config_load),
		cmocka_unit_test(test_config_defaults_and_flags),
		cmocka_unit_test(test_config_namespace_and_output),
		cmocka_unit_test(test_config_ssh_identity),
		cmocka_unit_test(test_config_legacy_parse),
		cmocka_unit_test(test_config_legacy_load),
		cmocka_unit_test(test_config_through_cli_main),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
