/* controller_internal.h - the controller's state, shared by controller.c
 * (informers, queue, loop), reconcile.c (one DevServer), policy_source.c
 * (the active policy) and flavor_status.c (the flavors' status writes). Not a public interface: only src/operator includes it.
 */
#ifndef DEVSERVER_OPERATOR_CONTROLLER_INTERNAL_H
#define DEVSERVER_OPERATOR_CONTROLLER_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>

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
#include "operator/scope.h"
#include "policy/engine.h"

#include "policy/validate.h"

/* Labels the host stamps on children (policy/validate.h names them) and the
 * ones the operator reads back. */
#define MANAGED_BY_LABEL POLICY_LABEL_MANAGED_BY
#define MANAGED_BY_VALUE POLICY_MANAGER_NAME
#define NAME_LABEL POLICY_LABEL_NAME
#define HOME_LABEL "devserver.io/home"   /* set by the policy on a home PVC */

struct policy_trial;                   /* policy_source.c */

/* One watched resource: its reflector and the cache it feeds. */
struct informer {
	const char *what;                  /* for logs: "devservers", "pods", ... */
	const struct kube_resource *res;
	struct cache cache;
	struct watch watch;
	bool started;
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
	struct policy_engine *engine;      /* the active policy */
	struct policy_engine *builtin;     /* compiled from the embedded bundle */
	struct policy_trial *trial;        /* a candidate policy on trial, or NULL */
	char policy_rejected[512];         /* last rejection, "" if none */
	char policy_rejected_revision[32];
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

/* policy_source.c */
int policy_source_init(struct controller *c, struct error *err) DS_MUST_USE;
void policy_source_cleanup(struct controller *c);
/* The policy ConfigMap changed (obj NULL: it was deleted): a new version
 * goes on trial. */
void policy_source_changed(struct controller *c, const struct json *obj);
/* Runs one slice of a trial in progress; true while more remains (the loop
 * then does not sleep). */
bool policy_source_step(struct controller *c);

/* flavor_status.c */
/* Brings every flavor's status in line (a write only where it differs) and
 * clears c->flavors_dirty. */
void flavor_status_sync(struct controller *c);

/* controller.c */
/* Enqueues every DevServer, spread over time at opt.policy_rate per second. */
void controller_enqueue_all_paced(struct controller *c);

#endif
