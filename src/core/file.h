/* file.h - reading a whole file into a bounded buffer.
 *
 * Configuration, kubeconfigs, tokens, policies, fixtures and keys are all
 * read the same way: everything up to a ceiling the caller names, with an
 * error that says which of three things went wrong - the file is not there
 * (ERR_NOT_FOUND: a caller may treat that as "use the default"), it is too
 * large (ERR_LIMIT: fix the input), or reading failed (ERR_IO). It reads with
 * read(2) until end of file rather than trusting a size from stat, so pipes
 * (KUBECONFIG=<(...)) and files that grow while read still obey the ceiling.
 * It does not follow include directives, parse, or retry.
 */
#ifndef DEVSERVER_CORE_FILE_H
#define DEVSERVER_CORE_FILE_H

#include <stddef.h>

#include "core/attr.h"
#include "core/buf.h"
#include "core/error.h"

#define FILE_READ_CHUNK_BYTES 8192

/* Flags for file_read_bounded. */
#define FILE_READ_REGULAR 0x1   /* refuse anything but a regular file (ERR_IO) */

/* Reads all of path into out, which this initialises with max_bytes as its
 * ceiling; the caller owns it on success (buf_cleanup), and on failure it is
 * left cleaned up. Returns 0, ERR_NOT_FOUND, ERR_LIMIT or ERR_IO as above;
 * err (may be NULL) then reads "<path>: <reason>". */
int file_read_bounded(const char *path, size_t max_bytes, int flags, struct buf *out,
		      struct error *err) DS_MUST_USE;

#endif
