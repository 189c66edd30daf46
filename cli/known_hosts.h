/* known_hosts.h - devctl's own known_hosts file, holding host keys the
 * operator published.
 *
 * devctl never learns a host key from the network: before each connection it
 * writes the key from the DevServer's status (status.ssh.hostKey, which came
 * over the API server's TLS from the operator that generated it) under an
 * alias naming that one DevServer object, and ssh runs with
 * StrictHostKeyChecking=yes against this file. A key that differs from the
 * one pinned for the same alias is refused here, before ssh starts; entries
 * of earlier DevServers of the same name and namespace are dropped when a
 * new one is pinned, so the file does not grow without bound.
 *
 * The file is ~/.config/devctl/known_hosts (directories created 0700, the
 * file 0600), rewritten whole through a temporary file and rename, so a
 * crash never leaves it half-written. Lines devctl did not write are kept as
 * they are.
 */
#ifndef DEVCTL_KNOWN_HOSTS_H
#define DEVCTL_KNOWN_HOSTS_H

#include <stddef.h>

#include "core/attr.h"
#include "core/error.h"

#define KNOWN_HOSTS_MAX_BYTES (1u << 20)      /* a bigger file is refused, not truncated */
#define KNOWN_HOSTS_PATH_MAX_BYTES 1024

enum known_hosts_result {
	KNOWN_HOSTS_ADDED,   /* the key was not there; now it is */
	KNOWN_HOSTS_SAME,    /* already pinned with this key: nothing written */
};

/* Writes home/.config/devctl/known_hosts into out[KNOWN_HOSTS_PATH_MAX_BYTES],
 * creating the directories (0700) that are missing. home NULL or empty is
 * ERR_INVALID; a directory that cannot be made is ERR_IO. */
int known_hosts_path(const char *home, char *out, struct error *err) DS_MUST_USE;

/* Pins key ("<type> <base64>", no comment) for alias in the file at path.
 * Lines whose host field is an older alias of the same DevServer name
 * (stale_suffix: every alias ending in it, or equal to it without its
 * leading '.') are removed. *result says whether anything was written.
 * ERR_CONFLICT when alias is pinned to another key (err names both
 * fingerprints and the file); ERR_LIMIT past KNOWN_HOSTS_MAX_BYTES; ERR_IO. */
int known_hosts_pin(const char *path, const char *alias, const char *stale_suffix, const char *key,
		    enum known_hosts_result *result, struct error *err) DS_MUST_USE;

#endif
