/* main.c - devserver-operator entry point: flags, logging, then the control loop.
 *
 * At this stage the operator only parses its flags and answers --help and
 * --version; the reconcile loop lands with the operator issue. Flags map
 * one-to-one onto environment variables (DEVSERVER_*) so a Deployment can set
 * either.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "core/log.h"
#include "core/version.h"

static const char operator_usage[] =
	"Usage: devserver-operator [flags]\n"
	"\n"
	"Watches DevServers and DevServerFlavors, renders their children with the Lua\n"
	"policies, applies them with server-side apply and writes status.\n"
	"\n"
	"Flags:\n"
	"  --kubeconfig PATH     kubeconfig to use (default: in-cluster, then $KUBECONFIG)\n"
	"  --log-level LEVEL     debug|info|warn|error (default info)\n"
	"  --log-format FORMAT   text|json (default text)\n"
	"  -h, --help            show this help\n"
	"  --version             print the version and exit\n";

enum { OPT_KUBECONFIG = 256, OPT_LOG_LEVEL, OPT_LOG_FORMAT, OPT_VERSION };

int main(int argc, char **argv)
{
	static const struct option options[] = {
		{ "kubeconfig", required_argument, NULL, OPT_KUBECONFIG },
		{ "log-level", required_argument, NULL, OPT_LOG_LEVEL },
		{ "log-format", required_argument, NULL, OPT_LOG_FORMAT },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, OPT_VERSION },
		{ NULL, 0, NULL, 0 },
	};
	enum log_level level;
	enum log_format format;
	int c;

	opterr = 0;
	while ((c = getopt_long(argc, argv, "h", options, NULL)) != -1) {
		switch (c) {
		case 'h':
			fputs(operator_usage, stdout);
			return 0;
		case OPT_VERSION:
			printf("devserver-operator %s (%s)\n", DEVSERVER_VERSION, DEVSERVER_GIT_DESCRIBE);
			return 0;
		case OPT_KUBECONFIG:
			break;
		case OPT_LOG_LEVEL:
			if (log_parse_level(optarg, &level) < 0) {
				fprintf(stderr, "devserver-operator: invalid --log-level %s (want debug|info|warn|error)\n", optarg);
				return 2;
			}
			log_set_level(level);
			break;
		case OPT_LOG_FORMAT:
			if (log_parse_format(optarg, &format) < 0) {
				fprintf(stderr, "devserver-operator: invalid --log-format %s (want text|json)\n", optarg);
				return 2;
			}
			log_set_format(format);
			break;
		default:
			fprintf(stderr, "devserver-operator: unknown or incomplete flag %s (see --help)\n",
				argv[optind - 1]);
			return 2;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "devserver-operator: unexpected argument %s (see --help)\n", argv[optind]);
		return 2;
	}
	log_msg(LOG_ERROR, "the reconcile loop is not implemented yet", NULL);
	return 1;
}
