/* base64.h - RFC 4648 base64 decoding and encoding into bounded buffers.
 *
 * kubeconfig carries certificates and keys as base64 (the *-data fields) and
 * basic auth needs an encoder; nothing else does, so this is deliberately
 * small. Decoding accepts the standard alphabet, optional '=' padding and
 * ignores ASCII whitespace (kubeconfig files sometimes fold long values);
 * anything else, or a truncated final group, is ERR_INVALID.
 */
#ifndef DEVSERVER_CORE_BASE64_H
#define DEVSERVER_CORE_BASE64_H

#include <stddef.h>

#include "core/attr.h"
#include "core/buf.h"
#include "core/error.h"

/* Upper bound of the decoded size of n input characters. */
#define BASE64_DECODED_MAX_BYTES(n) (((n) / 4 + 1) * 3)

/* Appends the decoded bytes of in[0..len) to out. 0, ERR_INVALID (with the
 * offending offset in err) or ERR_LIMIT when out's ceiling is hit; out may
 * hold a partial result after an error. */
int base64_decode(const char *in, size_t len, struct buf *out, struct error *err) DS_MUST_USE;

/* Appends the padded standard encoding of in[0..len) to out; 0 or ERR_LIMIT. */
int base64_encode(const void *in, size_t len, struct buf *out) DS_MUST_USE;

#endif
