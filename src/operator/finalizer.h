/* finalizer.h - taking the predecessor's finalizer off a DevServer.
 *
 * The Python (kopf) operator this one replaces put its finalizer on every
 * DevServer it handled; with it gone, nothing would ever remove it and the
 * DevServer could never be deleted (issue 18). This operator needs no
 * finalizer of its own (children go by garbage collection), so when it
 * takes a DevServer over it removes kopf's entry - and only that: the patch
 * is a JSON Patch whose every removal is preceded by a test of the value at
 * that index, and which tests the uid, so a list someone changed meanwhile
 * makes the API server refuse the patch (422) instead of dropping their
 * finalizer; the reconcile then retries from the newer object.
 */
#ifndef DEVSERVER_OPERATOR_FINALIZER_H
#define DEVSERVER_OPERATOR_FINALIZER_H

#include <stdbool.h>

#include "json/json.h"

/* kopf's finalizer (kopf's persistence settings' default), and the bare
 * marker its early releases wrote. */
#define FINALIZER_KOPF "kopf.zalando.org/KopfFinalizerMarker"
#define FINALIZER_KOPF_LEGACY "KopfFinalizerMarker"
#define FINALIZER_PATCH_CONTENT_TYPE "application/json-patch+json"
/* The Event's reason when the operator took kopf's finalizer off. */
#define FINALIZER_REMOVED_REASON "PredecessorFinalizerRemoved"
#define FINALIZER_NAMES_MAX_BYTES 256

/* True when ds (borrowed, may be NULL) has one of kopf's finalizers. */
bool finalizer_has_predecessor(const struct json *ds);
/* The JSON Patch (an array, caller owns) removing kopf's entries from ds's
 * metadata.finalizers, highest index first, each after a test of its value;
 * the first operation tests metadata.uid. NULL when there is nothing to
 * remove or ds has no uid to guard with. */
struct json *finalizer_removal_patch(const struct json *ds);
/* The kopf entries of ds, ", "-separated (for logs and the Event); "" when
 * none. Truncated to fit. */
void finalizer_predecessor_names(const struct json *ds, char out[FINALIZER_NAMES_MAX_BYTES]);

#endif
