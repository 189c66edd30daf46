/* skipped.h - telling people about the objects the operator skips.
 *
 * An object the reflector cannot decode within its limits (kube/object.h)
 * is kept out of reconcile as a stub (kube/cache.h); every other object goes
 * on. Skipping must not be silent: the operator logs it at warn, records a
 * Warning Event (reason SKIPPED_REASON) on the object, and, for a DevServer,
 * writes what it can into its status - phase Failed, the reason in the
 * message and a Ready=False condition - when the API server lets it (an
 * object past etcd's size cannot take a status write either).
 *
 * Each skip is reported once: again only when the object changes (a new
 * generation, uid or reason), not for status-only updates such as the
 * operator's own write, so reporting never loops.
 */
#ifndef DEVSERVER_OPERATOR_SKIPPED_H
#define DEVSERVER_OPERATOR_SKIPPED_H

#include <stdbool.h>
#include <stdint.h>

#include "json/json.h"

#define SKIPPED_REASON "ObjectSkipped"
#define SKIPPED_MESSAGE_MAX_BYTES 1024

struct controller;

/* A stub arrived in one of c's caches (previous: the stub it replaces, or
 * NULL). Logs it; with may_write (this replica leads and the caches
 * synced) also tells the object (skipped_tell). */
void skipped_report(struct controller *c, const struct json *previous, const struct json *stub,
		    bool may_write);
/* The Event, and for a DevServer the status write if its status differs. */
void skipped_tell(struct controller *c, const struct json *stub);

/* The message people read: what was skipped, why, what happens meanwhile. */
void skipped_message(const struct json *stub, char out[SKIPPED_MESSAGE_MAX_BYTES]);
/* The status fields a skipped DevServer gets (a new object: phase, message,
 * observedGeneration, conditions), from its stub (its old conditions keep
 * their transition times) at now (unix seconds). */
struct json *skipped_devserver_status(const struct json *stub, int64_t now);
/* True when the stub's status already says what skipped_devserver_status
 * would write. */
bool skipped_status_current(const struct json *stub, const struct json *want);

#endif
