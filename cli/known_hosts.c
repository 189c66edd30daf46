/* known_hosts.c - devctl's pinned host keys (see known_hosts.h).
 *
 * The whole file is read (bounded), filtered line by line into a new buffer
 * and written to a temporary file in the same directory that replaces the old
 * one by rename(2). Lines are "<hosts> <type> <base64>[ comment]"; only the
 * first field is looked at, and only lines whose host field is exactly one
 * of devctl's aliases are ever changed or dropped.
 */
#include "known_hosts.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "core/buf.h"
#include "core/sshkey.h"

#define KNOWN_HOSTS_DIR ".config/devctl"

/* mkdir -p for the directories of home/KNOWN_HOSTS_DIR. */
static int known_hosts_mkdirs(const char *home, char *dir, size_t cap, struct error *err)
{
	const char *parts[] = { ".config", "devctl" };
	size_t len;

	len = (size_t)snprintf(dir, cap, "%s", home);
	for (size_t i = 0; i < sizeof(parts) / sizeof(parts[0]); i++) {
		len += (size_t)snprintf(dir + len, cap - len, "/%s", parts[i]);
		if (len >= cap)
			return error_set(err, ERR_LIMIT, "$HOME is too long");
		if (mkdir(dir, 0700) < 0 && errno != EEXIST)
			return error_set(err, ERR_IO, "cannot create \"%s\": %s", dir, error_errno_text(errno));
	}
	return 0;
}

int known_hosts_path(const char *home, char *out, struct error *err)
{
	char dir[KNOWN_HOSTS_PATH_MAX_BYTES];
	int rc;

	if (!home || !*home)
		return error_set(err, ERR_INVALID, "$HOME is not set: nowhere to keep known_hosts");
	if ((rc = known_hosts_mkdirs(home, dir, sizeof(dir) - 16, err)) < 0)
		return rc;
	snprintf(out, KNOWN_HOSTS_PATH_MAX_BYTES, "%s/known_hosts", dir);
	return 0;
}

/* The host field of line [p, p+n) into [*host, *host+*hlen); false for a
 * blank or comment line. */
static bool known_hosts_host(const char *p, size_t n, const char **host, size_t *hlen)
{
	size_t i = 0, start;

	while (i < n && (p[i] == ' ' || p[i] == '\t'))
		i++;
	if (i == n || p[i] == '#')
		return false;
	start = i;
	while (i < n && p[i] != ' ' && p[i] != '\t')
		i++;
	*host = p + start;
	*hlen = i - start;
	return true;
}

static bool known_hosts_is_stale(const char *host, size_t hlen, const char *alias,
				 const char *suffix)
{
	size_t slen = strlen(suffix);

	if (hlen == strlen(alias) && memcmp(host, alias, hlen) == 0)
		return false;
	if (slen > 1 && hlen == slen - 1 && memcmp(host, suffix + 1, hlen) == 0)
		return true;
	return slen > 0 && hlen > slen && memcmp(host + hlen - slen, suffix, slen) == 0;
}

static int known_hosts_write(const char *path, const struct buf *b, struct error *err)
{
	char tmp[KNOWN_HOSTS_PATH_MAX_BYTES + 16];
	int fd, rc = 0;

	snprintf(tmp, sizeof(tmp), "%s.XXXXXX", path);
	fd = mkstemp(tmp);
	if (fd < 0)
		return error_set(err, ERR_IO, "cannot write next to \"%s\": %s", path, error_errno_text(errno));
	if (fchmod(fd, 0600) < 0 ||
	    (b->len && write(fd, b->data, b->len) != (ssize_t)b->len) || fsync(fd) < 0)
		rc = error_set(err, ERR_IO, "cannot write \"%s\": %s", tmp, error_errno_text(errno));
	if (close(fd) < 0 && rc == 0)
		rc = error_set(err, ERR_IO, "cannot write \"%s\": %s", tmp, error_errno_text(errno));
	if (rc == 0 && rename(tmp, path) < 0)
		rc = error_set(err, ERR_IO, "cannot replace \"%s\": %s", path, error_errno_text(errno));
	if (rc < 0)
		unlink(tmp);
	return rc;
}

int known_hosts_pin(const char *path, const char *alias, const char *stale_suffix, const char *key,
		    enum known_hosts_result *result, struct error *err)
{
	char *text = NULL, pinned_fp[SSHKEY_FINGERPRINT_BYTES], want_fp[SSHKEY_FINGERPRINT_BYTES];
	size_t len = 0, off = 0;
	bool found = false, changed = false;
	struct buf out;
	int rc;

	*result = KNOWN_HOSTS_SAME;
	if ((rc = sshkey_public_fingerprint(key, want_fp, err)) < 0)
		return error_prefix(err, "the published host key");
	{
		struct stat st;

		if (stat(path, &st) == 0)
			rc = cli_read_file(path, KNOWN_HOSTS_MAX_BYTES, &text, &len, err);
		else if (errno != ENOENT)
			rc = error_set(err, ERR_IO, "cannot read \"%s\": %s", path, error_errno_text(errno));
		if (rc < 0)
			return rc;
	}
	buf_init(&out, KNOWN_HOSTS_MAX_BYTES + 4096);
	while (off < len) {
		const char *line = text + off, *nl = memchr(line, '\n', len - off), *host;
		size_t n = nl ? (size_t)(nl - line) : len - off, hlen;

		off += n + (nl ? 1 : 0);
		if (known_hosts_host(line, n, &host, &hlen)) {
			if (hlen == strlen(alias) && memcmp(host, alias, hlen) == 0) {
				char have[SSHKEY_PUBLIC_LINE_MAX_BYTES + 256], pinned[SSHKEY_PUBLIC_LINE_MAX_BYTES];
				size_t rest = n - (size_t)(host + hlen - line);
				struct error perr;
				bool readable;

				snprintf(have, sizeof(have), "%.*s", (int)rest, host + hlen);
				readable = sshkey_public_strip_comment(have, pinned, sizeof(pinned), &perr) == 0;
				if (readable && strcmp(pinned, key) != 0) {
					if (sshkey_public_fingerprint(pinned, pinned_fp, &perr) < 0)
						snprintf(pinned_fp, sizeof(pinned_fp), "(unreadable)");
					rc = error_set(err, ERR_CONFLICT,
						       "the host key published for %s is %s, but %s pinned %s "
						       "for it: refusing to connect. If the key was rotated on "
						       "purpose, delete the line for %s from that file",
						       alias, want_fp, path, pinned_fp, alias);
					goto out;
				}
				if (readable && !found) {
					found = true; /* kept as it is */
				} else {
					changed = true; /* a duplicate or unreadable entry of ours */
					continue;
				}
			} else if (known_hosts_is_stale(host, hlen, alias, stale_suffix)) {
				changed = true;
				continue;
			}
		}
		if (buf_append(&out, line, n) < 0 || buf_append_char(&out, '\n') < 0) {
			rc = error_set(err, ERR_LIMIT, "\"%s\" is larger than %u bytes", path,
				       KNOWN_HOSTS_MAX_BYTES);
			goto out;
		}
	}
	if (!found) {
		if (buf_appendf(&out, "%s %s\n", alias, key) < 0) {
			rc = error_set(err, ERR_LIMIT, "\"%s\" is larger than %u bytes", path,
				       KNOWN_HOSTS_MAX_BYTES);
			goto out;
		}
		changed = true;
		*result = KNOWN_HOSTS_ADDED;
	}
	if (changed)
		rc = known_hosts_write(path, &out, err);
	else
		chmod(path, 0600); /* an older devctl may have left it more open */
out:
	free(text);
	buf_cleanup(&out);
	return rc;
}
