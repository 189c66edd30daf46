/* policy_source.h - which policy renders: the built-in one, or an override
 * from the policy ConfigMap once it has passed its trial (policy_source.c
 * says how a candidate is judged).
 *
 * A caller-allocated struct owning the policy state (the built-in and the
 * active engine, the candidate on trial, the last rejection) and borrowing
 * what the trial and its reports need, handed over at init. It does not
 * enqueue anything: when the active policy changes, policy_source_changed
 * and policy_source_step say so, and the caller re-renders its DevServers.
 */
#ifndef DEVSERVER_OPERATOR_POLICY_SOURCE_H
#define DEVSERVER_OPERATOR_POLICY_SOURCE_H

#include <stdbool.h>

#include "core/attr.h"
#include "core/error.h"
#include "json/json.h"
#include "kube/cache.h"
#include "kube/client.h"
#include "operator/events.h"
#include "operator/metrics.h"
#include "policy/engine.h"

/* What the source borrows, for its whole life (init to cleanup). */
struct policy_source_deps {
	struct kube_client *client;      /* the status annotation on the ConfigMap */
	struct events *events;           /* PolicyActivated, PolicyRejected */
	struct metrics *m;               /* writes, policy_rejections */
	const struct cache *devservers;  /* what a trial renders ... */
	const struct cache *flavors;     /* ... each with its resolved flavor */
	const char *cm_namespace;        /* where the policy ConfigMap lives */
	const char *cm_name;
	const char *default_image;       /* the render options (render.h) */
	const char *tools_image;
};

struct policy_trial;                 /* policy_source.c */

/* Read it through the functions below; the fields are here only so the
 * caller can hold it by value. */
struct policy_source {
	struct policy_source_deps deps;
	const struct kube_resource *cm_res;
	struct policy_engine *engine;      /* the active policy */
	struct policy_engine *builtin;     /* compiled from the embedded bundle */
	struct policy_trial *trial;        /* a candidate policy on trial, or NULL */
	char rejected[512];                /* last rejection, "" if none */
	char rejected_revision[32];
};

/* What a trial slice ended in. */
enum policy_step {
	POLICY_STEP_IDLE,                  /* no trial, or it ended in a rejection */
	POLICY_STEP_MORE,                  /* more to render: do not sleep */
	POLICY_STEP_ACTIVATED,             /* the candidate is the active policy now */
};

/* Compiles the built-in policy and makes it the active one; deps is copied.
 * 0, or the error (ERR_POLICY: the shipped bundle does not load). */
int policy_source_init(struct policy_source *ps, const struct policy_source_deps *deps,
		       struct error *err) DS_MUST_USE;
void policy_source_cleanup(struct policy_source *ps);

/* The policy that renders now; valid until the next policy_source_changed
 * or policy_source_step. */
struct policy_engine *policy_source_engine(const struct policy_source *ps);

/* The policy ConfigMap changed (cm NULL: it was deleted; borrowed): a new
 * version goes on trial. True when the active policy changed at once (the
 * ConfigMap is gone or empty: back to the built-in one), so every DevServer
 * should re-render. */
bool policy_source_changed(struct policy_source *ps, const struct json *cm) DS_MUST_USE;

/* Runs one slice of a trial in progress (see enum policy_step); on
 * POLICY_STEP_ACTIVATED every DevServer should re-render. */
enum policy_step policy_source_step(struct policy_source *ps) DS_MUST_USE;

#endif
