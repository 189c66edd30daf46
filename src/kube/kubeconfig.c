/* kubeconfig.c - kubeconfig files, in-cluster config and credential refresh.
 *
 * Merging several files is done without building a merged document: every
 * file stays parsed in load order and a lookup of a cluster, context or user
 * name scans them front to back, which is exactly kubectl's "first file to
 * define a name wins" rule, and keeps each entry's directory at hand for
 * resolving its relative paths. Only the chosen context's entries are read.
 *
 * Exec credential plugins are read here (kc_load_exec) and run by
 * exec_plugin.c when kube_config_credentials finds no fresh cached result.
 *
 * Not supported: auth-provider plugins (gcp/azure/oidc, removed upstream),
 * proxy-url, impersonation, interactive exec plugins.
 */
#include "kube/kubeconfig.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

#include "core/base64.h"
#include "core/buf.h"
#include "core/clock.h"
#include "core/file.h"
#include "core/mem.h"
#include "json/json.h"
#include "json/yaml_doc.h"
#include "kube/exec_plugin.h"
#include "kube/kubeconfig_internal.h"

#define KUBECONFIG_PATH_MAX_BYTES 8192     /* a file a kubeconfig names, made absolute */
#define KUBECONFIG_SERVER_MAX_BYTES 4096   /* the in-cluster server URL */

/* ---- small helpers ---------------------------------------------------- */

/* core/file's read; a missing file stays ERR_IO here, as callers expect. */
static int kc_read_file(const char *path, size_t max, struct buf *out, struct error *err)
{
	int rc = file_read_bounded(path, max, 0, out, err);

	if (rc == ERR_NOT_FOUND && err)
		err->code = ERR_IO;
	return rc == ERR_NOT_FOUND ? ERR_IO : rc;
}

void kube__trim_right(char *s)
{
	size_t n = strlen(s);

	while (n && (s[n - 1] == '\n' || s[n - 1] == '\r' || s[n - 1] == ' ' || s[n - 1] == '\t'))
		s[--n] = '\0';
}

/* Heap copy of path's directory ("." when it has none). */
static char *kc_dirname(const char *path)
{
	const char *slash = strrchr(path, '/');

	if (!slash)
		return mem_strdup(".");
	if (slash == path)
		return mem_strdup("/");
	return mem_strndup(path, (size_t)(slash - path));
}

/* Heap path: p as is when absolute, else dir/p. */
static char *kc_resolve(const char *dir, const char *p)
{
	struct buf b;

	if (p[0] == '/' || !dir)
		return mem_strdup(p);
	while (p[0] == '.' && p[1] == '/')
		p += 2;
	buf_init(&b, KUBECONFIG_PATH_MAX_BYTES);
	if (buf_appendf(&b, "%s/%s", dir, p) < 0) {
		buf_cleanup(&b);
		return mem_strdup(p);
	}
	return buf_take(&b);
}

void kube__blob_free(struct kube_blob *b)
{
	free(b->data);
	b->data = NULL;
	b->len = 0;
}

static void kc_blob_take_buf(struct kube_blob *b, struct buf *from)
{
	kube__blob_free(b);
	b->len = from->len;
	b->data = buf_take(from);
}

/* Decodes base64 field text into b. */
static int kc_blob_from_b64(struct kube_blob *b, const char *text, const char *what,
			    struct error *err)
{
	struct buf out;
	int rc;

	buf_init(&out, KUBE_CRED_MAX_BYTES);
	rc = base64_decode(text, strlen(text), &out, err);
	if (rc < 0) {
		buf_cleanup(&out);
		return error_prefix(err, "%s", what);
	}
	kc_blob_take_buf(b, &out);
	return 0;
}

static int kc_blob_from_file(struct kube_blob *b, const char *dir, const char *file,
			     const char *what, struct error *err)
{
	struct buf out;
	char *path = kc_resolve(dir, file);
	int rc = kc_read_file(path, KUBE_CRED_MAX_BYTES, &out, err);

	free(path);
	if (rc < 0)
		return error_prefix(err, "%s", what);
	kc_blob_take_buf(b, &out);
	return 0;
}

static void kc_strv_free(char ***pv)
{
	char **v = *pv;

	if (!v)
		return;
	for (size_t i = 0; v[i]; i++)
		free(v[i]);
	free(v);
	*pv = NULL;
}

static void kc_exec_free(struct kube_exec *ex)
{
	if (!ex)
		return;
	exec_plugin_clear_cache(ex);
	free(ex->api_version);
	free(ex->command);
	free(ex->install_hint);
	kc_strv_free(&ex->args);
	kc_strv_free(&ex->env);
	free(ex);
}

void kube_config_cleanup(struct kube_config *cfg)
{
	if (!cfg)
		return;
	free(cfg->source);
	free(cfg->context);
	free(cfg->server);
	free(cfg->namespace);
	free(cfg->tls_server_name);
	kube__blob_free(&cfg->ca);
	kube__blob_free(&cfg->cert);
	kube__blob_free(&cfg->key);
	free(cfg->token);
	free(cfg->token_file);
	free(cfg->username);
	free(cfg->password);
	kc_exec_free(cfg->exec);
	memset(cfg, 0, sizeof(*cfg));
}

/* ---- token files ------------------------------------------------------- */

/* Re-reads cfg->token_file when its inode/mtime changed (the kubelet swaps a
 * symlink when it rotates a projected token) or KUBE_TOKEN_RECHECK_MS passed. */
static int kc_refresh_token_file(struct kube_config *cfg, bool force, struct error *err)
{
	struct stat st;
	struct buf b;
	int64_t now = clock_mono_ms();
	int64_t mtime_ns;
	int rc;

	if (stat(cfg->token_file, &st) < 0) {
		/* keep a token we already have: a rotation may be in progress */
		if (cfg->token)
			return 0;
		return error_set(err, ERR_IO, "token file %s: %s", cfg->token_file, error_errno_text(errno));
	}
	mtime_ns = (int64_t)st.st_mtim.tv_sec * 1000000000 + st.st_mtim.tv_nsec;
	if (!force && cfg->token && mtime_ns == cfg->token_mtime_ns &&
	    (uint64_t)st.st_ino == cfg->token_ino && now - cfg->token_read_ms < KUBE_TOKEN_RECHECK_MS)
		return 0;
	rc = kc_read_file(cfg->token_file, KUBE_CRED_MAX_BYTES, &b, err);
	if (rc < 0)
		return cfg->token ? 0 : rc;
	free(cfg->token);
	cfg->token = buf_take(&b);
	kube__trim_right(cfg->token);
	cfg->token_read_ms = now;
	cfg->token_mtime_ns = mtime_ns;
	cfg->token_ino = (uint64_t)st.st_ino;
	return 0;
}

int kube_config_credentials(struct kube_config *cfg, struct kube_credentials *out,
			    struct error *err)
{
	memset(out, 0, sizeof(*out));
	if (cfg->exec) {
		struct kube_exec *ex = cfg->exec;
		int64_t now = clock_wall_ms() / 1000;

		if (!ex->cached || (ex->expiry_unix && now >= ex->expiry_unix)) {
			int rc = exec_plugin_run(cfg, ex, err);

			if (rc < 0)
				return rc;
		}
		out->token = ex->token;
		if (ex->cert.len) {
			out->cert = &ex->cert;
			out->key = &ex->key;
		}
	}
	if (!out->token && cfg->token_file) {
		int rc = kc_refresh_token_file(cfg, false, err);

		if (rc < 0)
			return rc;
	}
	if (!out->token && cfg->token && *cfg->token)
		out->token = cfg->token;
	if (!out->cert && cfg->cert.len && cfg->key.len) {
		out->cert = &cfg->cert;
		out->key = &cfg->key;
	}
	if (cfg->username && cfg->password && !out->token) {
		out->username = cfg->username;
		out->password = cfg->password;
	}
	return 0;
}

bool kube_config_invalidate(struct kube_config *cfg)
{
	bool any = false;

	if (cfg->exec && cfg->exec->cached) {
		exec_plugin_clear_cache(cfg->exec);
		any = true;
	}
	if (cfg->token_file) {
		cfg->token_read_ms = clock_mono_ms() - KUBE_TOKEN_RECHECK_MS;
		any = true;
	}
	return any;
}

/* ---- kubeconfig files -------------------------------------------------- */

struct kc_file {
	char *path;
	char *dir;
	struct json *doc;
};

struct kc_set {
	struct kc_file *files;
	size_t n;
};

static void kc_set_free(struct kc_set *s)
{
	for (size_t i = 0; i < s->n; i++) {
		free(s->files[i].path);
		free(s->files[i].dir);
		json_free(s->files[i].doc);
	}
	free(s->files);
	s->files = NULL;
	s->n = 0;
}

/* The `section` entry (cluster/context/user object) named name, from the first
 * file defining it; *dir gets that file's directory. */
static const struct json *kc_find(const struct kc_set *s, const char *list, const char *section,
				  const char *name, const char **dir)
{
	for (size_t f = 0; f < s->n; f++) {
		const struct json *arr = json_get(s->files[f].doc, list);

		if (!arr || arr->type != JSON_ARRAY)
			continue;
		for (size_t i = 0; i < arr->u.arr.len; i++) {
			const struct json *e = arr->u.arr.items[i];
			const char *n = json_get_string(e, "name");

			if (n && strcmp(n, name) == 0) {
				const struct json *body = json_get(e, section);

				*dir = s->files[f].dir;
				return body && body->type == JSON_OBJECT ? body : NULL;
			}
		}
	}
	return NULL;
}

static int kc_load_set(struct kc_set *s, const char *paths, struct error *err)
{
	char *list = mem_strdup(paths), *save = NULL, *p;
	size_t count = 0;
	int rc = 0;

	for (const char *c = paths; *c; c++)
		count += *c == ':';
	s->files = mem_calloc(count + 1, sizeof(*s->files));
	s->n = 0;
	for (p = strtok_r(list, ":", &save); p; p = strtok_r(NULL, ":", &save)) {
		struct buf text;
		struct json *doc;
		bool dup = false;

		for (size_t i = 0; i < s->n; i++)
			dup |= strcmp(s->files[i].path, p) == 0;
		if (dup)
			continue;
		rc = kc_read_file(p, KUBECONFIG_MAX_FILE_BYTES, &text, err);
		if (rc == ERR_IO && count > 0 && access(p, F_OK) < 0) {
			rc = 0; /* kubectl skips missing files of a list */
			continue;
		}
		if (rc < 0)
			break;
		doc = text.len ? yaml_doc_parse(buf_str(&text), text.len, err) : json_new_object();
		buf_cleanup(&text);
		if (!doc) {
			rc = error_prefix(err, "%s", p);
			break;
		}
		if (doc->type == JSON_NULL) {
			json_free(doc);
			doc = json_new_object();
		}
		if (doc->type != JSON_OBJECT) {
			json_free(doc);
			rc = error_set(err, ERR_INVALID, "%s: not a kubeconfig mapping", p);
			break;
		}
		s->files[s->n].path = mem_strdup(p);
		s->files[s->n].dir = kc_dirname(p);
		s->files[s->n].doc = doc;
		s->n++;
	}
	if (rc == 0 && s->n == 0)
		rc = error_set(err, ERR_IO, "no kubeconfig file found in %s", paths);
	free(list);
	if (rc < 0)
		kc_set_free(s);
	return rc;
}

static char **kc_strv_from_json(const struct json *arr)
{
	size_t n = arr && arr->type == JSON_ARRAY ? arr->u.arr.len : 0, k = 0;
	char **v = mem_calloc(n + 1, sizeof(char *));

	for (size_t i = 0; i < n; i++) {
		const struct json *it = arr->u.arr.items[i];

		if (it->type == JSON_STRING)
			v[k++] = mem_strdup(it->u.str.ptr);
		else if (it->type == JSON_INT) {
			char tmp[32];

			snprintf(tmp, sizeof(tmp), "%lld", (long long)it->u.i);
			v[k++] = mem_strdup(tmp);
		}
	}
	return v;
}

static int kc_load_exec(struct kube_config *cfg, const struct json *e, const char *dir,
			struct error *err)
{
	struct kube_exec *ex;
	const char *cmd = json_get_string(e, "command");
	const char *apiv = json_get_string(e, "apiVersion");
	const struct json *env = json_get(e, "env");
	size_t nenv = env && env->type == JSON_ARRAY ? env->u.arr.len : 0, k = 0;

	if (!cmd || !*cmd)
		return error_set(err, ERR_INVALID, "user.exec.command is required");
	if (!apiv || (strcmp(apiv, "client.authentication.k8s.io/v1") != 0 &&
		      strcmp(apiv, "client.authentication.k8s.io/v1beta1") != 0))
		return error_set(err, ERR_INVALID,
				 "user.exec.apiVersion %s is not supported (want client.authentication.k8s.io/v1 or v1beta1)",
				 apiv ? apiv : "(missing)");
	ex = mem_calloc(1, sizeof(*ex));
	ex->api_version = mem_strdup(apiv);
	/* kubectl resolves a relative command only when it names a path */
	ex->command = strchr(cmd, '/') ? kc_resolve(dir, cmd) : mem_strdup(cmd);
	ex->args = kc_strv_from_json(json_get(e, "args"));
	ex->env = mem_calloc(nenv + 1, sizeof(char *));
	for (size_t i = 0; i < nenv; i++) {
		const char *n = json_get_string(env->u.arr.items[i], "name");
		const char *v = json_get_string(env->u.arr.items[i], "value");
		struct buf b;

		if (!n || !*n)
			continue;
		buf_init(&b, KUBE_CRED_MAX_BYTES);
		buf_appendf(&b, "%s=%s", n, v ? v : "");
		ex->env[k++] = buf_take(&b);
	}
	if (json_get_string(e, "installHint"))
		ex->install_hint = mem_strdup(json_get_string(e, "installHint"));
	ex->provide_cluster_info = json_get_bool(e, "provideClusterInfo", false);
	ex->timeout_ms = KUBE_EXEC_TIMEOUT_MS;
	cfg->exec = ex;
	return 0;
}

static int kc_load_cluster(struct kube_config *cfg, const struct json *c, const char *dir,
			   struct error *err)
{
	const char *server = json_get_string(c, "server");
	const char *s;
	size_t n;

	if (!server || !*server)
		return error_set(err, ERR_INVALID, "cluster.server is required");
	cfg->server = mem_strdup(server);
	n = strlen(cfg->server);
	while (n > 0 && cfg->server[n - 1] == '/')
		cfg->server[--n] = '\0';
	cfg->insecure_skip_tls_verify = json_get_bool(c, "insecure-skip-tls-verify", false);
	if ((s = json_get_string(c, "tls-server-name")) && *s)
		cfg->tls_server_name = mem_strdup(s);
	if ((s = json_get_string(c, "certificate-authority-data")) && *s)
		return kc_blob_from_b64(&cfg->ca, s, "cluster.certificate-authority-data", err);
	if ((s = json_get_string(c, "certificate-authority")) && *s)
		return kc_blob_from_file(&cfg->ca, dir, s, "cluster.certificate-authority", err);
	return 0;
}

static int kc_load_user(struct kube_config *cfg, const struct json *u, const char *dir,
			struct error *err)
{
	const char *s;
	const struct json *e;
	int rc;

	if ((s = json_get_string(u, "client-certificate-data")) && *s)
		rc = kc_blob_from_b64(&cfg->cert, s, "user.client-certificate-data", err);
	else if ((s = json_get_string(u, "client-certificate")) && *s)
		rc = kc_blob_from_file(&cfg->cert, dir, s, "user.client-certificate", err);
	else
		rc = 0;
	if (rc < 0)
		return rc;
	if ((s = json_get_string(u, "client-key-data")) && *s)
		rc = kc_blob_from_b64(&cfg->key, s, "user.client-key-data", err);
	else if ((s = json_get_string(u, "client-key")) && *s)
		rc = kc_blob_from_file(&cfg->key, dir, s, "user.client-key", err);
	if (rc < 0)
		return rc;
	if ((!cfg->cert.len) != (!cfg->key.len))
		return error_set(err, ERR_INVALID, "user: client certificate and client key go together");
	if ((s = json_get_string(u, "token")) && *s)
		cfg->token = mem_strdup(s);
	else if ((s = json_get_string(u, "tokenFile")) && *s) {
		cfg->token_file = kc_resolve(dir, s);
		if ((rc = kc_refresh_token_file(cfg, true, err)) < 0)
			return error_prefix(err, "user.tokenFile");
	}
	if ((s = json_get_string(u, "username")) && *s)
		cfg->username = mem_strdup(s);
	if ((s = json_get_string(u, "password")))
		cfg->password = mem_strdup(s);
	if ((e = json_get(u, "exec")) && e->type == JSON_OBJECT)
		return kc_load_exec(cfg, e, dir, err);
	if (json_get(u, "auth-provider"))
		return error_set(err, ERR_INVALID, "user.auth-provider is not supported; use an exec plugin");
	return 0;
}

int kube_config_load_files(struct kube_config *cfg, const char *paths, const char *context,
			   struct error *err)
{
	struct kc_set set = {0};
	const struct json *ctx, *cl, *us = NULL;
	const char *dir, *cname, *uname, *ns, *current = NULL;
	int rc;

	memset(cfg, 0, sizeof(*cfg));
	if ((rc = kc_load_set(&set, paths, err)) < 0)
		return rc;
	for (size_t f = 0; f < set.n && !current; f++) {
		const char *c = json_get_string(set.files[f].doc, "current-context");

		if (c && *c)
			current = c;
	}
	if (context && *context)
		current = context;
	if (!current) {
		rc = error_set(err, ERR_INVALID, "%s: no current-context and no --context", paths);
		goto out;
	}
	ctx = kc_find(&set, "contexts", "context", current, &dir);
	if (!ctx) {
		rc = error_set(err, ERR_INVALID, "%s: context %s not found", paths, current);
		goto out;
	}
	cname = json_get_string(ctx, "cluster");
	uname = json_get_string(ctx, "user");
	ns = json_get_string(ctx, "namespace");
	cfg->source = mem_strdup(paths);
	cfg->context = mem_strdup(current);
	cfg->namespace = mem_strdup(ns && *ns ? ns : "default");
	cfg->namespace_defaulted = !(ns && *ns);
	if (!cname || !(cl = kc_find(&set, "clusters", "cluster", cname, &dir))) {
		rc = error_set(err, ERR_INVALID, "%s: context %s: cluster %s not found", paths, current,
			       cname ? cname : "(unset)");
		goto out;
	}
	if ((rc = kc_load_cluster(cfg, cl, dir, err)) < 0) {
		error_prefix(err, "%s: cluster %s", paths, cname);
		goto out;
	}
	if (uname && *uname && !(us = kc_find(&set, "users", "user", uname, &dir))) {
		rc = error_set(err, ERR_INVALID, "%s: context %s: user %s not found", paths, current, uname);
		goto out;
	}
	if (us && (rc = kc_load_user(cfg, us, dir, err)) < 0) {
		error_prefix(err, "%s: user %s", paths, uname);
		goto out;
	}
out:
	kc_set_free(&set);
	if (rc < 0)
		kube_config_cleanup(cfg);
	return rc;
}

int kube_config_load_in_cluster(struct kube_config *cfg, struct error *err)
{
	const char *host = getenv("KUBERNETES_SERVICE_HOST");
	const char *port = getenv("KUBERNETES_SERVICE_PORT");
	const char *dir = getenv(KUBE_SA_DIR_ENV);
	struct buf b;
	int rc;

	memset(cfg, 0, sizeof(*cfg));
	if (!host || !*host || !port || !*port)
		return error_set(err, ERR_INVALID,
				 "in-cluster: KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT must be set");
	if (!dir || !*dir)
		dir = KUBE_SA_DIR_DEFAULT;
	buf_init(&b, KUBECONFIG_SERVER_MAX_BYTES);
	if (strchr(host, ':'))
		buf_appendf(&b, "https://[%s]:%s", host, port); /* IPv6 literal */
	else
		buf_appendf(&b, "https://%s:%s", host, port);
	cfg->server = buf_take(&b);
	cfg->source = mem_strdup("in-cluster");
	cfg->token_file = kc_resolve(dir, "token");
	if ((rc = kc_refresh_token_file(cfg, true, err)) < 0)
		goto fail;
	if ((rc = kc_blob_from_file(&cfg->ca, dir, "ca.crt", "in-cluster CA", err)) < 0)
		goto fail;
	{
		char *nsf = kc_resolve(dir, "namespace");

		if (kc_read_file(nsf, 4096, &b, NULL) == 0) {
			cfg->namespace = buf_take(&b);
			kube__trim_right(cfg->namespace);
		}
		free(nsf);
	}
	if (!cfg->namespace || !*cfg->namespace) {
		free(cfg->namespace);
		cfg->namespace = mem_strdup("default");
		cfg->namespace_defaulted = true;
	}
	return 0;
fail:
	kube_config_cleanup(cfg);
	return rc;
}

int kube_config_load(struct kube_config *cfg, const struct kube_config_options *opt,
		     struct error *err)
{
	const char *env = getenv("KUBECONFIG");
	const char *svc = getenv("KUBERNETES_SERVICE_HOST");
	const char *home = getenv("HOME");
	struct kube_config_options none = {0};
	int rc;

	if (!opt)
		opt = &none;
	if (opt->kubeconfig && *opt->kubeconfig)
		rc = kube_config_load_files(cfg, opt->kubeconfig, opt->context, err);
	else if (opt->prefer_in_cluster && svc && *svc)
		rc = kube_config_load_in_cluster(cfg, err);
	else if (env && *env)
		rc = kube_config_load_files(cfg, env, opt->context, err);
	else {
		struct buf p;
		char *path;

		buf_init(&p, KUBECONFIG_PATH_MAX_BYTES);
		buf_appendf(&p, "%s/.kube/config", home && *home ? home : ".");
		path = buf_take(&p);
		if (access(path, F_OK) < 0 && svc && *svc)
			rc = kube_config_load_in_cluster(cfg, err);
		else
			rc = kube_config_load_files(cfg, path, opt->context, err);
		free(path);
	}
	if (rc == 0 && opt->namespace && *opt->namespace) {
		free(cfg->namespace);
		cfg->namespace = mem_strdup(opt->namespace);
		cfg->namespace_defaulted = false;
	}
	return rc;
}
