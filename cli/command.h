/* command.h - the devctl command table and the options every command shares.
 *
 * Each command lives in its own cli/cmd_<name>.c and exports one
 * `struct command`. main.c parses the global flags, finds the command by name
 * and calls it with the remaining arguments. Exit status: 0 ok, 1 failed,
 * 2 usage error; errors go to stderr on one line.
 */
#ifndef DEVCTL_COMMAND_H
#define DEVCTL_COMMAND_H

#include <stdio.h>

enum { EXIT_OK = 0, EXIT_FAILED = 1, EXIT_USAGE = 2 };

struct global_opts {
	const char *kubeconfig;
	const char *context;
	const char *namespace;
	int all_namespaces;
	const char *output;
};

struct command {
	const char *name;
	const char *summary;
	const char *usage; /* full --help text of the command */
	int (*run)(const struct global_opts *g, int argc, char **argv);
};

extern const struct command cmd_version;

/* Runs devctl with argv (argv[0] is the program name); returns the exit status. */
int cli_main(int argc, char **argv);

/* Prints "devctl: <message>" on stderr as one line. */
void cli_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
