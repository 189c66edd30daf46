/* controller.c - informers, the work queue and the event loop.
 *
 * Watches: DevServers and DevServerFlavors, the child kinds (Deployments,
 * Services, PVCs and ConfigMaps whole with --child-watch all, else only
 * those labelled app.kubernetes.io/managed-by=devserver-operator; Secrets
 * always by that label), the DevServers' pods (same label, stamped on the
 * pod template), and the policy ConfigMap. Watch events only
 * enqueue keys - a DevServer's own key, the owner named by a child's
 * devserver.io/name label, every DevServer of a changed flavor - and
 * reconcile reads the caches. Nothing is reconciled before every cache has
 * listed once, so a restarted operator never prunes or recreates from a
 * half-filled view. A resync re-enqueues everything every opt.resync_s;
 * because unchanged children and status are not written, a resync costs no
 * writes.
 *
 * Memory is bounded by what the caches keep: each informer projects its
 * objects (projection.c) - a child without our ownerReference is only a
 * stub - and the reflector refuses objects over its per-object limits,
 * which arrive as stubs that skipped.c reports (log, Warning Event, a
 * DevServer's status) while everything else goes on. The loop hands freed
 * memory back after relists, skips and large deletions (memtrim.c) and
 * publishes each cache's size (devserver_cache_bytes).
 */
#include "operator/controller.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/clock.h"
#include "core/log.h"
#include "core/mem.h"
#include "operator/controller_internal.h"
#include "operator/hostkey.h"
#include "operator/nodefit.h"
#include "operator/memtrim.h"
#include "operator/projection.h"
#include "operator/shutdown_summary.h"
#include "operator/skipped.h"
#include "operator/users.h"

#define CONTROLLER_LOOP_MAX_WAIT_MS 250   /* how soon a stop request is seen */
#define CONTROLLER_SYNC_LOG_MS 10000      /* remind the log while caches sync */
/* One reconcile slot in this many (2 of the default 16; none below 8) is
 * kept for the first lane: a new DevServer created during a rollout starts
 * at once instead of waiting for a re-render to end. */
#define CONTROLLER_FIRST_LANE_SHARE 8
/* While such a DevServer is being reconciled, re-renders go on in one slot
 * in four at most (4 of 16): measured, a new DevServer's first round took
 * 0.5-1.1 s beside 14 re-renders of a rollout, its requests queued at the
 * API server behind theirs. */
#define CONTROLLER_YIELD_SHARE 4

/* List pages of an informer that sees every object of a child kind: 40
 * objects of etcd's default limit (1.5 MiB each) stay under one buffered
 * response's HTTP_MAX_BODY_BYTES (64 MiB), whoever's ConfigMaps they are. */
#define CHILD_WATCH_ALL_PAGE_SIZE 40

static const char *const child_kinds[CHILD_KIND_COUNT][3] = {
	[CHILD_DEPLOYMENT] = { "apps/v1", "Deployment", "deployments" },
	[CHILD_SERVICE] = { "v1", "Service", "services" },
	[CHILD_PVC] = { "v1", "PersistentVolumeClaim", "persistentvolumeclaims" },
	[CHILD_CONFIGMAP] = { "v1", "ConfigMap", "configmaps" },
	[CHILD_SECRET] = { "v1", "Secret", "secrets" },
};

/* --- enqueueing ------------------------------------------------------------- */

static void enqueue_object(struct controller *c, const struct json *obj)
{
	char key[CACHE_MAX_KEY_BYTES];

	if (cache_key(obj, key))
		queue_add(c->queue, key);
}

/* Work a user waits on goes ahead of re-renders (queue_add_first): a
 * DevServer the operator has never reconciled (no status.observedGeneration
 * yet) and a spec that changed since (devctl start, stop, restart, an
 * edit). Events of children and pods, resyncs and rollouts go behind. */
static void enqueue_devserver(struct controller *c, const struct json *obj, bool user_waits)
{
	char key[CACHE_MAX_KEY_BYTES];

	if (!cache_key(obj, key))
		return;
	if (user_waits || json_get_int(json_get(obj, "status"), "observedGeneration", -1) < 0)
		queue_add_first(c->queue, key);
	else
		queue_add(c->queue, key);
}

static void on_devserver_add(void *ud, const struct json *obj)
{
	enqueue_devserver(ud, obj, false);
}

/* Status-only updates (our own status writes among them) change nothing the
 * reconcile reads from the DevServer itself, so they do not enqueue. A
 * change of finalizers does (the cache keeps them only while the
 * predecessor's is among them, finalizer.h): kopf re-adding its finalizer
 * bumps no generation. */
static void on_devserver_update(void *ud, const struct json *old_obj, const struct json *obj)
{
	const struct json *om = json_get(old_obj, "metadata"), *nm = json_get(obj, "metadata");

	if (json_get_int(om, "generation", -1) == json_get_int(nm, "generation", -2) &&
	    !json_get(nm, "deletionTimestamp") == !json_get(om, "deletionTimestamp") &&
	    json_equal(json_get(om, "labels"), json_get(nm, "labels")) &&
	    json_equal(json_get(om, "finalizers"), json_get(nm, "finalizers")) &&
	    json_equal(json_get(om, "annotations"), json_get(nm, "annotations")))
		return;
	enqueue_devserver(ud, obj,
			  json_get_int(om, "generation", -1) != json_get_int(nm, "generation", -2));
}

static void enqueue_owner(struct controller *c, const struct json *obj)
{
	const struct json *meta = json_get(obj, "metadata");
	const char *ns = json_get_string(meta, "namespace");
	const char *name = json_get_string(json_get(meta, "labels"), API_LABEL_NAME);
	char key[CACHE_MAX_KEY_BYTES];

	if (!ns || !name)
		return;
	if (cache_key_format(key, ns, name))
		queue_add(c->queue, key);
}

static void on_child_add(void *ud, const struct json *obj) { enqueue_owner(ud, obj); }
/* An update that changed nothing the projection keeps (a Deployment's
 * conditions, a pod's start times: the bulk of child events in a burst)
 * gives reconcile nothing new to read. */
static void on_child_update(void *ud, const struct json *o, const struct json *obj)
{
	if (!projection_same_but_version(o, obj))
		enqueue_owner(ud, obj);
}

/* A flavor change reaches every DevServer naming it, every DevServer
 * relying on the default (a flavor may have become or stopped being it),
 * every one using it through a deprecated flavor's replacedBy, and every
 * one that has no flavor yet. */
static void enqueue_flavor_users(struct controller *c, const struct json *flavor)
{
	const char *name = json_get_string(json_get(flavor, "metadata"), "name");
	const struct json **servers = NULL;
	size_t n = cache_list(&c->devservers.cache, NULL, NULL, &servers);

	for (size_t i = 0; i < n; i++) {
		const char *want = json_get_string(json_get(servers[i], "spec"), "flavor");
		const char *used = json_get_string(json_get(servers[i], "status"), "flavor");

		/* (no flavor in use yet: this one may be what a replacedBy waits for) */
		if (!want || !*want || !used || (name && (strcmp(want, name) == 0 || strcmp(used, name) == 0)))
			enqueue_object(c, servers[i]);
	}
	free(servers);
}

static void on_flavor_add(void *ud, const struct json *obj)
{
	struct controller *c = ud;

	c->flavors_dirty = true;
	enqueue_flavor_users(c, obj);
}

static void on_flavor_update(void *ud, const struct json *o, const struct json *obj)
{
	/* a status-only update (our own among them) changes nothing DevServers use */
	if (json_get_int(json_get(o, "metadata"), "generation", -1) ==
	    json_get_int(json_get(obj, "metadata"), "generation", -2))
		return;
	on_flavor_add(ud, obj);
}

/* A node that changed in what nodefit reads (its projection, but for the
 * resourceVersion) may change whether flavors fit. */
static bool node_fit_fields_equal(const struct json *a, const struct json *b)
{
	static const char *const parts[][3] = {
		{ "metadata", "labels", NULL }, { "spec", NULL, NULL }, { "status", NULL, NULL },
	};

	for (size_t i = 0; i < sizeof(parts) / sizeof(parts[0]); i++)
		if (!json_equal(json_path(a, parts[i][0], parts[i][1], NULL),
				json_path(b, parts[i][0], parts[i][1], NULL)))
			return false;
	return true;
}

static void on_node_add(void *ud, const struct json *obj)
{
	((struct controller *)ud)->flavors_dirty = true;
}

static void on_node_update(void *ud, const struct json *o, const struct json *obj)
{
	if (!node_fit_fields_equal(o, obj))
		((struct controller *)ud)->flavors_dirty = true;
}

static void controller_enqueue_all_paced(struct controller *c);

/* A new active policy re-renders everything; policy_source says when. */
static void on_policy_add(void *ud, const struct json *obj)
{
	struct controller *c = ud;

	if (c->synced && policy_source_changed(&c->policy, obj))
		controller_enqueue_all_paced(c);
}

static void on_policy_update(void *ud, const struct json *o, const struct json *obj)
{
	on_policy_add(ud, obj);
}

static void on_policy_delete(void *ud, const struct json *obj)
{
	struct controller *c = ud;

	if (policy_source_changed(&c->policy, NULL))
		controller_enqueue_all_paced(c);
}

/* --- users and namespaces ----------------------------------------------------- */

static void enqueue_user_named(struct controller *c, const char *name)
{
	char key[CACHE_MAX_KEY_BYTES];

	if (!name || !*name || strlen(USERS_KEY_PREFIX) + strlen(name) >= sizeof(key))
		return;
	snprintf(key, sizeof(key), "%s%s", USERS_KEY_PREFIX, name);
	queue_add(c->queue, key);
}

static void on_user_add(void *ud, const struct json *obj)
{
	enqueue_user_named(ud, json_get_string(json_get(obj, "metadata"), "name"));
}

/* our own status writes do not enqueue: only a spec (generation) change */
static void on_user_update(void *ud, const struct json *o, const struct json *obj)
{
	if (json_get_int(json_get(o, "metadata"), "generation", -1) ==
	    json_get_int(json_get(obj, "metadata"), "generation", -2))
		return;
	on_user_add(ud, obj);
}

/* A user's ServiceAccount or RoleBinding changed or went: its user looks. */
static void on_user_rbac(void *ud, const struct json *obj)
{
	enqueue_user_named(ud, json_get_string(json_path(obj, "metadata", "annotations", NULL),
					       API_ANNOTATION_USER_OBJECT));
}

static void on_user_rbac_update(void *ud, const struct json *o, const struct json *obj)
{
	on_user_rbac(ud, obj);
}

/* Every DevServer in ns: the namespace may have entered or left the scope. */
static void enqueue_namespace_devservers(struct controller *c, const char *ns)
{
	const struct json **servers = NULL;
	size_t n = ns ? cache_list(&c->devservers.cache, ns, NULL, &servers) : 0;

	for (size_t i = 0; i < n; i++)
		enqueue_object(c, servers[i]);
	free(servers);
}

static void on_namespace_add(void *ud, const struct json *obj)
{
	struct controller *c = ud;

	if (c->opt.users) /* a namespace of a user: is it still theirs? */
		on_user_rbac(c, obj);
	if (ns_scope_needs_namespaces(&c->scope))
		enqueue_namespace_devservers(c, json_get_string(json_get(obj, "metadata"), "name"));
}

static void on_namespace_update(void *ud, const struct json *o, const struct json *obj)
{
	if (json_equal(json_path(o, "metadata", "labels", NULL), json_path(obj, "metadata", "labels", NULL)) &&
	    json_equal(json_path(o, "metadata", "annotations", NULL),
		       json_path(obj, "metadata", "annotations", NULL)))
		return;
	on_namespace_add(ud, obj);
}

/* Whether the DevServer key "ns/name" is in this operator's scope. */
static bool controller_in_scope(struct controller *c, const char *key)
{
	char ns[CACHE_KEY_NS_MAX_BYTES];
	const struct json *nsobj;

	if (!cache_key_split(key, ns, sizeof(ns), NULL, 0))
		return false;
	nsobj = c->namespaces.started ? cache_get(&c->namespaces.cache, NULL, ns) : NULL;
	return ns_scope_contains(&c->scope, ns, json_path(nsobj, "metadata", "labels", NULL));
}

/* Hands a key from the queue to its reconciler. */
static void controller_dispatch(struct controller *c, const char *key)
{
	if (strncmp(key, USERS_KEY_PREFIX, strlen(USERS_KEY_PREFIX)) == 0) {
		user_reconcile_start(c, key);
	} else if (!controller_in_scope(c, key)) {
		queue_forget(c->queue, key); /* not ours (scope.h): left alone */
		queue_done(c->queue, key);
	} else {
		reconcile_start(c, key);
	}
}

/* Enqueues every DevServer, spread over time at opt.policy_rate per second
 * (a new policy re-renders them all without a burst of writes). */
static void controller_enqueue_all_paced(struct controller *c)
{
	const struct json **servers = NULL;
	size_t n = cache_list(&c->devservers.cache, NULL, NULL, &servers);
	int64_t now = clock_mono_ms();

	for (size_t i = 0; i < n; i++) {
		char key[CACHE_MAX_KEY_BYTES];

		if (cache_key(servers[i], key))
			queue_add_after(c->queue, key, (int64_t)i * 1000 / c->opt.policy_rate, now);
	}
	free(servers);
}

/* --- leadership -------------------------------------------------------------- */

static void controller_report_skipped(struct controller *c);

static void on_leadership(void *ud, bool leading)
{
	struct controller *c = ud;

	if (leading) {
		controller_enqueue_all_paced(c);
		controller_report_skipped(c);
		return;
	}
	/* another replica may reconcile from now on: stop at once, and let the
	 * restart rejoin as a standby */
	c->lost_leadership = true;
	c->stop = 1;
}

static bool controller_may_reconcile(const struct controller *c)
{
	return c->synced && (!c->leader || leader_is_leading(c->leader));
}

/* --- skipped objects ---------------------------------------------------------- */

/* An informer's cache got a stub: an object too large, too deep or
 * unreadable. Logged at once; told (Event, status) only by a replica that
 * may write, and after the sync (see controller_report_skipped). */
static void on_skipped(void *ud, const struct json *previous, const struct json *stub)
{
	struct controller *c = ud;

	skipped_report(c, previous, stub, controller_may_reconcile(c));
}

/* In a child cache that sees every object of its kind (--child-watch all),
 * a skipped object that no DevServer owns - someone's large ConfigMap - is
 * none of the operator's business: it stays a stub (the name is taken)
 * and is not reported. */
static bool skip_concerns_us(const struct informer *inf, const struct json *stub)
{
	return !inf->sees_all || projection_owned_by_devserver(stub);
}

/* skip_concerns_us for the caches that see all, as they receive a stub. */
static void on_child_skipped(void *ud, const struct json *previous, const struct json *stub)
{
	struct controller *c = ud;

	if (projection_owned_by_devserver(stub))
		skipped_report(c, previous, stub, controller_may_reconcile(c));
}

/* --- informers -------------------------------------------------------------- */

static int informer_setup(struct controller *c, struct informer *inf, const char *what,
			  const char *api_version, const char *kind, const char *ns,
			  const char *label_selector, const char *field_selector,
			  const struct cache_handlers *h, struct error *err)
{
	struct watch_options wo = { 0 };
	struct watch_sink sink;
	int rc;

	inf->what = what;
	rc = kube_client_resource(&c->client, api_version, kind, &inf->res, err);
	if (rc < 0)
		return error_prefix(err, "%s", what);
	cache_init(&inf->cache, h);
	cache_on_skip(&inf->cache, on_skipped);
	cache_sink(&inf->cache, &sink);
	wo.ns = ns;
	wo.label_selector = label_selector;
	wo.field_selector = field_selector;
	watch_init(&inf->watch, &c->client, inf->res, &wo, &sink);
	inf->started = true;
	return 0;
}

static void informer_cleanup(struct informer *inf)
{
	if (!inf->started)
		return;
	watch_stop(&inf->watch);
	watch_cleanup(&inf->watch);
	cache_cleanup(&inf->cache);
	inf->started = false;
}

#define FOR_EACH_INFORMER(c, inf, body)                                          \
	do {                                                                     \
		struct informer *all_[] = { &(c)->devservers, &(c)->flavors, &(c)->nodes, &(c)->pods, \
			&(c)->children[0], &(c)->children[1], &(c)->children[2],   \
			&(c)->children[3], &(c)->children[4], &(c)->policy_cm,     \
			&(c)->users, &(c)->namespaces, &(c)->user_sas, &(c)->user_rbs }; \
		for (size_t i_ = 0; i_ < sizeof(all_) / sizeof(all_[0]); i_++) {  \
			struct informer *inf = all_[i_];                          \
			if (!inf->started)                                        \
				continue;                                         \
			body                                                      \
		}                                                                 \
	} while (0)

int controller_new(const struct operator_options *opt, struct controller **out, struct error *err)
{
	struct controller *c = mem_calloc(1, sizeof(*c));
	struct kube_config_options ko = {
		.kubeconfig = opt->kubeconfig, .context = opt->context, .prefer_in_cluster = true,
	};
	const struct cache_handlers ds_h = { on_devserver_add, on_devserver_update, on_devserver_add, c };
	const struct cache_handlers flavor_h = { on_flavor_add, on_flavor_update, on_flavor_add, c };
	/* (a deleted flavor may end a default conflict: same handler) */
	const struct cache_handlers child_h = { on_child_add, on_child_update, on_child_add, c };
	const struct cache_handlers policy_h = { on_policy_add, on_policy_update, on_policy_delete, c };
	struct queue_config qc = {
		.max_in_flight = opt->concurrency,
		.first_lane_reserved = opt->concurrency / CONTROLLER_FIRST_LANE_SHARE,
		.normal_while_first = (opt->concurrency + CONTROLLER_YIELD_SHARE - 1) / CONTROLLER_YIELD_SHARE,
		.backoff_base_ms = QUEUE_DEFAULT_BACKOFF_BASE_MS,
		.backoff_max_ms = QUEUE_DEFAULT_BACKOFF_MAX_MS,
	};
	const char *ns;
	const char *managed = API_LABEL_MANAGED_BY "=" API_MANAGER_NAME;
	char policy_field[128];
	int rc;

	*out = NULL;
	c->opt = *opt;
	{
		const char *names[OPTIONS_MAX_NAMESPACES];
		char what[512];

		for (int i = 0; i < opt->namespace_count; i++)
			names[i] = c->opt.namespaces[i];
		rc = ns_scope_init(&c->scope, names, (size_t)opt->namespace_count, opt->namespace_selector, err);
		if (rc < 0) {
			free(c);
			return rc;
		}
		ns = ns_scope_watch_namespace(&c->scope);
		ns_scope_describe(&c->scope, what, sizeof(what));
		log_msg(LOG_INFO, "reconciling DevServers", "in", what, NULL);
	}
	rc = kube_config_load(&c->cfg, &ko, err);
	if (rc < 0) {
		ns_scope_cleanup(&c->scope);
		free(c);
		return rc;
	}
	c->opt.kubeconfig = NULL; /* strings below point into opt, not cfg */
	rc = kube_client_init(&c->client, &c->cfg, err);
	if (rc < 0) {
		kube_config_cleanup(&c->cfg);
		ns_scope_cleanup(&c->scope);
		free(c);
		return rc;
	}
	c->queue = queue_new(&qc);
	c->idle = idle_tracker_new();
	c->events = events_new(&c->client, "devserver-operator");
	{
		struct policy_source_deps pd = {
			.client = &c->client, .events = c->events, .m = &c->m,
			/* the informers below initialise these caches; the
			 * source reads them only after the sync */
			.devservers = &c->devservers.cache, .flavors = &c->flavors.cache,
			.cm_namespace = c->opt.operator_namespace, .cm_name = c->opt.policy_configmap,
			.default_image = c->opt.default_image, .tools_image = c->opt.tools_image,
		};

		rc = policy_source_init(&c->policy, &pd, err);
	}
	snprintf(policy_field, sizeof(policy_field), "metadata.name=%s", opt->policy_configmap);
	if (rc == 0)
		rc = informer_setup(c, &c->devservers, API_RESOURCE_DEVSERVERS, API_GROUP_VERSION, API_KIND_DEVSERVER, ns,
				    NULL, NULL, &ds_h, err);
	if (rc == 0)
		cache_set_transform(&c->devservers.cache, projection_devserver);
	if (rc == 0)
		rc = informer_setup(c, &c->flavors, API_RESOURCE_FLAVORS, API_GROUP_VERSION,
				    "DevServerFlavor", NULL, NULL, NULL, &flavor_h, err);
	if (rc == 0)
		cache_set_transform(&c->flavors.cache, projection_flavor);
	if (rc == 0) {
		const struct cache_handlers node_h = { on_node_add, on_node_update, on_node_add, c };

		rc = informer_setup(c, &c->nodes, "nodes", "v1", "Node", NULL, NULL, NULL, &node_h, err);
	}
	if (rc == 0)
		cache_set_transform(&c->nodes.cache, nodefit_projection);
	if (rc == 0)
		rc = informer_setup(c, &c->pods, "pods", "v1", "Pod", ns, managed, NULL, &child_h, err);
	if (rc == 0) {
		/* pods belong to ReplicaSets: find them by their DevServer's label */
		cache_index_by_label(&c->pods.cache, API_LABEL_NAME);
		cache_set_transform(&c->pods.cache, projection_pod);
	}
	/* children: whole when a DevServer owns them, else a stub. With
	 * --child-watch all (auto does so when scoped to --namespace), every
	 * object of the kinds a policy renders is watched, so that a new
	 * DevServer's names are known to be free without a lookup each; the
	 * stubs cost a few hundred bytes, and their lists go in pages
	 * small enough that objects of etcd's largest size still fit one
	 * response (CHILD_WATCH_ALL_PAGE_SIZE). Secrets stay labelled: the host
	 * key's create is its own check, and foreign Secrets are the largest
	 * objects around. */
	for (int k = 0; rc == 0 && k < CHILD_KIND_COUNT; k++) {
		bool all = options_watch_all_children(opt) && k != CHILD_SECRET;

		rc = informer_setup(c, &c->children[k], child_kinds[k][2], child_kinds[k][0],
				    child_kinds[k][1], ns, all ? NULL : managed, NULL, &child_h, err);
		if (rc == 0) {
			c->children[k].sees_all = all;
			cache_set_transform(&c->children[k].cache, projection_child);
			if (all) {
				cache_on_skip(&c->children[k].cache, on_child_skipped);
				c->children[k].watch.page_size = CHILD_WATCH_ALL_PAGE_SIZE; /* before watch_start */
			}
		}
	}
	if (rc == 0) /* host keys: only the public half stays in memory */
		cache_set_transform(&c->children[CHILD_SECRET].cache, projection_secret);
	if (rc == 0 && opt->health_addr[0] && strcmp(opt->health_addr, "off") != 0) {
		rc = health_start(opt->health_addr, &c->health, err);
		if (rc == 0)
			log_kv(LOG_INFO, "health server listening", LOG_STR("addr", opt->health_addr),
			       LOG_INT("port", health_port(c->health)));
	}
	if (rc == 0)
		rc = informer_setup(c, &c->policy_cm, "policy configmap", "v1", "ConfigMap",
				    opt->operator_namespace, NULL, policy_field, &policy_h, err);
	if (rc == 0)
		cache_set_transform(&c->policy_cm.cache, projection_policy_configmap);
	if (rc == 0 && opt->users) {
		const struct cache_handlers user_h = { on_user_add, on_user_update, on_user_add, c };
		const struct cache_handlers rbac_h = { on_user_rbac, on_user_rbac_update, on_user_rbac, c };

		rc = informer_setup(c, &c->users, API_RESOURCE_USERS, API_GROUP_VERSION, API_KIND_USER, NULL,
				    NULL, NULL, &user_h, err);
		if (rc == 0) {
			cache_set_transform(&c->users.cache, projection_user);
			rc = informer_setup(c, &c->user_sas, "user serviceaccounts", "v1", "ServiceAccount", NULL,
					    managed, NULL, &rbac_h, err);
		}
		if (rc == 0) {
			cache_set_transform(&c->user_sas.cache, projection_user_rbac);
			rc = informer_setup(c, &c->user_rbs, "user rolebindings", "rbac.authorization.k8s.io/v1",
					    "RoleBinding", NULL, managed, NULL, &rbac_h, err);
		}
		if (rc == 0)
			cache_set_transform(&c->user_rbs.cache, projection_user_rbac);
	}
	if (rc == 0 && (opt->users || ns_scope_needs_namespaces(&c->scope))) {
		const struct cache_handlers ns_h = { on_namespace_add, on_namespace_update, on_namespace_add, c };

		rc = informer_setup(c, &c->namespaces, "namespaces", "v1", "Namespace", NULL, NULL, NULL,
				    &ns_h, err);
		if (rc == 0)
			cache_set_transform(&c->namespaces.cache, projection_namespace);
	}
	if (rc == 0 && opt->leader_elect) {
		char id[320], host[256] = "unknown";

		gethostname(host, sizeof(host) - 1);
		snprintf(id, sizeof(id), "%s_%d", host, (int)getpid());
		c->leader = leader_new(&c->client, opt->operator_namespace, id, on_leadership, c);
	}
	if (rc < 0) {
		controller_free(c);
		return rc;
	}
	*out = c;
	return 0;
}

void controller_stop(struct controller *c)
{
	c->stop = 1;
}

void controller_free(struct controller *c)
{
	if (!c)
		return;
	leader_release_free(c->leader);
	health_stop(c->health);
	FOR_EACH_INFORMER(c, inf, informer_cleanup(inf););
	policy_source_cleanup(&c->policy);
	events_free(c->events);
	queue_free(c->queue);
	idle_tracker_free(c->idle);
	ns_scope_cleanup(&c->scope);
	kube_client_cleanup(&c->client);
	kube_config_cleanup(&c->cfg);
	free(c);
}

static bool controller_all_synced(struct controller *c)
{
	bool all = true;

	FOR_EACH_INFORMER(c, inf, all = all && inf->cache.synced;);
	return all;
}

/* Tells every object skipped so far (Events, DevServer status): at the
 * sync, and when this replica takes the lease - before that the skips were
 * only logged. */
static void controller_report_skipped(struct controller *c)
{
	if (!controller_may_reconcile(c))
		return;
	FOR_EACH_INFORMER(c, inf, {
		const struct json **stubs = NULL;
		size_t n = cache_skipped_list(&inf->cache, &stubs);

		for (size_t k = 0; k < n; k++)
			if (skip_concerns_us(inf, stubs[k]))
				skipped_tell(c, stubs[k]);
		free(stubs);
	});
}

/* Bytes in every cache, and a counter that moves when memory was probably
 * freed (a list finished, an object was skipped, a huge event's buffer went
 * back): memtrim's inputs. */
static size_t controller_cache_bytes(struct controller *c, uint64_t *marks)
{
	size_t bytes = 0;

	*marks = 0;
	FOR_EACH_INFORMER(c, inf, {
		bytes += cache_bytes(&inf->cache);
		*marks += inf->watch.stats.lists + inf->watch.stats.skipped + inf->watch.framer.released;
	});
	return bytes;
}

/* Refreshes the gauges and hands a copy of the metrics to the health thread. */
static void controller_publish(struct controller *c, int64_t now)
{
	struct metrics *m = &c->m;

	if (!c->health)
		return;
	m->heartbeat_ms = now;
	m->synced = c->synced;
	m->leading = controller_may_reconcile(c);
	m->queue_depth = queue_ready_len(c->queue);
	m->queue_in_flight = queue_in_flight(c->queue);
	m->devservers = cache_count(&c->devservers.cache);
	snprintf(m->policy_revision, sizeof(m->policy_revision), "%s",
		 policy_engine_revision(policy_source_engine(&c->policy)));
	m->watch_lists = m->watch_relists = m->watch_restarts = m->watch_events = 0;
	m->ncaches = 0;
	FOR_EACH_INFORMER(c, inf, {
		m->watch_lists += inf->watch.stats.lists;
		m->watch_relists += inf->watch.stats.relists;
		m->watch_restarts += inf->watch.stats.watches;
		m->watch_events += inf->watch.stats.events;
		if (m->ncaches < METRICS_CACHES) {
			struct metrics_cache *mc = &m->caches[m->ncaches++];

			snprintf(mc->name, sizeof(mc->name), "%s", inf->what);
			for (char *p = mc->name; *p; p++)
				if (*p == ' ')
					*p = '-'; /* "policy configmap" -> a label value without spaces */
			mc->bytes = cache_bytes(&inf->cache);
			mc->objects = cache_count(&inf->cache);
			mc->skipped = cache_skipped_count(&inf->cache);
			mc->skipped_total = inf->cache.skips_total;
		}
	});
	m->heap_trims = memtrim_count();
	health_publish(c->health, m);
}

int controller_run(struct controller *c, struct error *err)
{
	int64_t started = clock_mono_ms(), last_sync_log = started;
	int rc = 0;

	FOR_EACH_INFORMER(c, inf, {
		if (rc == 0 && (rc = watch_start(&inf->watch, err)) < 0)
			error_prefix(err, "watch %s", inf->what);
	});
	if (rc < 0)
		return rc;
	if (c->leader)
		leader_start(c->leader);
	log_msg(LOG_INFO, "operator started",
		"policy", policy_engine_revision(policy_source_engine(&c->policy)),
		"concurrency", c->opt.concurrency == 16 ? "16" : "custom", NULL);
	while (!c->stop) {
		int64_t now = clock_mono_ms(), due;
		const char *key;
		bool trial_running = false;
		int wait;

		if (!c->synced) {
			if (controller_all_synced(c)) {
				const struct json **cms = NULL;

				c->synced = true;
				log_kv(LOG_INFO, "caches synced", LOG_MS("took", now - started),
				       LOG_UINT("devservers", cache_count(&c->devservers.cache)));
				/* the policy ConfigMap seen during the sync applies now */
				if (cache_list(&c->policy_cm.cache, NULL, NULL, &cms) > 0)
					DS_IGNORE_RESULT(policy_source_changed(&c->policy, cms[0]));
				free(cms);
				/* (a change of policy needs no second enqueue: all go now) */
				controller_enqueue_all_paced(c);
				controller_report_skipped(c);
				c->next_resync_ms = now + c->opt.resync_s * 1000;
			} else if (now - last_sync_log > CONTROLLER_SYNC_LOG_MS) {
				log_printf(LOG_INFO, "waiting for caches to sync");
				last_sync_log = now;
			}
		}
		if (c->synced) {
			if (now >= c->next_resync_ms) {
				const struct json **servers = NULL;
				size_t n = cache_list(&c->devservers.cache, NULL, NULL, &servers);
				size_t devservers = n;

				for (size_t i = 0; i < n; i++)
					enqueue_object(c, servers[i]);
				free(servers);
				servers = NULL;
				n = c->users.started ? cache_list(&c->users.cache, NULL, NULL, &servers) : 0;
				for (size_t i = 0; i < n; i++)
					on_user_add(c, servers[i]);
				free(servers);
				log_kv(LOG_INFO, "resync", LOG_UINT("devservers", devservers), LOG_UINT("users", n));
				c->next_resync_ms = now + c->opt.resync_s * 1000;
			}
			if (c->flavors_dirty && controller_may_reconcile(c))
				flavor_status_sync(c);
			switch (policy_source_step(&c->policy)) {
			case POLICY_STEP_MORE:
				trial_running = true;
				break;
			case POLICY_STEP_ACTIVATED:
				controller_enqueue_all_paced(c);
				break;
			case POLICY_STEP_IDLE:
				break;
			}
			while (!c->stop && controller_may_reconcile(c) && (key = queue_get(c->queue, now)))
				controller_dispatch(c, key);
		}
		wait = CONTROLLER_LOOP_MAX_WAIT_MS;
		due = queue_next_due_ms(c->queue);
		if (c->synced && due >= 0 && due - now < wait)
			wait = due - now < 0 ? 0 : (int)(due - now);
		if (controller_may_reconcile(c) && queue_may_get(c->queue))
			wait = 0;
		if (trial_running)
			wait = 0; /* the next slice after this turn's I/O */
		{
			uint64_t marks;
			size_t bytes = controller_cache_bytes(c, &marks);

			memtrim_note(bytes, marks, now);
		}
		controller_publish(c, now);
		if ((rc = kube_http_run_once(c->client.http, wait)) < 0)
			return error_set(err, rc, "event loop failed");
	}
	if (c->lost_leadership)
		return error_set(err, ERR_RETRY, "lost the leadership; exiting so a restart rejoins as a standby");
	shutdown_summary_log(&c->m);
	return 0;
}
