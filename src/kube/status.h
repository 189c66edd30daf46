/* status.h - what an API server response means for the caller.
 *
 * Maps an HTTP status (and the Kubernetes Status object in the body, when
 * there is one) onto the project's error codes: 2xx ok; 409 ERR_CONFLICT;
 * 410 ERR_GONE; 404 ERR_NOT_FOUND; 401/403 ERR_UNAUTHORIZED; 408, 429 and 5xx
 * ERR_RETRY; any other status ERR_PERMANENT. The error message carries the
 * Status message (the API server's own words, e.g. the field a 422 rejects),
 * falling back to the start of the body.
 */
#ifndef DEVSERVER_KUBE_STATUS_H
#define DEVSERVER_KUBE_STATUS_H

#include <stddef.h>

#include "core/attr.h"
#include "core/error.h"
#include "json/json.h"

/* Returns 0 for 2xx, else the error code, with err filled. body may be NULL. */
int kube_status_classify(long http_status, const char *body, size_t len, struct error *err) DS_MUST_USE;

/* Same for a Status object already parsed (an ERROR event of a watch);
 * the code comes from its "code" field (500 when missing). */
int kube_status_from_object(const struct json *status, struct error *err) DS_MUST_USE;

#endif
