/* plan.c - decide a reconcile round's writes (see plan.h). */
#include "operator/plan.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "core/mem.h"
#include "operator/children.h"
#include "operator/hostkey.h"
#include "operator/rollout.h"

static const char *name_of(const struct json *obj)
{
	return json_get_string(json_get(obj, "metadata"), "name");
}

static struct plan_action *plan_push(struct plan *p, enum plan_verb verb, enum plan_why why,
				     const char *kind, int kind_index, const char *name)
{
	struct plan_action *a;

	a = &p->actions[p->count++];   /* room for one per input (plan_writes) */
	a->verb = verb;
	a->why = why;
	a->kind = kind;
	a->kind_index = kind_index;
	a->name = name;
	return a;
}

static void plan_child(const struct plan_child *ch, bool hold_restarts, struct plan *p)
{
	const char *name = name_of(ch->desired);
	const char *new_hash = children_render_hash(ch->desired);
	const char *old_hash = ch->observed ? children_render_hash(ch->observed) : NULL;
	bool deployment = strcmp(ch->kind, "Deployment") == 0;
	bool same_render = old_hash && new_hash && strcmp(old_hash, new_hash) == 0;
	struct plan_action *a;
	char path[DRIFT_PATH_MAX_BYTES] = "";

	if (!ch->observed) {
		if (deployment)
			p->creates_deployment = true;
		a = plan_push(p, PLAN_APPLY, PLAN_CREATE, ch->kind, ch->kind_index, name);
		a->desired = ch->desired;
		return;
	}
	if (same_render) {
		if (deployment)
			rollout_keep_recorded_inputs(ch->desired, ch->observed);
		if (!drift_find(ch->desired, ch->observed, path, sizeof(path))) {
			p->unchanged++;
			return;
		}
		a = plan_push(p, PLAN_APPLY, PLAN_DRIFT, ch->kind, ch->kind_index, name);
		snprintf(a->drift_path, sizeof(a->drift_path), "%s", path);
	} else if (deployment && hold_restarts &&
		   rollout_should_hold(ch->desired, ch->observed, p->held_changes, sizeof(p->held_changes))) {
		a = plan_push(p, PLAN_HOLD, PLAN_CHANGE, ch->kind, ch->kind_index, name);
	} else {
		a = plan_push(p, PLAN_APPLY, PLAN_CHANGE, ch->kind, ch->kind_index, name);
	}
	a->desired = ch->desired;
	a->observed = ch->observed;
}

static bool plan_is_desired(const struct plan_child *children, size_t n, const char *kind, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(children[i].kind, kind) == 0 && strcmp(name_of(children[i].desired) ?: "", name) == 0)
			return true;
	return false;
}

/* The objects a round never deletes, though nobody renders them. */
static bool plan_keeps(const struct plan_owned *o)
{
	const struct json *meta = json_get(o->obj, "metadata");
	const char *home = json_get_string(json_get(meta, "labels"), API_LABEL_HOME);

	if (json_get(meta, "deletionTimestamp"))
		return true; /* already going */
	if (strcmp(o->kind, "PersistentVolumeClaim") == 0 && home && strcmp(home, "true") == 0)
		return true; /* a home goes only with its DevServer */
	if (strcmp(o->kind, "Secret") == 0 && hostkey_is_secret(o->obj))
		return true; /* the host's own, not the policy's: see hostkey.h */
	return false;
}

void plan_writes(const struct plan_child *children, size_t nchildren, const struct plan_owned *owned,
		 size_t nowned, bool hold_restarts, struct plan *plan)
{
	memset(plan, 0, sizeof(*plan));
	/* at most one action per desired child and per owned one */
	plan->actions = mem_calloc(nchildren + nowned + 1, sizeof(*plan->actions));
	for (size_t i = 0; i < nchildren; i++)
		plan_child(&children[i], hold_restarts, plan);
	for (size_t i = 0; i < nowned; i++) {
		const char *name = name_of(owned[i].obj);
		struct plan_action *a;

		if (!name || plan_is_desired(children, nchildren, owned[i].kind, name) || plan_keeps(&owned[i]))
			continue;
		a = plan_push(plan, PLAN_PRUNE, PLAN_ORPHAN, owned[i].kind, owned[i].kind_index, name);
		a->observed = owned[i].obj;
	}
}

void plan_free(struct plan *plan)
{
	free(plan->actions);
	memset(plan, 0, sizeof(*plan));
}

size_t plan_count(const struct plan *plan, enum plan_verb verb)
{
	size_t n = 0;

	for (size_t i = 0; i < plan->count; i++)
		n += plan->actions[i].verb == verb;
	return n;
}
