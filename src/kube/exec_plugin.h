/* exec_plugin.h - the exec credential plugin runner behind
 * kube_config_credentials (see exec_plugin.c).
 */
#ifndef DEVSERVER_KUBE_EXEC_PLUGIN_H
#define DEVSERVER_KUBE_EXEC_PLUGIN_H

#include "core/attr.h"
#include "core/error.h"
#include "kube/kubeconfig.h"

/* Runs ex's plugin (with cfg's cluster as KUBERNETES_EXEC_INFO when ex asks
 * for it), waiting at most its timeout, and on success replaces ex's cached
 * token/certificate with what it printed. Returns 0 or a negative error code
 * (ERR_IO: could not run or it failed, ERR_TIMEOUT, ERR_LIMIT: too much
 * output, ERR_INVALID: not an ExecCredential) with detail in err. */
int exec_plugin_run(const struct kube_config *cfg, struct kube_exec *ex, struct error *err) DS_MUST_USE;

/* Forgets ex's cached credentials (the next kube_config_credentials runs the
 * plugin again). */
void exec_plugin_clear_cache(struct kube_exec *ex);

#endif
