/* cli.c - devctl's front: global flags, the command table, dispatch.
 *
 * Global flags follow kubectl (--kubeconfig, --context, -n/--namespace, -A,
 * -o) and may appear before the command name; a command parses its own flags.
 * Lives in the devctl_cli library (not main.c) so tests drive cli_main.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "command.h"

static const struct command *const commands[] = {
	&cmd_version,
};

void cli_error(const char *fmt, ...)
{
	va_list ap;

	fputs("devctl: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

static void devctl_usage(FILE *out)
{
	fputs("Usage: devctl [global flags] COMMAND [args]\n"
	      "\n"
	      "Remote development machines (DevServers) on Kubernetes.\n"
	      "\n"
	      "Commands:\n", out);
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(out, "  %-12s %s\n", commands[i]->name, commands[i]->summary);
	fputs("\n"
	      "Global flags:\n"
	      "  --kubeconfig PATH      kubeconfig file (default $KUBECONFIG, ~/.kube/config)\n"
	      "  --context NAME         kubeconfig context to use\n"
	      "  -n, --namespace NS     namespace (default: the context's)\n"
	      "  -A, --all-namespaces   list across all namespaces\n"
	      "  -o, --output FORMAT    table|wide|json|yaml|name\n"
	      "  -h, --help             show this help\n"
	      "\n"
	      "Run 'devctl COMMAND --help' for a command's flags.\n", out);
}

/* Consumes a global flag at argv[*i]; returns 1 if consumed, 0 if not a global
 * flag, -1 on a usage error (message printed). */
static int parse_global(struct global_opts *g, int argc, char **argv, int *i)
{
	static const struct { const char *lng, *shrt; size_t off; } valued[] = {
		{ "--kubeconfig", NULL, offsetof(struct global_opts, kubeconfig) },
		{ "--context", NULL, offsetof(struct global_opts, context) },
		{ "--namespace", "-n", offsetof(struct global_opts, namespace) },
		{ "--output", "-o", offsetof(struct global_opts, output) },
	};
	const char *a = argv[*i];

	if (strcmp(a, "-A") == 0 || strcmp(a, "--all-namespaces") == 0) {
		g->all_namespaces = 1;
		return 1;
	}
	for (size_t k = 0; k < sizeof(valued) / sizeof(valued[0]); k++) {
		size_t n = strlen(valued[k].lng);
		const char **slot = (const char **)((char *)g + valued[k].off);

		if (strncmp(a, valued[k].lng, n) == 0 && a[n] == '=') {
			*slot = a + n + 1;
			return 1;
		}
		if (strcmp(a, valued[k].lng) == 0 || (valued[k].shrt && strcmp(a, valued[k].shrt) == 0)) {
			if (*i + 1 >= argc) {
				cli_error("flag %s needs a value", a);
				return -1;
			}
			*slot = argv[++*i];
			return 1;
		}
	}
	return 0;
}

int cli_main(int argc, char **argv)
{
	struct global_opts g = { 0 };
	int i = 1;

	for (; i < argc && argv[i][0] == '-'; i++) {
		int rc;

		if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
			devctl_usage(stdout);
			return EXIT_OK;
		}
		if (strcmp(argv[i], "--version") == 0)
			return cmd_version.run(&g, 1, argv);
		rc = parse_global(&g, argc, argv, &i);
		if (rc < 0)
			return EXIT_USAGE;
		if (rc == 0) {
			cli_error("unknown flag %s (see devctl --help)", argv[i]);
			return EXIT_USAGE;
		}
	}
	if (i >= argc) {
		devctl_usage(stderr);
		return EXIT_USAGE;
	}
	for (size_t k = 0; k < sizeof(commands) / sizeof(commands[0]); k++) {
		if (strcmp(argv[i], commands[k]->name) == 0)
			return commands[k]->run(&g, argc - i, argv + i);
	}
	cli_error("unknown command \"%s\" (see devctl --help)", argv[i]);
	return EXIT_USAGE;
}
