/* utf8.h - bounded text that stays valid UTF-8.
 *
 * Kubernetes keeps strings as UTF-8, and the API server's JSON decoder
 * replaces every byte that is not part of a valid sequence with U+FFFD (so
 * does our encoder, src/json). Text cut in the middle of a character, or
 * carrying stray bytes, therefore comes back from the server different from
 * what the operator computed: a status compared with its stored self never
 * matches and is rewritten on every reconcile. Whatever goes into status,
 * conditions or Events is cut and cleaned here first, so it round-trips
 * unchanged:
 *   - a cut never leaves part of a character behind;
 *   - a sequence cut short by the very end of the input is dropped (it is what
 *     a byte-bounded formatter upstream, such as error_set, left behind);
 *   - any other byte that does not begin a valid sequence becomes U+FFFD, one
 *     per byte, exactly as the server would store it.
 * Valid means RFC 3629: no overlong forms, no UTF-16 surrogates, nothing past
 * U+10FFFF. The NUL byte ends a C string and is never part of the text.
 */
#ifndef DEVSERVER_CORE_UTF8_H
#define DEVSERVER_CORE_UTF8_H

#include <stdbool.h>
#include <stddef.h>

#define UTF8_REPLACEMENT "\xef\xbf\xbd"   /* U+FFFD, 3 bytes */
#define UTF8_FORMAT_MAX_BYTES 4096        /* largest dst utf8_format accepts */

/* Length (1-4) of the valid sequence at the start of s[0..n), n > 0; 0 when
 * s[0] does not start one within n bytes. */
size_t utf8_seq_len(const char *s, size_t n);

/* Whether s[0..n) is entirely valid UTF-8. */
bool utf8_valid(const char *s, size_t n);

/* The longest prefix of the valid text s[0..n) that fits in max_bytes and
 * ends on a character boundary: a length <= min(n, max_bytes). */
size_t utf8_cut(const char *s, size_t n, size_t max_bytes);

/* Copies the C string src into dst (size >= 1 bytes, always NUL-terminated),
 * cleaned and cut as described above; returns the bytes written without the
 * NUL. dst and src must not overlap. */
size_t utf8_copy(char *dst, size_t size, const char *src);

/* snprintf, then utf8_copy: the result in dst (1 <= size <=
 * UTF8_FORMAT_MAX_BYTES) is valid UTF-8 cut on a character boundary. Returns
 * its length. Arguments may point into dst. */
size_t utf8_format(char *dst, size_t size, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#endif
