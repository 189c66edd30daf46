/* nodefit.h - could a DevServer of this flavor run on that node?
 *
 * The answer behind a flavor's status.schedulable: a node fits a flavor when
 * it is Ready and schedulable, carries every label of the flavor's
 * nodeSelector, matches its required node affinity (matchExpressions), has
 * no NoSchedule/NoExecute taint the flavor does not tolerate, and offers at
 * least the flavor's requests in allocatable capacity (a resource the node
 * does not have is zero). Capacity, not what is free right now: counting
 * every pod's requests would need a cache of every pod in the cluster, and
 * "no node is big enough" is the mistake a platform team wants to see.
 *
 * Pure functions over objects the caller borrows (node projections: see
 * nodefit_projection).
 */
#ifndef DEVSERVER_OPERATOR_NODEFIT_H
#define DEVSERVER_OPERATOR_NODEFIT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "json/json.h"

#define NODEFIT_REASON_MAX_BYTES 256

/* True when flavor fits node; otherwise false and the first reason in
 * why[NODEFIT_REASON_MAX_BYTES] ("taint kwok.x-k8s.io/node=fake:NoSchedule is
 * not tolerated", "cpu: 8 requested, 2 allocatable", ...). */
bool nodefit_check(const struct json *flavor, const struct json *node, char *why);

/* The flavor's status.schedulable ("Yes" or "No") over all nodes, with a
 * one-line message naming how many fit, or why the nearest ones do not,
 * in msg[msg_size]. */
const char *nodefit_summary(const struct json *flavor, const struct json *const *nodes, size_t n,
			    char *msg, size_t msg_size);

/* Cache transform for the node informer: keeps name, labels, taints,
 * unschedulable, allocatable and the Ready condition's status, which is all
 * nodefit reads (and drops the heartbeat times that change every few
 * seconds, so an unchanged node compares equal). */
void nodefit_projection(struct json *node);

#endif
