/* power.h - stopping and starting a DevServer: the spec.stopped switch.
 *
 * One merge patch sets spec.stopped and clears the operator's record of why
 * it was stopped (the stopped-by annotation of idle shutdown): a stop or a
 * start by the user is the user's. Used by devctl stop and start.
 */
#ifndef DEVCTL_POWER_H
#define DEVCTL_POWER_H

#include <stdbool.h>

#include "command.h"
#include "json/json.h"

/* {"metadata":{"annotations":{stopped-by: null}},"spec":{"stopped":stopped}}
 * (caller frees). */
struct json *power_build_patch(bool stopped);

/* Applies it to DevServer name and prints the result line; the exit status. */
int power_apply(struct cli_ctx *ctx, const char *cmd, const char *name, bool stopped);

#endif
