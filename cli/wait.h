/* wait.h - what devctl waits for: a DevServer ready, deleted or in a
 * phase. Shared by devctl wait and devctl create --wait (wait.c).
 */
#ifndef DEVCTL_WAIT_H
#define DEVCTL_WAIT_H

#include <stdbool.h>

#include "core/attr.h"
#include "core/error.h"
#include "json/json.h"

enum wait_kind { WAIT_READY, WAIT_DELETED, WAIT_PHASE };
struct wait_for {
	enum wait_kind kind;
	char phase[16];
};

/* "ready", "deleted", "phase=Running" (phases as in the CRD). */
int wait_parse_for(const char *s, struct wait_for *w, struct error *err) DS_MUST_USE;
/* Whether obj (NULL: it does not exist) meets w. */
bool wait_is_met(const struct wait_for *w, const struct json *obj);

#endif
