/* kubeconfig_internal.h - helpers kubeconfig.c shares with exec_plugin.c
 * only (the double underscore marks them internal to src/kube).
 */
#ifndef DEVSERVER_KUBE_KUBECONFIG_INTERNAL_H
#define DEVSERVER_KUBE_KUBECONFIG_INTERNAL_H

#include "kube/kubeconfig.h"

/* Strips trailing newlines, carriage returns, spaces and tabs in place. */
void kube__trim_right(char *s);

/* Frees b's bytes and leaves it empty. */
void kube__blob_free(struct kube_blob *b);

#endif
