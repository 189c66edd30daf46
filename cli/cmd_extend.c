/* cmd_extend.c - `devctl extend NAME --by 2h`: push the expiry back.
 *
 * The TTL counts from creation, so extending means a longer TTL: the current
 * one plus --by. A DevServer with no TTL of its own (the flavor's default, or
 * none) gets "time since creation + by", i.e. it expires `by` from now; the
 * operator still checks the flavor's maximum.
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
	if (ttl) {
		if (duration_parse(ttl, &cur) < 0)
			return error_set(err, ERR_INVALID, "the current timeToLive \"%s\" is not a duration",
					 ttl);
	} else {
		if (!created || clock_parse_rfc3339(created, &t) < 0)
			return error_set(err, ERR_INVALID, "the DevServer has no creationTimestamp");
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

static const struct flag_spec extend_flags[] = {
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
	json_free(ds);
	if (rc < 0)
		return cli_fail_err(ctx, "extend", &err);
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
	"one plus DURATION; without a timeToLive of its own, the time since creation\n"
	"plus DURATION. The flavor's maximum still applies.\n"
	"\n"
	"Flags:\n"
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
