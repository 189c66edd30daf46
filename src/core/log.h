/* log.h - leveled logging to stderr, as text or JSON lines.
 *
 * Only programs (the operator loop, devctl commands) log; library functions
 * return errors instead. Fields are passed as alternating key/value strings
 * so both formats carry the same structure:
 *   log_msg(LOG_INFO, "reconciled", "key", "ns/name", NULL);
 * or, when a field is a number, as typed fields, so no caller formats
 * numbers into strings and the JSON format carries them as numbers:
 *   log_kv(LOG_INFO, "caches synced", LOG_MS("took", ms), LOG_UINT("devservers", n));
 * Text: took=812ms devservers=3; JSON: "took_ms":812,"devservers":3.
 */
#ifndef DEVSERVER_CORE_LOG_H
#define DEVSERVER_CORE_LOG_H

#include <stddef.h>
#include <stdint.h>

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

enum log_field_type { LOG_FIELD_STR, LOG_FIELD_INT, LOG_FIELD_UINT, LOG_FIELD_MS };

struct log_field {
	const char *key;
	enum log_field_type type;
	union {
		const char *s;     /* NULL: the field is left out */
		int64_t i;         /* INT, MS (milliseconds) */
		uint64_t u;
	} v;
};

#define LOG_STR(k, x) ((struct log_field){.key = (k), .type = LOG_FIELD_STR, .v.s = (x)})
#define LOG_INT(k, x) ((struct log_field){.key = (k), .type = LOG_FIELD_INT, .v.i = (int64_t)(x)})
#define LOG_UINT(k, x) ((struct log_field){.key = (k), .type = LOG_FIELD_UINT, .v.u = (uint64_t)(x)})
#define LOG_MS(k, x) ((struct log_field){.key = (k), .type = LOG_FIELD_MS, .v.i = (int64_t)(x)})

void log_fields(enum log_level level, const char *msg, const struct log_field *fields, size_t n);
#define log_kv(level, msg, ...)                                                              \
	log_fields((level), (msg), (const struct log_field[]){__VA_ARGS__},                  \
		   sizeof((const struct log_field[]){__VA_ARGS__}) / sizeof(struct log_field))
/* printf-style message with no fields. */
void log_printf(enum log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
