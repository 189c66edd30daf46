/* shutdown_summary.c - the "operator stopping" log line (see
 * shutdown_summary.h), written when the loop ends cleanly.
 *
 * The totals come from the loop's own struct metrics, which /metrics also
 * serves, so the line and a last scrape agree. What it does not do: decide
 * whether the loop ends or how (controller_run; a lost leadership returns an
 * error instead of this line).
 */
#include "operator/shutdown_summary.h"

#include <stdio.h>

#include "core/log.h"

void shutdown_summary_log(const struct metrics *m)
{
	uint64_t errors = 0;

	for (int i = 1; i < METRICS_ERROR_CODES; i++)
		errors += m->reconcile_errors[i];
	log_kv(LOG_INFO, "operator stopping", LOG_UINT("reconciles", m->reconciles), LOG_UINT("writes", m->writes),
	       LOG_UINT("applies", m->applies), LOG_UINT("unchanged", m->applies_unchanged),
	       LOG_UINT("statusWrites", m->status_writes), LOG_UINT("deletes", m->prunes),
	       LOG_UINT("errors", errors));
}
