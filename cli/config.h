/* config.h - devctl's config file: defaults for flags not given.
 *
 * The file is YAML, a single mapping with these keys, all optional:
 *
 *   namespace: team-ml          # -n when not given
 *   flavor: cpu-small           # create --flavor
 *   sshPublicKeyFile: ~/.ssh/work.pub   # create --ssh-public-key-file
 *   sshIdentityFile: ~/.ssh/work        # ssh -i
 *   ttl: 8h                     # create --ttl
 *   defaultTTL: 4h              # create, when neither --ttl, ttl nor the
 *                               # flavor gives a time to live (default 4h,
 *                               # the predecessor's); none: no such default
 *   output: wide                # -o, for commands that accept that format
 *
 * Its path is $DEVCTL_CONFIG when set (then the file must exist), otherwise
 * ~/.config/devctl/config.yaml (absence means no defaults). Flags always win.
 * An unknown key or a bad value is an error naming the file and the key: a
 * typo in a defaults file must not silently fall back to other defaults.
 *
 * The predecessor's file: when neither $DEVCTL_CONFIG nor config.yaml is
 * there, ~/.config/devctl/config.yml (the Python devctl's) is read for the
 * keys devctl has an equivalent of - its ssh.public_key_file and
 * ssh.private_key_file are sshPublicKeyFile and sshIdentityFile - and the
 * rest of it is ignored, as that devctl ignored
 * keys it did not know; devctl then prints a one-line notice naming its own
 * file (cli_config_legacy_notice).
 */
#ifndef DEVCTL_CONFIG_H
#define DEVCTL_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/attr.h"
#include "core/error.h"

#define CLI_CONFIG_MAX_BYTES (64u * 1024)
#define CLI_CONFIG_PATH_MAX_BYTES 4096
#define CLI_CONFIG_TTL_OFF "none"   /* defaultTTL: none */
#define CLI_CONFIG_FILE "config.yaml"          /* in ~/.config/devctl */
#define CLI_CONFIG_LEGACY_FILE "config.yml"    /* the predecessor's, beside it */

struct cli_config {
	char path[CLI_CONFIG_PATH_MAX_BYTES]; /* "" when no file was read */
	char *namespace;
	char *flavor;
	char *ssh_public_key_file;  /* "~/" already expanded */
	char *ssh_identity_file;    /* the same */
	char *ttl;
	int64_t ttl_seconds;
	char *default_ttl;          /* NULL: not in the file (CREATE_DEFAULT_TTL) */
	int64_t default_ttl_seconds;
	bool default_ttl_off;       /* defaultTTL: none */
	char *output;
	bool legacy;                /* path is the predecessor's config.yml */
};

void cli_config_init(struct cli_config *c);
void cli_config_cleanup(struct cli_config *c);

/* Parses text (the contents of path, which is only used in messages) into c
 * (freshly initialised). home expands a leading "~/" in sshPublicKeyFile; it
 * may be NULL. 0 or ERR_INVALID: "config FILE: KEY: message". */
int cli_config_parse(struct cli_config *c, const char *text, size_t len, const char *path,
		     const char *home, struct error *err) DS_MUST_USE;

/* The same for the predecessor's file (c->legacy set): ssh.public_key_file
 * and ssh.private_key_file ("~/" expanded; "" means none) are used, every
 * other key ignored; a value devctl would use must be valid. 0 or
 * ERR_INVALID. */
int cli_config_parse_legacy(struct cli_config *c, const char *text, size_t len, const char *path,
			    const char *home, struct error *err) DS_MUST_USE;

/* Loads the file named by $DEVCTL_CONFIG (env_path, may be NULL) or
 * HOME/.config/devctl/config.yaml, else the predecessor's config.yml beside
 * it, into c. 0 (also when no file exists), ERR_IO or ERR_INVALID. */
int cli_config_load(struct cli_config *c, const char *env_path, const char *home,
		    struct error *err) DS_MUST_USE;

/* When c was read from the predecessor's file: the one-line notice naming
 * devctl's own file (no newline), into out; "" otherwise. */
void cli_config_legacy_notice(const struct cli_config *c, const char *home, char *out, size_t size);

/* Reads a whole file of at most max_bytes into a heap string (*len without
 * the NUL). 0, ERR_IO (with strerror) or ERR_LIMIT. */
int cli_read_file(const char *path, size_t max_bytes, char **text, size_t *len,
		  struct error *err) DS_MUST_USE;

#endif
