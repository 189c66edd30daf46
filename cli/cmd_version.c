/* cmd_version.c - `devctl version`: the client version (the server version
 * joins once the client core exists). */
#include <stdio.h>
#include <string.h>

#include "command.h"
#include "core/version.h"

static int version_run(const struct global_opts *g, int argc, char **argv)
{
	if (argc > 1 && (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0)) {
		fputs(cmd_version.usage, stdout);
		return EXIT_OK;
	}
	if (argc > 1) {
		cli_error("version: unexpected argument %s", argv[1]);
		return EXIT_USAGE;
	}
	printf("Client Version: %s (%s)\n", DEVSERVER_VERSION, DEVSERVER_GIT_DESCRIBE);
	return EXIT_OK;
}

const struct command cmd_version = {
	.name = "version",
	.summary = "Print the client version",
	.usage = "Usage: devctl version\n\nPrint the devctl version.\n",
	.run = version_run,
};
