/* base64.c - RFC 4648 base64 (see base64.h).
 *
 * Written from the RFC: a 256-entry reverse table built once from the
 * alphabet string, four sextets accumulated into 24 bits, padding only at the
 * end. No URL-safe variant: nothing we read uses it.
 */
#include "core/base64.h"

#include <stdint.h>

static const char base64_alphabet[] =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/* -1 invalid, -2 whitespace, -3 padding, else the sextet value. */
static int base64_value(unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	if (c == ' ' || c == '\t' || c == '\r' || c == '\n')
		return -2;
	if (c == '=')
		return -3;
	return -1;
}

int base64_decode(const char *in, size_t len, struct buf *out, struct error *err)
{
	uint32_t acc = 0;
	int nsext = 0, npad = 0;
	unsigned char bytes[3];

	for (size_t i = 0; i < len; i++) {
		int v = base64_value((unsigned char)in[i]);

		if (v == -2)
			continue;
		if (v == -1)
			return error_set(err, ERR_INVALID, "base64: invalid character at offset %zu", i);
		if (v == -3) {
			/* padding completes a group of 2 or 3 sextets */
			if (nsext + npad < 2)
				return error_set(err, ERR_INVALID, "base64: misplaced '=' at offset %zu", i);
			npad++;
			if (nsext + npad > 4)
				return error_set(err, ERR_INVALID, "base64: too much padding at offset %zu", i);
			continue;
		}
		if (npad)
			return error_set(err, ERR_INVALID, "base64: data after padding at offset %zu", i);
		acc = (acc << 6) | (uint32_t)v;
		if (++nsext == 4) {
			bytes[0] = (unsigned char)(acc >> 16);
			bytes[1] = (unsigned char)(acc >> 8);
			bytes[2] = (unsigned char)acc;
			if (buf_append(out, bytes, 3) < 0)
				return error_set(err, ERR_LIMIT, "base64: output exceeds %zu bytes", out->max);
			acc = 0;
			nsext = 0;
		}
	}
	if (npad && nsext + npad != 4)
		return error_set(err, ERR_INVALID, "base64: bad padding");
	switch (nsext) {
	case 0:
		return 0;
	case 1:
		return error_set(err, ERR_INVALID, "base64: truncated input");
	case 2:
		bytes[0] = (unsigned char)(acc >> 4);
		if (buf_append(out, bytes, 1) < 0)
			return error_set(err, ERR_LIMIT, "base64: output exceeds %zu bytes", out->max);
		return 0;
	default: /* 3 */
		bytes[0] = (unsigned char)(acc >> 10);
		bytes[1] = (unsigned char)(acc >> 2);
		if (buf_append(out, bytes, 2) < 0)
			return error_set(err, ERR_LIMIT, "base64: output exceeds %zu bytes", out->max);
		return 0;
	}
}

int base64_encode(const void *in, size_t len, struct buf *out)
{
	const unsigned char *p = in;
	char q[4];
	size_t i;

	for (i = 0; i + 3 <= len; i += 3) {
		uint32_t v = ((uint32_t)p[i] << 16) | ((uint32_t)p[i + 1] << 8) | p[i + 2];

		q[0] = base64_alphabet[(v >> 18) & 63];
		q[1] = base64_alphabet[(v >> 12) & 63];
		q[2] = base64_alphabet[(v >> 6) & 63];
		q[3] = base64_alphabet[v & 63];
		if (buf_append(out, q, 4) < 0)
			return ERR_LIMIT;
	}
	if (i < len) {
		uint32_t v = (uint32_t)p[i] << 16;

		if (i + 1 < len)
			v |= (uint32_t)p[i + 1] << 8;
		q[0] = base64_alphabet[(v >> 18) & 63];
		q[1] = base64_alphabet[(v >> 12) & 63];
		q[2] = i + 1 < len ? base64_alphabet[(v >> 6) & 63] : '=';
		q[3] = '=';
		if (buf_append(out, q, 4) < 0)
			return ERR_LIMIT;
	}
	return 0;
}
