/* podsecurity.h - the host's check of a rendered pod against Pod Security
 * "restricted".
 *
 * A policy is edited through a ConfigMap, but its pods run whatever a
 * developer puts in them with the node's kernel under them. So before any
 * write the host refuses a pod template that would give the box more than
 * Pod Security's "restricted" profile allows: privileged containers,
 * privilege escalation, capabilities beyond NET_BIND_SERVICE, root, host
 * namespaces (network, PID, IPC), host ports, hostPath or any volume type
 * outside restricted's list, unsafe sysctls, SELinux users/roles and unconfined
 * seccomp or AppArmor - and, beyond the profile, a service-account token (the
 * box is a developer's machine, not a cluster client: no automounted or
 * projected token, no service account but the namespace's default). The
 * refusal names the field, so the policy author sees what to change.
 *
 * Pure function on struct json; no Lua, no network. It does not replace the
 * API server's admission (a namespace may enforce more); it keeps a policy
 * from being the way around it in namespaces that enforce less.
 */
#ifndef DEVSERVER_POLICY_PODSECURITY_H
#define DEVSERVER_POLICY_PODSECURITY_H

#include "core/attr.h"
#include "core/error.h"
#include "json/json.h"

/* Checks a PodSpec (a Deployment's spec.template.spec); what prefixes the
 * message ("Deployment/box"). 0 or ERR_POLICY naming the first violation. */
int policy_check_pod_security(const struct json *pod_spec, const char *what, struct error *err) DS_MUST_USE;

#endif
