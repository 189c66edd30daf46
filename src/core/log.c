/* log.c - stderr logger (see log.h). One write(2) per line so lines from
 * concurrent processes do not interleave; lines are capped at
 * LOG_LINE_MAX_BYTES and truncated beyond it. */
#include "core/log.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/buf.h"
#include "core/error.h"

#define LOG_LINE_MAX_BYTES 8192

static enum log_level log_level = LOG_INFO;
static enum log_format log_format = LOG_FORMAT_TEXT;

static const char *const log_level_names[] = { "debug", "info", "warn", "error", "off" };

void log_set_level(enum log_level level) { log_level = level; }
void log_set_format(enum log_format format) { log_format = format; }
enum log_level log_get_level(void) { return log_level; }

int log_parse_level(const char *s, enum log_level *out)
{
	for (int i = LOG_DEBUG; i <= LOG_OFF; i++) {
		if (strcmp(s, log_level_names[i]) == 0) {
			*out = (enum log_level)i;
			return 0;
		}
	}
	return ERR_INVALID;
}

int log_parse_format(const char *s, enum log_format *out)
{
	if (strcmp(s, "text") == 0)
		*out = LOG_FORMAT_TEXT;
	else if (strcmp(s, "json") == 0)
		*out = LOG_FORMAT_JSON;
	else
		return ERR_INVALID;
	return 0;
}

/* s as a JSON string, with suffix (unescaped: the program's own) before
 * the closing quote. */
static void log_json_string_with(struct buf *b, const char *s, const char *suffix)
{
	buf_append_char(b, '"');
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (c == '"' || c == '\\')
			buf_appendf(b, "\\%c", c);
		else if (c < 0x20)
			buf_appendf(b, "\\u%04x", c);
		else
			buf_append_char(b, (char)c);
	}
	buf_append_str(b, suffix);
	buf_append_char(b, '"');
}

static void log_json_string(struct buf *b, const char *s)
{
	log_json_string_with(b, s, "");
}

static void log_text_value(struct buf *b, const char *s)
{
	if (s[0] && !strpbrk(s, " \"=\n\t")) {
		buf_append_str(b, s);
		return;
	}
	log_json_string(b, s);
}

static void log_emit(struct buf *b)
{
	if (b->len >= b->max) /* truncated: still end the line */
		b->len = b->max - 1;
	b->data[b->len++] = '\n';
	if (write(STDERR_FILENO, b->data, b->len) < 0) {
		/* nothing sensible to do if stderr is gone */
	}
}

/* The line's start: time, level, message; a JSON line is left open. */
static void log_begin(struct buf *b, enum log_level level, const char *msg)
{
	char stamp[96];
	struct timespec ts;
	struct tm tm;

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	snprintf(stamp, sizeof(stamp), "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ",
		 tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min,
		 tm.tm_sec, ts.tv_nsec / 1000000);
	buf_init(b, LOG_LINE_MAX_BYTES);
	if (log_format == LOG_FORMAT_JSON) {
		buf_appendf(b, "{\"ts\":\"%s\",\"level\":\"%s\",\"msg\":", stamp, log_level_names[level]);
		log_json_string(b, msg);
	} else {
		buf_appendf(b, "%s %-5s %s", stamp, log_level_names[level], msg);
	}
}

static void log_field_append(struct buf *b, const struct log_field *f)
{
	bool json = log_format == LOG_FORMAT_JSON;

	if (f->type == LOG_FIELD_STR && !f->v.s)
		return;
	if (json) {
		buf_append_char(b, ',');
		log_json_string_with(b, f->key, f->type == LOG_FIELD_MS ? "_ms" : "");
		buf_append_char(b, ':');
	} else {
		buf_appendf(b, " %s=", f->key);
	}
	switch (f->type) {
	case LOG_FIELD_STR:
		if (json)
			log_json_string(b, f->v.s);
		else
			log_text_value(b, f->v.s);
		break;
	case LOG_FIELD_INT:
		buf_appendf(b, "%" PRId64, f->v.i);
		break;
	case LOG_FIELD_UINT:
		buf_appendf(b, "%" PRIu64, f->v.u);
		break;
	case LOG_FIELD_MS:
		buf_appendf(b, json ? "%" PRId64 : "%" PRId64 "ms", f->v.i);
		break;
	}
}

static void log_end(struct buf *b)
{
	if (log_format == LOG_FORMAT_JSON)
		buf_append_char(b, '}');
	log_emit(b);
	buf_cleanup(b);
}

static void log_vmsg(enum log_level level, const char *msg, va_list ap)
{
	struct buf b;
	const char *k, *v;

	log_begin(&b, level, msg);
	while ((k = va_arg(ap, const char *)) && (v = va_arg(ap, const char *)))
		log_field_append(&b, &LOG_STR(k, v));
	log_end(&b);
}

void log_fields(enum log_level level, const char *msg, const struct log_field *fields, size_t n)
{
	struct buf b;

	if (level < log_level || level >= LOG_OFF)
		return;
	log_begin(&b, level, msg);
	for (size_t i = 0; i < n; i++)
		log_field_append(&b, &fields[i]);
	log_end(&b);
}

void log_msg(enum log_level level, const char *msg, ...)
{
	va_list ap;

	if (level < log_level || level >= LOG_OFF)
		return;
	va_start(ap, msg);
	log_vmsg(level, msg, ap);
	va_end(ap);
}

static void log_vprintf_fields(enum log_level level, const char *text, ...)
{
	va_list ap;

	va_start(ap, text);
	log_vmsg(level, text, ap);
	va_end(ap);
}

void log_printf(enum log_level level, const char *fmt, ...)
{
	char text[LOG_LINE_MAX_BYTES / 2];
	va_list ap;

	if (level < log_level || level >= LOG_OFF)
		return;
	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	log_vprintf_fields(level, text, NULL);
}
