/* hostkey.h - each DevServer's SSH host key, in a Secret the operator owns.
 *
 * Clients can only pin a host key before their first connection if someone
 * they trust publishes it. The operator is that someone: on a DevServer's
 * first reconcile it generates an ed25519 key (core/sshkey), creates the
 * Secret <name>-hostkey (controller-owned by the DevServer, immutable,
 * labelled devserver.io/role=ssh-host-key) and, once it observes the Secret,
 * publishes the public key and its fingerprint in status.ssh. The policy
 * mounts the Secret for sshd (lib/names.lua names it the same way); the
 * host, not the policy, owns it, so pruning leaves it alone and garbage
 * collection removes it with the DevServer. The key is created once and never
 * rewritten: deleting the Secret is how an admin rotates a key.
 *
 * The private key never reaches a log, an error message, an Event or the
 * status, and the Secret cache keeps only its public half (the projection
 * below): after the create call, no long-lived copy stays in the process.
 */
#ifndef DEVSERVER_OPERATOR_HOSTKEY_H
#define DEVSERVER_OPERATOR_HOSTKEY_H

#include <stdbool.h>
#include <stddef.h>

#include "api/api.h"
#include "core/attr.h"
#include "core/error.h"
#include "core/sshkey.h"
#include "json/json.h"

#define HOSTKEY_SECRET_SUFFIX "-hostkey"
#define HOSTKEY_SECRET_NAME_MAX_BYTES 272          /* a DevServer name (253) + suffix */
#define HOSTKEY_ROLE_VALUE "ssh-host-key"
#define HOSTKEY_PRIVATE_FILE "ssh_host_ed25519_key"
#define HOSTKEY_PUBLIC_FILE "ssh_host_ed25519_key.pub"
#define HOSTKEY_OPENSSH_PRIVATE_BEGIN "-----BEGIN OPENSSH PRIVATE KEY-----"

/* Writes "<name>-hostkey" into out[HOSTKEY_SECRET_NAME_MAX_BYTES]. */
void hostkey_secret_name(const char *ds_name, char *out);

/* A new host-key Secret for the DevServer ds (which needs metadata.name and
 * .uid), holding a freshly generated key, in *out (caller frees with
 * hostkey_secret_free). 0, or ERR_IO / ERR_INVALID. */
int hostkey_secret_new(const struct json *ds, struct json **out, struct error *err) DS_MUST_USE;

/* The host-key Secret for ds made from the predecessor's Secret old
 * (<name>-host-keys, adopt.h): its ed25519 pair, the same base64 values, so
 * the key users pinned stays the DevServer's. ERR_INVALID when old has no
 * usable pair (no such keys, not base64, not an OpenSSH private key, not an
 * ed25519 public key); the caller then generates a new one. */
int hostkey_secret_from_predecessor(const struct json *ds, const struct json *old, struct json **out,
				    struct error *err) DS_MUST_USE;

/* Wipes the private key's text before freeing the object (NULL is fine). */
void hostkey_secret_free(struct json *secret);

/* True for a Secret carrying the host-key role label. */
bool hostkey_is_secret(const struct json *obj);

/* The public key line (without comment) and fingerprint of an observed
 * host-key Secret. 0 or ERR_INVALID when its public half is missing or
 * malformed. */
int hostkey_public(const struct json *secret, char line[SSHKEY_PUBLIC_LINE_MAX_BYTES],
		   char fp[SSHKEY_FINGERPRINT_BYTES], struct error *err) DS_MUST_USE;

/* Cache transform for the Secret informer: drops the private key from
 * host-key Secrets (everything else is left as it is). */
void hostkey_secret_projection(struct json *obj);

#endif
