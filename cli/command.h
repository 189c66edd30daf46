/* command.h - the devctl command table and what every command shares.
 *
 * Each command lives in its own cli/cmd_<name>.c and exports one
 * `struct command`: its help text, a flag table (flags.h) over its own
 * options struct, the number of positional arguments it takes, the -o
 * formats it accepts, and three steps cli_main runs in order:
 *
 *   init   hard defaults (--timeout 5m) before the flags are parsed
 *   check  after parsing: config-file defaults for what no flag set, and
 *          the checks that span several flags; a failure is a usage error
 *   run    does the work; returns the exit status
 *
 * cli_parse does init + flags + check without running anything, so the tests
 * assert on the options struct directly. Every options struct starts with
 * `struct cmd_common` (positional arguments and --help).
 *
 * Exit status: 0 ok, 1 failed, 2 usage error; every error is one line on
 * stderr, "devctl <command>: <message>".
 */
#ifndef DEVCTL_COMMAND_H
#define DEVCTL_COMMAND_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "core/attr.h"
#include "core/error.h"
#include "flags.h"

enum { EXIT_OK = 0, EXIT_FAILED = 1, EXIT_USAGE = 2 };

/* -o formats, as a bit set per command. */
enum output_format {
	OUT_TABLE = 1 << 0,
	OUT_WIDE = 1 << 1,
	OUT_JSON = 1 << 2,
	OUT_YAML = 1 << 3,
	OUT_NAME = 1 << 4,
};

struct global_opts {
	const char *kubeconfig;
	const char *context;
	const char *namespace;   /* NULL: the config file's, then the context's */
	bool all_namespaces;
	const char *output;      /* as given; see ctx->format for the parsed one */
};

struct cli_config;

/* What a command runs with. */
struct cli_ctx {
	struct global_opts g;
	const struct cli_config *config;  /* never NULL (empty when no file) */
	enum output_format format;        /* parsed -o (OUT_TABLE when absent) */
	FILE *out;                        /* stdout in devctl, a memstream in tests */
	FILE *err;
	int64_t now;                      /* wall clock, unix seconds */
	const char *home;                 /* $HOME, for ~/.ssh defaults; may be NULL */
};

#define CLI_MAX_ARGS 64

struct cmd_common {
	const char *args[CLI_MAX_ARGS];
	int nargs;
	const char *name_flag;   /* --name NAME, before cli_parse merges it into args */
	bool help;
};

/* --name NAME: the predecessor's spelling of the NAME argument, in the flag
 * table of every command that takes a name (a unit test checks). cli_parse
 * makes it args[0]: given with a different positional name it is a usage
 * error; on ssh the positional words are then the remote command. */
#define CMD_NAME_FLAG { "name", 0, FLAG_STRING, 0, offsetof(struct cmd_common, name_flag), "NAME" }
/* The table of a command whose only flag is --name. */
extern const struct flag_spec cmd_name_only_flags[];

struct command {
	const char *name;
	const char *summary;
	const char *usage;              /* full --help text; docs/devctl.md repeats it */
	const struct flag_spec *flags;  /* NULL-name terminated; NULL for none */
	int min_args, max_args;         /* positional arguments */
	unsigned formats;               /* accepted -o values; 0: -o not accepted */
	bool name_args;                 /* positional args are DevServer names (completion) */
	size_t opts_size;               /* sizeof the options struct */
	void (*init)(void *opts);       /* NULL: all zero */
	int (*check)(struct cli_ctx *ctx, void *opts, struct error *err); /* NULL: none */
	int (*run)(struct cli_ctx *ctx, void *opts);
};

extern const struct command cmd_create, cmd_list, cmd_get, cmd_describe, cmd_delete,
	cmd_start, cmd_stop, cmd_restart, cmd_wait, cmd_extend, cmd_logs, cmd_ssh, cmd_ssh_config,
	cmd_flavors, cmd_render, cmd_policy, cmd_version, cmd_completion;

/* The command table, in help order, NULL-terminated. */
extern const struct command *const cli_commands[];
const struct command *cli_find_command(const char *name);

/* Runs devctl with argv (argv[0] is the program name) on stdout/stderr;
 * returns the exit status. */
int cli_main(int argc, char **argv);
/* The same with the output streams and the clock given, for tests. */
int cli_main_io(int argc, char **argv, FILE *out, FILE *err, int64_t now);

/* Returned by cli_parse when --help was given (nothing else was checked). */
#define CLI_PARSE_HELP 1

/* init, flags (argv[0] is the command name) and check, into opts (of
 * cmd->opts_size bytes). ctx->config must be set; ctx->g receives the global
 * flags given after the command name. 0, CLI_PARSE_HELP or ERR_INVALID with
 * err set (without the "devctl <command>: " prefix). */
int cli_parse(const struct command *cmd, struct cli_ctx *ctx, int argc, char **argv,
	      void *opts, struct error *err) DS_MUST_USE;

/* Parses an -o value; 0 and *f, or ERR_INVALID naming the allowed ones. */
int cli_parse_format(const char *s, unsigned allowed, enum output_format *f,
		     struct error *err) DS_MUST_USE;

/* Prints "devctl <cmd>: <message>" on ctx->err as one line. */
void cli_fail(const struct cli_ctx *ctx, const char *cmd, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Prints the error of a failed operation; returns EXIT_FAILED (usage errors
 * are found by cli_parse, before anything runs). */
int cli_fail_err(const struct cli_ctx *ctx, const char *cmd, const struct error *err);

/* Writes b's contents to ctx->out; EXIT_OK or EXIT_FAILED on a write error. */
struct buf;
int cli_write(const struct cli_ctx *ctx, const struct buf *b) DS_MUST_USE;

#endif
