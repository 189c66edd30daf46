/* status.h - a DevServer's status, computed from what was observed.
 *
 * Inputs are the outcome of each reconcile step (flavor, render, apply) and
 * the children as the cache last saw them - never the desired objects - so
 * the status says what is, not what was asked for. Conditions keep their
 * lastTransitionTime while their status does not change, so computing the same
 * status twice gives equal documents and the operator writes nothing.
 */
#ifndef DEVSERVER_OPERATOR_STATUS_H
#define DEVSERVER_OPERATOR_STATUS_H

#include <stdbool.h>
#include <stdint.h>

#include "core/error.h"
#include "json/json.h"

struct status_inputs {
	const struct json *ds;             /* the DevServer; its current status supplies old conditions */
	const char *flavor_name;           /* resolved flavor, NULL when resolution failed */
	const char *flavor_replaced;       /* the deprecated flavor it replaces, or NULL */
	const struct error *flavor_err;    /* code != 0 when resolution failed */
	const struct error *render_err;    /* code != 0 when the policy failed (not reached: NULL) */
	const struct error *apply_err;     /* code != 0 when applying failed (not reached: NULL) */
	const char *apply_reason;          /* the Applied=False reason when the host refused to
					    * write (ChildConflict, ...); NULL: ApplyFailed */
	const char *policy_revision;       /* revision that rendered, NULL if none */
	const struct json *deployment;     /* observed Deployment, NULL if absent */
	const struct json *pod;            /* observed pod of the DevServer, NULL if none */
	const char *ssh_service;           /* observed SSH Service name, NULL if absent */
	int64_t ssh_port;                  /* its port */
	const char *ssh_host_key;          /* observed host public key "<type> <base64>", or NULL */
	const char *ssh_host_key_fingerprint;
	int64_t last_activity;             /* unix seconds of the last SSH session or user process; 0: unknown */
	bool stopped_idle;                 /* spec.stopped was set by idle shutdown */
	int64_t idle_timeout_s;            /* 0: no idle shutdown */
	bool expires;                      /* expires_at is meaningful */
	int64_t expires_at;                /* unix seconds */
	int64_t expiry_warning_s;          /* ExpiringSoon from expires_at minus this; 0: never */
	const char *ttl_cap;               /* lifecycle_cap_text: which cap set expires_at; NULL or "": none */
	const char *pending_restart;       /* what a held-back change is, or NULL (reconcile.c) */
	bool volumes_provisioning;         /* status_volumes_provisioning of the pod's claims */
	int64_t now;                       /* unix seconds, for lastTransitionTime */
};

/* Returns the new status object (caller frees). */
struct json *status_compute(const struct status_inputs *in);

/* True when condition type is True in new_status and was not True in
 * old_status (NULL: none): the moment to record an Event once. */
bool status_condition_became_true(const struct json *old_status, const struct json *new_status,
				  const char *type);
/* The message of condition type in a status, or "". */
const char *status_condition_message(const struct json *status, const char *type);

/* The pod's blocking problem as (reason, message), or false if none: a waiting
 * container (ImagePullBackOff, CrashLoopBackOff, ...) or an unschedulable pod.
 * *hard is set for reasons that need the user (image, crash loop, config). */
bool status_pod_problem(const struct json *pod, const char **reason, const char **message,
			bool *hard);

/* A pod that waits for its volumes (the scheduler's "pod has unbound
 * immediate PersistentVolumeClaims") while a provisioner is making them is
 * Provisioning, as before the pod existed, so the normal first seconds of
 * a box - minutes, in a burst of a thousand - cost no status write of their
 * own. That holds while every claim the pod mounts is seen Bound or Pending
 * with a provisioner at work or about to be (status_volumes_provisioning),
 * and for at
 * most STATUS_VOLUME_WAIT_MAX_S since the pod became unschedulable; a
 * claim with no provisioner, or one the operator cannot see, is reported
 * (Pending) at once. */
#define STATUS_VOLUME_WAIT_MAX_S 600
#define STATUS_UNBOUND_CLAIMS_TEXT "unbound immediate PersistentVolumeClaims"
/* set by the PV controller on a claim an external provisioner is to make */
#define STATUS_PROVISIONER_ANNOTATION "volume.kubernetes.io/storage-provisioner"
#define STATUS_PROVISIONER_ANNOTATION_BETA "volume.beta.kubernetes.io/storage-provisioner"

/* A claim the PV controller has not looked at yet carries no provisioner
 * annotation: a Pending claim younger than this counts as being made (in a
 * burst the controller runs tens of seconds behind). */
#define STATUS_CLAIM_YOUNG_S 60

/* True when n > 0 and every claim (NULL: not seen) is Bound, or Pending
 * with a provisioner named on it, or Pending and created less than
 * STATUS_CLAIM_YOUNG_S before now (unix seconds). */
bool status_volumes_provisioning(const struct json *const *claims, size_t n, int64_t now);

/* True while pod is unschedulable only because its claims are not bound
 * yet and STATUS_VOLUME_WAIT_MAX_S since that began (PodScheduled's
 * lastTransitionTime) has not run out at now; *until receives when it
 * does (unix seconds), the moment to look again. */
bool status_volume_wait(const struct json *pod, int64_t now, int64_t *until);

#endif
