/* test_core.c - src/core: bounded buffers, errors, clock parsing. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <string.h>

#include "core/buf.h"
#include "core/clock.h"
#include "core/error.h"
#include "core/log.h"

static void test_buf_append_and_take(void **state)
{
	struct buf b;
	char *s;

	buf_init(&b, 64);
	assert_string_equal(buf_str(&b), "");
	assert_int_equal(buf_append_str(&b, "hello"), 0);
	assert_int_equal(buf_appendf(&b, " %d", 42), 0);
	assert_string_equal(buf_str(&b), "hello 42");
	assert_int_equal(b.len, 8);
	s = buf_take(&b);
	assert_string_equal(s, "hello 42");
	assert_int_equal(b.len, 0);
	assert_null(b.data);
	free(s);
	buf_cleanup(&b);
}

static void test_buf_ceiling_is_enforced(void **state)
{
	struct buf b;

	buf_init(&b, 8);
	assert_int_equal(buf_append_str(&b, "12345678"), 0);
	assert_int_equal(buf_append_char(&b, 'x'), ERR_LIMIT);
	assert_int_equal(buf_appendf(&b, "%s", "y"), ERR_LIMIT);
	/* a failed append leaves the contents unchanged */
	assert_string_equal(buf_str(&b), "12345678");
	buf_reset(&b);
	assert_int_equal(buf_append_str(&b, "123456789"), ERR_LIMIT);
	assert_int_equal(b.len, 0);
	buf_cleanup(&b);
}

/* After one failed append every later one fails, even one that would fit,
 * so a cut-off text can never look complete; a reset starts over. */
static void test_buf_errors_are_sticky(void **state)
{
	struct buf b;

	(void)state;
	buf_init(&b, 8);
	assert_int_equal(buf_error(&b), 0);
	assert_int_equal(buf_append_str(&b, "1234"), 0);
	assert_int_equal(buf_append_str(&b, "56789"), ERR_LIMIT);
	assert_int_equal(buf_error(&b), ERR_LIMIT);
	assert_int_equal(buf_append_str(&b, "5"), ERR_LIMIT);   /* would fit: refused */
	assert_int_equal(buf_appendf(&b, "%d", 5), ERR_LIMIT);
	assert_int_equal(buf_append_char(&b, '5'), ERR_LIMIT);
	assert_string_equal(buf_str(&b), "1234");
	buf_reset(&b);
	assert_int_equal(buf_error(&b), 0);
	assert_int_equal(buf_append_str(&b, "5"), 0);
	free(buf_take(&b));
	assert_int_equal(buf_error(&b), 0);
	buf_cleanup(&b);
}

static void test_buf_consume(void **state)
{
	struct buf b;

	buf_init(&b, 1024);
	buf_append_str(&b, "line1\nline2\n");
	buf_consume(&b, 6);
	assert_string_equal(buf_str(&b), "line2\n");
	buf_consume(&b, 100);
	assert_int_equal(b.len, 0);
	buf_cleanup(&b);
}

static void test_buf_grows_across_many_appends(void **state)
{
	struct buf b;

	buf_init(&b, 1 << 20);
	for (int i = 0; i < 10000; i++)
		assert_int_equal(buf_append(&b, "abcdefgh", 8), 0);
	assert_int_equal(b.len, 80000);
	assert_true(b.cap >= b.len + 1);
	buf_cleanup(&b);
}

static void test_error_set_and_prefix(void **state)
{
	struct error err;

	error_clear(&err);
	assert_int_equal(err.code, 0);
	assert_int_equal(error_set(&err, ERR_INVALID, "bad %s", "thing"), ERR_INVALID);
	assert_string_equal(err.msg, "bad thing");
	assert_int_equal(error_prefix(&err, "spec.flavor"), ERR_INVALID);
	assert_string_equal(err.msg, "spec.flavor: bad thing");
	assert_string_equal(error_code_name(ERR_GONE), "gone");
	/* NULL error structs are accepted and the code still comes back */
	assert_int_equal(error_set(NULL, ERR_RETRY, "x"), ERR_RETRY);
}

/* One table for both layers: the client resends only transient failures;
 * a reconciler also retries what may heal by itself. */
static void test_error_retry_classes(void **state)
{
	(void)state;
	assert_int_equal(error_retry_class(ERR_RETRY), ERROR_RETRY_RESEND);
	assert_int_equal(error_retry_class(ERR_CONFLICT), ERROR_RETRY_LATER);
	assert_int_equal(error_retry_class(ERR_GONE), ERROR_RETRY_LATER);
	assert_int_equal(error_retry_class(ERR_TIMEOUT), ERROR_RETRY_LATER);
	assert_int_equal(error_retry_class(ERR_UNAUTHORIZED), ERROR_RETRY_LATER);
	assert_int_equal(error_retry_class(ERR_IO), ERROR_RETRY_LATER);
	assert_int_equal(error_retry_class(ERR_INVALID), ERROR_RETRY_NEVER);
	assert_int_equal(error_retry_class(ERR_LIMIT), ERROR_RETRY_NEVER);
	assert_int_equal(error_retry_class(ERR_NOT_FOUND), ERROR_RETRY_NEVER);
	assert_int_equal(error_retry_class(ERR_PERMANENT), ERROR_RETRY_NEVER);
	assert_int_equal(error_retry_class(ERR_POLICY), ERROR_RETRY_NEVER);
	assert_int_equal(error_retry_class(ERR_OK), ERROR_RETRY_NEVER);
	assert_int_equal(error_retry_class(-99), ERROR_RETRY_NEVER);
}

static void test_error_set_may_quote_its_own_message(void **state)
{
	struct error err;

	error_set(&err, ERR_INVALID, "inner problem");
	error_set(&err, ERR_POLICY, "outer: %s", err.msg);
	assert_string_equal(err.msg, "outer: inner problem");
	assert_int_equal(err.code, ERR_POLICY);
}

static void test_error_message_truncates(void **state)
{
	struct error err;
	char big[2 * ERROR_MSG_MAX_BYTES];

	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	error_set(&err, ERR_LIMIT, "%s", big);
	assert_int_equal(strlen(err.msg), ERROR_MSG_MAX_BYTES - 1);
}

static void test_clock_rfc3339_round_trip(void **state)
{
	char out[CLOCK_RFC3339_BYTES];
	int64_t t;

	assert_int_equal(clock_parse_rfc3339("1970-01-01T00:00:00Z", &t), 0);
	assert_int_equal(t, 0);
	assert_int_equal(clock_parse_rfc3339("2026-11-26T10:30:00Z", &t), 0);
	clock_format_rfc3339(t, out);
	assert_string_equal(out, "2026-11-26T10:30:00Z");
	assert_int_equal(clock_parse_rfc3339("2026-11-26T12:30:00.123+02:00", &t), 0);
	clock_format_rfc3339(t, out);
	assert_string_equal(out, "2026-11-26T10:30:00Z");
	assert_int_equal(clock_parse_rfc3339("2024-02-29T00:00:00Z", &t), 0);
	assert_int_equal(t, 1709164800);
}

static void test_clock_rfc3339_rejects_garbage(void **state)
{
	int64_t t;

	assert_int_equal(clock_parse_rfc3339("", &t), ERR_INVALID);
	assert_int_equal(clock_parse_rfc3339("2026-11-26", &t), ERR_INVALID);
	assert_int_equal(clock_parse_rfc3339("2026-13-26T10:30:00Z", &t), ERR_INVALID);
	assert_int_equal(clock_parse_rfc3339("2026-11-26T10:30:00", &t), ERR_INVALID);
	assert_int_equal(clock_parse_rfc3339("2026-11-26T10:30:00Zjunk", &t), ERR_INVALID);
}

static void test_log_parsers(void **state)
{
	enum log_level l;
	enum log_format f;

	assert_int_equal(log_parse_level("debug", &l), 0);
	assert_int_equal(l, LOG_DEBUG);
	assert_int_equal(log_parse_level("loud", &l), ERR_INVALID);
	assert_int_equal(log_parse_format("json", &f), 0);
	assert_int_equal(f, LOG_FORMAT_JSON);
	assert_int_equal(log_parse_format("xml", &f), ERR_INVALID);
}

/* What one log call writes to stderr, captured through a temporary file. */
static void capture_log(enum log_format format, char *out, size_t size)
{
	FILE *tmp = tmpfile();
	int saved = dup(STDERR_FILENO);
	size_t n;

	assert_non_null(tmp);
	assert_true(saved >= 0);
	assert_true(dup2(fileno(tmp), STDERR_FILENO) >= 0);
	log_set_format(format);
	log_kv(LOG_INFO, "caches synced", LOG_MS("took", 812), LOG_UINT("devservers", 3),
	       LOG_INT("delta", -2), LOG_STR("who", "a b"), LOG_STR("absent", NULL));
	log_set_format(LOG_FORMAT_TEXT);
	assert_true(dup2(saved, STDERR_FILENO) >= 0);
	close(saved);
	rewind(tmp);
	n = fread(out, 1, size - 1, tmp);
	out[n] = '\0';
	fclose(tmp);
}

/* Typed fields: numbers are formatted by the logger, not the caller, and
 * the JSON format carries them as numbers (durations with a _ms key). */
static void test_log_typed_fields(void **state)
{
	char line[1024];

	(void)state;
	capture_log(LOG_FORMAT_TEXT, line, sizeof(line));
	assert_non_null(strstr(line, "info  caches synced took=812ms devservers=3 delta=-2 who=\"a b\"\n"));
	assert_null(strstr(line, "absent"));
	capture_log(LOG_FORMAT_JSON, line, sizeof(line));
	assert_non_null(strstr(line, "\"msg\":\"caches synced\",\"took_ms\":812,\"devservers\":3,\"delta\":-2,"
				     "\"who\":\"a b\"}\n"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_buf_append_and_take),
		cmocka_unit_test(test_buf_ceiling_is_enforced),
		cmocka_unit_test(test_buf_errors_are_sticky),
		cmocka_unit_test(test_buf_consume),
		cmocka_unit_test(test_buf_grows_across_many_appends),
		cmocka_unit_test(test_error_set_and_prefix),
		cmocka_unit_test(test_error_retry_classes),
		cmocka_unit_test(test_error_set_may_quote_its_own_message),
		cmocka_unit_test(test_error_message_truncates),
		cmocka_unit_test(test_clock_rfc3339_round_trip),
		cmocka_unit_test(test_clock_rfc3339_rejects_garbage),
		cmocka_unit_test(test_log_parsers),
		cmocka_unit_test(test_log_typed_fields),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
