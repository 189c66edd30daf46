/* podsecurity.c - Pod Security "restricted" for rendered pods (see
 * podsecurity.h).
 *
 * The rules follow the Kubernetes Pod Security Standards (baseline plus
 * restricted, as of v1.36) field by field; each check reads only what the
 * policy rendered, so an absent field means the API server's default (which
 * for every field checked here is the safe value, except runAsNonRoot,
 * allowPrivilegeEscalation, capabilities.drop and the seccomp profile, which
 * restricted requires to be set explicitly).
 */
#include "policy/podsecurity.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

static const char *const podsec_volume_types[] = {
	"configMap", "csi", "downwardAPI", "emptyDir", "ephemeral", "persistentVolumeClaim",
	"projected", "secret", NULL,
};

/* The sysctls Pod Security counts as safe. */
static const char *const podsec_safe_sysctls[] = {
	"kernel.shm_rmid_forced", "net.ipv4.ip_local_port_range", "net.ipv4.ip_unprivileged_port_start",
	"net.ipv4.tcp_syncookies", "net.ipv4.ping_group_range", "net.ipv4.ip_local_reserved_ports",
	"net.ipv4.tcp_keepalive_time", "net.ipv4.tcp_fin_timeout", "net.ipv4.tcp_keepalive_intvl",
	"net.ipv4.tcp_keepalive_probes", NULL,
};

static const char *const podsec_selinux_types[] = {
	"container_t", "container_init_t", "container_kvm_t", "container_engine_t", NULL,
};

static bool podsec_in(const char *s, const char *const *list)
{
	for (; s && *list; list++)
		if (strcmp(s, *list) == 0)
			return true;
	return false;
}

static bool podsec_true(const struct json *obj, const char *key)
{
	const struct json *v = json_get(obj, key);

	return v && v->type == JSON_BOOL && v->u.b;
}

static int podsec_fail(struct error *err, const char *what, const char *field, const char *why)
{
	return error_set(err, ERR_POLICY, "%s: %s %s (Pod Security \"restricted\"; the host refuses "
			 "to create it)", what, field, why);
}

/* seccompProfile / appArmorProfile / seLinuxOptions of a pod or container
 * securityContext; where names it in messages. */
static int podsec_context_common(const struct json *sc, const char *what, const char *where,
				 struct error *err)
{
	const struct json *seccomp = json_get(sc, "seccompProfile");
	const struct json *apparmor = json_get(sc, "appArmorProfile");
	const struct json *selinux = json_get(sc, "seLinuxOptions");
	const char *type;
	char field[192];

	type = json_get_string(seccomp, "type");
	if (seccomp && (!type || (strcmp(type, "RuntimeDefault") != 0 && strcmp(type, "Localhost") != 0))) {
		snprintf(field, sizeof(field), "%s.seccompProfile.type", where);
		return podsec_fail(err, what, field, "must be RuntimeDefault or Localhost");
	}
	type = json_get_string(apparmor, "type");
	if (type && strcmp(type, "Unconfined") == 0) {
		snprintf(field, sizeof(field), "%s.appArmorProfile.type", where);
		return podsec_fail(err, what, field, "may not be Unconfined");
	}
	if (selinux) {
		type = json_get_string(selinux, "type");
		if (json_get(selinux, "user") || json_get(selinux, "role")) {
			snprintf(field, sizeof(field), "%s.seLinuxOptions", where);
			return podsec_fail(err, what, field, "may not set user or role");
		}
		if (type && *type && !podsec_in(type, podsec_selinux_types)) {
			snprintf(field, sizeof(field), "%s.seLinuxOptions.type", where);
			return podsec_fail(err, what, field, "must be a container type");
		}
	}
	if (podsec_true(json_get(sc, "windowsOptions"), "hostProcess")) {
		snprintf(field, sizeof(field), "%s.windowsOptions.hostProcess", where);
		return podsec_fail(err, what, field, "may not be true");
	}
	return 0;
}

static bool podsec_has_runtime_seccomp(const struct json *sc)
{
	const char *t = json_get_string(json_get(sc, "seccompProfile"), "type");

	return t && (strcmp(t, "RuntimeDefault") == 0 || strcmp(t, "Localhost") == 0);
}

static int podsec_container(const struct json *c, const char *list, size_t i, const struct json *pod_sc,
			    const char *what, struct error *err)
{
	const struct json *sc = json_get(c, "securityContext"), *caps = json_get(sc, "capabilities");
	const struct json *drop = json_get(caps, "drop"), *add = json_get(caps, "add");
	const struct json *ports = json_get(c, "ports"), *v;
	char where[160], field[224];
	bool drops_all = false;
	int rc;

	snprintf(where, sizeof(where), "spec.template.spec.%s[%zu].securityContext", list, i);
	if ((rc = podsec_context_common(sc, what, where, err)) < 0)
		return rc;
	snprintf(field, sizeof(field), "%s.privileged", where);
	if (podsec_true(sc, "privileged"))
		return podsec_fail(err, what, field, "may not be true");
	v = json_get(sc, "allowPrivilegeEscalation");
	snprintf(field, sizeof(field), "%s.allowPrivilegeEscalation", where);
	if (!v || v->type != JSON_BOOL || v->u.b)
		return podsec_fail(err, what, field, "must be false");
	for (size_t k = 0; drop && drop->type == JSON_ARRAY && k < drop->u.arr.len; k++) {
		const struct json *d = drop->u.arr.items[k];

		if (d->type == JSON_STRING && strcmp(d->u.str.ptr, "ALL") == 0)
			drops_all = true;
	}
	snprintf(field, sizeof(field), "%s.capabilities.drop", where);
	if (!drops_all)
		return podsec_fail(err, what, field, "must include ALL");
	for (size_t k = 0; add && add->type == JSON_ARRAY && k < add->u.arr.len; k++) {
		const struct json *a = add->u.arr.items[k];

		snprintf(field, sizeof(field), "%s.capabilities.add", where);
		if (a->type != JSON_STRING || strcmp(a->u.str.ptr, "NET_BIND_SERVICE") != 0)
			return podsec_fail(err, what, field, "may only add NET_BIND_SERVICE");
	}
	/* runAsNonRoot: true here, or true on the pod and not false here */
	v = json_get(sc, "runAsNonRoot");
	snprintf(field, sizeof(field), "%s.runAsNonRoot", where);
	if (v ? !(v->type == JSON_BOOL && v->u.b) : !podsec_true(pod_sc, "runAsNonRoot"))
		return podsec_fail(err, what, field, "must be true (here or on the pod)");
	v = json_get(sc, "runAsUser");
	snprintf(field, sizeof(field), "%s.runAsUser", where);
	if (v && v->type == JSON_INT && v->u.i == 0)
		return podsec_fail(err, what, field, "may not be 0 (root)");
	snprintf(field, sizeof(field), "%s.seccompProfile", where);
	if (!podsec_has_runtime_seccomp(sc) && !podsec_has_runtime_seccomp(pod_sc))
		return podsec_fail(err, what, field, "must be RuntimeDefault or Localhost (here or on the pod)");
	v = json_get(sc, "procMount");
	snprintf(field, sizeof(field), "%s.procMount", where);
	if (v && (v->type != JSON_STRING || strcmp(v->u.str.ptr, "Default") != 0))
		return podsec_fail(err, what, field, "must be Default");
	for (size_t k = 0; ports && ports->type == JSON_ARRAY && k < ports->u.arr.len; k++) {
		const struct json *hp = json_get(ports->u.arr.items[k], "hostPort");

		snprintf(field, sizeof(field), "spec.template.spec.%s[%zu].ports[%zu].hostPort", list, i, k);
		if (hp && !(hp->type == JSON_INT && hp->u.i == 0))
			return podsec_fail(err, what, field, "may not be set");
	}
	return 0;
}

static int podsec_volumes(const struct json *vols, const char *what, struct error *err)
{
	char field[160];

	for (size_t i = 0; vols && vols->type == JSON_ARRAY && i < vols->u.arr.len; i++) {
		const struct json *v = vols->u.arr.items[i], *sources;

		if (v->type != JSON_OBJECT)
			continue;
		for (size_t k = 0; k < v->u.obj.len; k++) {
			const char *key = v->u.obj.items[k].key;

			if (strcmp(key, "name") == 0)
				continue;
			snprintf(field, sizeof(field), "spec.template.spec.volumes[%zu].%s", i, key);
			if (!podsec_in(key, podsec_volume_types))
				return podsec_fail(err, what, field, "is not a volume type a restricted pod may use");
		}
		sources = json_path(v, "projected", "sources", NULL);
		for (size_t k = 0; sources && sources->type == JSON_ARRAY && k < sources->u.arr.len; k++) {
			snprintf(field, sizeof(field), "spec.template.spec.volumes[%zu].projected.sources[%zu]"
				 ".serviceAccountToken", i, k);
			if (json_get(sources->u.arr.items[k], "serviceAccountToken"))
				return podsec_fail(err, what, field, "would give the box a service-account token");
		}
	}
	return 0;
}

int policy_check_pod_security(const struct json *spec, const char *what, struct error *err)
{
	static const char *const lists[] = { "initContainers", "containers", "ephemeralContainers" };
	const struct json *sc = json_get(spec, "securityContext"), *v;
	const char *sa;
	int rc;

	if (!spec || spec->type != JSON_OBJECT)
		return error_set(err, ERR_POLICY, "%s: spec.template.spec must be an object", what);
	for (size_t i = 0; i < 3; i++) {
		static const char *const hosts[] = { "hostNetwork", "hostPID", "hostIPC" };
		char field[64];

		snprintf(field, sizeof(field), "spec.template.spec.%s", hosts[i]);
		if (podsec_true(spec, hosts[i]))
			return podsec_fail(err, what, field, "may not be true");
	}
	v = json_get(spec, "automountServiceAccountToken");
	if (!v || v->type != JSON_BOOL || v->u.b)
		return podsec_fail(err, what, "spec.template.spec.automountServiceAccountToken",
				   "must be false: a DevServer is not a cluster client");
	sa = json_get_string(spec, "serviceAccountName");
	if (!sa)
		sa = json_get_string(spec, "serviceAccount");
	if (sa && *sa && strcmp(sa, "default") != 0)
		return podsec_fail(err, what, "spec.template.spec.serviceAccountName",
				   "may only be the namespace's default");
	if ((rc = podsec_context_common(sc, what, "spec.template.spec.securityContext", err)) < 0)
		return rc;
	v = json_get(sc, "runAsUser");
	if (v && v->type == JSON_INT && v->u.i == 0)
		return podsec_fail(err, what, "spec.template.spec.securityContext.runAsUser", "may not be 0 (root)");
	v = json_get(sc, "runAsNonRoot");
	if (v && !(v->type == JSON_BOOL && v->u.b))
		return podsec_fail(err, what, "spec.template.spec.securityContext.runAsNonRoot",
				   "may not be false");
	v = json_get(sc, "sysctls");
	for (size_t i = 0; v && v->type == JSON_ARRAY && i < v->u.arr.len; i++)
		if (!podsec_in(json_get_string(v->u.arr.items[i], "name"), podsec_safe_sysctls))
			return podsec_fail(err, what, "spec.template.spec.securityContext.sysctls",
					   "may only hold the safe sysctls");
	if ((rc = podsec_volumes(json_get(spec, "volumes"), what, err)) < 0)
		return rc;
	for (size_t l = 0; l < 3; l++) {
		const struct json *list = json_get(spec, lists[l]);

		for (size_t i = 0; list && list->type == JSON_ARRAY && i < list->u.arr.len; i++)
			if ((rc = podsec_container(list->u.arr.items[i], lists[l], i, sc, what, err)) < 0)
				return rc;
	}
	return 0;
}
