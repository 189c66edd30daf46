/* test_policy_podsecurity.c - src/policy/podsecurity: the default policy's
 * pod (from the "full" fixture) passes; each way out of Pod Security
 * "restricted" - and each way to a service-account token - is refused with
 * the field named, one mutation of that pod per case. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json/json.h"
#include "json/yaml_doc.h"
#include "policy/podsecurity.h"
#include "support/testutil.h"

#define FULL_EXPECTED DEVSERVER_SOURCE_DIR "/tests/fixtures/render/full/expected.yaml"

/* The pod spec of the Deployment in the "full" fixture (caller frees). */
static struct json *full_pod(void)
{
	size_t n;
	char *text = tu_read_file(FULL_EXPECTED, &n);
	struct error err;
	struct json *list, *pod = NULL;

	list = yaml_doc_parse(text, n, &err);
	free(text);
	assert_non_null(list);
	for (size_t i = 0; i < list->u.arr.len; i++)
		if (strcmp(json_get_string(list->u.arr.items[i], "kind"), "Deployment") == 0)
			pod = json_clone(json_path(list->u.arr.items[i], "spec", "template", "spec", NULL));
	json_free(list);
	assert_non_null(pod);
	return pod;
}

static struct json *container(struct json *pod, const char *list, size_t i)
{
	struct json *l = json_get(pod, list);

	assert_non_null(l);
	return l->u.arr.items[i];
}

static struct json *object_at(struct json *parent, const char *key)
{
	struct json *v = json_get(parent, key);

	if (!v) {
		v = json_new_object();
		json_object_set_take(parent, key, v);
	}
	return v;
}

static void test_the_default_pod_passes(void **state)
{
	struct json *pod = full_pod();
	struct error err;

	assert_int_equal(policy_check_pod_security(pod, "Deployment/box", &err), 0);
	json_free(pod);
}

enum mutation {
	M_PRIVILEGED, M_ESCALATION, M_ESCALATION_UNSET, M_CAP_ADD, M_NO_DROP_ALL, M_ROOT_USER,
	M_POD_ROOT_USER, M_NONROOT_FALSE, M_HOST_NETWORK, M_HOST_PID, M_HOST_IPC, M_HOST_PATH,
	M_HOST_PORT, M_SECCOMP_UNCONFINED, M_NO_SECCOMP, M_TOKEN, M_TOKEN_UNSET, M_PROJECTED_TOKEN,
	M_SERVICE_ACCOUNT, M_SYSCTL, M_SELINUX_USER, M_PROC_MOUNT, M_APPARMOR, M_INIT_PRIVILEGED,
	M_NFS_VOLUME,
};

static const struct {
	enum mutation m;
	const char *want;
} cases[] = {
	{ M_PRIVILEGED, "containers[0].securityContext.privileged may not be true" },
	{ M_ESCALATION, "containers[0].securityContext.allowPrivilegeEscalation must be false" },
	{ M_ESCALATION_UNSET, "containers[0].securityContext.allowPrivilegeEscalation must be false" },
	{ M_CAP_ADD, "capabilities.add may only add NET_BIND_SERVICE" },
	{ M_NO_DROP_ALL, "capabilities.drop must include ALL" },
	{ M_ROOT_USER, "containers[0].securityContext.runAsUser may not be 0" },
	{ M_POD_ROOT_USER, "spec.template.spec.securityContext.runAsUser may not be 0" },
	{ M_NONROOT_FALSE, "spec.template.spec.securityContext.runAsNonRoot may not be false" },
	{ M_HOST_NETWORK, "spec.template.spec.hostNetwork may not be true" },
	{ M_HOST_PID, "spec.template.spec.hostPID may not be true" },
	{ M_HOST_IPC, "spec.template.spec.hostIPC may not be true" },
	{ M_HOST_PATH, ".hostPath is not a volume type a restricted pod may use" },
	{ M_HOST_PORT, "ports[0].hostPort may not be set" },
	{ M_SECCOMP_UNCONFINED, "spec.template.spec.securityContext.seccompProfile.type must be RuntimeDefault" },
	{ M_NO_SECCOMP, "seccompProfile must be RuntimeDefault or Localhost (here or on the pod)" },
	{ M_TOKEN, "automountServiceAccountToken must be false" },
	{ M_TOKEN_UNSET, "automountServiceAccountToken must be false" },
	{ M_PROJECTED_TOKEN, "serviceAccountToken would give the box a service-account token" },
	{ M_SERVICE_ACCOUNT, "serviceAccountName may only be the namespace's default" },
	{ M_SYSCTL, "sysctls may only hold the safe sysctls" },
	{ M_SELINUX_USER, "seLinuxOptions may not set user or role" },
	{ M_PROC_MOUNT, "procMount must be Default" },
	{ M_APPARMOR, "appArmorProfile.type may not be Unconfined" },
	{ M_INIT_PRIVILEGED, "initContainers[1].securityContext.privileged may not be true" },
	{ M_NFS_VOLUME, ".nfs is not a volume type a restricted pod may use" },
};

static void mutate(struct json *pod, enum mutation m)
{
	struct json *c = container(pod, "containers", 0), *sc = object_at(c, "securityContext");
	struct json *psc = object_at(pod, "securityContext");

	switch (m) {
	case M_PRIVILEGED: json_object_set_take(sc, "privileged", json_new_bool(true)); break;
	case M_ESCALATION: json_object_set_take(sc, "allowPrivilegeEscalation", json_new_bool(true)); break;
	case M_ESCALATION_UNSET: json_object_remove(sc, "allowPrivilegeEscalation"); break;
	case M_CAP_ADD: json_object_set_take(object_at(sc, "capabilities"), "add", tu_json("[\"SYS_ADMIN\"]")); break;
	case M_NO_DROP_ALL: json_object_set_take(object_at(sc, "capabilities"), "drop", tu_json("[\"NET_RAW\"]")); break;
	case M_ROOT_USER: json_object_set_take(sc, "runAsUser", json_new_int(0)); break;
	case M_POD_ROOT_USER: json_object_set_take(psc, "runAsUser", json_new_int(0)); break;
	case M_NONROOT_FALSE: json_object_set_take(psc, "runAsNonRoot", json_new_bool(false)); break;
	case M_HOST_NETWORK: json_object_set_take(pod, "hostNetwork", json_new_bool(true)); break;
	case M_HOST_PID: json_object_set_take(pod, "hostPID", json_new_bool(true)); break;
	case M_HOST_IPC: json_object_set_take(pod, "hostIPC", json_new_bool(true)); break;
	case M_HOST_PATH:
		json_array_push_take(json_get(pod, "volumes"), tu_json("{\"name\":\"root\",\"hostPath\":{\"path\":\"/\"}}"));
		break;
	case M_HOST_PORT: json_object_set_take(json_get(c, "ports")->u.arr.items[0], "hostPort", json_new_int(22)); break;
	case M_SECCOMP_UNCONFINED:
		json_object_set_take(psc, "seccompProfile", tu_json("{\"type\":\"Unconfined\"}"));
		break;
	case M_NO_SECCOMP: json_object_remove(psc, "seccompProfile"); break;
	case M_TOKEN: json_object_set_take(pod, "automountServiceAccountToken", json_new_bool(true)); break;
	case M_TOKEN_UNSET: json_object_remove(pod, "automountServiceAccountToken"); break;
	case M_PROJECTED_TOKEN:
		json_array_push_take(json_get(pod, "volumes"),
				     tu_json("{\"name\":\"t\",\"projected\":{\"sources\":[{\"serviceAccountToken\":{\"path\":\"token\"}}]}}"));
		break;
	case M_SERVICE_ACCOUNT: json_object_set_take(pod, "serviceAccountName", json_new_string("admin")); break;
	case M_SYSCTL: json_object_set_take(psc, "sysctls", tu_json("[{\"name\":\"kernel.msgmax\",\"value\":\"1\"}]")); break;
	case M_SELINUX_USER: json_object_set_take(sc, "seLinuxOptions", tu_json("{\"user\":\"root\"}")); break;
	case M_PROC_MOUNT: json_object_set_take(sc, "procMount", json_new_string("Unmasked")); break;
	case M_APPARMOR: json_object_set_take(sc, "appArmorProfile", tu_json("{\"type\":\"Unconfined\"}")); break;
	case M_INIT_PRIVILEGED:
		json_object_set_take(object_at(container(pod, "initContainers", 1), "securityContext"),
				     "privileged", json_new_bool(true));
		break;
	case M_NFS_VOLUME:
		json_array_push_take(json_get(pod, "volumes"),
				     tu_json("{\"name\":\"n\",\"nfs\":{\"server\":\"x\",\"path\":\"/\"}}"));
		break;
	}
}

static void test_each_escape_is_refused(void **state)
{
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct json *pod = full_pod();
		struct error err;

		mutate(pod, cases[i].m);
		error_clear(&err);
		if (policy_check_pod_security(pod, "Deployment/box", &err) != ERR_POLICY ||
		    !strstr(err.msg, cases[i].want) || !strstr(err.msg, "Deployment/box: "))
			fail_msg("case %zu: want \"%s\", got \"%s\"", i, cases[i].want, err.msg);
		json_free(pod);
	}
}

static void test_allowed_variations(void **state)
{
	struct json *pod = full_pod();
	struct json *sc = object_at(container(pod, "containers", 0), "securityContext");
	struct error err;

	/* NET_BIND_SERVICE, a Localhost seccomp profile, a safe sysctl, the
	 * default service account, container_t and an explicit hostPort 0 are fine */
	json_object_set_take(object_at(sc, "capabilities"), "add", tu_json("[\"NET_BIND_SERVICE\"]"));
	json_object_set_take(object_at(pod, "securityContext"), "seccompProfile",
			     tu_json("{\"type\":\"Localhost\",\"localhostProfile\":\"p.json\"}"));
	json_object_set_take(object_at(pod, "securityContext"), "sysctls",
			     tu_json("[{\"name\":\"net.ipv4.ping_group_range\",\"value\":\"0 1\"}]"));
	json_object_set_take(pod, "serviceAccountName", json_new_string("default"));
	json_object_set_take(sc, "seLinuxOptions", tu_json("{\"type\":\"container_t\",\"level\":\"s0:c1\"}"));
	json_object_set_take(json_get(container(pod, "containers", 0), "ports")->u.arr.items[0], "hostPort",
			     json_new_int(0));
	assert_int_equal(policy_check_pod_security(pod, "Deployment/box", &err), 0);
	json_free(pod);
	assert_int_equal(policy_check_pod_security(NULL, "Deployment/box", &err), ERR_POLICY);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_the_default_pod_passes),
		cmocka_unit_test(test_each_escape_is_refused),
		cmocka_unit_test(test_allowed_variations),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
