/* options.c - flag and environment parsing for devserver-operator (see
 * options.h). A table drives both sources so a flag cannot exist without its
 * environment variable or its help line. */
#include "operator/options.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/duration.h"
#include "kube/selector.h"

enum option_kind { OPT_STRING, OPT_NAMESPACES, OPT_INT, OPT_DURATION, OPT_LEVEL, OPT_FORMAT, OPT_FLAG,
		   OPT_ROLLOUT, OPT_ONOFF, OPT_DURATION_OR_NONE, OPT_CHILD_WATCH };

struct option_def {
	const char *flag;     /* without the leading "--" */
	const char *env;
	enum option_kind kind;
	size_t offset;
	int min, max;         /* OPT_INT bounds */
	const char *help;
};

#define OFF(field) offsetof(struct operator_options, field)

static const struct option_def option_defs[] = {
	{ "kubeconfig", NULL, OPT_STRING, OFF(kubeconfig), 0, 0,
	  "kubeconfig file (default: in-cluster config, then $KUBECONFIG, ~/.kube/config)" },
	{ "context", "DEVSERVER_CONTEXT", OPT_STRING, OFF(context), 0, 0, "kubeconfig context" },
	{ "namespace", "DEVSERVER_NAMESPACES", OPT_NAMESPACES, OFF(namespaces), 0, 0,
	  "reconcile DevServers only in this namespace; repeat for several (default: all namespaces)" },
	{ "namespace-selector", "DEVSERVER_NAMESPACE_SELECTOR", OPT_STRING, OFF(namespace_selector), 0, 0,
	  "also reconcile DevServers in the Namespaces this label selector matches, e.g. "
	  "devserver.io/managed=true (watches cluster-wide)" },
	{ "users", "DEVSERVER_USERS", OPT_ONOFF, OFF(users), 0, 0,
	  "on: give each DevServerUser a namespace, a ServiceAccount and a RoleBinding; off: ignore "
	  "DevServerUsers (for clusters without that CRD) (default on)" },
	{ "operator-namespace", "POD_NAMESPACE", OPT_STRING, OFF(operator_namespace), 0, 0,
	  "namespace of the policy ConfigMap and lease (default " OPTIONS_DEFAULT_OPERATOR_NAMESPACE ")" },
	{ "policy-configmap", "DEVSERVER_POLICY_CONFIGMAP", OPT_STRING, OFF(policy_configmap), 0, 0,
	  "ConfigMap holding policy overrides (default " OPTIONS_DEFAULT_POLICY_CONFIGMAP ")" },
	{ "default-image", "DEVSERVER_DEFAULT_IMAGE", OPT_STRING, OFF(default_image), 0, 0,
	  "image when neither the DevServer nor its flavor names one (default "
	  POLICY_DEFAULT_IMAGE ")" },
	{ "tools-image", "DEVSERVER_TOOLS_IMAGE", OPT_STRING, OFF(tools_image), 0, 0,
	  "image that brings sshd to every DevServer (default " POLICY_DEFAULT_TOOLS_IMAGE ")" },
	{ "concurrency", "DEVSERVER_CONCURRENCY", OPT_INT, OFF(concurrency), 1, 1024,
	  "DevServers reconciled at once (default 16)" },
	{ "resync", "DEVSERVER_RESYNC", OPT_DURATION, OFF(resync_s), 1, 0,
	  "re-check every DevServer this often, e.g. 10m (default 10m)" },
	{ "expiry-warning", "DEVSERVER_EXPIRY_WARNING", OPT_DURATION, OFF(expiry_warning_s), 0, 0,
	  "warn (Event, condition ExpiringSoon) this long before a DevServer's time-to-live runs out; "
	  "0s: never (default 30m)" },
	{ "max-ttl", "DEVSERVER_MAX_TTL", OPT_DURATION_OR_NONE, OFF(max_ttl_s), OPTIONS_MAX_TTL_MIN_S, 0,
	  "longest time-to-live of a DevServer whose flavor sets no maxTimeToLive, at least 1h (one "
	  "without a time-to-live keeps none); a flavor's maxTimeToLive wins; none: no cap "
	  "(default 7d)" },
	{ "rollout", "DEVSERVER_ROLLOUT", OPT_ROLLOUT, OFF(hold_restarts), 0, 0,
	  "on-restart: a flavor or policy change that would restart a running DevServer waits for "
	  "its restart (status.pendingRestart); immediate: applied at once (default on-restart; a "
	  "flavor's spec.rollout: Immediate overrides it)" },
	{ "child-watch", "DEVSERVER_CHILD_WATCH", OPT_CHILD_WATCH, OFF(child_watch), 0, 0,
	  "all: watch every ConfigMap, Service, PVC and Deployment of the watched namespaces, so a "
	  "new DevServer's child names are checked from memory; labelled: watch only the operator's "
	  "own and look each new name up (4 GETs per new DevServer); auto: all when --namespace "
	  "scopes the operator (and no --namespace-selector), else labelled (default auto)" },
	{ "policy-rate", "DEVSERVER_POLICY_RATE", OPT_INT, OFF(policy_rate), 1, 100000,
	  "DevServers re-rendered per second after a policy change (default 50)" },
	{ "health-addr", "DEVSERVER_HEALTH_ADDR", OPT_STRING, OFF(health_addr), 0, 0,
	  "serve /healthz, /readyz and /metrics here, HOST:PORT or :PORT; off disables (default :8080)" },
	{ "leader-elect", "DEVSERVER_LEADER_ELECT", OPT_FLAG, OFF(leader_elect), 0, 0,
	  "reconcile only while holding the Lease devserver-operator in the operator namespace" },
	{ "log-level", "DEVSERVER_LOG_LEVEL", OPT_LEVEL, OFF(log_level), 0, 0,
	  "debug|info|warn|error (default info)" },
	{ "log-format", "DEVSERVER_LOG_FORMAT", OPT_FORMAT, OFF(log_format), 0, 0,
	  "text|json (default text)" },
	{ "help", NULL, OPT_FLAG, OFF(help), 0, 0, "show this help" },
	{ "version", NULL, OPT_FLAG, OFF(version), 0, 0, "print the version and exit" },
};

#define OPTION_COUNT (sizeof(option_defs) / sizeof(option_defs[0]))
_Static_assert(OPTION_COUNT <= 64, "operator_options.given has one bit per option");

static int options_set_value(struct operator_options *o, const struct option_def *d,
			     const char *value, const char *source, struct error *err);

/* Sets one option and marks it given (options_given). */
static int options_set(struct operator_options *o, const struct option_def *d, const char *value,
		       const char *source, struct error *err)
{
	int rc = options_set_value(o, d, value, source, err);

	if (rc == 0)
		o->given |= UINT64_C(1) << (d - option_defs);
	return rc;
}

bool options_watch_all_children(const struct operator_options *o)
{
	if (o->child_watch == CHILD_WATCH_AUTO)
		return o->namespace_count > 0 && !o->namespace_selector;
	return o->child_watch == CHILD_WATCH_ALL;
}

bool options_given(const struct operator_options *o, const char *flag)
{
	for (size_t i = 0; i < OPTION_COUNT; i++)
		if (strcmp(option_defs[i].flag, flag) == 0)
			return (o->given >> i) & 1;
	return false;
}

static int options_set_value(struct operator_options *o, const struct option_def *d,
			     const char *value, const char *source, struct error *err)
{
	char *field = (char *)o + d->offset;
	char *end;
	long n;

	switch (d->kind) {
	case OPT_STRING:
		if (!*value)
			return error_set(err, ERR_INVALID, "%s: empty value", source);
		if (field == (char *)&o->namespace_selector) {
			struct selector sel;
			struct error serr;

			if (selector_parse(&sel, value, &serr) < 0)
				return error_set(err, ERR_INVALID, "%s: %s", source, serr.msg);
			selector_cleanup(&sel);
		}
		*(const char **)field = value;
		return 0;
	case OPT_NAMESPACES: {
		/* a comma-separated list (the environment) or one name (a flag) */
		const char *p = value;

		for (;;) {
			const char *comma = strchr(p, ',');
			size_t len = comma ? (size_t)(comma - p) : strlen(p);

			if (o->namespace_count == OPTIONS_MAX_NAMESPACES)
				return error_set(err, ERR_INVALID, "%s: more than %d namespaces", source,
						 OPTIONS_MAX_NAMESPACES);
			if (len == 0 || len > 63)
				return error_set(err, ERR_INVALID, "%s: invalid namespace list \"%s\"", source, value);
			memcpy(o->namespaces[o->namespace_count], p, len);
			o->namespaces[o->namespace_count++][len] = '\0';
			if (!comma)
				return 0;
			p = comma + 1;
		}
	}
	case OPT_INT:
		n = strtol(value, &end, 10);
		if (!*value || *end || n < d->min || n > d->max)
			return error_set(err, ERR_INVALID, "%s: want an integer from %d to %d, got \"%s\"",
					 source, d->min, d->max, value);
		*(int *)field = (int)n;
		return 0;
	case OPT_DURATION: {
		int64_t secs;

		/* min is the shortest duration allowed, in seconds */
		if (duration_parse(value, &secs) < 0 || secs < d->min)
			return error_set(err, ERR_INVALID, "%s: invalid duration \"%s\" (use e.g. 30s, 10m, 1h%s)",
					 source, value, d->min == 0 ? ", or 0s" : "");
		*(int64_t *)field = secs;
		return 0;
	}
	case OPT_DURATION_OR_NONE: {
		int64_t secs;
		char least[DURATION_TEXT_BYTES];

		if (strcmp(value, "none") == 0) {
			*(int64_t *)field = 0;
			return 0;
		}
		/* min is the shortest duration allowed, in seconds: a cap shorter
		 * than that deletes DevServers before anyone uses them */
		duration_format(d->min, least);
		if (duration_parse(value, &secs) < 0 || secs < d->min)
			return error_set(err, ERR_INVALID, "%s: want a duration of at least %s (e.g. 7d, "
					 "36h) or none, got \"%s\"", source, least, value);
		*(int64_t *)field = secs;
		return 0;
	}
	case OPT_LEVEL:
		if (log_parse_level(value, (enum log_level *)field) < 0)
			return error_set(err, ERR_INVALID, "%s: want debug|info|warn|error, got \"%s\"", source, value);
		return 0;
	case OPT_FORMAT:
		if (log_parse_format(value, (enum log_format *)field) < 0)
			return error_set(err, ERR_INVALID, "%s: want text|json, got \"%s\"", source, value);
		return 0;
	case OPT_ROLLOUT:
		if (strcmp(value, "on-restart") == 0)
			*(bool *)field = true;
		else if (strcmp(value, "immediate") == 0)
			*(bool *)field = false;
		else
			return error_set(err, ERR_INVALID, "%s: want on-restart or immediate, got \"%s\"", source, value);
		return 0;
	case OPT_CHILD_WATCH:
		if (strcmp(value, "auto") == 0)
			*(enum child_watch *)field = CHILD_WATCH_AUTO;
		else if (strcmp(value, "all") == 0)
			*(enum child_watch *)field = CHILD_WATCH_ALL;
		else if (strcmp(value, "labelled") == 0)
			*(enum child_watch *)field = CHILD_WATCH_LABELLED;
		else
			return error_set(err, ERR_INVALID, "%s: want auto, all or labelled, got \"%s\"", source,
					 value);
		return 0;
	case OPT_ONOFF:
		if (strcmp(value, "on") == 0 || strcmp(value, "true") == 0)
			*(bool *)field = true;
		else if (strcmp(value, "off") == 0 || strcmp(value, "false") == 0)
			*(bool *)field = false;
		else
			return error_set(err, ERR_INVALID, "%s: want on or off, got \"%s\"", source, value);
		return 0;
	case OPT_FLAG:
		/* a flag has no value; its environment twin says true or false */
		if (!*value || strcmp(value, "true") == 0 || strcmp(value, "1") == 0)
			*(bool *)field = true;
		else if (strcmp(value, "false") == 0 || strcmp(value, "0") == 0)
			*(bool *)field = false;
		else
			return error_set(err, ERR_INVALID, "%s: want true or false, got \"%s\"", source, value);
		return 0;
	}
	return ERR_INVALID;
}

int options_parse(struct operator_options *o, int argc, char **argv, options_getenv_fn getenv_fn,
		  struct error *err)
{
	const size_t ndefs = sizeof(option_defs) / sizeof(option_defs[0]);
	int env_namespaces;

	memset(o, 0, sizeof(*o));
	o->operator_namespace = OPTIONS_DEFAULT_OPERATOR_NAMESPACE;
	o->policy_configmap = OPTIONS_DEFAULT_POLICY_CONFIGMAP;
	o->default_image = POLICY_DEFAULT_IMAGE;
	o->tools_image = POLICY_DEFAULT_TOOLS_IMAGE;
	o->concurrency = OPTIONS_DEFAULT_CONCURRENCY;
	o->resync_s = OPTIONS_DEFAULT_RESYNC_S;
	o->expiry_warning_s = OPTIONS_DEFAULT_EXPIRY_WARNING_S;
	o->max_ttl_s = OPTIONS_DEFAULT_MAX_TTL_S;
	o->hold_restarts = true;
	o->users = true;
	o->child_watch = CHILD_WATCH_AUTO;
	o->policy_rate = OPTIONS_DEFAULT_POLICY_RATE;
	o->health_addr = OPTIONS_DEFAULT_HEALTH_ADDR;
	o->log_level = LOG_INFO;
	o->log_format = LOG_FORMAT_TEXT;

	for (size_t i = 0; getenv_fn && i < ndefs; i++) {
		const char *v = option_defs[i].env ? getenv_fn(option_defs[i].env) : NULL;
		char source[96];

		if (!v || !*v)
			continue;
		snprintf(source, sizeof(source), "$%s", option_defs[i].env);
		if (options_set(o, &option_defs[i], v, source, err) < 0)
			return err->code;
	}
	/* namespaces given as flags replace those from the environment */
	env_namespaces = o->namespace_count;
	for (int a = 1; a < argc; a++) {
		const char *arg = argv[a], *value = NULL, *eq;
		const struct option_def *d = NULL;
		char source[96];
		size_t len;

		if (strcmp(arg, "-h") == 0)
			arg = "--help";
		if (strncmp(arg, "--", 2) != 0)
			return error_set(err, ERR_INVALID, "unexpected argument \"%s\" (see --help)", arg);
		eq = strchr(arg + 2, '=');
		len = eq ? (size_t)(eq - arg - 2) : strlen(arg + 2);
		for (size_t i = 0; i < ndefs; i++)
			if (strlen(option_defs[i].flag) == len && strncmp(option_defs[i].flag, arg + 2, len) == 0)
				d = &option_defs[i];
		if (!d)
			return error_set(err, ERR_INVALID, "unknown flag %.*s (see --help)", (int)len + 2, arg);
		snprintf(source, sizeof(source), "--%s", d->flag);
		if (d->kind == OPT_FLAG) {
			if (eq)
				return error_set(err, ERR_INVALID, "%s takes no value", source);
		} else if (eq) {
			value = eq + 1;
		} else if (a + 1 < argc) {
			value = argv[++a];
		} else {
			return error_set(err, ERR_INVALID, "%s needs a value", source);
		}
		if (d->kind == OPT_NAMESPACES) {
			if (env_namespaces) {
				o->namespace_count = 0;
				env_namespaces = 0;
			}
			if (strchr(value, ','))
				return error_set(err, ERR_INVALID, "%s: one namespace per flag", source);
		}
		if (options_set(o, d, value ? value : "", source, err) < 0)
			return err->code;
	}
	return 0;
}

void options_usage(FILE *out)
{
	fputs("Usage: devserver-operator [flags]\n"
	      "\n"
	      "Watches DevServers and DevServerFlavors, renders their children with the Lua\n"
	      "policies, applies them with server-side apply and writes status.\n"
	      "\n"
	      "Flags (each also read from the environment variable shown):\n", out);
	for (size_t i = 0; i < sizeof(option_defs) / sizeof(option_defs[0]); i++) {
		const struct option_def *d = &option_defs[i];
		char left[64];

		snprintf(left, sizeof(left), "--%s%s", d->flag, d->kind == OPT_FLAG ? "" : " VALUE");
		fprintf(out, "  %-28s %s", left, d->help);
		if (d->env)
			fprintf(out, " [$%s]", d->env);
		fputc('\n', out);
	}
}
