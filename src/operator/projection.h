/* projection.h - what each of the operator's caches keeps of an object.
 *
 * A cache holds every object its informer lists, for the life of the
 * process, so it keeps only what the operator reads (cache_set_transform
 * runs these on every object, page by page during a list). What each kind
 * keeps, and who reads it:
 *  - DevServer: apiVersion, kind, spec (the policy), status (status
 *    computation compares with it and keeps old conditions' transition
 *    times), metadata name, namespace, uid, generation, resourceVersion,
 *    creationTimestamp (the TTL), deletionTimestamp, labels, annotations;
 *  - DevServerFlavor: the same shape (flavor status is computed likewise);
 *  - children the operator owns (an ownerReference to a DevServer): the
 *    whole object (drift detection compares what was applied, and status
 *    reads the Deployment's) but metadata trimmed as above, plus
 *    ownerReferences, and of a Deployment's status availableReplicas only;
 *  - children without a DevServer's ownerReference - everyone else's
 *    objects of the child kinds (--child-watch all), or ones merely
 *    labelled managed-by-devserver-operator (anyone may label a ConfigMap):
 *    a stub of identity, labels and ownerReferences - enough for reconcile
 *    to see that the name is taken by someone else, nothing an attacker can
 *    grow;
 *  - pods: what status computation and idle shutdown read (phase, the
 *    PodScheduled and Ready conditions, waiting containers' reasons);
 *  - the policy ConfigMap: data and trimmed metadata;
 *  - DevServerUsers: like DevServers;
 *  - Namespaces: name, uid, resourceVersion, labels and annotations (users.c
 *    judges ownership by them, scope.c selects by the labels);
 *  - a user's ServiceAccount and RoleBinding: metadata as for children, and
 *    a RoleBinding's roleRef and subjects (users.c compares them).
 * Everywhere the annotation kubectl.kubernetes.io/last-applied-configuration
 * (a second copy of the object, written by client-side kubectl apply) is
 * dropped: nothing reads it.
 *
 * Each function takes the object by pointer and edits it in place; all are
 * idempotent (a list projects per page, and the cache again on insert).
 */
#ifndef DEVSERVER_OPERATOR_PROJECTION_H
#define DEVSERVER_OPERATOR_PROJECTION_H

#include <stdbool.h>

#include "json/json.h"

#define PROJECTION_LAST_APPLIED "kubectl.kubernetes.io/last-applied-configuration"

void projection_devserver(struct json *obj);
void projection_flavor(struct json *obj);
/* Children of any kind: owned ones trimmed, others reduced to a stub. */
void projection_child(struct json *obj);
/* Secrets: projection_child, then only the public half of a host key. */
void projection_secret(struct json *obj);
void projection_pod(struct json *obj);
void projection_policy_configmap(struct json *obj);
void projection_user(struct json *obj);
void projection_namespace(struct json *obj);
/* A user's ServiceAccount or RoleBinding. */
void projection_user_rbac(struct json *obj);

/* True when a and b (projected versions of one object) differ at most in
 * metadata.resourceVersion: an update the operator has no reason to look
 * at, because nothing it reads changed. */
bool projection_same_but_version(const struct json *a, const struct json *b);

/* True when obj has an ownerReference to a DevServer (devserver.io/v1). */
bool projection_owned_by_devserver(const struct json *obj);

#endif
