/* rollout.h - when a change reaches a DevServer that is running.
 *
 * A new pod template costs the developer their running processes and SSH
 * sessions. A change they made themselves (their DevServer's spec, a
 * restart they asked for) is applied at once; one that came from the
 * flavor or the policy is held back while the box runs, reported in
 * status.pendingRestart, and applied at the next restart (devctl restart,
 * stop and start, or a change of their own). A flavor with spec.rollout
 * Immediate, and the operator's --rollout immediate, turn holding off.
 *
 * The decision reads only annotations that children.c stamps on every
 * Deployment (template hash, spec hash, inputs) and the restart annotation
 * it copies onto the pod template, so it needs no memory of its own and
 * survives an operator restart.
 */
#ifndef DEVSERVER_OPERATOR_ROLLOUT_H
#define DEVSERVER_OPERATOR_ROLLOUT_H

#include <stdbool.h>
#include <stddef.h>

#include "json/json.h"

/* Whether to skip applying desired over observed (both Deployments, stamped
 * by children_prepare): true when the pod template would change, the spec
 * hash and the restart annotation are those observed, and observed has a
 * replica available. Then what changed is written to changes
 * (rollout_describe_changes). */
bool rollout_should_hold(const struct json *desired, const struct json *observed, char *changes,
			 size_t size);

/* When the render hashes of desired and observed match (the Deployment
 * would not change), desired takes observed's inputs annotation: inputs
 * record what the Deployment was last written from, and a new policy
 * revision or flavor generation that renders the same Deployment is not a
 * reason to write it. */
void rollout_keep_recorded_inputs(struct json *desired, const struct json *observed);

/* "policy revision a -> b; flavor cpu-small changed (generation 3 -> 4)"
 * from two inputs annotations ("policy=REV flavor=NAME/GEN"); was may be
 * NULL (a Deployment from before the annotation). */
void rollout_describe_changes(const char *was, const char *now, char *out, size_t size);

#endif
