/* cmd_extend.c - `devctl extend NAME --by 2h`: push the expiry back.
 *
 * The TTL counts from creation, so extending means a longer TTL: the current
 * one plus --by. A DevServer with no TTL of its own takes the flavor's
 * default as the operator computed it (status.expiresAt), or, with none, the
 * time since creation (it then expires `by` from now): extending never
 * shortens. More than the flavor's maxTimeToLive is refused here, with what
 * is left, rather than capped silently by the operator.
 */
#include <string.h>

#include "backend.h"
#include "cmd_opts.h"
#include "core/clock.h"
#include "core/duration.h"
#include "output.h"

int extend_build_patch(const struct json *ds, int64_t by, int64_t now, struct json **patch,
		       struct error *err)
{
	const char *ttl = json_get_string(json_path(ds, "spec", "lifecycle", (char *)NULL),
					  "timeToLive");
	const char *created = json_get_string(json_get(ds, "metadata"), "creationTimestamp");
	char text[DURATION_TEXT_BYTES];
	struct json *spec, *lc;
	int64_t cur, t;

	*patch = NULL;
	if (by <= 0)
		return error_set(err, ERR_INVALID, "--by must be longer than 0s");
	const char *expires = json_get_string(json_get(ds, "status"), "expiresAt");
	int64_t at;

	if (ttl) {
		if (duration_parse(ttl, &cur) < 0)
			return error_set(err, ERR_INVALID, "the current timeToLive \"%s\" is not a duration",
					 ttl);
	} else {
		if (!created || clock_parse_rfc3339(created, &t) < 0)
			return error_set(err, ERR_INVALID, "the DevServer has no creationTimestamp");
		/* the flavor's default, as the operator computed it; without one,
		 * from now: extending never shortens */
		if (expires && clock_parse_rfc3339(expires, &at) == 0 && at > t)
			cur = at - t;
		else
			cur = now > t ? now - t : 0;
	}
	if (cur > DURATION_MAX_SECONDS - by)
		return error_set(err, ERR_INVALID, "the new time to live would exceed %lldd",
				 (long long)(DURATION_MAX_SECONDS / 86400));
	duration_format(cur + by, text);
	*patch = json_new_object();
	spec = json_new_object();
	lc = json_new_object();
	json_object_set_take(lc, "timeToLive", json_new_string(text));
	json_object_set_take(spec, "lifecycle", lc);
	json_object_set_take(*patch, "spec", spec);
	return 0;
}

int extend_check_max(const struct json *ds, const struct json *flavors, const struct json *patch,
		     struct error *err)
{
	const char *want = json_get_string(json_get(ds, "status"), "flavor");
	const char *ttl = json_get_string(json_path(patch, "spec", "lifecycle", (char *)NULL), "timeToLive");
	const char *name = json_get_string(json_get(ds, "metadata"), "name");
	int64_t new_ttl, max, cur = 0;

	if (!want)
		want = json_get_string(json_get(ds, "spec"), "flavor");
	if (!want || !ttl || duration_parse(ttl, &new_ttl) < 0)
		return 0; /* nothing to compare with: the operator still caps it */
	for (size_t i = 0; flavors && flavors->type == JSON_ARRAY && i < flavors->u.arr.len; i++) {
		const struct json *f = flavors->u.arr.items[i];
		const char *max_s = json_get_string(json_path(f, "spec", "lifecycle", (char *)NULL),
						    "maxTimeToLive");
		char max_text[DURATION_TEXT_BYTES], room[DURATION_TEXT_BYTES];
		const char *expires = json_get_string(json_get(ds, "status"), "expiresAt");
		const char *created = json_get_string(json_get(ds, "metadata"), "creationTimestamp");
		int64_t at, t0;

		if (strcmp(json_get_string(json_get(f, "metadata"), "name") ?: "", want) != 0 || !max_s ||
		    duration_parse(max_s, &max) < 0 || new_ttl <= max)
			continue;
		if (expires && created && clock_parse_rfc3339(expires, &at) == 0 &&
		    clock_parse_rfc3339(created, &t0) == 0 && at > t0)
			cur = at - t0;
		duration_format(max, max_text);
		duration_format(max > cur ? max - cur : 0, room);
		return error_set(err, ERR_INVALID, "flavor \"%s\" allows a time to live of at most %s "
				 "(maxTimeToLive): %s can be extended by at most %s", want, max_text,
				 name ? name : "the DevServer", room);
	}
	return 0;
}

static const struct flag_spec extend_flags[] = {
	CMD_NAME_FLAG,
	{ "by", 0, FLAG_DURATION, 0, offsetof(struct extend_opts, by), "DURATION" },
	{ NULL, 0, 0, 0, 0, NULL },
};

static int extend_check(struct cli_ctx *ctx, void *p, struct error *err)
{
	struct extend_opts *o = p;

	if (!o->by.text)
		return error_set(err, ERR_INVALID, "--by is required (e.g. --by 2h)");
	if (o->by.seconds == 0)
		return error_set(err, ERR_INVALID, "--by must be longer than 0s");
	return 0;
}

static int extend_run(struct cli_ctx *ctx, void *p)
{
	struct extend_opts *o = p;
	struct json *ds = NULL, *patch = NULL, *out = NULL;
	struct error err;
	int rc;

	if (backend_get(&ctx->g, o->c.args[0], &ds, &err) < 0)
		return cli_fail_err(ctx, "extend", &err);
	rc = extend_build_patch(ds, o->by.seconds, ctx->now, &patch, &err);
	if (rc == 0) {
		struct json *flavors = NULL;

		/* the flavor's cap, said here rather than silently applied later */
		if (backend_list_flavors(&ctx->g, &flavors, &err) == 0)
			rc = extend_check_max(ds, flavors, patch, &err);
		json_free(flavors);
	}
	json_free(ds);
	if (rc < 0) {
		json_free(patch);
		return cli_fail_err(ctx, "extend", &err);
	}
	rc = backend_patch(&ctx->g, o->c.args[0], patch, &out, &err);
	if (rc == 0) {
		const char *ttl = json_get_string(json_path(patch, "spec", "lifecycle", (char *)NULL),
						  "timeToLive");

		fprintf(ctx->out, ctx->format == OUT_NAME ? OUTPUT_DEVSERVER_RESOURCE "/%s\n"
			: OUTPUT_DEVSERVER_RESOURCE "/%s extended (timeToLive %s)\n",
			o->c.args[0], ttl);
	}
	json_free(patch);
	json_free(out);
	return rc < 0 ? cli_fail_err(ctx, "extend", &err) : EXIT_OK;
}

const struct command cmd_extend = {
	.name = "extend",
	.summary = "Extend a DevServer's time to live",
	.usage =
	"Usage: devctl extend NAME --by DURATION\n"
	"\n"
	"Move the DevServer's expiry DURATION later. Its timeToLive becomes the current\n"
	"one (its own, or the flavor's default) plus DURATION. More than the flavor's\n"
	"maxTimeToLive is refused, with how much is left. Extending also clears the\n"
	"operator's ExpiringSoon warning.\n"
	"\n"
	"Flags:\n"
	"      --name NAME     the DevServer, instead of the NAME argument\n"
	"      --by DURATION   how much longer, e.g. 2h, 1d; required\n"
	"\n"
	"Examples:\n"
	"  devctl extend mybox --by 2h\n",
	.flags = extend_flags,
	.min_args = 1,
	.max_args = 1,
	.name_args = true,
	.formats = OUT_TABLE | OUT_NAME,
	.opts_size = sizeof(struct extend_opts),
	.check = extend_check,
	.run = extend_run,
};
