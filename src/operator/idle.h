/* idle.h - idle shutdown: a DevServer nobody uses for its idle timeout stops.
 *
 * Activity is measured inside the pod, by the `activity` container the
 * default policy runs beside the box (images/tools/tree/libexec/activity):
 * it sees the main container's processes (the pod shares one process
 * namespace) and logs "devserver-activity active ..." or "... idle" whenever
 * the state changes. The operator reads the last line of that log through
 * the kubelet (pods/log: read-only, and the pod needs no API credentials),
 * with the kubelet's timestamp, so "idle since T" is known to the second.
 *
 * The operator reads it only when it matters: once when a pod becomes ready,
 * then at the moment the box would have been idle for the timeout (a queue
 * timer, never polling): active -> look again a timeout from now; idle since
 * T -> stop at T + timeout. Stopping is the user's own switch, spec.stopped
 * (home kept; `devctl start` resumes), with the annotation
 * devserver.io/stopped-by=idle saying why, patched with a resourceVersion
 * precondition so a concurrent change by the user wins.
 *
 * This file holds the pure parts (timeout resolution, log parsing, the
 * decision) and the per-DevServer schedule; reconcile.c does the I/O.
 */
#ifndef DEVSERVER_OPERATOR_IDLE_H
#define DEVSERVER_OPERATOR_IDLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "api/api.h"
#include "core/attr.h"
#include "core/error.h"
#include "json/json.h"

#define IDLE_ACTIVITY_CONTAINER "activity"
#define IDLE_LOG_TAIL_LINES 4                    /* the last line is what counts */
#define IDLE_LOG_MAX_BYTES 4096
#define IDLE_RECHECK_MIN_S 30       /* after an unknown reading or a failed read */
#define IDLE_STOPPED_BY_ANNOTATION API_ANNOTATION_STOPPED_BY
#define IDLE_STOPPED_BY_IDLE API_STOPPED_BY_IDLE
#define IDLE_TRACKER_MAX_ENTRIES 200000

enum idle_state {
	IDLE_UNKNOWN,   /* no readable line (yet): never a reason to stop */
	IDLE_ACTIVE,
	IDLE_IDLE,
};

struct idle_reading {
	enum idle_state state;
	int64_t at;     /* unix seconds the line was logged (the kubelet's clock) */
};

/* spec.lifecycle.idleTimeout, else the flavor's spec.lifecycle.idleTimeout;
 * *enabled is false when neither is set. flavor may be NULL. 0 or
 * ERR_INVALID naming the field. */
int idle_timeout(const struct json *ds, const struct json *flavor, int64_t *secs, bool *enabled,
		 struct error *err) DS_MUST_USE;

/* The last "devserver-activity" line of a log tail read with
 * timestamps=true ("2026-12-02T10:00:00.123456789Z devserver-activity idle").
 * No such line: IDLE_UNKNOWN (not an error). */
void idle_parse_log(const char *text, size_t len, struct idle_reading *out);

struct idle_decision {
	bool stop;
	int64_t next_check;      /* unix seconds: when to read the log again */
	int64_t last_activity;   /* unix seconds, 0 when not known */
};

/* What to do with reading r for a box with timeout seconds at now. */
void idle_decide(const struct idle_reading *r, int64_t timeout, int64_t now, struct idle_decision *d);

/* The per-DevServer schedule: when its log is next read, what it last said,
 * and which pod that was (a new pod is read at once). Keys are "ns/name";
 * entries are dropped when the DevServer goes. Bounded by
 * IDLE_TRACKER_MAX_ENTRIES (past it, new keys get no entry: they are read on
 * every reconcile instead, which is correct, only slower). */
struct idle_entry {
	int64_t next_check;
	int64_t last_activity;
	char pod_uid[64];
};

struct idle_tracker;
struct idle_tracker *idle_tracker_new(void);
void idle_tracker_free(struct idle_tracker *t);
/* NULL when absent and create is false, or when full. */
struct idle_entry *idle_tracker_get(struct idle_tracker *t, const char *key, bool create);
void idle_tracker_forget(struct idle_tracker *t, const char *key);
size_t idle_tracker_count(const struct idle_tracker *t);

#endif
