/* test_cli_badinput.c - devctl given bad input on purpose.
 *
 * Every command with malformed flags and arguments, and every file devctl
 * reads (render -f / --flavor-file, create --ssh-public-key-file,
 * $DEVCTL_CONFIG, --kubeconfig, render --check fixtures, policy bundles)
 * replaced by something hostile: missing, a directory, binary garbage, a
 * 50 MB file, YAML with the wrong types, nesting 10,000 levels deep, huge
 * strings, unusual unicode (RTL marks, NUL bytes, invalid UTF-8), and
 * hostile policy bundles (syntax errors, endless loops, memory bombs,
 * require of os, bytecode, a 10 MB file, 1,000 files, symlink loops, names
 * with "../").
 *
 * Each run must end with exit 2 (usage) or 1 (bad input / failed) and a
 * single-line "devctl <command>: ..." on stderr, printable (control bytes
 * escaped), and nothing on stdout for a usage error; ASan/valgrind see the
 * rest. Commands run through cli_main_io on memstreams with the stub backend
 * (tests/c/support), so nothing can reach a cluster; names are checked before
 * the backend is called, so a bad name is a usage error, not "not connected".
 *
 * Problems are collected rather than failing at the first one, so a run
 * lists every input that misbehaves; the totals are printed for the issue's
 * closing note.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <lauxlib.h>
#include <lua.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "command.h"
#include "core/error.h"
#include "kube/kubeconfig.h"
#include "support/testutil.h"

#define NOW 1795687200LL
#define MAX_WORDS 256
#define BIG_FILE_BYTES (50u * 1024 * 1024)
#define DEEP_LEVELS 10000
#define HUGE_STRING_BYTES (1536u * 1024) /* past the API server's 1.5 MB object limit */

enum { ALLOW_OK = 1 << 0, ALLOW_FAILED = 1 << 1, ALLOW_USAGE = 1 << 2 };

static char tmpdir[] = "/tmp/test_cli_badinput.XXXXXX";
static char keyfile[512];
static char goodds[512];
static unsigned tried, problems;

/* ---- helpers --------------------------------------------------------- */

static void path_in_tmp(char *out, size_t n, const char *rel)
{
	snprintf(out, n, "%s/%s", tmpdir, rel);
}

/* mkdir -p, in process (a fork per directory of a big ASan process is slow) */
static void mkdir_p(const char *path)
{
	char p[1200];

	snprintf(p, sizeof(p), "%s", path);
	for (char *s = p + 1; *s; s++) {
		if (*s != '/')
			continue;
		*s = '\0';
		if (mkdir(p, 0700) != 0 && errno != EEXIST)
			fail_msg("mkdir %s: %s", p, strerror(errno));
		*s = '/';
	}
	if (mkdir(p, 0700) != 0 && errno != EEXIST)
		fail_msg("mkdir %s: %s", p, strerror(errno));
}

struct run {
	int rc;
	char *out, *err;
	size_t outlen, errlen;
};

static void run_argv(struct run *r, int argc, char **argv)
{
	FILE *o = open_memstream(&r->out, &r->outlen);
	FILE *e = open_memstream(&r->err, &r->errlen);

	r->rc = cli_main_io(argc, argv, o, e, NOW);
	fclose(o);
	fclose(e);
}

static bool printable_line(const char *s, size_t len)
{
	for (size_t i = 0; i + 1 < len; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			return false;
	return true;
}

/* Checks one finished run against the allowed exits; records a problem. */
static void judge(const struct run *r, unsigned allow, const char *label)
{
	const char *why = NULL;
	bool ok_exit = (r->rc == 0 && (allow & ALLOW_OK)) ||
		       (r->rc == EXIT_FAILED && (allow & ALLOW_FAILED)) ||
		       (r->rc == EXIT_USAGE && (allow & ALLOW_USAGE));

	tried++;
	if (!ok_exit)
		why = "unexpected exit status";
	else if (r->rc != 0 && (r->errlen == 0 || r->err[r->errlen - 1] != '\n' ||
				memchr(r->err, '\n', r->errlen - 1) != NULL))
		why = "stderr is not exactly one line";
	else if (r->rc != 0 && strncmp(r->err, "devctl", 6) != 0)
		why = "stderr does not start with \"devctl\"";
	else if (r->rc != 0 && (memchr(r->err, '\0', r->errlen) || !printable_line(r->err, r->errlen)))
		why = "stderr has control bytes";
	else if (r->rc == EXIT_USAGE && r->outlen != 0)
		why = "a usage error printed to stdout";
	if (why) {
		problems++;
		print_message("PROBLEM %s: %s (exit %d)\n  stderr: %.300s\n", label, why, r->rc,
			      r->err ? r->err : "");
	}
}

/* Runs devctl with NULL-terminated words. */
static void expect(unsigned allow, const char *label, ...)
{
	char *argv[MAX_WORDS];
	int argc = 0;
	struct run r;
	va_list ap;
	char *w;

	argv[argc++] = "devctl";
	va_start(ap, label);
	while ((w = va_arg(ap, char *)) && argc < MAX_WORDS)
		argv[argc++] = w;
	va_end(ap);
	run_argv(&r, argc, argv);
	judge(&r, allow, label);
	free(r.out);
	free(r.err);
}

static void expect_argv(unsigned allow, const char *label, int argc, char **argv)
{
	struct run r;

	run_argv(&r, argc, argv);
	judge(&r, allow, label);
	free(r.out);
	free(r.err);
}

/* ---- hostile file contents -------------------------------------------- */

struct content {
	const char *name;
	char *data;       /* NULL: the file does not exist; "dir": a directory */
	size_t len;
	bool is_dir;
};

#define MAX_CONTENTS 64
static struct content contents[MAX_CONTENTS];
static size_t ncontents;

static void add_content(const char *name, const void *data, size_t len)
{
	struct content *c = &contents[ncontents++];

	assert_true(ncontents <= MAX_CONTENTS);
	c->name = name;
	c->data = malloc(len + 1);
	memcpy(c->data, data, len);
	c->data[len] = '\0';
	c->len = len;
}

static void add_text(const char *name, const char *text)
{
	add_content(name, text, strlen(text));
}

static char *repeat(const char *piece, size_t times, const char *prefix, const char *suffix,
		    size_t *len)
{
	size_t pl = strlen(piece), a = strlen(prefix), z = strlen(suffix);
	char *s = malloc(a + pl * times + z + 1), *p = s;

	memcpy(p, prefix, a);
	p += a;
	for (size_t i = 0; i < times; i++, p += pl)
		memcpy(p, piece, pl);
	memcpy(p, suffix, z);
	p += z;
	*p = '\0';
	*len = (size_t)(p - s);
	return s;
}

/* Contents that are bad in any YAML file devctl reads. */
static void build_generic_contents(void)
{
	static const char nul_yaml[] = "apiVersion: devserver.io/v1\nkind: Dev\0Server\n";
	unsigned char garbage[65536];
	uint64_t x = 0x9e3779b97f4a7c15ull;
	size_t len;
	char *s, *t;

	contents[ncontents++] = (struct content){ .name = "missing" };
	contents[ncontents++] = (struct content){ .name = "directory", .is_dir = true };
	for (size_t i = 0; i < sizeof(garbage); i++) {
		x ^= x << 13, x ^= x >> 7, x ^= x << 17;
		garbage[i] = (unsigned char)x;
	}
	add_content("binary-garbage", garbage, sizeof(garbage));
	/* 50 MB: one comment line, so only a size limit can stop it early */
	s = repeat("#", BIG_FILE_BYTES, "", "\n", &len);
	add_content("50MB", s, len);
	free(s);
	add_content("raw-nul-byte", nul_yaml, sizeof(nul_yaml) - 1);
	add_text("invalid-utf8", "apiVersion: devserver.io/v1\nkind: DevServer\nmetadata: {name: \"b\xff\xfex\"}\n");
	add_text("overlong-utf8", "metadata:\n  name: \xc0\xaf\n");
	add_text("surrogate-utf8", "metadata:\n  name: \xed\xa0\x80\n");
	add_text("utf16-bom", "\xff\xfe" "a\0:\0 \0b\0");
	s = repeat("[", DEEP_LEVELS, "", "", &len);
	t = repeat("]", DEEP_LEVELS, s, "\n", &len);
	add_content("deep-flow-seq", t, len);
	free(s);
	free(t);
	s = repeat("{a: ", DEEP_LEVELS, "", "", &len);
	t = repeat("}", DEEP_LEVELS, s, "\n", &len);
	add_content("deep-flow-map", t, len);
	free(s);
	free(t);
	s = repeat("- ", DEEP_LEVELS, "", "x\n", &len);
	add_content("deep-block-seq", s, len);
	free(s);
	add_text("alias-bomb",
		 "a: &a [x, x, x, x, x, x, x, x, x, x]\n"
		 "b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\n"
		 "c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\n"
		 "d: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]\n"
		 "e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d, *d]\n"
		 "f: &f [*e, *e, *e, *e, *e, *e, *e, *e, *e, *e]\n"
		 "g: &g [*f, *f, *f, *f, *f, *f, *f, *f, *f, *f]\n"
		 "h: [*g, *g, *g, *g, *g, *g, *g, *g, *g, *g]\n");
	add_text("undefined-alias", "a: *nope\n");
	add_text("tab-indent", "metadata:\n\tname: box\n");
	add_text("unterminated-quote", "metadata:\n  name: \"box\n");
	add_text("unknown-tag", "metadata: !evil {name: box}\n");
	add_text("binary-tag", "metadata: {name: !!binary aGVsbG8=}\n");
	add_text("nan", "spec: {home: {size: .nan}}\n");
	add_text("duplicate-keys", "metadata: {name: a}\nmetadata: {name: b}\n");
	add_text("scalar-document", "just a string\n");
	add_text("list-document", "- a\n- b\n");
	add_text("null-document", "~\n");
	add_text("two-documents", "a: 1\n---\nb: 2\n");
	s = repeat("x", HUGE_STRING_BYTES, "huge: \"", "\"\n", &len);
	add_content("huge-string", s, len);
	free(s);
	s = repeat("k", 256 * 1024, "", ": v\n", &len);
	add_content("huge-key", s, len);
	free(s);
}

/* DevServers whose YAML is fine but whose fields are not. */
static const struct { const char *name, *text; } bad_devservers[] = {
	{ "ds-metadata-scalar", "apiVersion: devserver.io/v1\nkind: DevServer\nmetadata: 5\nspec: {}\n" },
	{ "ds-spec-list", "apiVersion: devserver.io/v1\nkind: DevServer\nmetadata: {name: box}\nspec: [1, 2]\n" },
	{ "ds-name-list", "apiVersion: devserver.io/v1\nkind: DevServer\nmetadata: {name: [box]}\nspec: {}\n" },
	{ "ds-name-int", "apiVersion: devserver.io/v1\nkind: DevServer\nmetadata: {name: 12}\nspec: {}\n" },
	{ "ds-keys-map", "apiVersion: devserver.io/v1\nkind: DevServer\nmetadata: {name: box}\nspec: {ssh: {publicKeys: {a: b}}}\n" },
	{ "ds-keys-number", "apiVersion: devserver.io/v1\nkind: DevServer\nmetadata: {name: box}\nspec: {ssh: {publicKeys: 5}}\n" },
	{ "ds-home-bool", "apiVersion: devserver.io/v1\nkind: DevServer\nmetadata: {name: box}\nspec: {ssh: {publicKey: k}, home: {size: true}}\n" },
	{ "ds-no-name", "apiVersion: devserver.io/v1\nkind: DevServer\nmetadata: {}\nspec: {ssh: {publicKey: k}}\n" },
	{ "ds-rtl-name", "apiVersion: devserver.io/v1\nkind: DevServer\nmetadata: {name: \"\\u200fbox\"}\nspec: {ssh: {publicKey: k}}\n" },
	{ "ds-rlo-name", "apiVersion: devserver.io/v1\nkind: DevServer\nmetadata: {name: \"box\\u202exoc\"}\nspec: {ssh: {publicKey: k}}\n" },
	{ "ds-nul-name", "apiVersion: devserver.io/v1\nkind: DevServer\nmetadata: {name: \"bo\\0x\"}\nspec: {ssh: {publicKey: k}}\n" },
	{ "ds-newline-name", "apiVersion: devserver.io/v1\nkind: DevServer\nmetadata: {name: \"a\\nb\"}\nspec: {ssh: {publicKey: k}}\n" },
	{ "ds-escape-name", "apiVersion: devserver.io/v1\nkind: DevServer\nmetadata: {name: \"\\e[31mred\"}\nspec: {ssh: {publicKey: k}}\n" },
	{ "ds-long-name", "apiVersion: devserver.io/v1\nkind: DevServer\nmetadata: {name: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa}\nspec: {ssh: {publicKey: k}}\n" },
	{ "ds-bad-volume", "apiVersion: devserver.io/v1\nkind: DevServer\nmetadata: {name: box}\nspec: {ssh: {publicKey: k}, volumes: [{claimName: \"../x\", mountPath: relative}]}\n" },
	{ "ds-env-list-of-scalars", "apiVersion: devserver.io/v1\nkind: DevServer\nmetadata: {name: box}\nspec: {ssh: {publicKey: k}, env: [1, 2]}\n" },
};

static void materialize(const struct content *c, const char *path)
{
	if (c->is_dir)
		mkdir_p(path);
	else if (c->data)
		tu_write_bytes(path, c->data, c->len);
}

/* The path of c's file, written once (in/<name>) and read by every
 * consumer: the 50 MB file is written a single time. */
static void file_for(const struct content *c, const char *tag, char *path, size_t n)
{
	char rel[256];
	struct stat st;

	(void)tag;
	snprintf(rel, sizeof(rel), "in/%s", c->name);
	path_in_tmp(path, n, rel);
	if (lstat(path, &st) != 0)
		materialize(c, path);
}

/* ---- setup ------------------------------------------------------------- */

static int setup(void **state)
{
	char p[512];

	if (tu_tmpdir_make(tmpdir))
		return -1;
	path_in_tmp(p, sizeof(p), ".ssh");
	mkdir(p, 0700);
	path_in_tmp(keyfile, sizeof(keyfile), ".ssh/id_ed25519.pub");
	tu_write_file(keyfile, "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIKey me@laptop\n");
	path_in_tmp(p, sizeof(p), "in");
	mkdir(p, 0700);
	path_in_tmp(goodds, sizeof(goodds), "in/good-devserver.yaml");
	tu_write_file(goodds, "apiVersion: devserver.io/v1\nkind: DevServer\nmetadata: {name: box}\n"
			   "spec: {ssh: {publicKey: ssh-ed25519 AAAA me}}\n");
	setenv("HOME", tmpdir, 1);
	unsetenv("DEVCTL_CONFIG");
	path_in_tmp(p, sizeof(p), "no-such-kubeconfig");
	setenv("KUBECONFIG", p, 1);
	build_generic_contents();
	for (size_t i = 0; i < ncontents; i++)
		file_for(&contents[i], NULL, p, sizeof(p));
	return 0;
}

static int teardown(void **state)
{
	for (size_t i = 0; i < ncontents; i++)
		free(contents[i].data);
	return tu_tmpdir_remove(tmpdir); /* also what the cases made unreadable */
}

static void report(const char *what, unsigned before_tried, unsigned before_problems)
{
	static clock_t last;
	clock_t now = clock();

	print_message("# %s: %u inputs, %u problems (%.1f s CPU)\n", what, tried - before_tried,
		      problems - before_problems, (double)(now - last) / CLOCKS_PER_SEC);
	last = now;
}

/* ---- flags and arguments ----------------------------------------------- */

static const char *const commands[] = {
	"create", "list", "get", "describe", "delete", "start", "stop", "restart", "wait", "extend",
	"logs", "ssh", "ssh-config", "flavors", "render", "policy", "version", "completion",
};

/* Commands whose first argument is a DevServer name. */
static const char *const name_commands[] = {
	"create", "get", "describe", "delete", "start", "stop", "restart", "wait", "extend", "logs",
	"ssh", "ssh-config",
};

static void test_malformed_flags(void **state)
{
	unsigned t0 = tried, p0 = problems;
	static char huge[1024 * 1024 + 1];
	char label[128];

	memset(huge, 'a', sizeof(huge) - 1);
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
		char *c = (char *)commands[i];
		char *many[200];
		int n = 0;

#define E(...) do { snprintf(label, sizeof(label), "%s %s", c, #__VA_ARGS__); \
		expect(ALLOW_USAGE, label, __VA_ARGS__, NULL); } while (0)
		E(c, "--bogus");
		E(c, "--bogus=1");
		E(c, "-Z");
		E(c, "---");
		E(c, "--=x");
		E(c, "-");
		E(c, "-o");
		E(c, "-o", "bogus");
		E(c, "-o", "\xff\xfe");
		E(c, "-n");
		E(c, "--namespace");
		E(c, "--kubeconfig");
		E(c, "--context");
		E(c, "--kubeconfig", "a", "--kubeconfig", "b");
		E(c, "-n", "a", "--namespace", "b");
		E(c, "--all-namespaces=maybe");
		E(c, "--help=yes");
		E(c, "--timeout", "4x");
		E(c, "--timeout", "\xef\xbc\x94h"); /* fullwidth digit four */
		E(c, "--timeout", "99999999999999999999d");
		E(c, "--timeout", "-1s");
		E(c, "--timeout", "1h\n");
		E(c, "--\xff");
		E(c, "--na\xe2\x80\x8fme", "x");
		E(c, "-o", huge);
#undef E
		/* 150 arguments: more than any command takes */
		many[n++] = "devctl";
		many[n++] = c;
		while (n < 152)
			many[n++] = "arg";
		snprintf(label, sizeof(label), "%s with 150 arguments", c);
		expect_argv(ALLOW_USAGE, label, n, many);
	}
	/* a global flag before the command, badly formed */
	expect(ALLOW_USAGE, "global -n without command", "-n", NULL);
	expect(ALLOW_USAGE, "unknown command", "frobnicate", NULL);
	expect(ALLOW_USAGE, "unknown command invalid utf8", "\xff\xfe", NULL);
	expect(ALLOW_USAGE, "unknown command with newline", "li\nst", NULL);
	expect(ALLOW_USAGE, "huge command", huge, NULL);
	expect(ALLOW_USAGE, "empty command", "", NULL);
	report("malformed flags", t0, p0);
	assert_int_equal(problems, p0);
}

static void test_bad_names_and_values(void **state)
{
	static const struct { const char *label, *value; } names[] = {
		{ "empty", "" },
		{ "newline", "a\nb" },
		{ "escape", "bo\x1b[31mx" },
		{ "rtl-mark", "\xe2\x80\x8f" "box" },
		{ "rlo", "box\xe2\x80\xae" "xoc" },
		{ "zero-width-joiner", "bo\xe2\x80\x8dx" },
		{ "invalid-utf8", "b\xff\xfex" },
		{ "overlong-slash", "a\xc0\xaf" "b" },
		{ "upper-case", "Box" },
		{ "slash", "a/b" },
		{ "dot-dot", ".." },
		{ "path-traversal", "../../namespaces/kube-system" },
		{ "query", "box?watch=1" },
		{ "percent", "box%2F" },
		{ "space", "my box" },
		{ "leading-digit", "1box" },
		{ "trailing-dash", "box-" },
		{ "59-chars", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa" },
		{ "emoji", "box\xf0\x9f\x98\x80" },
		{ "fullwidth", "\xef\xbd\x82ox" },
	};
	static char huge[1024 * 1024 + 1];
	unsigned t0 = tried, p0 = problems;
	char label[160];

	memset(huge, 'a', sizeof(huge) - 1);
	for (size_t i = 0; i < sizeof(name_commands) / sizeof(name_commands[0]); i++) {
		char *c = (char *)name_commands[i];
		/* the flags each command needs besides the name */
		const char *extra1 = strcmp(c, "wait") == 0 ? "--for=ready"
				   : strcmp(c, "extend") == 0 ? "--by=1h"
				   : strcmp(c, "create") == 0 ? "--dry-run" : "--";
		for (size_t k = 0; k < sizeof(names) / sizeof(names[0]) + 1; k++) {
			const char *v = k < sizeof(names) / sizeof(names[0]) ? names[k].value : huge;

			snprintf(label, sizeof(label), "%s name %s", c,
				 k < sizeof(names) / sizeof(names[0]) ? names[k].label : "1MB");
			expect(ALLOW_USAGE, label, c, v, extra1, NULL);
		}
	}
	/* a good name followed by a bad one */
	expect(ALLOW_USAGE, "delete good then bad", "delete", "box", "a\nb", NULL);

	/* flag values */
#define V(label, ...) expect(ALLOW_USAGE, label, __VA_ARGS__, NULL)
	V("create ttl unicode", "create", "box", "--dry-run", "--ttl", "\xd9\xa4h");
	V("create ttl huge", "create", "box", "--dry-run", "--ttl", "1000000000000d");
	V("create ttl century+1", "create", "box", "--dry-run", "--ttl", "36601d");
	V("create home-size GB", "create", "box", "--dry-run", "--home-size", "20GB");
	V("create home-size negative", "create", "box", "--dry-run", "--home-size", "-1Gi");
	V("create home-size rtl", "create", "box", "--dry-run", "--home-size", "\xe2\x80\x8f" "20Gi");
	V("create home-size nbsp", "create", "box", "--dry-run", "--home-size", "20\xc2\xa0Gi");
	V("create volume no path", "create", "box", "--dry-run", "-v", "data");
	V("create volume relative", "create", "box", "--dry-run", "-v", "data:rel");
	V("create volume bad suffix", "create", "box", "--dry-run", "-v", "data:/d:rox");
	V("create volume newline", "create", "box", "--dry-run", "-v", "data:/d\n");
	V("create volume bad claim", "create", "box", "--dry-run", "-v", "Da\xffta:/d");
	V("create volume traversal", "create", "box", "--dry-run", "-v", "../x:/d");
	V("create env no =", "create", "box", "--dry-run", "--env", "NAME");
	V("create env bad name", "create", "box", "--dry-run", "--env", "A-B=1");
	V("create env unicode name", "create", "box", "--dry-run", "--env", "\xc3\x84=1");
	V("create env invalid utf8 value", "create", "box", "--dry-run", "--env", "A=\xff\xfe");
	V("create env duplicate", "create", "box", "--dry-run", "--env", "A=1", "--env", "A=2");
	V("create image newline", "create", "box", "--dry-run", "--image", "a\nb");
	V("create image invalid utf8", "create", "box", "--dry-run", "--image", "img\xff");
	V("create image empty", "create", "box", "--dry-run", "--image", "");
	V("create flavor traversal", "create", "box", "--dry-run", "--flavor", "../x");
	V("create flavor invalid utf8", "create", "box", "--dry-run", "--flavor", "\xff");
	V("create storage-class newline", "create", "box", "--dry-run", "--storage-class", "a\nb");
	V("create name twice", "create", "box", "--name", "other", "--dry-run");
	V("create wait=maybe", "create", "box", "--wait=maybe");
	V("logs tail negative", "logs", "box", "--tail", "-1");
	V("logs tail huge", "logs", "box", "--tail", "99999999999999999999999");
	V("logs tail unicode", "logs", "box", "--tail", "\xd9\xa1\xd9\xa0");
	V("wait for bogus", "wait", "box", "--for", "bogus");
	V("wait for phase bogus", "wait", "box", "--for", "phase=Bogus");
	V("wait for newline", "wait", "box", "--for", "ready\n");
	V("wait no for", "wait", "box");
	V("extend by bogus", "extend", "box", "--by", "soon");
	V("extend no by", "extend", "box");
	V("completion zsh", "completion", "zsh");
	V("completion newline", "completion", "ba\nsh");
	V("policy bogus sub", "policy", "frob");
	V("policy test no dir", "policy", "test");
	V("policy status extra", "policy", "status", "x");
	V("render nothing", "render");
	V("render both", "render", "-f", "a", "--check", "b");
	V("render check flavor", "render", "--check", "a", "--flavor-file", "b");
	V("version extra", "version", "extra");
#undef V
	report("bad names and flag values", t0, p0);
	assert_int_equal(problems, p0);
}

/* ---- files ------------------------------------------------------------ */

static void test_render_files(void **state)
{
	unsigned t0 = tried, p0 = problems;
	char path[512], label[160];

	for (size_t i = 0; i < ncontents; i++) {
		file_for(&contents[i], "ds", path, sizeof(path));
		snprintf(label, sizeof(label), "render -f %s", contents[i].name);
		expect(ALLOW_FAILED, label, "render", "-f", path, NULL);
		snprintf(label, sizeof(label), "render -o json -f %s", contents[i].name);
		expect(ALLOW_FAILED, label, "render", "-o", "json", "-f", path, NULL);
		file_for(&contents[i], "flavor", path, sizeof(path));
		snprintf(label, sizeof(label), "render --flavor-file %s", contents[i].name);
		/* a flavor's unknown fields may be ignored by the policy (the
		 * huge-string one renders), but nothing may crash */
		expect(ALLOW_OK | ALLOW_FAILED, label, "render", "-f", goodds, "--flavor-file", path, NULL);
	}
	for (size_t i = 0; i < sizeof(bad_devservers) / sizeof(bad_devservers[0]); i++) {
		snprintf(label, sizeof(label), "in/%s.yaml", bad_devservers[i].name);
		path_in_tmp(path, sizeof(path), label);
		tu_write_file(path, bad_devservers[i].text);
		snprintf(label, sizeof(label), "render -f %s", bad_devservers[i].name);
		expect(ALLOW_FAILED, label, "render", "-f", path, NULL);
	}
	/* the good file renders, so the failures above are the inputs' */
	expect(ALLOW_OK, "render -f good", "render", "-f", goodds, NULL);
	tried--;
	report("render -f / --flavor-file", t0, p0);
	assert_int_equal(problems, p0);
}

static void test_render_check_fixtures(void **state)
{
	static const char *const roles[] = { "devserver.yaml", "flavor.yaml", "ctx.yaml", "expected.yaml" };
	unsigned t0 = tried, p0 = problems;
	char dir[512], path[700], label[160];

	for (size_t r = 0; r < sizeof(roles) / sizeof(roles[0]); r++) {
		for (size_t i = 0; i < ncontents; i++) {
			if (contents[i].len > 64 * 1024 || !contents[i].data)
				continue; /* size and absence are covered by render -f */
			snprintf(label, sizeof(label), "check-%zu-%zu", r, i);
			path_in_tmp(dir, sizeof(dir), label);
			snprintf(path, sizeof(path), "%s/case", dir);
			mkdir_p(path);
			if (r != 0) {
				snprintf(path, sizeof(path), "%s/case/devserver.yaml", dir);
				tu_write_file(path, "apiVersion: devserver.io/v1\nkind: DevServer\nmetadata: {name: box}\nspec: {ssh: {publicKey: k}}\n");
			}
			if (r == 2) /* ctx.yaml of the whole fixture directory */
				snprintf(path, sizeof(path), "%s/%s", dir, roles[r]);
			else
				snprintf(path, sizeof(path), "%s/case/%s", dir, roles[r]);
			materialize(&contents[i], path);
			snprintf(label, sizeof(label), "render --check with %s = %s", roles[r],
				 contents[i].name);
			expect(ALLOW_FAILED, label, "render", "--check", dir, NULL);
		}
	}
	report("render --check fixtures", t0, p0);
	assert_int_equal(problems, p0);
}

static void test_ssh_key_files(void **state)
{
	unsigned t0 = tried, p0 = problems;
	char path[512], label[160];

	for (size_t i = 0; i < ncontents; i++) {
		file_for(&contents[i], "key", path, sizeof(path));
		snprintf(label, sizeof(label), "create --ssh-public-key-file %s", contents[i].name);
		/* unreadable: usage error (2); read but not keys: failed (1) */
		expect(ALLOW_USAGE | ALLOW_FAILED, label, "create", "box", "--dry-run",
		       "--ssh-public-key-file", path, NULL);
	}
	path_in_tmp(path, sizeof(path), "in/key.empty");
	tu_write_file(path, "");
	expect(ALLOW_FAILED, "create key empty", "create", "box", "--dry-run",
	       "--ssh-public-key-file", path, NULL);
	path_in_tmp(path, sizeof(path), "in/key.comments");
	tu_write_file(path, "# nothing but comments\n\n   \n");
	expect(ALLOW_FAILED, "create key comments only", "create", "box", "--dry-run",
	       "--ssh-public-key-file", path, NULL);
	report("create --ssh-public-key-file", t0, p0);
	assert_int_equal(problems, p0);
}

static void test_config_files(void **state)
{
	static const char *const bad_configs[] = {
		"namespace: [a]\n", "ttl: 5\n", "ttl: forever\n", "output: {x: y}\n",
		"output: bogus\n", "flavor: [x]\n", "namespcae: x\n", "namespace: \"a\\nb\"\n",
		"namespace: \"\\u200fteam\"\n", "sshPublicKeyFile: [a]\n",
		"namespace: \"te\\0am\"\n",
	};
	unsigned t0 = tried, p0 = problems;
	char path[512], label[160];

	for (size_t i = 0; i < ncontents; i++) {
		if (strcmp(contents[i].name, "null-document") == 0)
			continue; /* an empty config is fine */
		file_for(&contents[i], "config", path, sizeof(path));
		setenv("DEVCTL_CONFIG", path, 1);
		snprintf(label, sizeof(label), "DEVCTL_CONFIG=%s list", contents[i].name);
		expect(ALLOW_USAGE, label, "list", NULL);
		snprintf(label, sizeof(label), "DEVCTL_CONFIG=%s create", contents[i].name);
		expect(ALLOW_USAGE, label, "create", "box", "--dry-run", NULL);
	}
	for (size_t i = 0; i < sizeof(bad_configs) / sizeof(bad_configs[0]); i++) {
		snprintf(label, sizeof(label), "in/config.bad%zu", i);
		path_in_tmp(path, sizeof(path), label);
		tu_write_file(path, bad_configs[i]);
		setenv("DEVCTL_CONFIG", path, 1);
		snprintf(label, sizeof(label), "DEVCTL_CONFIG=%.40s", bad_configs[i]);
		expect(ALLOW_USAGE, label, "create", "box", "--dry-run", NULL);
	}
	unsetenv("DEVCTL_CONFIG");
	report("$DEVCTL_CONFIG", t0, p0);
	assert_int_equal(problems, p0);
}

/* --kubeconfig only reaches the stub here, so the files also go straight to
 * the loader the real backend uses. */
static void test_kubeconfig_files(void **state)
{
	static const char *const bad_kubeconfigs[] = {
		"current-context: x\n",
		"current-context: x\ncontexts: 5\n",
		"current-context: x\ncontexts: [{name: x, context: 7}]\n",
		"current-context: x\ncontexts: [{name: x, context: {cluster: c}}]\nclusters: [{name: c, cluster: {server: [a]}}]\n",
		"current-context: x\ncontexts: [{name: x, context: {cluster: c, user: u}}]\nclusters: [{name: c, cluster: {server: \"https://h\"}}]\nusers: [{name: u, user: {client-certificate-data: \"!!notbase64\"}}]\n",
		"current-context: x\ncontexts: [{name: x, context: {cluster: c, user: u}}]\nclusters: [{name: c, cluster: {server: \"https://h\", certificate-authority: /nonexistent/ca}}]\n",
		"current-context: x\ncontexts: [{name: x, context: {cluster: c, user: u}}]\nclusters: [{name: c, cluster: {server: \"https://h\"}}]\nusers: [{name: u, user: {exec: {command: x, apiVersion: bogus}}}]\n",
	};
	unsigned t0 = tried, p0 = problems;
	char path[512], label[160];

	for (size_t i = 0; i < ncontents + sizeof(bad_kubeconfigs) / sizeof(bad_kubeconfigs[0]); i++) {
		struct kube_config cfg;
		struct error err;
		int rc;

		if (i < ncontents) {
			file_for(&contents[i], "kubeconfig", path, sizeof(path));
			snprintf(label, sizeof(label), "--kubeconfig %s", contents[i].name);
		} else {
			snprintf(label, sizeof(label), "in/kubeconfig.bad%zu", i - ncontents);
			path_in_tmp(path, sizeof(path), label);
			tu_write_file(path, bad_kubeconfigs[i - ncontents]);
			snprintf(label, sizeof(label), "--kubeconfig bad%zu", i - ncontents);
		}
		expect(ALLOW_FAILED | ALLOW_USAGE, label, "--kubeconfig", path, "list", NULL);
		error_clear(&err);
		rc = kube_config_load_files(&cfg, path, NULL, &err);
		tried++;
		if (rc == 0 || err.code != rc || !err.msg[0]) {
			problems++;
			print_message("PROBLEM kube_config_load_files %s: rc %d (%s)\n", label, rc, err.msg);
		}
		if (rc == 0)
			kube_config_cleanup(&cfg);
	}
	report("--kubeconfig files", t0, p0);
	assert_int_equal(problems, p0);
}

/* ---- hostile policy bundles --------------------------------------------- */

/* Writes DIR/<name> (creating DIR). */
static void bundle_file(const char *dir, const char *name, const void *text, size_t len)
{
	char path[1024];

	mkdir_p(dir);
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	tu_write_bytes(path, text, len);
}

static void bundle_text(const char *dir, const char *name, const char *text)
{
	bundle_file(dir, name, text, strlen(text));
}

#define RENDER_OK_BODY \
	"return {{apiVersion = 'v1', kind = 'ConfigMap', metadata = {name = ds.metadata.name}}}\n"

static const struct { const char *name, *text; } hostile_policies[] = {
	{ "syntax-error", "return {api = 1, render = function(ds) return {{ end}\n" },
	{ "runtime-error-in-main", "local x = nil\nx.y = 1\n" },
	{ "error-with-newlines", "return {api = 1, render = function(ds) error('line one\\nline two\\n\\27[31mred', 0) end}\n" },
	{ "error-with-table", "return {api = 1, render = function(ds) error({}) end}\n" },
	{ "endless-loop-render", "return {api = 1, render = function(ds) while true do end end}\n" },
	{ "endless-loop-main", "while true do end\n" },
	{ "endless-pcall-loop", "return {api = 1, render = function(ds) while true do pcall(function() while true do end end) end end}\n" },
	{ "endless-coroutine", "return {api = 1, render = function(ds) local co = coroutine.wrap(function() while true do end end) co() end}\n" },
	{ "endless-recursion", "local function f() return 1 + f() end\nreturn {api = 1, render = function(ds) return f() end}\n" },
	{ "memory-bomb-table", "return {api = 1, render = function(ds) local t = {} for i = 1, 1e9 do t[i] = {i} end end}\n" },
	{ "memory-bomb-string", "return {api = 1, render = function(ds) local s = 'x' while true do s = s .. s end end}\n" },
	{ "memory-bomb-rep", "return {api = 1, render = function(ds) return string.rep('x', 1 << 40) end}\n" },
	{ "memory-bomb-main", "local t = {} for i = 1, 1e9 do t[i] = ('x'):rep(1000) .. i end\n" },
	{ "require-os", "local os = require('os')\nreturn {api = 1, render = function(ds) os.execute('touch /tmp/pwned') end}\n" },
	{ "require-io", "local io = require('io')\nreturn {api = 1, render = function(ds) return {} end}\n" },
	{ "global-os", "return {api = 1, render = function(ds) return os.getenv('HOME') end}\n" },
	{ "load-string", "return {api = 1, render = function(ds) return load('return 1')() end}\n" },
	{ "require-traversal", "local x = require('lib.../../etc/passwd')\nreturn {api = 1, render = function(ds) return {} end}\n" },
	{ "require-missing", "local x = require('lib.nope')\nreturn {api = 1, render = function(ds) return {} end}\n" },
	{ "string-dump", "return {api = 1, render = function(ds) return string.dump(function() end) end}\n" },
	{ "setmetatable-gc", "return {api = 1, render = function(ds) setmetatable({}, {__gc = function() while true do end end}) return {} end}\n" },
	{ "global-write", "x = 1\nreturn {api = 1, render = function(ds) return {} end}\n" },
	{ "wrong-api", "return {api = 2, render = function(ds) return {} end}\n" },
	{ "no-render", "return {api = 1}\n" },
	{ "returns-string", "return 'hello'\n" },
	{ "render-returns-string", "return {api = 1, render = function(ds) return 'x' end}\n" },
	{ "render-returns-cycle", "return {api = 1, render = function(ds) local t = {} t[1] = t return {t} end}\n" },
	{ "render-returns-nan", "return {api = 1, render = function(ds) return {{x = 0/0}} end}\n" },
	{ "render-returns-deep", "return {api = 1, render = function(ds) local t = {} local c = t for i = 1, 10000 do c.a = {} c = c.a end return {t} end}\n" },
	{ "render-returns-bad-utf8", "return {api = 1, render = function(ds) return {{apiVersion = 'v1', kind = 'ConfigMap', metadata = {name = '\\xff\\xfe'}}} end}\n" },
	{ "render-returns-function", "return {api = 1, render = function(ds) return {{f = print}} end}\n" },
	{ "render-returns-mixed-table", "return {api = 1, render = function(ds) return {{[1] = 'a', b = 'c'}} end}\n" },
	{ "print-flood", "return {api = 1, render = function(ds) for i = 1, 1e7 do print(('x'):rep(100)) end end}\n" },
	{ "table-sort-bomb", "return {api = 1, render = function(ds) local t = {} for i = 1, 1e6 do t[i] = i end table.sort(t) end}\n" },
	{ "pattern-bomb", "return {api = 1, render = function(ds) return string.find(('a'):rep(100000), '(.-)(.-)(.-)(.-)(.-)b') end}\n" },
	{ "nul-in-source", "return {api = 1, render = function(ds) return {} end}\n\0garbage" },
};

struct dump {
	char data[65536];
	size_t len;
};

static int dump_writer(lua_State *L, const void *p, size_t sz, void *ud)
{
	struct dump *d = ud;

	if (sz > sizeof(d->data) - d->len)
		return 1;
	memcpy(d->data + d->len, p, sz);
	d->len += sz;
	return 0;
}

/* Runs both consumers of a bundle directory. policy test renders only
 * the bundle's fixtures, so the directory gets one case (when it is a
 * directory) for render-time attacks to run at all. */
static void try_bundle(const char *dir, const char *what)
{
	char label[200], path[1200];
	struct stat st;

	if (lstat(dir, &st) == 0 && S_ISDIR(st.st_mode)) {
		snprintf(path, sizeof(path), "%s/fixtures/case", dir);
		bundle_text(path, "devserver.yaml",
			    "apiVersion: devserver.io/v1\nkind: DevServer\nmetadata: {name: box}\n"
			    "spec: {ssh: {publicKey: ssh-ed25519 AAAA me}}\n");
		bundle_text(path, "expected.yaml",
			    "- {apiVersion: v1, kind: ConfigMap, metadata: {name: box}}\n");
	}

	snprintf(label, sizeof(label), "policy test (%s)", what);
	expect(ALLOW_FAILED, label, "policy", "test", dir, NULL);
	snprintf(label, sizeof(label), "render --policies (%s)", what);
	expect(ALLOW_FAILED, label, "render", "-f", goodds, "--policies", dir, NULL);
}

static void test_hostile_policy_bundles(void **state)
{
	unsigned t0 = tried, p0 = problems;
	char dir[512], path[1024], target[1024], label[200];
	size_t len;
	char *s;

	for (size_t i = 0; i < sizeof(hostile_policies) / sizeof(hostile_policies[0]); i++) {
		snprintf(label, sizeof(label), "bundles/%s", hostile_policies[i].name);
		path_in_tmp(dir, sizeof(dir), label);
		len = strcmp(hostile_policies[i].name, "nul-in-source") == 0
			? strlen(hostile_policies[i].text) + 8 : strlen(hostile_policies[i].text);
		bundle_file(dir, "devserver.lua", hostile_policies[i].text, len);
		try_bundle(dir, hostile_policies[i].name);
	}

	/* a compiled chunk instead of source, as the entry point and as a lib */
	{
		lua_State *L = luaL_newstate();
		struct dump d = { .len = 0 };

		assert_int_equal(luaL_loadstring(L, "return {api = 1, render = function(ds) return {} end}"), 0);
		assert_int_equal(lua_dump(L, dump_writer, &d, 0), 0);
		lua_close(L);
		path_in_tmp(dir, sizeof(dir), "bundles/bytecode-main");
		bundle_file(dir, "devserver.lua", d.data, d.len);
		try_bundle(dir, "bytecode entry point");
		path_in_tmp(dir, sizeof(dir), "bundles/bytecode-lib");
		bundle_text(dir, "devserver.lua", "local m = require('lib.evil')\nreturn m\n");
		snprintf(path, sizeof(path), "%s/lib", dir);
		bundle_file(path, "evil.lua", d.data, d.len);
		try_bundle(dir, "bytecode lib");
	}

	/* a 10 MB Lua file */
	path_in_tmp(dir, sizeof(dir), "bundles/ten-mb");
	s = repeat("-- padding padding padding padding padding padding padding padding\n",
		   10 * 1024 * 1024 / 68, "", "return {api = 1, render = function(ds) return {} end}\n", &len);
	bundle_file(dir, "devserver.lua", s, len);
	free(s);
	try_bundle(dir, "10 MB file");

	/* 1,000 files (each small and valid) */
	path_in_tmp(dir, sizeof(dir), "bundles/thousand");
	bundle_text(dir, "devserver.lua", RENDER_OK_BODY);
	snprintf(path, sizeof(path), "%s/lib", dir);
	for (int i = 0; i < 1000; i++) {
		char name[64];

		snprintf(name, sizeof(name), "m%04d.lua", i);
		bundle_text(path, name, "return {}\n");
	}
	try_bundle(dir, "1,000 files");

	/* lib/ is a symlink loop (lib/again -> ..): recursion must stop */
	path_in_tmp(dir, sizeof(dir), "bundles/symlink-dir-loop");
	bundle_text(dir, "devserver.lua", RENDER_OK_BODY);
	snprintf(path, sizeof(path), "%s/lib", dir);
	bundle_text(path, "a.lua", "return {}\n");
	snprintf(path, sizeof(path), "%s/lib/again", dir);
	assert_int_equal(symlink(".", path), 0);
	try_bundle(dir, "symlink loop lib/again -> .");

	/* a file that is a symlink to itself, and one pair pointing at each other */
	path_in_tmp(dir, sizeof(dir), "bundles/symlink-self");
	mkdir_p(dir);
	snprintf(path, sizeof(path), "%s/devserver.lua", dir);
	assert_int_equal(symlink("devserver.lua", path), 0);
	try_bundle(dir, "devserver.lua -> itself");
	path_in_tmp(dir, sizeof(dir), "bundles/symlink-pair");
	mkdir_p(dir);
	snprintf(path, sizeof(path), "%s/devserver.lua", dir);
	assert_int_equal(symlink("other.lua", path), 0);
	snprintf(path, sizeof(path), "%s/other.lua", dir);
	assert_int_equal(symlink("devserver.lua", path), 0);
	try_bundle(dir, "devserver.lua <-> other.lua");

	/* the bundle directory itself is a symlink loop */
	path_in_tmp(dir, sizeof(dir), "bundles/self-loop");
	assert_int_equal(symlink(dir, dir), 0);
	try_bundle(dir, "directory symlinked to itself");

	/* names with ../ : ConfigMap-style flat keys and a symlink out of the bundle */
	path_in_tmp(dir, sizeof(dir), "bundles/dotdot-keys");
	bundle_text(dir, "devserver.lua", "local m = require('lib.x')\nreturn m\n");
	bundle_text(dir, "lib...x.lua", "return {}\n");
	bundle_text(dir, "lib.....etc.passwd.lua", "return {}\n");
	try_bundle(dir, "flat keys lib...x.lua");
	path_in_tmp(dir, sizeof(dir), "bundles/dotdot-symlink");
	mkdir_p(dir);
	snprintf(path, sizeof(path), "%s/devserver.lua", dir);
	snprintf(target, sizeof(target), "../../in/binary-garbage");
	assert_int_equal(symlink(target, path), 0);
	try_bundle(dir, "devserver.lua -> ../../in/<binary>");
	path_in_tmp(dir, sizeof(dir), "bundles/dotdot-lib");
	bundle_text(dir, "devserver.lua", "local m = require('lib.up')\nreturn m\n");
	snprintf(path, sizeof(path), "%s/lib", dir);
	mkdir_p(path);
	snprintf(path, sizeof(path), "%s/lib/up.lua", dir);
	assert_int_equal(symlink("../../syntax-error/devserver.lua", path), 0);
	try_bundle(dir, "lib/up.lua -> ../../<syntax error>");
	path_in_tmp(dir, sizeof(dir), "bundles/dotdot-policies");
	snprintf(path, sizeof(path), "%s/policies", dir);
	mkdir_p(path);
	snprintf(path, sizeof(path), "%s/policies/devserver.lua", dir);
	assert_int_equal(symlink("../../endless-loop-main/devserver.lua", path), 0);
	try_bundle(dir, "policies/devserver.lua -> ../../<endless loop>");

	/* not a bundle at all */
	path_in_tmp(dir, sizeof(dir), "bundles/empty");
	mkdir_p(dir);
	try_bundle(dir, "empty directory");
	path_in_tmp(dir, sizeof(dir), "bundles/no-such-dir");
	try_bundle(dir, "missing directory");
	path_in_tmp(dir, sizeof(dir), "bundles/a-file");
	tu_write_file(dir, RENDER_OK_BODY);
	try_bundle(dir, "a file, not a directory");
	path_in_tmp(dir, sizeof(dir), "bundles/main-is-dir");
	snprintf(path, sizeof(path), "%s/devserver.lua", dir);
	mkdir_p(path);
	try_bundle(dir, "devserver.lua is a directory");
	path_in_tmp(dir, sizeof(dir), "bundles/only-lib");
	snprintf(path, sizeof(path), "%s/lib", dir);
	bundle_text(path, "a.lua", "return {}\n");
	try_bundle(dir, "lib only, no entry point");
	path_in_tmp(dir, sizeof(dir), "bundles/deep-lib");
	bundle_text(dir, "devserver.lua", RENDER_OK_BODY);
	snprintf(path, sizeof(path), "%s/lib", dir);
	for (int i = 0; i < 40; i++)
		strncat(path, "/d", sizeof(path) - strlen(path) - 1);
	bundle_text(path, "x.lua", "return {}\n");
	try_bundle(dir, "lib nested 40 directories deep");
	path_in_tmp(dir, sizeof(dir), "bundles/unreadable");
	bundle_text(dir, "devserver.lua", RENDER_OK_BODY);
	snprintf(path, sizeof(path), "%s/devserver.lua", dir);
	chmod(path, 0);
	if (geteuid() != 0) /* root reads it anyway */
		try_bundle(dir, "unreadable devserver.lua");
	report("hostile policy bundles", t0, p0);
	assert_int_equal(problems, p0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_malformed_flags),
		cmocka_unit_test(test_bad_names_and_values),
		cmocka_unit_test(test_render_files),
		cmocka_unit_test(test_render_check_fixtures),
		cmocka_unit_test(test_ssh_key_files),
		cmocka_unit_test(test_config_files),
		cmocka_unit_test(test_kubeconfig_files),
		cmocka_unit_test(test_hostile_policy_bundles),
	};
	int rc = cmocka_run_group_tests(tests, setup, teardown);

	print_message("# bad input: %u inputs tried, %u problems\n", tried, problems);
	return rc;
}
