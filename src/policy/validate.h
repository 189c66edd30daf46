/* validate.h - what the host checks and adds on every rendered object.
 *
 * A policy says only what it has an opinion on; the host owns the rest.
 * policy_validate_render checks a render result (allowed kinds, names,
 * namespace, no ownerReferences, string-valued labels and annotations, size
 * limits, no duplicate kind+name, a Deployment's pod Pod Security
 * "restricted": policy/podsecurity.h) and fills in the namespace; policy_stamp
 * then adds the controller ownerReference and the managed labels. Both are
 * pure functions on struct json: no Lua, no network, no logging.
 */
#ifndef DEVSERVER_POLICY_VALIDATE_H
#define DEVSERVER_POLICY_VALIDATE_H

#include <stdbool.h>
#include <stddef.h>

#include "api/api.h"
#include "core/attr.h"
#include "core/error.h"
#include "json/json.h"

#define POLICY_OBJECT_MAX_BYTES (256u * 1024)    /* one encoded object */
#define POLICY_RENDER_MAX_BYTES (1024u * 1024)   /* all objects of one render */
#define POLICY_RENDER_MAX_OBJECTS 32
#define POLICY_NAME_MAX_CHARS 63

enum policy_name_rule {
	POLICY_NAME_DNS1123_SUBDOMAIN, /* lowercase alnum, '-' and '.', alnum at both ends */
	POLICY_NAME_DNS1035_LABEL,     /* lowercase alnum and '-', starts with a letter */
};

struct policy_kind {
	const char *api_version;
	const char *kind;
	enum policy_name_rule name_rule;
};

/* The kinds a policy may create, terminated by an entry with kind NULL.
 * Extend the table to allow more. */
extern const struct policy_kind policy_allowed_kinds[];

/* Looks up apiVersion + kind; NULL when not allowed. */
const struct policy_kind *policy_kind_find(const char *api_version, const char *kind);

/* Name rules, exposed for tests and for devctl. */
bool policy_name_valid(const char *name, enum policy_name_rule rule);
bool policy_label_value_valid(const char *value);

/* Checks one object; sets metadata.namespace to ns when absent. 0 or
 * ERR_POLICY naming the problem. */
int policy_validate_object(struct json *obj, const char *ns, struct error *err) DS_MUST_USE;

/* Checks a render result (a JSON array of objects, as policy_engine_render
 * returns it) for the DevServer ds: every object, the object count, total
 * encoded size and duplicate kind+name. Sets missing namespaces. */
int policy_validate_render(struct json *list, const struct json *ds, struct error *err) DS_MUST_USE;

/* Adds to obj: metadata.namespace, the controller ownerReference
 * (devserver.io/v1 DevServer <name> <uid>, controller and blockOwnerDeletion
 * true; replaces any ownerReferences) and the managed labels
 * (managed-by: devserver-operator, instance: <name>, devserver.io/name:
 * <name>; these win over the policy's). ds needs metadata.name and
 * metadata.uid; a missing namespace means "default". 0 or ERR_INVALID. */
int policy_stamp(struct json *obj, const struct json *ds, struct error *err) DS_MUST_USE;

/* policy_validate_render, then policy_stamp on every object. */
int policy_finish_render(struct json *list, const struct json *ds, struct error *err) DS_MUST_USE;

#endif
