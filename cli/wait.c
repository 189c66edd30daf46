/* wait.c - the conditions devctl waits for (see wait.h): parsing --for and
 * deciding whether a DevServer as watched meets one. Pure functions; the
 * watching is the backend's (backend_watch), and the commands that wait
 * (wait, create --wait) only pass these along as its predicate.
 */
#include "wait.h"

#include <stdio.h>
#include <string.h>

#include "output.h"

static const char *const phases[] = { "Pending", "Running", "Stopped", "Failed", "Unknown" };

int wait_parse_for(const char *s, struct wait_for *w, struct error *err)
{
	memset(w, 0, sizeof(*w));
	if (strcmp(s, "ready") == 0) {
		w->kind = WAIT_READY;
		return 0;
	}
	if (strcmp(s, "deleted") == 0 || strcmp(s, "delete") == 0) {
		w->kind = WAIT_DELETED;
		return 0;
	}
	if (strncmp(s, "phase=", 6) == 0) {
		for (size_t i = 0; i < sizeof(phases) / sizeof(phases[0]); i++)
			if (strcmp(s + 6, phases[i]) == 0) {
				w->kind = WAIT_PHASE;
				snprintf(w->phase, sizeof(w->phase), "%s", phases[i]);
				return 0;
			}
		return error_set(err, ERR_INVALID,
				 "--for: unknown phase \"%s\" (Pending, Running, Stopped, Failed or Unknown)",
				 s + 6);
	}
	return error_set(err, ERR_INVALID,
			 "--for: invalid condition \"%s\" (use ready, deleted or phase=PHASE)", s);
}

bool wait_is_met(const struct wait_for *w, const struct json *obj)
{
	const char *s;

	switch (w->kind) {
	case WAIT_DELETED:
		return obj == NULL;
	case WAIT_READY:
		s = output_condition_status(obj, "Ready");
		return s && strcmp(s, "True") == 0;
	case WAIT_PHASE:
		s = json_get_string(json_get(obj, "status"), "phase");
		return s && strcmp(s, w->phase) == 0;
	}
	return false;
}
