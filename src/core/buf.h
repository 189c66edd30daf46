/* buf.h - a growable byte buffer with a hard ceiling.
 *
 * Every buffer names its maximum at init; growing past it fails with
 * ERR_LIMIT instead of reallocating without end, so a hostile peer or policy
 * cannot make the host grow without bound. The contents are always
 * NUL-terminated (the terminator is not counted in len), so text can be used
 * as a C string. Caller-allocated: buf_init / buf_cleanup.
 *
 * Errors are sticky, as in curl's dynbuf: after the first append that fails,
 * every later append fails too without changing the buffer, and
 * buf_error() reports the first failure. So a builder may append a whole
 * request and check once at the end, and a late short append can never
 * make a cut-off text look complete. buf_reset, buf_take and buf_cleanup
 * clear the error.
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
	int error;      /* 0, or the code of the first failed append (sticky) */
};

void buf_init(struct buf *b, size_t max_bytes);
void buf_cleanup(struct buf *b);
/* Empties the buffer but keeps its memory for reuse. */
void buf_reset(struct buf *b);

/* Each returns 0, or ERR_LIMIT (buffer unchanged) past the ceiling - or
 * the earlier failure's code, once one append has failed. */
int buf_append(struct buf *b, const void *p, size_t n);
int buf_append_str(struct buf *b, const char *s);
int buf_append_char(struct buf *b, char c);
int buf_appendf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int buf_vappendf(struct buf *b, const char *fmt, va_list ap);

/* 0, or the code of the first append that failed since the last reset. */
int buf_error(const struct buf *b);

/* Removes the first n bytes (n <= len), shifting the rest down. */
void buf_consume(struct buf *b, size_t n);

/* Returns the contents as a heap string the caller must free (never NULL)
 * and leaves the buffer empty. */
char *buf_take(struct buf *b);

/* The contents as a C string ("" when empty); valid until the next change. */
const char *buf_str(const struct buf *b);

#endif
