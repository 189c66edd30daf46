/* scope.c - which namespaces' DevServers this operator reconciles (scope.h). */
#include "operator/scope.h"

#include <stdio.h>
#include <string.h>

int ns_scope_init(struct ns_scope *s, const char *const *names, size_t count,
		  const char *selector, struct error *err)
{
	memset(s, 0, sizeof(*s));
	if (count > SCOPE_MAX_NAMESPACES)
		return error_set(err, ERR_INVALID, "more than %d namespaces", SCOPE_MAX_NAMESPACES);
	for (size_t i = 0; i < count; i++)
		s->names[i] = names[i];
	s->count = count;
	if (selector && *selector) {
		int rc = selector_parse(&s->selector, selector, err);

		if (rc < 0)
			return error_prefix(err, "--namespace-selector");
		s->has_selector = true;
		s->selector_text = selector;
	}
	return 0;
}

void ns_scope_cleanup(struct ns_scope *s)
{
	if (s->has_selector)
		selector_cleanup(&s->selector);
	s->has_selector = false;
	s->count = 0;
}

const char *ns_scope_watch_namespace(const struct ns_scope *s)
{
	return s->count == 1 && !s->has_selector ? s->names[0] : NULL;
}

bool ns_scope_needs_namespaces(const struct ns_scope *s)
{
	return s->has_selector;
}

bool ns_scope_contains(const struct ns_scope *s, const char *ns, const struct json *ns_labels)
{
	if (!ns)
		return false;
	if (s->count == 0 && !s->has_selector)
		return true;
	for (size_t i = 0; i < s->count; i++)
		if (strcmp(s->names[i], ns) == 0)
			return true;
	/* an unknown namespace (not listed yet, or gone) is not selected: its
	 * labels would decide, and nobody knows them */
	return s->has_selector && ns_labels && selector_matches_labels(&s->selector, ns_labels);
}

void ns_scope_describe(const struct ns_scope *s, char *out, size_t size)
{
	size_t used = 0;

	if (size == 0)
		return;
	if (s->count == 0 && !s->has_selector) {
		snprintf(out, size, "all namespaces");
		return;
	}
	used = (size_t)snprintf(out, size, "%s", s->count == 1 ? "namespace " : s->count ? "namespaces " : "");
	for (size_t i = 0; i < s->count && used < size; i++)
		used += (size_t)snprintf(out + used, size - used, "%s%s", i ? "," : "", s->names[i]);
	if (s->has_selector && used < size)
		snprintf(out + used, size - used, "%sselector %s", s->count ? " + " : "namespaces by ",
			 s->selector_text);
}
