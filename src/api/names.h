/* names.h - Kubernetes name rules, once for the operator and devctl.
 *
 * The shapes the API server enforces (k8s.io/apimachinery validation):
 * a DNS-1123 label (namespaces, Service ports' peers: at most 63 of
 * [a-z0-9-], alphanumeric at both ends), a DNS-1035 label (the same,
 * starting with a letter: Service names), a DNS-1123 subdomain (most
 * objects: at most 253 of [a-z0-9-.], dot-separated parts alphanumeric at
 * both ends) and label values and keys. On top, the DevServer's own rule:
 * a DNS-1035 label short enough that every child name (<name>-home is the
 * longest) stays a label. lua/lib/names.lua applies the same rule inside
 * policies; tests/fixtures/names.txt holds the cases both are tested with.
 * Pure functions, no allocation; len-taking forms accept unterminated
 * slices.
 */
#ifndef DEVSERVER_API_NAMES_H
#define DEVSERVER_API_NAMES_H

#include <stdbool.h>
#include <stddef.h>

#include "api/api.h"

#define API_DNS_LABEL_MAX 63          /* DNS-1123 and DNS-1035 labels, label values */
#define API_DNS_SUBDOMAIN_MAX 253
#define API_DEVSERVER_CHILD_SUFFIX_MAX 5   /* "-home" (lua/lib/names.lua) */
#define API_DEVSERVER_NAME_MAX (API_DNS_LABEL_MAX - API_DEVSERVER_CHILD_SUFFIX_MAX)

bool api_is_dns1123_label(const char *s, size_t len);
bool api_is_dns1035_label(const char *s, size_t len);
bool api_is_dns1123_subdomain(const char *s, size_t len);
/* Empty is a valid label value. */
bool api_is_label_value(const char *s, size_t len);
/* [prefix/]name: name a non-empty label value, prefix a DNS-1123 subdomain. */
bool api_is_label_key(const char *s, size_t len);
/* A DNS-1035 label of at most API_DEVSERVER_NAME_MAX characters. */
bool api_is_devserver_name(const char *s, size_t len);

/* The namespace of username (docs/users.md): API_USER_NAMESPACE_PREFIX +
 * username in lower case. False when the lower-cased username is no DNS-1123
 * label of at most API_USERNAME_MAX characters, or out (size bytes) cannot
 * hold the name. */
bool api_user_namespace(const char *username, char *out, size_t size);

#endif
