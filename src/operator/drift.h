/* drift.h - does an observed child still hold everything we applied?
 *
 * After a server-side apply the object on the server contains every field we
 * sent, possibly rewritten: zero values of `omitempty` fields are dropped
 * (readOnly: false disappears), quantities are canonicalised (0.5 -> 500m),
 * defaults and other managers' fields are added. drift_find walks the
 * desired object and reports the first field the observed object does not
 * hold, modulo exactly those rewrites. No drift and an unchanged render hash
 * means the child needs no write - which is how the operator reaches zero
 * writes at steady state while still repairing hand edits.
 */
#ifndef DEVSERVER_OPERATOR_DRIFT_H
#define DEVSERVER_OPERATOR_DRIFT_H

#include <stdbool.h>
#include <stddef.h>

#include "json/json.h"

#define DRIFT_PATH_MAX_BYTES 256

/* True when observed lacks or differs from something in desired; path (may
 * be NULL) receives the first such field, e.g. "spec.template.spec.containers[0].image". */
bool drift_find(const struct json *desired, const struct json *observed, char *path, size_t path_size);

#endif
