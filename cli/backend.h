/* backend.h - everything devctl needs from a cluster, as one seam.
 *
 * The commands parse, validate, build objects and print; every call that
 * reaches the API server goes through these functions (ssh and kubectl
 * port-forward are processes devctl runs: cli/ssh.c). backend_stub.c implements them all as "not connected to a
 * cluster yet" so devctl links and its offline commands (create --dry-run,
 * render, policy test, version --client, completion, --help) work; the real
 * implementation on src/kube replaces that one file.
 *
 * Conventions: g says which cluster and namespace (g->namespace NULL: the
 * context's; g->all_namespaces for lists). Objects are borrowed; *out
 * parameters are new trees the caller frees with json_free. Each returns 0
 * or a negative ERR_* code with err set to a one-line message (ERR_NOT_FOUND
 * for a missing DevServer, ERR_TIMEOUT when a wait runs out, ...). Nothing
 * here prints except logs and ssh, which stream to the given FILE / terminal.
 */
#ifndef DEVCTL_BACKEND_H
#define DEVCTL_BACKEND_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "command.h"
#include "core/attr.h"
#include "core/error.h"
#include "json/json.h"
#include "policy/bundle.h"

/* Creates the DevServer obj; *out is the object the server returned. */
int backend_create(const struct global_opts *g, const struct json *obj, struct json **out,
		   struct error *err) DS_MUST_USE;
/* One DevServer by name. */
int backend_get(const struct global_opts *g, const char *name, struct json **out,
		struct error *err) DS_MUST_USE;
/* All DevServers (of g's namespace or all of them): *items is a JSON array.
 * *pods (may be passed NULL when not wanted) is an array of their Pods, for
 * the wide columns; it may be empty. */
int backend_list(const struct global_opts *g, struct json **items, struct json **pods,
		 struct error *err) DS_MUST_USE;
/* Applies a JSON merge patch (RFC 7386) to the DevServer's spec side. */
int backend_patch(const struct global_opts *g, const char *name, const struct json *patch,
		  struct json **out, struct error *err) DS_MUST_USE;
int backend_delete(const struct global_opts *g, const char *name, struct error *err) DS_MUST_USE;

/* Called with the DevServer's current state (NULL when it does not exist)
 * each time it changes; returns true when the wait is over. */
typedef bool (*backend_done_fn)(const struct json *obj, void *arg);
/* Watches one DevServer until done() says so (0), the timeout runs out
 * (ERR_TIMEOUT) or an error. *last (may be NULL) gets the last state seen
 * (NULL if deleted). */
int backend_watch(const struct global_opts *g, const char *name, int64_t timeout_ms,
		  backend_done_fn done, void *arg, struct json **last, struct error *err) DS_MUST_USE;

/* The DevServer's newest pod that is not being deleted; ERR_NOT_FOUND when
 * there is none (stopped, or not created yet). */
int backend_devserver_pod(const struct global_opts *g, const char *name, struct json **pod,
			  struct error *err) DS_MUST_USE;

/* Recent core/v1 Events of the DevServer and of its pod, oldest first. */
int backend_events(const struct global_opts *g, const char *name, struct json **events,
		   struct error *err) DS_MUST_USE;
/* Streams the DevServer pod's log to out; tail < 0: everything. */
int backend_logs(const struct global_opts *g, const char *name, bool follow, int64_t tail,
		 FILE *out, struct error *err) DS_MUST_USE;

/* DevServerFlavors (cluster-scoped): a JSON array. */
int backend_list_flavors(const struct global_opts *g, struct json **items, struct error *err) DS_MUST_USE;
/* The API server's version string ("v1.31.0"), into out of out_size bytes. */
int backend_server_version(const struct global_opts *g, char *out, size_t out_size,
			   struct error *err) DS_MUST_USE;

/* Replaces the policy ConfigMap with bundle (already validated locally),
 * plus the fixtures under fixtures_dir (may be NULL) as fixture.<case>.<file>
 * keys so the operator runs them too; *out is the ConfigMap written. */
int backend_policy_push(const struct global_opts *g, const struct policy_bundle *bundle,
			const char *fixtures_dir, struct json **out, struct error *err) DS_MUST_USE;
/* The operator's policy state: {"revision", "source", "loadedAt",
 * "lastRejection": {"revision", "reason", "time"}} (fields may be absent). */
int backend_policy_status(const struct global_opts *g, struct json **out, struct error *err) DS_MUST_USE;

#endif
