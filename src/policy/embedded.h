/* embedded.h - the shipped Lua policy bundle, compiled into the binary.
 *
 * The table is generated at build time by cmake/embed.cmake from lua/policies
 * and lua/lib, so the operator and devctl always carry a working policy even
 * with no ConfigMap. Terminated by an entry whose path is NULL.
 */
#ifndef DEVSERVER_POLICY_EMBEDDED_H
#define DEVSERVER_POLICY_EMBEDDED_H

#include <stddef.h>

struct policy_embedded_file {
	const char *path; /* relative to lua/: "policies/devserver.lua", "lib/k8s.lua" */
	const char *text;
	size_t len;
};

extern const struct policy_embedded_file policy_embedded_files[];

#endif
