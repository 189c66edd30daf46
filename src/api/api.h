/* api.h - the DevServer API contract shared by the operator and devctl.
 *
 * Names both sides must agree on - annotations the operator writes and
 * devctl reads or clears - live here once, so a rename cannot split them.
 * Depends on nothing; everything above src/core may include it.
 */
#ifndef DEVSERVER_API_API_H
#define DEVSERVER_API_API_H

#include <stdbool.h>
#include <stddef.h>

/* The API group and version of every kind below, and the resources the
 * operator watches and devctl reads (crds/ defines them). */
#define API_GROUP "devserver.io"
#define API_VERSION "v1"
#define API_GROUP_VERSION API_GROUP "/" API_VERSION
#define API_KIND_DEVSERVER "DevServer"
#define API_KIND_FLAVOR "DevServerFlavor"
#define API_KIND_USER "DevServerUser"
#define API_RESOURCE_DEVSERVERS "devservers"
#define API_RESOURCE_FLAVORS "devserverflavors"
#define API_RESOURCE_USERS "devserverusers"

/* Labels the operator stamps on every child (policy/validate.c) and reads
 * back to find them: the DevServer's name, and who manages the object. */
#define API_LABEL_NAME "devserver.io/name"
#define API_LABEL_MANAGED_BY "app.kubernetes.io/managed-by"
#define API_LABEL_INSTANCE "app.kubernetes.io/instance"
#define API_MANAGER_NAME "devserver-operator"
/* Set by the policy on a home PVC (lua/lib/names.lua API_LABEL_HOME). */
#define API_LABEL_HOME "devserver.io/home"
/* On a host-key Secret: what it holds (operator/hostkey.c). */
#define API_LABEL_ROLE "devserver.io/role"
/* On a PVC: its owner lets other DevServers mount it (docs/api.md, docs/reliability.md). */
#define API_LABEL_SHAREABLE "devserver.io/shareable"

/* Annotations the operator writes on children to decide what changed. */
#define API_ANNOTATION_RENDER_HASH "devserver.io/render-hash"
#define API_ANNOTATION_TEMPLATE_HASH "devserver.io/template-hash"
#define API_ANNOTATION_SPEC_HASH "devserver.io/spec-hash"
#define API_ANNOTATION_INPUTS "devserver.io/inputs"
/* On the policy ConfigMap: the outcome of its last trial, JSON written by
 * the operator and read by devctl policy status (api/policy_status.h). */
#define API_ANNOTATION_POLICY_STATUS "devserver.io/policy-status"

/* Why spec.stopped is true when the operator set it: "idle" (idle
 * shutdown). Absent: the user stopped it. devctl start and stop clear it. */
#define API_ANNOTATION_STOPPED_BY "devserver.io/stopped-by"
#define API_STOPPED_BY_IDLE "idle"

/* A restart the user asked for (devctl restart): an RFC 3339 time on the
 * DevServer; the operator copies it onto the pod template, which makes a new
 * pod, and applies any change it held back. */
#define API_ANNOTATION_RESTART "devserver.io/restart"

/* DevServerUser (docs/users.md): the operator gives each user the namespace
 * API_USER_NAMESPACE_PREFIX + their username in lower case, labelled
 * API_LABEL_USER=<username> and API_LABEL_USER_MANAGED=true (the
 * predecessor's labels, kept so its namespaces are adopted), and annotated
 * with the DevServerUser's name. devctl, given no namespace, looks the user
 * up by username and falls back to the same rule. */
#define API_USER_NAMESPACE_PREFIX "dev-"
#define API_LABEL_USER "devserver.io/user"
#define API_LABEL_USER_MANAGED "devserver.io/managed"
#define API_ANNOTATION_USER_OBJECT "devserver.io/devserveruser"
#define API_USER_ROLE "devserver-user"          /* ClusterRole and RoleBinding */
#define API_USER_SA_SUFFIX "-sa"
#define API_USERNAME_MAX 59                     /* "dev-" + 59 = a DNS label */

#endif
