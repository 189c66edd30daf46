/* error.c - filling struct error without allocating.
 *
 * Messages are truncated to ERROR_MSG_MAX_BYTES; truncation is preferable to
 * allocating on an error path.
 */
#include "core/error.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

void error_clear(struct error *err)
{
	if (!err)
		return;
	err->code = ERR_OK;
	err->msg[0] = '\0';
}

int error_set(struct error *err, int code, const char *fmt, ...)
{
	char text[ERROR_MSG_MAX_BYTES];
	va_list ap;

	if (!err)
		return code;
	/* format aside first: an argument may be err->msg itself */
	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	err->code = code;
	memcpy(err->msg, text, sizeof(text));
	return code;
}

int error_prefix(struct error *err, const char *fmt, ...)
{
	char prefix[ERROR_MSG_MAX_BYTES];
	size_t plen, olen, room = ERROR_MSG_MAX_BYTES - 1;
	va_list ap;

	if (!err)
		return ERR_INVALID;
	va_start(ap, fmt);
	vsnprintf(prefix, sizeof(prefix), fmt, ap);
	va_end(ap);
	/* "prefix: old", truncated at the end: shift the old text right, then
	 * copy the prefix in front of it. */
	plen = strlen(prefix);
	if (plen + 2 > room)
		plen = room - 2;
	olen = strlen(err->msg);
	if (olen > room - plen - 2)
		olen = room - plen - 2;
	memmove(err->msg + plen + 2, err->msg, olen);
	memcpy(err->msg, prefix, plen);
	err->msg[plen] = ':';
	err->msg[plen + 1] = ' ';
	err->msg[plen + 2 + olen] = '\0';
	return err->code;
}

const char *error_errno_text(int errnum)
{
	const char *text = strerrordesc_np(errnum); /* static strings: no shared buffer */

	return text ? text : "unknown error";
}

enum error_retry error_retry_class(int code)
{
	switch (code) {
	case ERR_RETRY:
		return ERROR_RETRY_RESEND;
	case ERR_CONFLICT:
	case ERR_GONE:
	case ERR_TIMEOUT:
	case ERR_UNAUTHORIZED:
	case ERR_IO:
		return ERROR_RETRY_LATER;
	default:
		return ERROR_RETRY_NEVER;
	}
}

const char *error_code_name(int code)
{
	switch (code) {
	case ERR_OK: return "ok";
	case ERR_INVALID: return "invalid";
	case ERR_LIMIT: return "limit";
	case ERR_IO: return "io";
	case ERR_RETRY: return "retry";
	case ERR_CONFLICT: return "conflict";
	case ERR_GONE: return "gone";
	case ERR_NOT_FOUND: return "not_found";
	case ERR_PERMANENT: return "permanent";
	case ERR_POLICY: return "policy";
	case ERR_TIMEOUT: return "timeout";
	case ERR_UNAUTHORIZED: return "unauthorized";
	default: return "unknown";
	}
}
