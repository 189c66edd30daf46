/* context.h - the ctx table every render gets, built in one place.
 *
 * A policy is a pure function of (DevServer, Flavor, ctx); ctx is how the host
 * hands it configuration (the images it falls back to or runs beside the
 * user's) and the namespace. The operator's reconcile, its policy trial and
 * bundled-fixture runs, and devctl render all build ctx here, so the policy
 * sees the same keys wherever it runs; the fixture runners lay a case's own
 * ctx.yaml over it.
 *
 * The image defaults name the images scripts/images builds for the local
 * cluster (docs/images.md); a production install points --default-image and
 * --tools-image at its own registry.
 */
#ifndef DEVSERVER_POLICY_CONTEXT_H
#define DEVSERVER_POLICY_CONTEXT_H

#include "core/version.h"
#include "json/json.h"

#define POLICY_LOCAL_IMAGE_PREFIX "localhost/devserver/"
#define POLICY_DEFAULT_IMAGE POLICY_LOCAL_IMAGE_PREFIX "base:" DEVSERVER_VERSION
#define POLICY_DEFAULT_TOOLS_IMAGE POLICY_LOCAL_IMAGE_PREFIX "tools:" DEVSERVER_VERSION

struct policy_context_config {
	const char *default_image;   /* when neither the DevServer nor its flavor names one */
	const char *tools_image;     /* sshd and the login helpers (lib/tools.lua) */
};

/* {namespace, default_image, tools_image}; NULL config fields become ""
 * (the policy then reports what is missing). Caller frees. */
struct json *policy_context_new(const struct policy_context_config *cfg, const char *ns);

#endif
