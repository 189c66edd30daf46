/* log.c - stderr logger (see log.h). One write(2) per line so lines from
 * concurrent processes do not interleave; lines are capped at
 * LOG_LINE_MAX_BYTES and truncated beyond it. */
#include "core/log.h"

#include <stdarg.h>
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

static void log_json_string(struct buf *b, const char *s)
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
	buf_append_char(b, '"');
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

static void log_vmsg(enum log_level level, const char *msg, va_list ap)
{
	char stamp[96];
	struct timespec ts;
	struct tm tm;
	struct buf b;
	const char *k, *v;

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	snprintf(stamp, sizeof(stamp), "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ",
		 tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min,
		 tm.tm_sec, ts.tv_nsec / 1000000);
	buf_init(&b, LOG_LINE_MAX_BYTES);
	if (log_format == LOG_FORMAT_JSON) {
		buf_appendf(&b, "{\"ts\":\"%s\",\"level\":\"%s\",\"msg\":", stamp, log_level_names[level]);
		log_json_string(&b, msg);
		while ((k = va_arg(ap, const char *)) && (v = va_arg(ap, const char *))) {
			buf_append_char(&b, ',');
			log_json_string(&b, k);
			buf_append_char(&b, ':');
			log_json_string(&b, v);
		}
		buf_append_char(&b, '}');
	} else {
		buf_appendf(&b, "%s %-5s %s", stamp, log_level_names[level], msg);
		while ((k = va_arg(ap, const char *)) && (v = va_arg(ap, const char *))) {
			buf_appendf(&b, " %s=", k);
			log_text_value(&b, v);
		}
	}
	log_emit(&b);
	buf_cleanup(&b);
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
