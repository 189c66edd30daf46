/* file.c - whole-file reads with a ceiling (see file.h).
 *
 * Opens with O_CLOEXEC so that a file read while a child (an exec credential
 * plugin, kubectl) is being started never leaks into it. The buffer's own
 * ceiling does the limit check: the first append past it fails, so a file
 * larger than the limit is never held whole. EINTR is retried; nothing else.
 */
#include "core/file.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

int file_read_bounded(const char *path, size_t max_bytes, int flags, struct buf *out,
		      struct error *err)
{
	char chunk[FILE_READ_CHUNK_BYTES];
	struct stat st;
	ssize_t n;
	int fd, rc = 0;

	buf_init(out, max_bytes);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return error_set(err, errno == ENOENT ? ERR_NOT_FOUND : ERR_IO, "%s: %s", path,
				 error_errno_text(errno));
	if (flags & FILE_READ_REGULAR) {
		if (fstat(fd, &st) < 0) {
			rc = error_set(err, ERR_IO, "%s: %s", path, error_errno_text(errno));
			goto out;
		}
		if (!S_ISREG(st.st_mode)) {
			rc = error_set(err, ERR_IO, "%s: not a regular file", path);
			goto out;
		}
	}
	while ((n = read(fd, chunk, sizeof(chunk))) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			rc = error_set(err, ERR_IO, "%s: %s", path, error_errno_text(errno));
			goto out;
		}
		if (buf_append(out, chunk, (size_t)n) < 0) {
			rc = error_set(err, ERR_LIMIT, "%s: larger than the %zu-byte limit", path,
				       max_bytes);
			goto out;
		}
	}
out:
	close(fd);
	if (rc < 0)
		buf_cleanup(out);
	return rc;
}
