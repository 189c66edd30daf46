/* log.h - leveled logging to stderr, as text or JSON lines.
 *
 * Only programs (the operator loop, devctl commands) log; library functions
 * return errors instead. Fields are passed as alternating key/value strings
 * so both formats carry the same structure:
 *   log_msg(LOG_INFO, "reconciled", "key", "ns/name", "ms", "12", NULL);
 */
#ifndef DEVSERVER_CORE_LOG_H
#define DEVSERVER_CORE_LOG_H

#include "core/attr.h"

enum log_level { LOG_DEBUG = 0, LOG_INFO, LOG_WARN, LOG_ERROR, LOG_OFF };
enum log_format { LOG_FORMAT_TEXT = 0, LOG_FORMAT_JSON };

void log_set_level(enum log_level level);
void log_set_format(enum log_format format);
enum log_level log_get_level(void);
/* Parses "debug|info|warn|error|off" / "text|json"; 0 or ERR_INVALID. */
int log_parse_level(const char *s, enum log_level *out) DS_MUST_USE;
int log_parse_format(const char *s, enum log_format *out) DS_MUST_USE;

/* msg, then NULL-terminated key/value pairs of strings. */
void log_msg(enum log_level level, const char *msg, ...) __attribute__((sentinel));
/* printf-style message with no fields. */
void log_printf(enum log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
