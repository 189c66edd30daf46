/* policy_status.h - the policy ConfigMap's status annotation, as JSON.
 *
 * The operator records the outcome of a policy version's trial on the
 * ConfigMap (API_ANNOTATION_POLICY_STATUS); devctl policy status reads it.
 * One encoder and one parser, so the two sides cannot drift:
 *   {"state":"active","revision":"<rev>"}
 *   {"state":"rejected","revision":"<rev>","reason":"...","active":"<rev>"}
 * The encoding is canonical (sorted keys), so an unchanged status encodes
 * to the same bytes and the operator can skip the write. The parser also
 * reads the free text older operators wrote ("active <rev>",
 * "rejected <rev>: <reason> (active: <rev>)"), so a devctl newer than the
 * operator keeps working during an upgrade.
 */
#ifndef DEVSERVER_API_POLICY_STATUS_H
#define DEVSERVER_API_POLICY_STATUS_H

#include <stddef.h>

#include "core/attr.h"
#include "core/error.h"

#define API_POLICY_REVISION_MAX 64      /* bytes with the NUL; revisions are 12 hex */
#define API_POLICY_REASON_MAX 600       /* bytes with the NUL; longer reasons are cut */
#define API_POLICY_STATUS_MAX_BYTES 2048 /* the encoded annotation */

enum api_policy_state {
	API_POLICY_ACTIVE,     /* revision went live */
	API_POLICY_REJECTED,   /* revision failed its trial; active keeps serving */
};

struct api_policy_status {
	enum api_policy_state state;
	char revision[API_POLICY_REVISION_MAX];
	char active[API_POLICY_REVISION_MAX];   /* rejected: the one serving; may be "" */
	char reason[API_POLICY_REASON_MAX];     /* rejected: why */
};

/* The annotation's value: a heap string (caller frees) or NULL with err
 * set (ERR_INVALID for an unknown state). */
char *api_policy_status_encode(const struct api_policy_status *st, struct error *err) DS_MUST_USE;

/* 0, or ERR_INVALID naming what is wrong with text. */
int api_policy_status_parse(const char *text, struct api_policy_status *st, struct error *err) DS_MUST_USE;

#endif
