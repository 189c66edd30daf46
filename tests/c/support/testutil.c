/* testutil.c - the shared test helpers (see testutil.h).
 *
 * Removal walks the tree with nftw, depth first, instead of system("rm -rf"):
 * no shell, no quoting of the path, and the result is checked here. Before
 * walking, directories get u+rwx back, as `chmod -R u+rwx` did in the tests
 * that make unreadable entries on purpose. Not thread-safe (nftw); tests
 * call it from setup and teardown only.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/error.h"
#include "core/mem.h"
#include "json/json.h"
#include "json/yaml_doc.h"
#include "testutil.h"

#define TU_NFTW_FDS 16
#define TU_PATH_MAX_BYTES 4096

struct json *tu_json(const char *text)
{
	struct error err;
	struct json *v = json_parse(text, strlen(text), &err);

	if (!v)
		fail_msg("bad test JSON: %s: %s", err.msg, text);
	return v;
}

struct json *tu_yaml(const char *text)
{
	struct error err;
	struct json *v = yaml_doc_parse(text, strlen(text), &err);

	if (!v)
		fail_msg("bad test YAML: %s: %s", err.msg, text);
	return v;
}

int tu_tmpdir_make(char *tmpl)
{
	return mkdtemp(tmpl) ? 0 : -1;
}

#define TU_UNLOCK_MAX_PASSES 32

/* directories the current unlock pass could not list (nftw's callback takes
 * no user pointer) */
static int unlock_unreadable;

/* pre-order: give every directory u+rwx so that its entries can be listed
 * and unlinked */
static int unlock_one(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	if (type == FTW_D || type == FTW_DNR)
		chmod(path, (st->st_mode & 07777) | S_IRWXU);
	unlock_unreadable += type == FTW_DNR;
	return 0;
}

static int remove_one(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	return remove(path) == 0 || errno == ENOENT ? 0 : -1;
}

int tu_tmpdir_remove(const char *dir)
{
	struct stat st;

	if (lstat(dir, &st) != 0)
		return errno == ENOENT ? 0 : -1;
	/* an unreadable directory is listed only on the pass after its chmod */
	for (int pass = 0; pass < TU_UNLOCK_MAX_PASSES; pass++) {
		unlock_unreadable = 0;
		nftw(dir, unlock_one, TU_NFTW_FDS, FTW_PHYS);
		if (!unlock_unreadable)
			break;
	}
	if (nftw(dir, remove_one, TU_NFTW_FDS, FTW_PHYS | FTW_DEPTH) != 0)
		return -1;
	return lstat(dir, &st) == 0 ? -1 : 0;
}

void tu_write_bytes(const char *path, const void *data, size_t len)
{
	FILE *f = fopen(path, "wb");

	if (!f)
		fail_msg("cannot write %s: %s", path, error_errno_text(errno));
	if (fwrite(data, 1, len, f) != len) {
		fclose(f);
		fail_msg("short write to %s", path);
	}
	if (fclose(f) != 0)
		fail_msg("cannot write %s: %s", path, error_errno_text(errno));
}

void tu_write_file(const char *path, const char *text)
{
	tu_write_bytes(path, text, strlen(text));
}

void tu_write_in(const char *dir, const char *name, const char *text)
{
	char p[TU_PATH_MAX_BYTES];

	if ((size_t)snprintf(p, sizeof(p), "%s/%s", dir, name) >= sizeof(p))
		fail_msg("path too long: %s/%s", dir, name);
	tu_write_file(p, text);
}

char *tu_read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *text = NULL;
	size_t n = 0, cap = 0, got;

	if (!f)
		fail_msg("cannot read %s: %s", path, error_errno_text(errno));
	do {
		if (cap - n < 4096) {
			cap = cap ? cap * 2 : 8192;
			text = mem_realloc(text, cap);
		}
		got = fread(text + n, 1, cap - n - 1, f);
		n += got;
	} while (got > 0);
	if (ferror(f)) {
		fclose(f);
		free(text);
		fail_msg("cannot read %s", path);
	}
	fclose(f);
	text[n] = '\0';
	if (len)
		*len = n;
	return text;
}
