/* cli.c - devctl's front: global flags, the command table, dispatch.
 *
 * Global flags follow kubectl (--kubeconfig, --context, -n/--namespace, -A,
 * -o) and are accepted before and after the command name. The order of work
 * is: flags before the command, the command's own flags (cli_parse), --help,
 * the config file, -o against what the command accepts, the command's check,
 * and only then run. --help therefore works with a broken config file.
 *
 * Lives in the devctl_cli library (not main.c) so the tests drive
 * cli_main_io with their own streams and clock.
 */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd_opts.h"
#include "command.h"
#include "config.h"
#include "core/buf.h"
#include "core/clock.h"
#include "core/mem.h"
#include "core/utf8.h"

const struct command *const cli_commands[] = {
	&cmd_create, &cmd_list, &cmd_get, &cmd_describe, &cmd_delete, &cmd_start, &cmd_stop, &cmd_restart,
	&cmd_wait, &cmd_extend, &cmd_logs, &cmd_ssh, &cmd_ssh_config, &cmd_flavors,
	&cmd_render, &cmd_policy, &cmd_version, &cmd_completion, NULL,
};

const struct flag_spec cmd_name_only_flags[] = {
	CMD_NAME_FLAG,
	{ NULL, 0, 0, 0, 0, NULL },
};

const struct command *cli_find_command(const char *name)
{
	for (size_t k = 0; cli_commands[k]; k++)
		if (strcmp(name, cli_commands[k]->name) == 0)
			return cli_commands[k];
	return NULL;
}

/* Writes s so that it stays on one printable line: control bytes as \n, \t,
 * \r or \xHH, invalid UTF-8 bytes as \xHH, and the bidirectional controls
 * (U+200E/F, U+202A..E, U+2066..9) as \u200f and friends. Messages quote
 * names, values and Lua errors straight from user input or policies, and a
 * newline or an escape sequence there would forge or hide output. */
static void put_printable(FILE *f, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t n = strlen(s);

	while (n > 0) {
		size_t k = utf8_seq_len((const char *)p, n);

		if (k == 1 && *p >= 0x20 && *p != 0x7f) {
			fputc(*p, f);
		} else if (k == 1 || k == 0) {
			if (*p == '\n')
				fputs("\\n", f);
			else if (*p == '\t')
				fputs("\\t", f);
			else if (*p == '\r')
				fputs("\\r", f);
			else
				fprintf(f, "\\x%02x", *p);
			k = 1;
		} else if (k == 3 && p[0] == 0xe2 &&
			   ((p[1] == 0x80 && (p[2] == 0x8e || p[2] == 0x8f ||
					      (p[2] >= 0xaa && p[2] <= 0xae))) ||
			    (p[1] == 0x81 && p[2] >= 0xa6 && p[2] <= 0xa9))) {
			fprintf(f, "\\u%04x",
				(unsigned)((p[0] & 0x0f) << 12 | (p[1] & 0x3f) << 6 | (p[2] & 0x3f)));
		} else {
			fwrite(p, 1, k, f);
		}
		p += k;
		n -= k;
	}
}

void cli_fail(const struct cli_ctx *ctx, const char *cmd, const char *fmt, ...)
{
	char msg[2 * ERROR_MSG_MAX_BYTES];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	fprintf(ctx->err, "devctl%s%s: ", cmd ? " " : "", cmd ? cmd : "");
	put_printable(ctx->err, msg);
	fputc('\n', ctx->err);
}

int cli_fail_err(const struct cli_ctx *ctx, const char *cmd, const struct error *err)
{
	cli_fail(ctx, cmd, "%s", err->msg);
	return EXIT_FAILED;
}

int cli_write(const struct cli_ctx *ctx, const struct buf *b)
{
	if (b->len && fwrite(b->data, 1, b->len, ctx->out) != b->len)
		return EXIT_FAILED;
	return fflush(ctx->out) == 0 ? EXIT_OK : EXIT_FAILED;
}

static const struct { const char *name; enum output_format f; } formats[] = {
	{ "table", OUT_TABLE }, { "wide", OUT_WIDE }, { "json", OUT_JSON },
	{ "yaml", OUT_YAML }, { "name", OUT_NAME },
};

int cli_parse_format(const char *s, unsigned allowed, enum output_format *f,
		     struct error *err)
{
	char list[96] = "";
	size_t n = 0, k = 0, used = 0;

	for (size_t i = 0; i < sizeof(formats) / sizeof(formats[0]); i++) {
		if ((allowed & formats[i].f) && strcmp(s, formats[i].name) == 0) {
			*f = formats[i].f;
			return 0;
		}
		n += (allowed & formats[i].f) != 0;
	}
	if (allowed == 0)
		return error_set(err, ERR_INVALID, "-o: this command takes no output format");
	for (size_t i = 0; i < sizeof(formats) / sizeof(formats[0]); i++) {
		if (!(allowed & formats[i].f))
			continue;
		k++;
		used += (size_t)snprintf(list + used, used < sizeof(list) ? sizeof(list) - used : 0, "%s%s",
					 k == 1 ? "" : k == n ? " or " : ", ", formats[i].name);
	}
	return error_set(err, ERR_INVALID, "-o: invalid output format \"%s\" (use %s)", s, list);
}

static void devctl_usage(FILE *out)
{
	fputs("Usage: devctl [global flags] COMMAND [args] [flags]\n"
	      "\n"
	      "Remote development machines (DevServers) on Kubernetes.\n"
	      "\n"
	      "Commands:\n", out);
	for (size_t i = 0; cli_commands[i]; i++)
		fprintf(out, "  %-12s %s\n", cli_commands[i]->name, cli_commands[i]->summary);
	fputs("\n"
	      "Global flags (before or after the command):\n"
	      "  --kubeconfig FILE      kubeconfig file (default $KUBECONFIG, ~/.kube/config)\n"
	      "  --context NAME         kubeconfig context to use\n"
	      "  -n, --namespace NS     namespace (default: the config file's, then the context's,\n"
	      "                         then your DevServerUser's, then default)\n"
	      "  -A, --all-namespaces   list across all namespaces\n"
	      "  -o, --output FORMAT    table|wide|json|yaml|name, as each command allows\n"
	      "  -h, --help             show help\n"
	      "\n"
	      "Defaults come from $DEVCTL_CONFIG or ~/.config/devctl/config.yaml.\n"
	      "Exit status: 0 ok, 1 failed, 2 usage error.\n"
	      "Run 'devctl COMMAND --help' for a command's flags.\n", out);
}

/* Makes --name NAME the first positional argument (CMD_NAME_FLAG). ssh's
 * positional words are its remote command, so there the name goes before
 * them; elsewhere a positional name must be the same one. */
static int cli_merge_name_flag(const struct command *cmd, struct cmd_common *c, struct error *err)
{
	const char *name = c->name_flag;

	if (strcmp(cmd->name, "ssh") == 0) {
		if (c->nargs >= CLI_MAX_ARGS)
			return error_set(err, ERR_INVALID, "too many arguments (at most %d)", CLI_MAX_ARGS);
		memmove(c->args + 1, c->args, (size_t)c->nargs * sizeof(c->args[0]));
		c->args[0] = name;
		c->nargs++;
		return 0;
	}
	if (c->nargs == 0) {
		c->args[0] = name;
		c->nargs = 1;
		return 0;
	}
	if (c->nargs == 1 && strcmp(c->args[0], name) == 0)
		return 0;
	return error_set(err, ERR_INVALID, "give the name once, as NAME or --name (got \"%s\" and --name \"%s\")",
			 c->args[0], name);
}

int cli_parse(const struct command *cmd, struct cli_ctx *ctx, int argc, char **argv,
	      void *opts, struct error *err)
{
	struct cmd_common *c = opts;
	int npos = 0, rc;
	bool help = false;

	memset(opts, 0, cmd->opts_size);
	if (cmd->init)
		cmd->init(opts);
	rc = flags_parse(cmd->flags, opts, &ctx->g, argc - 1, argv + 1, c->args,
			 cmd->max_args < 0 || cmd->max_args > CLI_MAX_ARGS ? CLI_MAX_ARGS
									   : cmd->max_args,
			 &npos, false, NULL, &help, err);
	c->nargs = npos;
	c->help = help;
	if (help)
		return CLI_PARSE_HELP;
	if (rc < 0)
		return rc;
	if (c->name_flag && (rc = cli_merge_name_flag(cmd, c, err)) < 0)
		return rc;
	npos = c->nargs;
	if (npos < cmd->min_args)
		return error_set(err, ERR_INVALID, "%s (see devctl %s --help)",
				 cmd->min_args == 1 ? "missing argument" : "missing arguments",
				 cmd->name);
	if (cmd->name_args) {
		/* Names go into API paths: check them here, so a bad one is a
		 * usage error and never reaches the cluster. ssh's words after
		 * the name are the remote command. */
		int names = strcmp(cmd->name, "ssh") == 0 ? 1 : npos;

		for (int i = 0; i < names && i < npos; i++) {
			size_t len = strlen(c->args[i]);

			if (!api_is_devserver_name(c->args[i], len))
				return error_set(err, ERR_INVALID,
						 "invalid name \"%s\" (lower-case letters, digits and '-', "
						 "starting with a letter, at most %d characters)",
						 c->args[i], API_DEVSERVER_NAME_MAX);
		}
	}
	/* -A beats the config file's namespace (not an explicit -n). */
	if (!ctx->g.namespace && !ctx->g.all_namespaces && ctx->config->namespace)
		ctx->g.namespace = ctx->config->namespace;
	ctx->format = OUT_TABLE;
	if (ctx->g.output) {
		if (cli_parse_format(ctx->g.output, cmd->formats, &ctx->format, err) < 0)
			return ERR_INVALID;
	} else if (ctx->config->output) {
		/* The config's format applies where the command has it, else the
		 * command's own default: `output: wide` must not break `delete`. */
		if (cli_parse_format(ctx->config->output, cmd->formats, &ctx->format, NULL) < 0)
			ctx->format = OUT_TABLE;
	}
	if (cmd->check)
		return cmd->check(ctx, opts, err);
	return 0;
}

int cli_main_io(int argc, char **argv, FILE *out, FILE *errf, int64_t now)
{
	struct cli_config config;
	struct cli_ctx ctx = { .out = out, .err = errf, .now = now, .config = &config,
			       .home = getenv("HOME") };
	const struct command *cmd;
	struct error err;
	void *opts;
	bool help = false;
	int consumed = 0, npos = 0, rc;

	cli_config_init(&config);
	error_clear(&err);
	if (argc == 2 && strcmp(argv[1], "--version") == 0) {
		version_print_client(out);
		return EXIT_OK;
	}
	/* Global flags before the command name. */
	if (flags_parse(NULL, NULL, &ctx.g, argc - 1, argv + 1, NULL, 0, &npos, true, &consumed,
			&help, &err) < 0) {
		cli_fail(&ctx, NULL, "%s (see devctl --help)", err.msg);
		return EXIT_USAGE;
	}
	if (help) {
		devctl_usage(out);
		return EXIT_OK;
	}
	if (1 + consumed >= argc) {
		devctl_usage(errf);
		return EXIT_USAGE;
	}
	argc -= 1 + consumed;
	argv += 1 + consumed;
	cmd = cli_find_command(argv[0]);
	if (!cmd) {
		cli_fail(&ctx, NULL, "unknown command \"%s\" (see devctl --help)", argv[0]);
		return EXIT_USAGE;
	}
	rc = cli_config_load(&config, getenv("DEVCTL_CONFIG"), ctx.home, &err);
	if (rc < 0) {
		/* --help must work with a broken config; cli_parse checks it first. */
		cli_config_cleanup(&config);
		cli_config_init(&config);
	} else if (config.legacy) {
		char notice[2 * CLI_CONFIG_PATH_MAX_BYTES];

		cli_config_legacy_notice(&config, ctx.home, notice, sizeof(notice));
		cli_fail(&ctx, NULL, "%s", notice);
	}
	opts = mem_calloc(1, cmd->opts_size);
	{
		struct error perr;
		int prc = cli_parse(cmd, &ctx, argc, argv, opts, &perr);

		if (prc == CLI_PARSE_HELP) {
			fputs(cmd->usage, out);
			rc = EXIT_OK;
		} else if (rc < 0) {
			/* a config file that cannot be used is the caller's to fix */
			cli_fail(&ctx, cmd->name, "%s", err.msg);
			rc = EXIT_USAGE;
		} else if (prc < 0) {
			cli_fail(&ctx, cmd->name, "%s", perr.msg);
			rc = EXIT_USAGE;
		} else {
			rc = cmd->run(&ctx, opts);
		}
	}
	free(opts);
	cli_config_cleanup(&config);
	fflush(out);
	fflush(errf);
	return rc;
}

int cli_main(int argc, char **argv)
{
	return cli_main_io(argc, argv, stdout, stderr, clock_wall_ms() / 1000);
}
