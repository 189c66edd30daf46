/* adopt.h - taking over a DevServer the predecessor (kopf) operator ran.
 *
 * The Python operator this one replaces left, per DevServer, objects under
 * names of its own, owned by the same DevServer (its uid in their
 * ownerReferences): a Deployment <name> whose immutable selector is
 * {app: <name>}, a Secret <name>-host-keys with the SSH host keys its users'
 * known_hosts hold, ConfigMaps <name>-sshd-config, <name>-startup-script and
 * <name>-login-script, and in early releases a Service <name>-headless. It
 * also left its marks on the DevServer: annotations under kopf.zalando.org/
 * (its last-handled configuration) and its finalizer (finalizer.h).
 *
 * Taking over, one DevServer at a time, on its reconciles:
 *   - a Deployment this DevServer controls whose spec.selector differs from
 *     the rendered one cannot be patched (the API server answers 422
 *     "field is immutable"): it is deleted (guarded by its uid) and created
 *     anew, once, with a PredecessorDeploymentReplaced Event;
 *   - when the host-key Secret must be created and the predecessor's holds
 *     a usable ed25519 pair, that pair is the new Secret's (hostkey.h):
 *     what users pinned stays valid;
 *   - while the marks are there, each leftover name is looked up; one owned
 *     by this DevServer is deleted (guarded by its uid), one owned by
 *     anything else is left alone;
 *   - once a round finds no leftover, the marks are removed: later rounds
 *     look nothing up.
 * This file holds the pure parts; reconcile.c makes the calls.
 */
#ifndef DEVSERVER_OPERATOR_ADOPT_H
#define DEVSERVER_OPERATOR_ADOPT_H

#include <stdbool.h>

#include "json/json.h"

#define ADOPT_KOPF_ANNOTATION_PREFIX "kopf.zalando.org/"
#define ADOPT_HOSTKEY_SUFFIX "-host-keys"
#define ADOPT_REPLACED_REASON "PredecessorDeploymentReplaced"
#define ADOPT_LEFTOVER_REMOVED_REASON "PredecessorLeftoversRemoved"
#define ADOPT_PATCH_CONTENT_TYPE "application/json-patch+json"

/* The predecessor's per-DevServer objects, by kind and name suffix. */
enum adopt_kind { ADOPT_CONFIGMAP, ADOPT_SERVICE, ADOPT_SECRET };
struct adopt_leftover {
	enum adopt_kind kind;
	const char *suffix;
};
#define ADOPT_LEFTOVER_COUNT 5
extern const struct adopt_leftover adopt_leftovers[ADOPT_LEFTOVER_COUNT];
/* The index of the host-key Secret in adopt_leftovers. */
#define ADOPT_LEFTOVER_HOSTKEYS 4

/* True when ds carries an annotation under ADOPT_KOPF_ANNOTATION_PREFIX. */
bool adopt_is_marked(const struct json *ds);
/* True when one of obj's ownerReferences (controller or not) is uid. */
bool adopt_owned_by(const struct json *obj, const char *uid);
/* True when both are Deployments and their spec.selector differ. */
bool adopt_selector_differs(const struct json *desired, const struct json *observed);
/* The JSON Patch (caller owns) removing ds's kopf annotations after a test of
 * metadata.uid; NULL when there are none or ds has no uid. */
struct json *adopt_unmark_patch(const struct json *ds);

#endif
