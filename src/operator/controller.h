/* controller.h - the operator's control loop, as a unit main.c can drive.
 *
 * controller_new connects (kubeconfig or in-cluster), builds the built-in
 * policy and the informers; controller_run lists and watches everything,
 * waits for the caches to sync, then reconciles DevServers from the queue
 * until controller_stop is called (async-signal-safe: it only sets a flag).
 */
#ifndef DEVSERVER_OPERATOR_CONTROLLER_H
#define DEVSERVER_OPERATOR_CONTROLLER_H

#include "core/attr.h"
#include "core/error.h"
#include "operator/options.h"

struct controller;

int controller_new(const struct operator_options *opt, struct controller **out, struct error *err) DS_MUST_USE;
/* Runs until stopped; 0 on a clean stop, or an error that ended the loop. */
int controller_run(struct controller *c, struct error *err) DS_MUST_USE;
void controller_stop(struct controller *c);
void controller_free(struct controller *c);

#endif
