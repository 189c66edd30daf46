/* predecessor_config.h - the predecessor's operator config file, read at
 * startup so a cluster moving over keeps the settings it had.
 *
 * The predecessor (the Python/kopf operator) read a YAML mapping from
 * /etc/devserver-operator/config.yaml (path from
 * DEVSERVER_OPERATOR_CONFIG_PATH), mounted from its ConfigMap
 * devserver-operator-config, and let an environment variable per key
 * override the file. We map the keys we have an equivalent for and name
 * the others as ignored, with why:
 *
 *   defaultDevserverImage / $DEVSERVER_DEFAULT_DEVSERVER_IMAGE -> --default-image
 *   everything else (predecessor_config.c lists why)            -> ignored
 *
 * Precedence for a mapped setting: our flag > our environment variable >
 * the predecessor's environment variable > the predecessor's file > our
 * built-in default. A missing file is nothing; an unreadable, oversized or
 * invalid one is an error the caller logs as one warning before going on
 * with the other sources, as the predecessor did - the file only ever
 * supplies defaults our own flags can state, so refusing to start over it
 * would turn a leftover ConfigMap into an outage.
 *
 * Parsing is a pure function from the file's text, so tests need no files;
 * loading and the environment are separate steps. Nothing here logs.
 */
#ifndef DEVSERVER_OPERATOR_PREDECESSOR_CONFIG_H
#define DEVSERVER_OPERATOR_PREDECESSOR_CONFIG_H

#include <stdbool.h>
#include <stddef.h>

#include "core/attr.h"
#include "core/buf.h"
#include "core/error.h"
#include "operator/options.h"

#define PREDECESSOR_CONFIG_DEFAULT_PATH "/etc/devserver-operator/config.yaml"
#define PREDECESSOR_CONFIG_PATH_ENV "DEVSERVER_OPERATOR_CONFIG_PATH"
/* a handful of keys; a ConfigMap could hold 1 MiB, which is not a config */
#define PREDECESSOR_CONFIG_MAX_BYTES (64 * 1024)
/* an image reference: registry, path, tag and digest fit easily */
#define PREDECESSOR_CONFIG_VALUE_MAX_BYTES 1024
/* the "used" and "ignored" lists of the startup log line */
#define PREDECESSOR_CONFIG_SUMMARY_MAX_BYTES 2048

struct predecessor_config {
	char default_image[PREDECESSOR_CONFIG_VALUE_MAX_BYTES]; /* "" when neither source set it */
	const char *default_image_from;  /* the key or variable it came from (static text) */
	bool default_image_from_env;     /* ... a variable, not a key of the file */
	bool applied;                    /* predecessor_config_apply used default_image */
	bool found;                      /* the file or a predecessor variable supplied anything */
	int bad_keys;                    /* keys we map whose value we could not use */
	struct buf used;                 /* "key -> --flag" items, comma-separated */
	struct buf ignored;              /* "key (why)" items, comma-separated */
};

void predecessor_config_init(struct predecessor_config *pc);
void predecessor_config_cleanup(struct predecessor_config *pc);

/* Reads the settings from the file's text (len bytes, borrowed). An empty
 * document (or only comments) is no settings. Returns 0, or ERR_LIMIT
 * (longer than PREDECESSOR_CONFIG_MAX_BYTES) or ERR_INVALID (not YAML,
 * several documents, not a mapping) with a one-line message; then pc holds
 * nothing from the text. A mapped key with an unusable value (not a
 * string, empty, too long, with spaces or control characters) is not an
 * error: it goes into pc->ignored with why and counts in pc->bad_keys. */
int predecessor_config_parse(struct predecessor_config *pc, const char *text, size_t len,
			     struct error *err) DS_MUST_USE;

/* Reads path and parses it. ERR_NOT_FOUND when there is no such file (the
 * caller stays silent), ERR_IO when it cannot be read or is not a regular
 * file, or predecessor_config_parse's errors; each message names path. */
int predecessor_config_load(struct predecessor_config *pc, const char *path, struct error *err) DS_MUST_USE;

/* The predecessor's environment variables, which win over its file. An
 * empty variable counts as unset. */
void predecessor_config_env(struct predecessor_config *pc, options_getenv_fn getenv_fn);

/* Fills o's settings that neither our flags nor our environment gave
 * (options_given). o then points into pc, which must outlive it. */
void predecessor_config_apply(struct predecessor_config *pc, struct operator_options *o);

#endif
