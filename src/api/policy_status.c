/* policy_status.c - the policy status annotation: encode, parse (JSON and
 * the older free text). See policy_status.h. */
#include "api/policy_status.h"

#include <stdio.h>
#include <string.h>

#include "json/json.h"

static const char *state_name(enum api_policy_state s)
{
	switch (s) {
	case API_POLICY_ACTIVE:
		return "active";
	case API_POLICY_REJECTED:
		return "rejected";
	}
	return NULL;
}

char *api_policy_status_encode(const struct api_policy_status *st, struct error *err)
{
	const char *state = state_name(st->state);
	struct json *o;
	char *text;

	if (!state) {
		error_set(err, ERR_INVALID, "policy status: unknown state %d", (int)st->state);
		return NULL;
	}
	o = json_new_object();
	json_object_set_take(o, "state", json_new_string(state));
	json_object_set_take(o, "revision", json_new_string(st->revision));
	if (st->state == API_POLICY_REJECTED) {
		json_object_set_take(o, "reason", json_new_string(st->reason));
		json_object_set_take(o, "active", json_new_string(st->active));
	}
	text = json_encode_str(o, API_POLICY_STATUS_MAX_BYTES, 0);
	json_free(o);
	if (!text)
		error_set(err, ERR_LIMIT, "policy status: more than %d bytes encoded", API_POLICY_STATUS_MAX_BYTES);
	return text;
}

/* Copies src into a fixed field, cutting it at a character boundary. */
static void copy_field(char *dst, size_t size, const char *src)
{
	size_t n = strlen(src);

	if (n >= size) {
		n = size - 1;
		while (n > 0 && ((unsigned char)src[n] & 0xC0) == 0x80)
			n--; /* do not end inside a UTF-8 sequence */
	}
	memcpy(dst, src, n);
	dst[n] = '\0';
}

static int parse_json(const char *text, struct api_policy_status *st, struct error *err)
{
	struct json *o = json_parse(text, strlen(text), err);
	const char *state, *rev, *s;
	int rc = 0;

	if (!o)
		return error_prefix(err, "policy status");
	state = json_get_string(o, "state");
	rev = json_get_string(o, "revision");
	if (!state || !rev) {
		rc = error_set(err, ERR_INVALID, "policy status: \"state\" and \"revision\" are required");
	} else if (strcmp(state, "active") == 0) {
		st->state = API_POLICY_ACTIVE;
	} else if (strcmp(state, "rejected") == 0) {
		st->state = API_POLICY_REJECTED;
		if ((s = json_get_string(o, "reason")))
			copy_field(st->reason, sizeof(st->reason), s);
		if ((s = json_get_string(o, "active")))
			copy_field(st->active, sizeof(st->active), s);
	} else {
		rc = error_set(err, ERR_INVALID, "policy status: unknown state \"%.32s\"", state);
	}
	if (rc == 0)
		copy_field(st->revision, sizeof(st->revision), rev);
	json_free(o);
	return rc;
}

/* "active <rev>" or "rejected <rev>: <reason> (active: <rev>)", as
 * operators before the JSON form wrote it. */
static int parse_legacy(const char *text, struct api_policy_status *st, struct error *err)
{
	char rev[API_POLICY_REVISION_MAX], reason[API_POLICY_REASON_MAX];

	if (sscanf(text, "active %63s", rev) == 1) {
		st->state = API_POLICY_ACTIVE;
		copy_field(st->revision, sizeof(st->revision), rev);
		return 0;
	}
	if (sscanf(text, "rejected %63[^:]: %599[^\n]", rev, reason) == 2) {
		char *a = NULL;

		/* the last one: a reason may quote the same words */
		for (char *p = strstr(reason, " (active: "); p; p = strstr(p + 1, " (active: "))
			a = p;

		st->state = API_POLICY_REJECTED;
		copy_field(st->revision, sizeof(st->revision), rev);
		if (a) {
			char *end = strchr(a, ')');

			*a = '\0';
			a += strlen(" (active: ");
			if (end) {
				*end = '\0';
				copy_field(st->active, sizeof(st->active), a);
			}
		}
		copy_field(st->reason, sizeof(st->reason), reason);
		return 0;
	}
	return error_set(err, ERR_INVALID, "policy status: not JSON and not an older operator's text: \"%.64s\"",
			 text);
}

int api_policy_status_parse(const char *text, struct api_policy_status *st, struct error *err)
{
	memset(st, 0, sizeof(*st));
	while (*text == ' ' || *text == '\t' || *text == '\n')
		text++;
	return *text == '{' ? parse_json(text, st, err) : parse_legacy(text, st, err);
}
