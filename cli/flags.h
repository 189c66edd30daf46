/* flags.h - devctl's declarative flag parser.
 *
 * Each command describes its flags in a table of struct flag_spec, each entry
 * naming a field of the command's options struct by offset and the type
 * stored there. flags_parse walks argv once: long flags as --name=value or
 * --name value, short flags as -x value (never -xvalue or -x=value: one way
 * to write a thing keeps errors and completion simple), "--" ends the flags,
 * everything else is a positional argument. The global flags (kubeconfig,
 * context, namespace, all-namespaces, output) are accepted anywhere, so
 * `devctl -n x list` and `devctl list -n x` mean the same.
 *
 * Values are checked as they are parsed (a duration must parse, a volume
 * must be CLAIM:/path[:ro|rw], ...), and every error is one line in err
 * ("--ttl: invalid duration \"4x\" (use e.g. 4h, 1h30m, 2d)"); the caller
 * prefixes the command name. Parsed strings point into argv (borrowed).
 */
#ifndef DEVCTL_FLAGS_H
#define DEVCTL_FLAGS_H

#include "api/names.h"       /* the Kubernetes name rules the checks below use */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/attr.h"
#include "core/error.h"

#define FLAG_LIST_MAX 64     /* values of one repeatable flag */
#define FLAGS_MAX_SPECS 64   /* entries in one command's table */

enum flag_type {
	FLAG_BOOL,      /* bool; --x, --x=true, --x=false */
	FLAG_STRING,    /* const char * */
	FLAG_DURATION,  /* struct flag_duration; 4h, 1h30m, 2d */
	FLAG_INT,       /* int64_t, decimal, >= 0 */
	FLAG_KEYVALUE,  /* struct flag_list of "KEY=VALUE", KEY an env var name */
	FLAG_VOLUME,    /* struct flag_list of "CLAIM:/path[:ro|rw]" */
	FLAG_QUANTITY,  /* const char *, Kubernetes quantity (20Gi, 500M) */
};

enum { FLAG_REPEATABLE = 1 };

struct flag_spec {
	const char *name;    /* long name without "--"; NULL ends a table */
	char shrt;           /* short letter or 0 */
	enum flag_type type;
	unsigned attrs;      /* FLAG_REPEATABLE */
	size_t off;          /* offset of the field in the options struct */
	const char *metavar; /* value name for completion ("FILE", "DIR"); NULL */
};

struct flag_duration {
	const char *text;    /* as given; NULL when the flag was not given */
	int64_t seconds;
};

struct flag_list {
	const char *items[FLAG_LIST_MAX];
	size_t n;
};

/* A volume flag split into its parts. */
#define VOLUME_CLAIM_MAX_BYTES 253
#define VOLUME_PATH_MAX_BYTES 1024
struct volume_spec {
	char claim[VOLUME_CLAIM_MAX_BYTES + 1];
	char path[VOLUME_PATH_MAX_BYTES + 1];
	bool read_only;
};

struct global_opts;

/* Parses argv[0..argc) (no program or command name) against spec (may be
 * NULL: globals only), writing flag values into opts and g and positional
 * arguments into pos (at most max_pos; more is an error). When stop_at_pos is
 * true, parsing stops at the first positional argument and *consumed says how
 * many arguments were used (for the flags before the command name). *help is
 * set by -h/--help. Returns 0 or ERR_INVALID with a one-line message. */
int flags_parse(const struct flag_spec *spec, void *opts, struct global_opts *g,
		int argc, char **argv, const char **pos, int max_pos, int *npos,
		bool stop_at_pos, int *consumed, bool *help, struct error *err) DS_MUST_USE;

/* The global flags' table (its fields are in struct global_opts). */
extern const struct flag_spec flags_global[];

/* Value checks shared with the config file and the builders. Each returns 0
 * or ERR_INVALID with a message that does not repeat the flag name. */
int flags_check_duration(const char *s, int64_t *seconds, struct error *err) DS_MUST_USE;
int flags_check_quantity(const char *s, struct error *err) DS_MUST_USE;
int flags_check_env_name(const char *s, size_t len, struct error *err) DS_MUST_USE;
int flags_parse_volume(const char *s, struct volume_spec *v, struct error *err) DS_MUST_USE;

/* The login user's home (lua/lib/tools.lua's tools.HOME): a volume mounted
 * there is the home, unless spec.home is set (lua/lib/volumes.lua). */
#define VOLUME_HOME_PATH "/home/dev"

/* Whether a mount path is the home, trailing slashes ignored as the default
 * policy ignores them ("/home/dev/" is the home, "/home/dev/data" is not). */
bool volume_path_is_home(const char *path);

#endif
