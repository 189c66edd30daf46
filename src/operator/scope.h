/* scope.h - which namespaces' DevServers this operator reconciles.
 *
 * Three shapes, from the flags: every namespace (no --namespace, no
 * --namespace-selector), one namespace (one --namespace: every watch is
 * namespaced, so a Role in that namespace is enough), or a set - several
 * --namespace values and/or a label selector on Namespaces. A set is
 * watched cluster-wide and filtered here, at the moment a key is taken off
 * the queue: a namespace that starts or stops matching the selector takes
 * or loses its DevServers at its next reconcile, with no relist. A
 * DevServer outside the scope is left alone - never rendered, pruned or
 * given a status - so two operators may split a cluster between them.
 */
#ifndef DEVSERVER_OPERATOR_SCOPE_H
#define DEVSERVER_OPERATOR_SCOPE_H

#include <stdbool.h>
#include <stddef.h>

#include "core/attr.h"
#include "core/error.h"
#include "json/json.h"
#include "kube/selector.h"

#define SCOPE_MAX_NAMESPACES 64

struct ns_scope {
	const char *names[SCOPE_MAX_NAMESPACES];   /* borrowed from the options */
	size_t count;
	struct selector selector;
	const char *selector_text;                 /* borrowed */
	bool has_selector;
};

/* selector: NULL or "" for none. ERR_INVALID for a bad selector or too
 * many names. */
int ns_scope_init(struct ns_scope *s, const char *const *names, size_t count,
		  const char *selector, struct error *err) DS_MUST_USE;
void ns_scope_cleanup(struct ns_scope *s);

/* The one namespace every watch may be limited to, or NULL: cluster-wide. */
const char *ns_scope_watch_namespace(const struct ns_scope *s);
/* Whether the scope needs the Namespaces (their labels) to decide. */
bool ns_scope_needs_namespaces(const struct ns_scope *s);
/* Whether DevServers in ns are ours. ns_labels: that Namespace's labels, or
 * NULL when it is not known (then only a listed name admits it). */
bool ns_scope_contains(const struct ns_scope *s, const char *ns, const struct json *ns_labels);
/* One line for the startup log: "all namespaces", "namespace a",
 * "namespaces a,b + selector team=x". */
void ns_scope_describe(const struct ns_scope *s, char *out, size_t size);

#endif
