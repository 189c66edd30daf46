/* leader.h - leader election on a coordination.k8s.io/v1 Lease.
 *
 * Several replicas may run; only the holder of the Lease reconciles, the
 * others keep warm caches and wait. The holder renews every
 * LEADER_RETRY_MS; another replica takes over once it has seen the same
 * lease record unchanged for LEADER_LEASE_MS (its own clock, so clock skew
 * between machines does not matter). A holder that cannot renew for
 * LEADER_RENEW_DEADLINE_MS steps down before anyone else may take over,
 * and exits: a restart is the simplest way back to a consistent state. On
 * a clean shutdown the lease is released (holder cleared), so a standby
 * takes over at its next retry instead of waiting out the lease.
 */
#ifndef DEVSERVER_OPERATOR_LEADER_H
#define DEVSERVER_OPERATOR_LEADER_H

#include <stdbool.h>
#include <stdint.h>

#include "core/error.h"
#include "json/json.h"
#include "kube/client.h"

#define LEADER_LEASE_MS 15000
#define LEADER_RENEW_DEADLINE_MS 10000
#define LEADER_RETRY_MS 2000
#define LEADER_LEASE_NAME "devserver-operator"

enum leader_action {
	LEADER_CREATE,   /* no lease: create it, holding it */
	LEADER_TAKE,     /* free or expired: update it to us (a transition) */
	LEADER_RENEW,    /* ours: update renewTime */
	LEADER_WAIT,     /* someone else holds it and it is fresh */
};

/* What to do given the lease as read (NULL: it does not exist). The caller
 * tracks when the record last changed: observed_rv/observed_ms are the
 * resourceVersion and local time at which it was first seen in its current
 * form. Pure; exposed for tests. */
enum leader_action leader_decide(const struct json *lease, const char *identity,
				 const char *observed_rv, int64_t observed_ms, int64_t now_ms);

/* The lease object to write for an action (CREATE, TAKE, RENEW; the old
 * lease supplies resourceVersion and transitions). wall_us: microseconds
 * since the epoch. Caller frees. */
struct json *leader_lease_body(const struct json *old, enum leader_action action, const char *ns,
			       const char *identity, int64_t wall_us);

struct leader;

/* on_change(ud, leading) runs on the loop when leadership is won or lost. */
typedef void (*leader_change_fn)(void *ud, bool leading);

struct leader *leader_new(struct kube_client *client, const char *ns, const char *identity,
			  leader_change_fn on_change, void *ud);
/* Starts trying to acquire (asynchronously, on the client's loop). */
void leader_start(struct leader *l);
bool leader_is_leading(const struct leader *l);
/* Releases the lease if held (a blocking call, for shutdown), then frees. */
void leader_release_free(struct leader *l);

#endif
