/* main.c - devserver-operator: options, logging, signals, the controller. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "core/version.h"
#include "operator/controller.h"
#include "operator/options.h"

static struct controller *running;

static const char *env_lookup(const char *name)
{
	return getenv(name);
}

static void on_signal(int sig)
{
	if (running)
		controller_stop(running);
}

int main(int argc, char **argv)
{
	struct operator_options opt;
	struct sigaction sa;
	struct error err;
	int rc;

	error_clear(&err);
	if (options_parse(&opt, argc, argv, env_lookup, &err) < 0) {
		fprintf(stderr, "devserver-operator: %s\n", err.msg);
		return 2;
	}
	if (opt.help) {
		options_usage(stdout);
		return 0;
	}
	if (opt.version) {
		printf("devserver-operator %s (%s)\n", DEVSERVER_VERSION, DEVSERVER_GIT_DESCRIBE);
		return 0;
	}
	log_set_level(opt.log_level);
	log_set_format(opt.log_format);
	signal(SIGPIPE, SIG_IGN);
	if (controller_new(&opt, &running, &err) < 0) {
		log_msg(LOG_ERROR, "cannot start", "error", err.msg, NULL);
		return 1;
	}
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	rc = controller_run(running, &err);
	if (rc < 0)
		log_msg(LOG_ERROR, "stopped on an error", "error", err.msg, NULL);
	controller_free(running);
	running = NULL;
	return rc < 0 ? 1 : 0;
}
