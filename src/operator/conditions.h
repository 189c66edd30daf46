/* conditions.h - metav1.Condition lists whose transition times stay put.
 *
 * A condition keeps its previous lastTransitionTime while its status does
 * not change, so computing the same state twice yields equal documents and
 * the operator writes nothing. Used for DevServer and DevServerFlavor status.
 */
#ifndef DEVSERVER_OPERATOR_CONDITIONS_H
#define DEVSERVER_OPERATOR_CONDITIONS_H

#include <stdbool.h>
#include <stdint.h>

#include "json/json.h"

/* A condition's message at most, in bytes (the API allows 32768; ours come
 * from buffers of ERROR_MSG_MAX_BYTES). */
#define CONDITION_MESSAGE_MAX_BYTES 1024

/* Appends {type, status True/False, reason, message, observedGeneration,
 * lastTransitionTime} to list. old_list (may be NULL) is the object's
 * current conditions; now is unix seconds. message NULL means ""; it is
 * cleaned and cut on a character boundary (core/utf8). */
void condition_append(struct json *list, const struct json *old_list, const char *type, bool ok,
		      const char *reason, const char *message, int64_t generation, int64_t now);

#endif
