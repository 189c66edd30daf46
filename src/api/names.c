/* names.c - Kubernetes name rules (see names.h). */
#include "api/names.h"

#include <string.h>

static bool is_lower_alnum(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

static bool is_alnum(char c)
{
	return is_lower_alnum(c) || (c >= 'A' && c <= 'Z');
}

bool api_is_dns1123_label(const char *s, size_t len)
{
	if (len == 0 || len > API_DNS_LABEL_MAX || !is_lower_alnum(s[0]) || !is_lower_alnum(s[len - 1]))
		return false;
	for (size_t i = 0; i < len; i++)
		if (!is_lower_alnum(s[i]) && s[i] != '-')
			return false;
	return true;
}

bool api_is_dns1035_label(const char *s, size_t len)
{
	return api_is_dns1123_label(s, len) && s[0] >= 'a' && s[0] <= 'z';
}

/* Kubernetes limits only the whole (253), not each dot-separated part. */
bool api_is_dns1123_subdomain(const char *s, size_t len)
{
	if (len == 0 || len > API_DNS_SUBDOMAIN_MAX || !is_lower_alnum(s[0]) || !is_lower_alnum(s[len - 1]))
		return false;
	for (size_t i = 0; i < len; i++) {
		if (is_lower_alnum(s[i]) || s[i] == '-')
			continue;
		if (s[i] == '.' && is_lower_alnum(s[i - 1]) && is_lower_alnum(s[i + 1]))
			continue; /* i is neither first nor last: the ends are alnum */
		return false;
	}
	return true;
}

bool api_is_label_value(const char *s, size_t len)
{
	if (len == 0)
		return true;
	if (len > API_DNS_LABEL_MAX || !is_alnum(s[0]) || !is_alnum(s[len - 1]))
		return false;
	for (size_t i = 0; i < len; i++)
		if (!is_alnum(s[i]) && s[i] != '-' && s[i] != '_' && s[i] != '.')
			return false;
	return true;
}

bool api_is_label_key(const char *s, size_t len)
{
	size_t slash = len;

	for (size_t i = 0; i < len; i++)
		if (s[i] == '/') {
			slash = i;
			break;
		}
	if (slash < len && !api_is_dns1123_subdomain(s, slash))
		return false;
	{
		const char *name = slash < len ? s + slash + 1 : s;
		size_t nlen = slash < len ? len - slash - 1 : len;

		return nlen > 0 && api_is_label_value(name, nlen);
	}
}

bool api_is_devserver_name(const char *s, size_t len)
{
	return len <= API_DEVSERVER_NAME_MAX && api_is_dns1035_label(s, len);
}

bool api_user_namespace(const char *username, char *out, size_t size)
{
	size_t plen = sizeof(API_USER_NAMESPACE_PREFIX) - 1, n = username ? strlen(username) : 0;

	if (n == 0 || n > API_USERNAME_MAX || plen + n + 1 > size)
		return false;
	memcpy(out, API_USER_NAMESPACE_PREFIX, plen);
	for (size_t i = 0; i < n; i++)
		out[plen + i] = username[i] >= 'A' && username[i] <= 'Z' ? (char)(username[i] - 'A' + 'a') : username[i];
	out[plen + n] = '\0';
	if (!api_is_dns1123_label(out + plen, n)) {
		out[0] = '\0';
		return false;
	}
	return true;
}
