/* buf.h - a growable byte buffer with a hard ceiling.
 *
 * Every buffer names its maximum at init; growing past it fails with
 * ERR_LIMIT instead of reallocating without end, so a hostile peer or policy
 * cannot make the host grow without bound. The contents are always
 * NUL-terminated (the terminator is not counted in len), so text can be used
 * as a C string. Caller-allocated: buf_init / buf_cleanup.
 */
#ifndef DEVSERVER_CORE_BUF_H
#define DEVSERVER_CORE_BUF_H

#include <stdarg.h>
#include <stddef.h>

struct buf {
	char *data;     /* NULL until the first append */
	size_t len;
	size_t cap;
	size_t max;     /* ceiling for len, in bytes */
};

void buf_init(struct buf *b, size_t max_bytes);
void buf_cleanup(struct buf *b);
/* Empties the buffer but keeps its memory for reuse. */
void buf_reset(struct buf *b);

/* Each returns 0, or ERR_LIMIT (buffer unchanged) past the ceiling. */
int buf_append(struct buf *b, const void *p, size_t n);
int buf_append_str(struct buf *b, const char *s);
int buf_append_char(struct buf *b, char c);
int buf_appendf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int buf_vappendf(struct buf *b, const char *fmt, va_list ap);

/* Removes the first n bytes (n <= len), shifting the rest down. */
void buf_consume(struct buf *b, size_t n);

/* Returns the contents as a heap string the caller must free (never NULL)
 * and leaves the buffer empty. */
char *buf_take(struct buf *b);

/* The contents as a C string ("" when empty); valid until the next change. */
const char *buf_str(const struct buf *b);

#endif
