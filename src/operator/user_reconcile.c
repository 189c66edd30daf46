/* user_reconcile.c - carries out a DevServerUser's plan (users.h) against
 * the API server, without blocking the event loop.
 *
 * Three steps, each a set of asynchronous calls: (1) apply the namespace
 * when it is missing or not current - the other objects live in it; (2)
 * apply the ServiceAccount and the RoleBinding, or delete the RoleBinding
 * of a suspended user; (3) write the status when it differs. Objects that
 * are already current cost no request, so a resync of a thousand users
 * writes nothing. A RoleBinding of the same name whose roleRef differs (the
 * predecessor bound a Role, we bind the ClusterRole; roleRef is immutable)
 * is deleted, and the retry recreates it. A user whose namespace is outside
 * this operator's scope (scope.h) is another operator's and left alone.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "core/log.h"
#include "core/mem.h"
#include "operator/controller_internal.h"
#include "operator/users.h"

struct user_task {
	struct controller *c;
	char key[CACHE_MAX_KEY_BYTES];
	char name[CACHE_MAX_KEY_BYTES];
	struct user_plan plan;
	int pending;
	int step;
	int worst;                      /* the first failure's code, 0 if none */
	char apply_err[ERROR_MSG_MAX_BYTES];
};

struct user_call {
	struct user_task *t;
	struct informer *inf;           /* write-through cache, or NULL */
	const char *verb;
	char what[64];
};

static void user_step(struct user_task *t);

static void user_end(struct user_task *t)
{
	struct controller *c = t->c;

	if (t->worst < 0) {
		int64_t delay = queue_add_backoff(c->queue, t->key, clock_mono_ms());

		log_printf(error_retry_class(t->worst) >= ERROR_RETRY_LATER ? LOG_INFO : LOG_WARN,
			   "reconcile %s: %s; retrying in %" PRId64 " ms", t->key,
			   error_code_name(t->worst), delay);
	} else {
		queue_forget(c->queue, t->key);
	}
	queue_done(c->queue, t->key);
	users_plan_free(&t->plan);
	free(t);
}

static void user_call_done(void *ud, int rc, struct json *obj, const struct error *err)
{
	struct user_call *call = ud;
	struct user_task *t = call->t;

	if (rc == 0 && call->inf && strcmp(call->verb, "PATCH") == 0)
		cache_store_newer(&call->inf->cache, obj);
	else
		json_free(obj);
	metrics_count_request(&t->c->m, call->verb, rc);
	if (rc < 0 && !(rc == ERR_NOT_FOUND && strcmp(call->verb, "DELETE") == 0)) {
		if (!t->worst) {
			t->worst = rc;
			snprintf(t->apply_err, sizeof(t->apply_err), "%s: %s", call->what, err->msg);
		}
		log_msg(LOG_WARN, "user: request failed", "user", t->name, "what", call->what,
			"error", err->msg, NULL);
	}
	free(call);
	if (--t->pending == 0)
		user_step(t);
}

static void user_submit(struct user_task *t, struct informer *inf, const struct kube_call_spec *spec,
			const char *what)
{
	struct user_call *call = mem_calloc(1, sizeof(*call));
	struct error err;

	call->t = t;
	call->inf = inf;
	call->verb = spec->method;
	snprintf(call->what, sizeof(call->what), "%s", what);
	t->c->m.writes++;
	t->pending++;
	if (kube_call_submit(&t->c->client, spec, user_call_done, call, &err) == 0) {
		t->pending--;
		if (!t->worst) {
			t->worst = err.code;
			snprintf(t->apply_err, sizeof(t->apply_err), "%s: %s", what, err.msg);
		}
		free(call);
	}
}

static void user_apply(struct user_task *t, struct informer *inf, const char *ns, const struct json *body,
		       const char *what)
{
	struct kube_call_spec spec = {
		.method = "PATCH",
		.res = inf->res,
		.ns = ns,
		.name = json_get_string(json_get(body, "metadata"), "name"),
		.query = "fieldManager=" KUBE_FIELD_MANAGER "&force=true",
		.body = body,
		.content_type = "application/apply-patch+yaml",
	};

	user_submit(t, inf, &spec, what);
}

static void user_delete_rb(struct user_task *t, const char *what)
{
	struct kube_call_spec spec = {
		.method = "DELETE", .res = t->c->user_rbs.res, .ns = t->plan.ns, .name = API_USER_ROLE,
		.discard_body = true,
	};

	user_submit(t, NULL, &spec, what);
}

/* The status patch: the new status, and null for every field it dropped. */
static void user_write_status(struct user_task *t, const struct json *user)
{
	struct json *st = users_status(user, &t->plan, t->worst ? t->apply_err : NULL,
				       clock_wall_ms() / 1000);
	const struct json *old = json_get(user, "status");
	struct json *patch;

	if (json_equal(st, old)) {
		json_free(st);
		user_end(t);
		return;
	}
	patch = kube_status_patch_take(st, old);
	{
		struct kube_call_spec spec = {
			.method = "PATCH", .res = t->c->users.res, .name = t->name, .subresource = "status",
			.body = patch, .content_type = "application/merge-patch+json",
		};

		user_submit(t, &t->c->users, &spec, "status");
	}
	json_free(patch);
	if (t->pending == 0) /* not submitted */
		user_end(t);
}

static void user_step(struct user_task *t)
{
	struct controller *c = t->c;
	const struct json *user = cache_get(&c->users.cache, NULL, t->name);

	if (!user) {
		user_end(t); /* deleted meanwhile: garbage collection does the rest */
		return;
	}
	switch (t->step++) {
	case 0: /* the namespace first: the others live in it */
		if (t->plan.verdict == USER_READY && t->plan.apply_ns) {
			user_apply(t, &c->namespaces, NULL, t->plan.apply_ns, "apply Namespace");
			if (t->pending)
				return;
		}
		/* fall through */
	case 1:
		t->step = 2;
		if (t->plan.verdict == USER_READY && !t->worst) {
			if (t->plan.apply_sa)
				user_apply(t, &c->user_sas, t->plan.ns, t->plan.apply_sa, "apply ServiceAccount");
			if (t->plan.apply_rb)
				user_apply(t, &c->user_rbs, t->plan.ns, t->plan.apply_rb, "apply RoleBinding");
			if (t->plan.delete_rb)
				user_delete_rb(t, "delete RoleBinding (suspended)");
			if (t->pending)
				return;
		}
		/* fall through */
	case 2:
		t->step = 3;
		if (t->worst == ERR_PERMANENT && t->plan.apply_rb && strstr(t->apply_err, "RoleBinding")) {
			/* most likely an immutable roleRef: make room, the retry recreates it */
			log_msg(LOG_INFO, "user: replacing a RoleBinding whose roleRef differs", "user", t->name,
				"namespace", t->plan.ns, NULL);
			user_delete_rb(t, "delete RoleBinding (roleRef differs)");
			if (t->pending)
				return;
		}
		/* fall through */
	case 3:
		t->step = 4;
		user_write_status(t, user);
		return;
	default:
		user_end(t);
	}
}

void user_reconcile_start(struct controller *c, const char *key)
{
	struct user_task *t = mem_calloc(1, sizeof(*t));
	const struct json *user, *ns = NULL, *sa = NULL, *rb = NULL;
	char ns_name[64], sa_name[64];

	c->m.reconciles++;
	t->c = c;
	snprintf(t->key, sizeof(t->key), "%s", key);
	snprintf(t->name, sizeof(t->name), "%s", key + strlen(USERS_KEY_PREFIX));
	user = cache_get(&c->users.cache, NULL, t->name);
	if (!user || json_path(user, "metadata", "deletionTimestamp", NULL)) {
		user_end(t);
		return;
	}
	if (users_names(json_get_string(json_get(user, "spec"), "username"), ns_name, sizeof(ns_name), sa_name,
			sizeof(sa_name))) {
		ns = cache_get(&c->namespaces.cache, NULL, ns_name);
		rb = cache_get(&c->user_rbs.cache, ns_name, API_USER_ROLE);
		sa = cache_get(&c->user_sas.cache, ns_name, sa_name);
	}
	users_plan(user, ns, sa, rb, &t->plan);
	/* a user whose namespace is outside this operator's scope belongs to
	 * the operator that reconciles that namespace (judged by the labels the
	 * namespace has, or will have once applied) */
	if (t->plan.verdict != USER_INVALID &&
	    !ns_scope_contains(&c->scope, t->plan.ns,
			       json_path(t->plan.apply_ns ? t->plan.apply_ns : ns, "metadata", "labels", NULL))) {
		log_msg(LOG_DEBUG, "user outside this operator's namespaces", "user", t->name,
			"namespace", t->plan.ns, NULL);
		user_end(t);
		return;
	}
	if (t->plan.verdict != USER_READY)
		log_msg(LOG_WARN, "user not set up", "user", t->name, "reason", t->plan.message, NULL);
	user_step(t);
}
