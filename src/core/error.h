/* error.h - project error codes and the caller-owned error detail struct.
 *
 * Every fallible function returns 0 or a negative ERR_* code. The code says
 * what the caller can do about it (retry, relist, fix the input, give up);
 * the human-readable detail goes into a fixed-size struct error that the
 * caller owns, so reporting an error never allocates. A layer either returns
 * an error or logs it, never both.
 */
#ifndef DEVSERVER_CORE_ERROR_H
#define DEVSERVER_CORE_ERROR_H

#include <stddef.h>

#define ERROR_MSG_MAX_BYTES 512

enum error_code {
	ERR_OK = 0,
	ERR_INVALID = -1,   /* bad input: fix it, retrying will not help */
	ERR_LIMIT = -2,     /* a named limit (size, depth, count) was exceeded */
	ERR_IO = -3,        /* local I/O: file missing, unreadable, ... */
	ERR_RETRY = -4,     /* transient: network, 429, 5xx; try again later */
	ERR_CONFLICT = -5,  /* 409: re-read and try again */
	ERR_GONE = -6,      /* 410: resourceVersion too old, relist */
	ERR_NOT_FOUND = -7, /* 404 */
	ERR_PERMANENT = -8, /* other 4xx: give up, the message says why */
	ERR_POLICY = -9,    /* a policy failed to load, run or validate */
	ERR_TIMEOUT = -10,  /* a time budget ran out */
	ERR_UNAUTHORIZED = -11, /* 401/403 */
};

struct error {
	int code;
	char msg[ERROR_MSG_MAX_BYTES];
};

/* Clears err (may be NULL). */
void error_clear(struct error *err);

/* Records code and a printf-style message in err (may be NULL) and returns
 * code, so callers can write `return error_set(err, ERR_INVALID, ...)`. */
int error_set(struct error *err, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Prepends "prefix: " to err's message, keeping its code; returns the code. */
int error_prefix(struct error *err, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* What a caller may do about a code, from one table (error.c) that the
 * HTTP client and the reconcilers share:
 *  - RESEND: the request itself may be sent again after a pause (network,
 *    429, 5xx) - the client does that within a call;
 *  - LATER: this attempt failed, but a later one may succeed without
 *    anyone changing the object (a conflict, a timeout, a stale read, a
 *    permission granted later, a local file that comes back) - a
 *    reconciler backs off and tries again, and logs it as information;
 *  - NEVER: the input must change first (invalid, too large, a policy
 *    error, a permanent 4xx) - retried only on the slow backoff, and
 *    logged as a warning. RESEND implies LATER. */
enum error_retry { ERROR_RETRY_NEVER, ERROR_RETRY_LATER, ERROR_RETRY_RESEND };
enum error_retry error_retry_class(int code);

/* The text of an errno value, safe from any thread (strerror is not: it
 * may share one buffer between threads, and the operator runs a health
 * thread). Never NULL. */
const char *error_errno_text(int errnum);

/* Short stable name of a code ("invalid", "retry", ...), for logs and metrics. */
const char *error_code_name(int code);

#endif
