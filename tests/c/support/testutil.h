/* testutil.h - helpers the cmocka tests share: a JSON or YAML literal parsed
 * or the test failed, a scratch directory made with mkdtemp and removed with
 * everything in it, whole files written and read.
 *
 * Every helper fails the running test (cmocka's fail_msg) instead of
 * returning an error the test would have to check: a broken fixture is a
 * broken test, never a case under test. Linked into every unit test
 * (tests/CMakeLists.txt globs tests/c/support/). Prefix tu_ (testutil).
 */
#ifndef DEVSERVER_TESTUTIL_H
#define DEVSERVER_TESTUTIL_H

#include <stddef.h>

struct json;

/* JSON text parsed (the caller frees with json_free), or the test fails
 * naming the parse error and the text. */
struct json *tu_json(const char *text);
/* The same for one YAML document (yaml_doc_parse). */
struct json *tu_yaml(const char *text);

/* Makes a directory from a mkdtemp template ("/tmp/name.XXXXXX", changed
 * in place). 0, or -1 with errno (for a cmocka setup to return). */
int tu_tmpdir_make(char *tmpl);
/* Removes dir and everything under it, also entries without write or search
 * permission (a test may have chmod'ed them on purpose); a directory
 * already gone is fine. 0, or -1 when something stayed. */
int tu_tmpdir_remove(const char *dir);

/* Writes text to path (created or truncated, mode 0666 & ~umask). */
void tu_write_file(const char *path, const char *text);
/* Writes len bytes of data to path. */
void tu_write_bytes(const char *path, const void *data, size_t len);
/* Writes text to dir/name. */
void tu_write_in(const char *dir, const char *name, const char *text);
/* The whole of path, NUL-terminated, its length in *len (may be NULL);
 * the caller frees. */
char *tu_read_file(const char *path, size_t *len);

#endif
