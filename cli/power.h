/* power.h - stopping, starting and restarting a DevServer.
 *
 * Stop and start: one merge patch sets spec.stopped and clears the
 * operator's record of why it was stopped (the stopped-by annotation of idle
 * shutdown): a stop or a start by the user is the user's.
 *
 * Restart: the restart annotation with the time it was asked for. The
 * operator copies it onto the pod template, so the pod is replaced, and
 * takes the chance to apply what a flavor or policy change held back
 * (status.pendingRestart). Used by devctl stop, start and restart.
 */
#ifndef DEVCTL_POWER_H
#define DEVCTL_POWER_H

#include <stdbool.h>
#include <stdint.h>

#include "command.h"
#include "core/attr.h"
#include "json/json.h"

/* {"metadata":{"annotations":{stopped-by: null}},"spec":{"stopped":stopped}}
 * (caller frees). */
struct json *power_build_patch(bool stopped);

/* Applies it to DevServer name and prints the result line; the exit status. */
int power_apply(struct cli_ctx *ctx, const char *cmd, const char *name, bool stopped) DS_MUST_USE;

/* {"metadata":{"annotations":{restart: RFC 3339 of now}}} (caller frees). */
struct json *power_build_restart_patch(int64_t now);

/* Asks for a restart of DevServer name: refuses a stopped one (its start
 * brings the current flavor and policy anyway) and prints the result line;
 * the exit status. */
int power_restart(struct cli_ctx *ctx, const char *name) DS_MUST_USE;

#endif
