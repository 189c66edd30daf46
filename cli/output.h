/* output.h - what devctl prints, as pure functions into a struct buf.
 *
 * Everything here takes objects (struct json) and the current time as
 * arguments and appends text to a buffer: no I/O, no clock, so the tests
 * compare exact text. Tables are kubectl-like: upper-case headers, columns
 * as wide as their widest cell, three spaces apart, no trailing blanks.
 */
#ifndef DEVCTL_OUTPUT_H
#define DEVCTL_OUTPUT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "command.h"
#include "core/attr.h"
#include "core/buf.h"
#include "core/error.h"
#include "json/json.h"

#define OUTPUT_MAX_BYTES (64u * 1024 * 1024)  /* one command's output */
#define OUTPUT_AGE_BYTES 32
#define OUTPUT_TABLE_MAX_COLS 16
#define OUTPUT_NONE "<none>"
#define OUTPUT_DEVSERVER_RESOURCE "devserver.devserver.io"

/* A table under construction; cells are copied. */
struct table {
	size_t ncols;
	size_t nrows;   /* the header included */
	size_t cap;
	char **cells;   /* nrows * ncols */
};

void table_init(struct table *t, size_t ncols);
void table_cleanup(struct table *t);
/* Adds a row of t->ncols cells (NULL or "" prints as <none>). */
void table_add_row(struct table *t, const char *const *cells);
/* Appends the table; 0 or ERR_LIMIT. */
int table_render(const struct table *t, struct buf *out) DS_MUST_USE;

/* Humanizes a duration: "45s", "5m", "2h3m", "2h", "3d4h", "12d"; negative
 * values print as "0s". out has OUTPUT_AGE_BYTES. */
void output_age(int64_t seconds, char *out);
/* Age of an object from metadata.creationTimestamp, or <none>. */
void output_object_age(const struct json *obj, int64_t now, char *out);
/* Time until status.expiresAt: "2h3m", "expired", or <none> without one. */
void output_expires_in(const struct json *ds, int64_t now, char *out);
/* Status of the condition of that type ("True", ...) or NULL. */
const char *output_condition_status(const struct json *obj, const char *type);

/* A list of DevServers (items: JSON array) in format f. pods (may be NULL) is
 * an array of their Pods, matched by the label devserver.io/name, for the
 * wide columns IMAGE NODE IP. namespaces adds a NAMESPACE column (-A).
 * JSON and YAML print a v1 List. */
int output_devservers(const struct json *items, const struct json *pods,
		      enum output_format f, bool namespaces, int64_t now, struct buf *out,
		      struct error *err) DS_MUST_USE;

/* One object as JSON (pretty, canonical key order), YAML, or its name
 * ("devserver.devserver.io/NAME"). resource is the prefix for OUT_NAME. */
int output_object(const struct json *obj, const char *resource, enum output_format f,
		  struct buf *out, struct error *err) DS_MUST_USE;

/* A list of objects as a v1 List in JSON or YAML. */
int output_list_doc(const struct json *items, enum output_format f, struct buf *out,
		    struct error *err) DS_MUST_USE;

/* DevServerFlavors: NAME DEFAULT CPU MEMORY GPU MAX-TTL AGE; wide adds
 * IMAGE DESCRIPTION. */
int output_flavors(const struct json *items, enum output_format f, int64_t now,
		   struct buf *out, struct error *err) DS_MUST_USE;

/* `describe`: spec, status, conditions and events (array, may be NULL). */
int output_describe(const struct json *ds, const struct json *events, int64_t now,
		    struct buf *out, struct error *err) DS_MUST_USE;

/* `policy status` as text: {revision, source, loadedAt, lastRejection:
 * {revision, reason, time}} (see backend.h). */
int output_policy_status(const struct json *st, struct buf *out, struct error *err) DS_MUST_USE;

#endif
