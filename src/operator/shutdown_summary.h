/* shutdown_summary.h - the operator's last log line: what this run did. */
#ifndef DEVSERVER_OPERATOR_SHUTDOWN_SUMMARY_H
#define DEVSERVER_OPERATOR_SHUTDOWN_SUMMARY_H

#include "operator/metrics.h"

/* Logs "operator stopping" at INFO with m's totals: reconciles, writes,
 * applies (and how many were unchanged), status writes, deletes and
 * reconcile errors of any code. */
void shutdown_summary_log(const struct metrics *m);

#endif
