/* controller_internal.h - the controller's state, shared by controller.c
 * (informers, queue, loop), reconcile.c (one DevServer), user_reconcile.c,
 * skipped.c and flavor_status.c (the flavors' status writes). Not a public
 * interface: only src/operator includes it. The active policy is a struct
 * policy_source of its own (policy_source.h), which includes nothing of
 * this.
 */
#ifndef DEVSERVER_OPERATOR_CONTROLLER_INTERNAL_H
#define DEVSERVER_OPERATOR_CONTROLLER_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>

#include "api/api.h"
#include "core/attr.h"
#include "kube/cache.h"
#include "kube/client.h"
#include "kube/kubeconfig.h"
#include "kube/queue.h"
#include "kube/watch.h"
#include "operator/events.h"
#include "operator/health.h"
#include "operator/idle.h"
#include "operator/leader.h"
#include "operator/metrics.h"
#include "operator/options.h"
#include "operator/policy_source.h"
#include "operator/scope.h"
#include "policy/engine.h"

#include "policy/validate.h"

/* One watched resource: its reflector and the cache it feeds. */
struct informer {
	const char *what;                  /* for logs: "devservers", "pods", ... */
	const struct kube_resource *res;
	struct cache cache;
	struct watch watch;
	bool started;
	bool sees_all;                     /* no label selector: a name missing from the cache is free */
};

/* The kinds of child the operator may own, each with an informer. */
enum child_kind {
	CHILD_DEPLOYMENT,
	CHILD_SERVICE,
	CHILD_PVC,
	CHILD_CONFIGMAP,
	CHILD_SECRET,
	CHILD_KIND_COUNT,
};

struct controller {
	struct operator_options opt;
	struct kube_config cfg;
	struct kube_client client;
	struct informer devservers;
	struct informer flavors;
	struct informer nodes;             /* projections (nodefit.h), for flavor status.schedulable */
	struct informer pods;
	struct informer children[CHILD_KIND_COUNT];
	struct informer policy_cm;
	/* DevServerUsers (users.h), with --users on; Namespaces also for a
	 * --namespace-selector. Unstarted informers are skipped everywhere. */
	struct informer users;
	struct informer namespaces;        /* projections: name, labels, annotations */
	struct informer user_sas;          /* label-selected ServiceAccounts */
	struct informer user_rbs;          /* label-selected RoleBindings */
	struct ns_scope scope;             /* whose DevServers are ours (scope.h) */
	struct queue *queue;
	struct idle_tracker *idle;         /* when each DevServer's activity is read next */
	struct events *events;
	struct policy_source policy;       /* which policy renders (policy_source.h) */
	bool synced;                       /* every informer has listed once */
	int64_t next_resync_ms;
	volatile int stop;
	struct metrics m;                  /* owned by the loop; published to health */
	struct health *health;
	struct leader *leader;             /* NULL without --leader-elect */
	bool lost_leadership;
	bool flavors_dirty;                /* flavor statuses need a look */
};

/* reconcile.c */
/* Starts reconciling key ("ns/name"); ends with queue_done(c->queue, key),
 * possibly after asynchronous API calls complete. */
void reconcile_start(struct controller *c, const char *key);
/* The informer caching objects of this apiVersion/kind, or NULL. */
struct informer *controller_child_informer(struct controller *c, const char *api_version,
					   const char *kind);

/* user_reconcile.c */
/* Starts reconciling a DevServerUser's key (USERS_KEY_PREFIX + name); ends
 * with queue_done like reconcile_start. */
void user_reconcile_start(struct controller *c, const char *key);

/* flavor_status.c */
/* Brings every flavor's status in line (a write only where it differs) and
 * clears c->flavors_dirty. */
void flavor_status_sync(struct controller *c);

#endif
