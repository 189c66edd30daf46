/* cmd_opts.h - each command's options struct and its pure builders.
 *
 * The options are what cli_parse fills from argv and the config file; the
 * builders turn options (and objects read from the cluster) into the objects
 * and patches sent to it. Neither does I/O, so the tests check them field by
 * field. Strings in options point into argv or the config (borrowed).
 */
#ifndef DEVCTL_CMD_OPTS_H
#define DEVCTL_CMD_OPTS_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "api/api.h"
#include "command.h"
#include "core/attr.h"
#include "core/buf.h"
#include "core/duration.h"
#include "core/error.h"
#include "flags.h"
#include "json/json.h"
#include "policy/bundle.h"
#include "render.h"
#include "wait.h"

#define CLI_DEFAULT_TIMEOUT_SECONDS 300           /* --timeout 5m */
#define CREATE_SSH_KEYS_MAX_BYTES 16384           /* the key file; the CRD's limit per key */
#define CREATE_SSH_KEYS_MAX 32                    /* keys in the file (spec.ssh.publicKeys) */
#define CLI_PATH_MAX_BYTES 4096
#define CREATE_DEFAULT_NAME "dev"                 /* create without a name: the predecessor's default */
#define CREATE_DEFAULT_TTL "4h"                   /* the predecessor's default time to live */
#define CREATE_DEFAULT_TTL_SECONDS (4 * 3600)
#define CREATE_FLAVOR_NAME_MAX_BYTES 63           /* the CRD's maxLength of spec.flavor */
#define RENDER_MAX_INPUT_BYTES (4u * 1024 * 1024)

struct create_opts {
	struct cmd_common c;
	const char *name;             /* NAME or --name (cmd_common), after check */
	const char *namespace;        /* -n or the config's; NULL: the context's */
	const char *flavor, *image, *home_size, *storage_class, *ssh_key_file;
	struct flag_duration ttl;     /* --ttl / --time, or the config's ttl */
	const char *default_ttl;      /* when nothing gives one (create_default_ttl); NULL: off */
	int64_t default_ttl_seconds;
	char ttl_text[DURATION_TEXT_BYTES]; /* the default applied, when ttl.text points here */
	char flavor_name[CREATE_FLAVOR_NAME_MAX_BYTES + 1]; /* the default flavor, when flavor points here */
	struct flag_list volumes, env;
	bool wait, dry_run;
	struct flag_duration timeout;
	char ssh_key_path[CLI_PATH_MAX_BYTES];        /* the key file read */
	char ssh_keys[CREATE_SSH_KEYS_MAX_BYTES + 1]; /* its contents */
};

/* The DevServer for o (checked by cli_parse, key file read, create_apply_flavors
 * run): apiVersion, kind, metadata.name (and namespace when known),
 * spec.flavor, image, lifecycle.timeToLive, home, volumes, ssh.publicKeys (one
 * per non-empty, non-comment line of the key file) and ssh.publicKey (the first
 * of them again: the predecessor's required field; the operator merges the two
 * and drops the duplicate), env. 0 and *out, or ERR_INVALID. */
int create_build_devserver(const struct create_opts *o, struct json **out, struct error *err) DS_MUST_USE;

/* The time to live create writes when neither --ttl/--time nor the config's
 * ttl gave one, which is the one the operator would apply: the defaultTimeToLive
 * of the flavor the DevServer will get - flavor (NULL: the cluster's default)
 * resolved among flavors (an array; NULL when unknown) as the operator
 * resolves it - else fallback (fallback_s seconds; the config's defaultTTL,
 * else CREATE_DEFAULT_TTL; NULL: turned off); at most that flavor's
 * maxTimeToLive, which also applies when neither gives one. True with the
 * duration in out; false when the DevServer would never expire. */
bool create_default_ttl(const char *flavor, const struct json *flavors, const char *fallback,
			int64_t fallback_s, char out[DURATION_TEXT_BYTES]);

/* The name of the flavor a DevServer naming none gets - the one marked
 * default, before any replacedBy redirect (the operator follows that) - into
 * out; false when flavors (NULL: unknown) has no single default. */
bool create_default_flavor(const struct json *flavors,
			   char out[CREATE_FLAVOR_NAME_MAX_BYTES + 1]);

/* Writes into o what the cluster's flavors decide and the command line left
 * open - the default flavor's name, create_default_ttl - so the object
 * created says it (the predecessor's devctl reads spec.flavor and
 * spec.lifecycle.timeToLive of every DevServer). flavors: an array, or NULL
 * when they could not be read (the flavor stays absent, the TTL is the
 * fallback). */
void create_apply_flavors(struct create_opts *o, const struct json *flavors);

/* list, get [NAME], describe, start, stop, ssh-config, flavors */
struct name_opts {
	struct cmd_common c;
};

struct ssh_opts {
	struct cmd_common c;
	const char *identity;
	bool tty;
};

struct delete_opts {
	struct cmd_common c;
	bool wait;
	struct flag_duration timeout;
};

struct wait_opts {
	struct cmd_common c;
	const char *for_text;
	struct wait_for cond;
	struct flag_duration timeout;
};

struct extend_opts {
	struct cmd_common c;
	struct flag_duration by;
};

/* Merge patch setting spec.lifecycle.timeToLive to the current TTL + by; a
 * DevServer without a TTL counts from now: the time since creation + by. */
int extend_build_patch(const struct json *ds, int64_t by_seconds, int64_t now,
		       struct json **patch, struct error *err) DS_MUST_USE;
/* ERR_INVALID naming the flavor's maxTimeToLive and what is left when the
 * patch's timeToLive would pass it; 0 otherwise (also when unknown). */
int extend_check_max(const struct json *ds, const struct json *flavors, const struct json *patch,
		     struct error *err) DS_MUST_USE;

struct logs_opts {
	struct cmd_common c;
	bool follow;
	int64_t tail;                 /* -1: everything */
};

struct render_opts {
	struct cmd_common c;
	const char *file, *flavor_file, *policies, *check;
	const char *default_image, *tools_image;   /* ctx, as the operator's flags */
};


enum policy_sub { POLICY_TEST, POLICY_PUSH, POLICY_STATUS };
struct policy_opts {
	struct cmd_common c;
	enum policy_sub sub;
	const char *dir;
};

struct version_opts {
	struct cmd_common c;
	bool client;
};

/* "Client Version: X (git describe)\n" */
void version_print_client(FILE *out);

/* The bash completion script, generated from the command table. */
int completion_bash(struct buf *out) DS_MUST_USE;

#endif
