/* main.c - devserver-operator: options, the predecessor's config file,
 * logging, signals, the controller. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "core/version.h"
#include "operator/controller.h"
#include "operator/options.h"
#include "operator/predecessor_config.h"

static struct controller *running;

static const char *env_lookup(const char *name)
{
	return getenv(name);
}

/* The predecessor's config file and variables, under our own flags and
 * environment: a problem with them is one warning, never a failed start
 * (predecessor_config.h says why). pc must outlive opt. */
static void main_predecessor_config(struct predecessor_config *pc, struct operator_options *opt)
{
	const char *path = getenv(PREDECESSOR_CONFIG_PATH_ENV);
	bool file_read = false;
	struct error err;
	int rc;

	if (!path || !*path)
		path = PREDECESSOR_CONFIG_DEFAULT_PATH;
	error_clear(&err);
	rc = predecessor_config_load(pc, path, &err);
	if (rc == 0)
		file_read = true;
	else if (rc != ERR_NOT_FOUND)
		log_msg(LOG_WARN, "ignoring the predecessor's config file, going on without it",
			"error", err.msg, NULL);
	predecessor_config_env(pc, env_lookup);
	predecessor_config_apply(pc, opt);
	if (!pc->found)
		return;
	/* the image last, so that a missing one ends the fields there */
	log_msg(pc->bad_keys ? LOG_WARN : LOG_INFO, "read the predecessor's config",
		"file", file_read ? path : "none",
		"used", pc->used.len ? buf_str(&pc->used) : "nothing",
		"ignored", pc->ignored.len ? buf_str(&pc->ignored) : "nothing",
		"truncated", buf_error(&pc->used) || buf_error(&pc->ignored) ? "yes" : "no",
		pc->applied ? "defaultImage" : NULL, pc->default_image, NULL);
}

static void on_signal(int sig)
{
	if (running)
		controller_stop(running);
}

int main(int argc, char **argv)
{
	struct operator_options opt;
	struct predecessor_config pc;
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
		printf("\nAlso read at startup, under the flags and variables above: the predecessor's\n"
		       "config file %s ($%s)\n"
		       "and its variables; see docs/operator.md.\n",
		       PREDECESSOR_CONFIG_DEFAULT_PATH, PREDECESSOR_CONFIG_PATH_ENV);
		return 0;
	}
	if (opt.version) {
		printf("devserver-operator %s (%s)\n", DEVSERVER_VERSION, DEVSERVER_GIT_DESCRIBE);
		return 0;
	}
	log_set_level(opt.log_level);
	log_set_format(opt.log_format);
	signal(SIGPIPE, SIG_IGN);
	predecessor_config_init(&pc);
	main_predecessor_config(&pc, &opt);
	if (controller_new(&opt, &running, &err) < 0) {
		log_msg(LOG_ERROR, "cannot start", "error", err.msg, NULL);
		predecessor_config_cleanup(&pc);
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
	predecessor_config_cleanup(&pc);
	return rc < 0 ? 1 : 0;
}
