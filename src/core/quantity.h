/* quantity.h - Kubernetes resource quantities ("500m", "1Gi", "2", "1e3").
 *
 * Parsed into an exact value in nano-units (value * 10^9) held in a 128-bit
 * integer, enough for every quantity the API server accepts that matters to
 * us (up to ~1.7e20 units). Used to compare quantities semantically, since
 * the API server rewrites them canonically ("0.5" comes back as "500m", 
 * "1000Mi" stays, "1e3" comes back as "1k").
 *
 * Grammar (the API server's): sign? digits ('.' digits?)? suffix?, where
 * suffix is a binary SI (Ki Mi Gi Ti Pi Ei), a decimal SI (n u m "" k M G T
 * P E) or a decimal exponent (e|E sign? digits).
 */
#ifndef DEVSERVER_CORE_QUANTITY_H
#define DEVSERVER_CORE_QUANTITY_H

#include <stdbool.h>

#include "core/attr.h"

#define QUANTITY_MAX_BYTES 64

/* Nano-units; two quantities are equal when their values are. */
typedef __int128 quantity_nanos;

/* 0 and *out, or ERR_INVALID (syntax) / ERR_LIMIT (too large or too precise
 * to represent in nano-units exactly). */
int quantity_parse(const char *s, quantity_nanos *out) DS_MUST_USE;
/* True when both parse and are equal. */
bool quantity_equal(const char *a, const char *b);

#endif
