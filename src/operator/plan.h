/* plan.h - what one reconcile round writes, decided before anything is.
 *
 * Reconcile is plan, then execute: plan_writes is a pure function from the
 * stamped render (desired) and the children the cache holds (observed) to a
 * list of actions - apply this child (created, changed, or drifted), leave
 * this Deployment for the next restart, delete this child nobody renders
 * any more - and reconcile.c only carries the list out on the HTTP loop.
 * So every decision is unit-tested without a cluster (test_operator_plan.c)
 * and the rules live in one place:
 *   - an observed child whose render hash equals desired's is left alone
 *     unless a field we applied has drifted on the server (drift.h);
 *   - a running Deployment whose pod a flavor or policy change would
 *     replace is held while hold_restarts is set (rollout.h);
 *   - an owned child that is not desired is deleted, except a home PVC
 *     (it goes only with its DevServer), the host-key Secret (the host's,
 *     not the policy's: hostkey.h) and an object already being deleted.
 * Objects are borrowed from the caller: the plan holds pointers into
 * desired and the observed objects, valid while they are.
 */
#ifndef DEVSERVER_OPERATOR_PLAN_H
#define DEVSERVER_OPERATOR_PLAN_H

#include <stdbool.h>
#include <stddef.h>

#include "core/attr.h"
#include "json/json.h"
#include "operator/drift.h"

#define PLAN_HELD_CHANGES_MAX_BYTES 256

enum plan_verb {
	PLAN_APPLY,   /* server-side apply desired */
	PLAN_HOLD,    /* a Deployment change waits for the next restart */
	PLAN_PRUNE,   /* delete observed (with its uid as precondition) */
};

enum plan_why {
	PLAN_CREATE,  /* APPLY: nothing observed under the name */
	PLAN_CHANGE,  /* APPLY: the render changed; HOLD: it would replace the pod */
	PLAN_DRIFT,   /* APPLY: same render, but the server's copy lost a field */
	PLAN_ORPHAN,  /* PRUNE: owned, but no longer rendered */
};

/* One desired child, and the cache's object under its kind and name. */
struct plan_child {
	struct json *desired;          /* stamped (children_prepare); may be rewritten, see below */
	const char *kind;              /* the child kind's, e.g. "Deployment" */
	int kind_index;                /* the caller's, carried into the action */
	const struct json *observed;   /* NULL: absent (or to be treated as absent) */
};

/* One child the DevServer owns, as the cache holds it. */
struct plan_owned {
	const struct json *obj;
	const char *kind;
	int kind_index;
};

struct plan_action {
	enum plan_verb verb;
	enum plan_why why;
	int kind_index;
	const char *kind;
	const char *name;
	struct json *desired;          /* APPLY, HOLD */
	const struct json *observed;   /* PRUNE; APPLY/HOLD: NULL when creating */
	char drift_path[DRIFT_PATH_MAX_BYTES];   /* PLAN_DRIFT: the first field that differs */
};

struct plan {
	struct plan_action *actions;
	size_t count;
	int unchanged;                 /* observed children left alone */
	bool creates_deployment;       /* no Deployment was observed: the box is new */
	char held_changes[PLAN_HELD_CHANGES_MAX_BYTES];   /* the held Deployment's changes, or "" */
};

/* Fills plan (plan_free it). When a Deployment's render hash equals the
 * observed one, desired takes the observed inputs annotation
 * (rollout_keep_recorded_inputs): a new revision that renders the same
 * object is no reason to write it. Applies come in desired's order, then
 * prunes in owned's order. */
void plan_writes(const struct plan_child *children, size_t nchildren, const struct plan_owned *owned,
		 size_t nowned, bool hold_restarts, struct plan *plan);
void plan_free(struct plan *plan);

/* The number of actions with this verb. */
size_t plan_count(const struct plan *plan, enum plan_verb verb);

#endif
