/* selector.h - Kubernetes label selectors, parsed once and matched often.
 *
 * The string form the API server accepts: comma-separated requirements, each
 * one of  key=value  key==value  key!=value  key in (v1,v2)
 * key notin (v1,v2)  key  !key . As upstream, != and notin also match
 * objects that do not carry the key. An empty selector matches everything.
 * Used by the cache to answer "which cached objects does this select"
 * without asking the API server.
 */
#ifndef DEVSERVER_KUBE_SELECTOR_H
#define DEVSERVER_KUBE_SELECTOR_H

#include <stdbool.h>
#include <stddef.h>

#include "core/attr.h"
#include "core/error.h"
#include "json/json.h"

#define SELECTOR_MAX_BYTES 4096       /* selector text */
#define SELECTOR_MAX_REQUIREMENTS 64
#define SELECTOR_MAX_VALUES 64        /* per in/notin */

enum selector_op { SELECTOR_EQ, SELECTOR_NE, SELECTOR_IN, SELECTOR_NOTIN, SELECTOR_EXISTS, SELECTOR_NOT_EXISTS };

struct selector_req {
	char *key;
	enum selector_op op;
	char **values;    /* EQ/NE: one; IN/NOTIN: nvalues */
	size_t nvalues;
};

struct selector {
	struct selector_req *reqs;
	size_t n;
};

/* Parses text (NULL or "" gives the empty selector). 0 or ERR_INVALID naming
 * the offset; on error s is left empty. */
int selector_parse(struct selector *s, const char *text, struct error *err) DS_MUST_USE;
void selector_cleanup(struct selector *s);

/* labels: a JSON object of string values, or NULL for none. */
bool selector_matches_labels(const struct selector *s, const struct json *labels);
/* Matches obj's metadata.labels. */
bool selector_matches(const struct selector *s, const struct json *obj);

#endif
