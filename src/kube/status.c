/* status.c - HTTP status and metav1.Status to error codes (see status.h).
 *
 * The body of an error is parsed only to pull out "message" and "reason";
 * anything unparseable is quoted (truncated) instead, because proxies in
 * front of the API server answer with HTML or plain text.
 */
#include "kube/status.h"

#include <string.h>

static int kube_status_code(long http)
{
	if (http >= 200 && http < 300)
		return 0;
	switch (http) {
	case 401:
	case 403:
		return ERR_UNAUTHORIZED;
	case 404:
		return ERR_NOT_FOUND;
	case 409:
		return ERR_CONFLICT;
	case 410:
		return ERR_GONE;
	case 408:
	case 429:
		return ERR_RETRY;
	default:
		return http >= 500 && http < 600 ? ERR_RETRY : ERR_PERMANENT;
	}
}

static int kube_status_fill(int code, long http, const struct json *st, const char *body, size_t len,
			    struct error *err)
{
	const char *msg = st ? json_get_string(st, "message") : NULL;
	const char *reason = st ? json_get_string(st, "reason") : NULL;

	if (msg && *msg)
		return error_set(err, code, "HTTP %ld%s%s: %s", http, reason ? " " : "", reason ? reason : "",
				 msg);
	if (body && len) {
		int n = len > 200 ? 200 : (int)len;

		return error_set(err, code, "HTTP %ld: %.*s", http, n, body);
	}
	return error_set(err, code, "HTTP %ld", http);
}

int kube_status_classify(long http_status, const char *body, size_t len, struct error *err)
{
	int code = kube_status_code(http_status);
	struct json *st = NULL;
	int rc;

	if (code == 0)
		return 0;
	if (body && len && body[0] == '{')
		st = json_parse(body, len, NULL);
	rc = kube_status_fill(code, http_status, st, body, len, err);
	json_free(st);
	return rc;
}

int kube_status_from_object(const struct json *status, struct error *err)
{
	long http = (long)json_get_int(status, "code", 500);
	int code = kube_status_code(http);

	if (code == 0) /* a Status inside an ERROR event is never success */
		code = ERR_RETRY;
	return kube_status_fill(code, http, status, NULL, 0, err);
}
