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
	char n[7][24];

	uint64_t errors = 0;

	for (int i = 1; i < METRICS_ERROR_CODES; i++)
		errors += m->reconcile_errors[i];
	snprintf(n[0], sizeof(n[0]), "%llu", (unsigned long long)m->reconciles);
	snprintf(n[1], sizeof(n[1]), "%llu", (unsigned long long)m->writes);
	snprintf(n[2], sizeof(n[2]), "%llu", (unsigned long long)m->applies);
	snprintf(n[3], sizeof(n[3]), "%llu", (unsigned long long)m->applies_unchanged);
	snprintf(n[4], sizeof(n[4]), "%llu", (unsigned long long)m->status_writes);
	snprintf(n[5], sizeof(n[5]), "%llu", (unsigned long long)m->prunes);
	snprintf(n[6], sizeof(n[6]), "%llu", (unsigned long long)errors);
	log_msg(LOG_INFO, "operator stopping", "reconciles", n[0], "writes", n[1], "applies", n[2],
		"unchanged", n[3], "statusWrites", n[4], "deletes", n[5], "errors", n[6], NULL);
}
