/* users.h - what a DevServerUser should have: a pure plan, no I/O.
 *
 * From a DevServerUser and what the caches hold (its namespace, its
 * ServiceAccount, its RoleBinding), users_plan decides the objects to
 * apply, whether the RoleBinding must go (a suspended user), and the status
 * to report. user_reconcile.c carries the plan out against the API server;
 * keeping the decisions here lets the unit tests cover every case without a
 * cluster.
 *
 * Ownership: the namespace is never owned through an ownerReference (the
 * predecessor kept it, with the user's DevServers and homes, when the user
 * was deleted; so do we) but is marked with the annotation naming the
 * DevServerUser. A namespace of that name that someone else made is never
 * taken over (NamespaceTaken), except the predecessor's own: no annotation
 * but the label devserver.io/user=<username>. The ServiceAccount and
 * RoleBinding carry an ownerReference to the DevServerUser, so garbage
 * collection removes them with it.
 */
#ifndef DEVSERVER_OPERATOR_USERS_H
#define DEVSERVER_OPERATOR_USERS_H

#include <stdbool.h>
#include <stdint.h>

#include "api/names.h"
#include "json/json.h"

/* Queue keys of DevServerUsers: "!user/<name>" ('!' is in no namespace
 * name, so it never collides with a DevServer's "ns/name"). */
#define USERS_KEY_PREFIX "!user/"

enum user_verdict {
	USER_READY,            /* apply what the plan says */
	USER_INVALID,          /* spec.username unusable: status only */
	USER_NAMESPACE_TAKEN,  /* dev-<username> belongs to someone else: status only */
};

struct user_plan {
	enum user_verdict verdict;
	char username[API_USERNAME_MAX + 1];
	char ns[64];
	char sa[API_USERNAME_MAX + sizeof(API_USER_SA_SUFFIX)];
	bool suspended;
	struct json *apply_ns;      /* bodies to apply, NULL when already current */
	struct json *apply_sa;
	struct json *apply_rb;
	bool delete_rb;             /* suspended and the RoleBinding still exists */
	char message[256];          /* USER_INVALID, USER_NAMESPACE_TAKEN */
};

/* The names a user's objects take: the namespace "dev-" + username in lower
 * case, and the ServiceAccount username in lower case + "-sa". False when
 * username is no DNS label of at most API_USERNAME_MAX characters (or a
 * name does not fit). One place, for the plan and for the cache lookups. */
bool users_names(const char *username, char *ns, size_t ns_size, char *sa, size_t sa_size);

/* existing_*: the cached Namespace, ServiceAccount and RoleBinding (NULL:
 * not there). Free the plan with users_plan_free. */
void users_plan(const struct json *user, const struct json *existing_ns, const struct json *existing_sa,
		const struct json *existing_rb, struct user_plan *p);
void users_plan_free(struct user_plan *p);

/* The status the user should show once the plan is carried out (apply_err
 * NULL) or after it failed. now: unix seconds. */
struct json *users_status(const struct json *user, const struct user_plan *p, const char *apply_err,
			  int64_t now);

#endif
