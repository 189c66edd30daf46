/* test_file.c - core/file: whole-file reads with a ceiling, and the three
 * errors a caller tells apart (missing, too large, I/O). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/file.h"
#include "support/testutil.h"

#define TEST_FILE_SMALL_BYTES 16

struct fixture {
	char dir[64];
	char path[128];
};

static int setup(void **state)
{
	struct fixture *fx = calloc(1, sizeof(*fx));

	snprintf(fx->dir, sizeof(fx->dir), "/tmp/test_file.XXXXXX");
	if (tu_tmpdir_make(fx->dir))
		return -1;
	snprintf(fx->path, sizeof(fx->path), "%s/f", fx->dir);
	*state = fx;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *fx = *state;

	int rc = tu_tmpdir_remove(fx->dir);

	free(fx);
	return rc;
}

static void write_bytes(const char *path, size_t n)
{
	FILE *f = fopen(path, "wb");

	assert_non_null(f);
	for (size_t i = 0; i < n; i++)
		fputc('a' + (int)(i % 26), f);
	fclose(f);
}

static void test_file_reads_whole_file(void **state)
{
	struct fixture *fx = *state;
	struct error err;
	struct buf b;

	/* more than one read chunk, so the loop is exercised */
	write_bytes(fx->path, FILE_READ_CHUNK_BYTES * 2 + 5);
	assert_int_equal(file_read_bounded(fx->path, 1 << 20, FILE_READ_REGULAR, &b, &err), 0);
	assert_int_equal(b.len, FILE_READ_CHUNK_BYTES * 2 + 5);
	assert_memory_equal(buf_str(&b), "abcdef", 6);
	assert_int_equal(buf_str(&b)[b.len], '\0');
	buf_cleanup(&b);
}

static void test_file_empty(void **state)
{
	struct fixture *fx = *state;
	struct buf b;

	write_bytes(fx->path, 0);
	assert_int_equal(file_read_bounded(fx->path, TEST_FILE_SMALL_BYTES, 0, &b, NULL), 0);
	assert_int_equal(b.len, 0);
	assert_string_equal(buf_str(&b), "");
	buf_cleanup(&b);
}

static void test_file_ceiling_is_inclusive(void **state)
{
	struct fixture *fx = *state;
	struct error err;
	struct buf b;
	char want[256];

	write_bytes(fx->path, TEST_FILE_SMALL_BYTES);
	assert_int_equal(file_read_bounded(fx->path, TEST_FILE_SMALL_BYTES, 0, &b, &err), 0);
	assert_int_equal(b.len, TEST_FILE_SMALL_BYTES);
	buf_cleanup(&b);

	write_bytes(fx->path, TEST_FILE_SMALL_BYTES + 1);
	assert_int_equal(file_read_bounded(fx->path, TEST_FILE_SMALL_BYTES, 0, &b, &err), ERR_LIMIT);
	assert_int_equal(err.code, ERR_LIMIT);
	snprintf(want, sizeof(want), "%s: larger than the %d-byte limit", fx->path, TEST_FILE_SMALL_BYTES);
	assert_string_equal(err.msg, want);
	assert_null(b.data);   /* cleaned up on failure */
}

static void test_file_missing(void **state)
{
	struct fixture *fx = *state;
	struct error err;
	struct buf b;
	char want[256];

	assert_int_equal(file_read_bounded(fx->path, TEST_FILE_SMALL_BYTES, 0, &b, &err), ERR_NOT_FOUND);
	snprintf(want, sizeof(want), "%s: No such file or directory", fx->path);
	assert_string_equal(err.msg, want);
	assert_int_equal(b.len, 0);
	buf_cleanup(&b);   /* safe: the buffer is always initialised */
	/* err may be NULL */
	assert_int_equal(file_read_bounded(fx->path, TEST_FILE_SMALL_BYTES, 0, &b, NULL), ERR_NOT_FOUND);
}

static void test_file_io_errors(void **state)
{
	struct fixture *fx = *state;
	struct error err;
	struct buf b;
	char want[256];

	/* a directory opens, but reading it fails */
	assert_int_equal(file_read_bounded(fx->dir, TEST_FILE_SMALL_BYTES, 0, &b, &err), ERR_IO);
	snprintf(want, sizeof(want), "%s: Is a directory", fx->dir);
	assert_string_equal(err.msg, want);
	/* with FILE_READ_REGULAR it is refused before reading */
	assert_int_equal(file_read_bounded(fx->dir, TEST_FILE_SMALL_BYTES, FILE_READ_REGULAR, &b, &err),
			 ERR_IO);
	snprintf(want, sizeof(want), "%s: not a regular file", fx->dir);
	assert_string_equal(err.msg, want);
	/* a device reads without the flag (as a pipe would), not with it */
	assert_int_equal(file_read_bounded("/dev/null", TEST_FILE_SMALL_BYTES, 0, &b, &err), 0);
	buf_cleanup(&b);
	assert_int_equal(file_read_bounded("/dev/null", TEST_FILE_SMALL_BYTES, FILE_READ_REGULAR, &b, &err),
			 ERR_IO);
	/* a component that is not a directory: not ENOENT, so ERR_IO */
	write_bytes(fx->path, 1);
	snprintf(want, sizeof(want), "%s/x", fx->path);
	assert_int_equal(file_read_bounded(want, TEST_FILE_SMALL_BYTES, 0, &b, &err), ERR_IO);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_file_reads_whole_file, setup, teardown),
		cmocka_unit_test_setup_teardown(test_file_empty, setup, teardown),
		cmocka_unit_test_setup_teardown(test_file_ceiling_is_inclusive, setup, teardown),
		cmocka_unit_test_setup_teardown(test_file_missing, setup, teardown),
		cmocka_unit_test_setup_teardown(test_file_io_errors, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
