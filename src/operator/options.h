/* options.h - the operator's settings from flags and environment.
 *
 * Every flag has an environment twin (--resync <-> DEVSERVER_RESYNC) so a
 * Deployment can use either; flags win. Parsing is a pure function over argv
 * and an environment lookup, so it is unit-tested without touching the
 * process environment.
 */
#ifndef DEVSERVER_OPERATOR_OPTIONS_H
#define DEVSERVER_OPERATOR_OPTIONS_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "core/attr.h"
#include "core/error.h"
#include "core/log.h"
#include "policy/context.h"

#define OPTIONS_MAX_NAMESPACES 64
#define OPTIONS_DEFAULT_CONCURRENCY 16
#define OPTIONS_DEFAULT_RESYNC_S (10 * 60)
#define OPTIONS_DEFAULT_POLICY_CONFIGMAP "devserver-policy"
#define OPTIONS_DEFAULT_OPERATOR_NAMESPACE "devserver-system"
#define OPTIONS_DEFAULT_HEALTH_ADDR ":8080"
#define OPTIONS_DEFAULT_POLICY_RATE 50   /* DevServers re-rendered per second after a policy change */
#define OPTIONS_DEFAULT_EXPIRY_WARNING_S (30 * 60)  /* ExpiringSoon this long before the TTL ends */
#define OPTIONS_DEFAULT_MAX_TTL_S (7 * 24 * 3600)   /* --max-ttl: the predecessor's 7 days */
#define OPTIONS_MAX_TTL_MIN_S 3600                  /* a shorter --max-ttl is refused as a typo */

/* Which objects of the child kinds the informers see (--child-watch). */
enum child_watch {
	CHILD_WATCH_AUTO,      /* all when scoped to --namespace, else labelled */
	CHILD_WATCH_ALL,       /* every object of the watched namespaces */
	CHILD_WATCH_LABELLED,  /* only the operator's, a GET per new name */
};

struct operator_options {
	const char *kubeconfig;               /* NULL: in-cluster, then $KUBECONFIG */
	const char *context;
	char namespaces[OPTIONS_MAX_NAMESPACES][64];   /* watched; none = all */
	int namespace_count;
	const char *namespace_selector;       /* Namespaces whose DevServers are ours too (scope.h) */
	bool users;                           /* reconcile DevServerUsers (users.h); default on */
	const char *operator_namespace;       /* policy ConfigMap, Events about it, Lease */
	const char *policy_configmap;
	const char *default_image;
	const char *tools_image;              /* the init container bringing sshd (lib/tools.lua) */
	int concurrency;                      /* DevServers reconciled at once */
	int64_t resync_s;                     /* every DevServer re-checked this often */
	int64_t expiry_warning_s;             /* ExpiringSoon this long before expiry; 0: never */
	int64_t max_ttl_s;                    /* TTL cap where the flavor sets none; 0: none */
	enum child_watch child_watch;         /* --child-watch auto (default), all or labelled */
	bool hold_restarts;                   /* --rollout on-restart (default) vs immediate */
	int policy_rate;                      /* re-renders per second after a policy change */
	const char *health_addr;              /* /healthz, /readyz, /metrics; "off" disables */
	bool leader_elect;                    /* hold a Lease before reconciling */
	enum log_level log_level;
	enum log_format log_format;
	bool help;
	bool version;
	uint64_t given;                       /* bit i: option i came from a flag or the environment */
};

/* Whether the child informers go without a label selector: --child-watch
 * all, or auto with only --namespace scopes (cluster-wide, every ConfigMap
 * and Deployment of the cluster would be listed and watched). */
bool options_watch_all_children(const struct operator_options *o);

/* Looks a variable up; tests pass their own. */
typedef const char *(*options_getenv_fn)(const char *name);

/* Fills o from defaults, then the environment, then argv. Returns 0, or
 * ERR_INVALID with a one-line message in err (the caller exits 2). Strings
 * point into argv or the environment. */
int options_parse(struct operator_options *o, int argc, char **argv, options_getenv_fn getenv_fn,
		  struct error *err) DS_MUST_USE;

/* True when the option (its flag name, without "--") was set by a flag or
 * its environment variable rather than left at its default; lower-precedence
 * sources (predecessor_config.h) fill only options that were not given. */
bool options_given(const struct operator_options *o, const char *flag);

void options_usage(FILE *out);

#endif
