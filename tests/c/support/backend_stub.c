/* backend_stub.c - a test double for devctl's cluster seam (cli/backend.h).
 *
 * Linked into the unit tests instead of cli/backend_kube.c: every operation
 * fails with ERR_PERMANENT, so the tests check that cluster commands report
 * a backend failure in one line and exit 1, while everything offline runs
 * for real. The commands against a real cluster are tested by
 * tests/integration/test_devctl.sh.
 */
#include "backend.h"

#define NOT_CONNECTED "not connected to a cluster yet"

int backend_create(const struct global_opts *g, const struct json *obj, struct json **out,
		   struct error *err)
{
	*out = NULL;
	return error_set(err, ERR_PERMANENT, NOT_CONNECTED);
}

int backend_get(const struct global_opts *g, const char *name, struct json **out,
		struct error *err)
{
	*out = NULL;
	return error_set(err, ERR_PERMANENT, NOT_CONNECTED);
}

int backend_list(const struct global_opts *g, struct json **items, struct json **pods,
		 struct error *err)
{
	*items = NULL;
	if (pods)
		*pods = NULL;
	return error_set(err, ERR_PERMANENT, NOT_CONNECTED);
}

int backend_patch(const struct global_opts *g, const char *name, const struct json *patch,
		  struct json **out, struct error *err)
{
	*out = NULL;
	return error_set(err, ERR_PERMANENT, NOT_CONNECTED);
}

int backend_delete(const struct global_opts *g, const char *name, struct error *err)
{
	return error_set(err, ERR_PERMANENT, NOT_CONNECTED);
}

int backend_watch(const struct global_opts *g, const char *name, int64_t timeout_ms,
		  backend_done_fn done, void *arg, struct json **last, struct error *err)
{
	if (last)
		*last = NULL;
	return error_set(err, ERR_PERMANENT, NOT_CONNECTED);
}

int backend_devserver_pod(const struct global_opts *g, const char *name, struct json **pod,
			  struct error *err)
{
	*pod = NULL;
	return error_set(err, ERR_PERMANENT, NOT_CONNECTED);
}

int backend_events(const struct global_opts *g, const char *name, struct json **events,
		   struct error *err)
{
	*events = NULL;
	return error_set(err, ERR_PERMANENT, NOT_CONNECTED);
}

int backend_logs(const struct global_opts *g, const char *name, bool follow, int64_t tail,
		 FILE *out, struct error *err)
{
	return error_set(err, ERR_PERMANENT, NOT_CONNECTED);
}

int backend_list_flavors(const struct global_opts *g, struct json **items, struct error *err)
{
	*items = NULL;
	return error_set(err, ERR_PERMANENT, NOT_CONNECTED);
}

int backend_server_version(const struct global_opts *g, char *out, size_t out_size,
			   struct error *err)
{
	if (out_size)
		out[0] = '\0';
	return error_set(err, ERR_PERMANENT, NOT_CONNECTED);
}



int backend_policy_push(const struct global_opts *g, const struct policy_bundle *bundle,
			const char *fixtures_dir, struct json **out, struct error *err)
{
	*out = NULL;
	return error_set(err, ERR_PERMANENT, NOT_CONNECTED);
}

int backend_policy_status(const struct global_opts *g, struct json **out, struct error *err)
{
	*out = NULL;
	return error_set(err, ERR_PERMANENT, NOT_CONNECTED);
}
