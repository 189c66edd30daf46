/* exec_plugin.c - runs a client-go exec credential plugin and reads the
 * ExecCredential it prints into the plugin's cache (struct kube_exec).
 *
 * Exec plugins run through fork/execvpe with stdin on /dev/null (we are never
 * interactive), stdout and stderr captured into bounded buffers
 * (KUBE_EXEC_MAX_OUTPUT_BYTES), and a hard deadline (KUBE_EXEC_TIMEOUT_MS
 * unless the plugin sets its own) after which the child is killed. An exec
 * failure is reported through a CLOEXEC pipe so "command not found" is a
 * clear error rather than an exit status 127.
 *
 * What it does not do: read the plugin's settings from a kubeconfig
 * (kubeconfig.c), decide when to run it (kube_config_credentials), or run
 * interactive plugins.
 */
#include "kube/exec_plugin.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/base64.h"
#include "core/buf.h"
#include "core/clock.h"
#include "core/mem.h"
#include "json/json.h"
#include "kube/kubeconfig_internal.h"

#define EXEC_PLUGIN_STDERR_MAX_BYTES 4096   /* kept for the error message; the rest is dropped */

extern char **environ;

void exec_plugin_clear_cache(struct kube_exec *ex)
{
	ex->cached = false;
	ex->expiry_unix = 0;
	mem_free_ptr(&ex->token);
	kube__blob_free(&ex->cert);
	kube__blob_free(&ex->key);
}

static char *kc_exec_info(const struct kube_config *cfg, const struct kube_exec *ex)
{
	struct json *info = json_new_object();
	struct json *spec = json_new_object();
	char *s;

	json_object_set_take(info, "apiVersion", json_new_string(ex->api_version));
	json_object_set_take(info, "kind", json_new_string("ExecCredential"));
	json_object_set_take(spec, "interactive", json_new_bool(false));
	if (ex->provide_cluster_info) {
		struct json *cl = json_new_object();

		json_object_set_take(cl, "server", json_new_string(cfg->server ? cfg->server : ""));
		if (cfg->tls_server_name)
			json_object_set_take(cl, "tls-server-name", json_new_string(cfg->tls_server_name));
		if (cfg->insecure_skip_tls_verify)
			json_object_set_take(cl, "insecure-skip-tls-verify", json_new_bool(true));
		if (cfg->ca.len) {
			struct buf b;

			buf_init(&b, 2 * KUBE_CRED_MAX_BYTES);
			if (base64_encode(cfg->ca.data, cfg->ca.len, &b) == 0)
				json_object_set_take(cl, "certificate-authority-data",
						     json_new_string(buf_str(&b)));
			buf_cleanup(&b);
		}
		json_object_set_take(spec, "cluster", cl);
	}
	json_object_set_take(info, "spec", spec);
	s = json_encode_str(info, 4 * KUBE_CRED_MAX_BYTES, 0);
	json_free(info);
	return s ? s : mem_strdup("{}");
}

/* environ plus the plugin's env (overriding same names) plus KUBERNETES_EXEC_INFO. */
static char **kc_exec_envp(const struct kube_exec *ex, const char *info)
{
	size_t n = 0, extra = 0, k = 0;
	char **envp;

	while (environ[n])
		n++;
	while (ex->env && ex->env[extra])
		extra++;
	envp = mem_calloc(n + extra + 2, sizeof(char *));
	for (size_t i = 0; i < n; i++) {
		bool shadowed = strncmp(environ[i], "KUBERNETES_EXEC_INFO=", 21) == 0;

		for (size_t j = 0; j < extra && !shadowed; j++) {
			const char *eq = strchr(ex->env[j], '=');
			size_t nl = eq ? (size_t)(eq - ex->env[j]) + 1 : 0;

			if (nl && strncmp(environ[i], ex->env[j], nl) == 0)
				shadowed = true;
		}
		if (!shadowed)
			envp[k++] = environ[i];
	}
	for (size_t j = 0; j < extra; j++)
		envp[k++] = ex->env[j];
	envp[k++] = (char *)info;
	envp[k] = NULL;
	return envp;
}

static int kc_exec_parse(struct kube_exec *ex, const char *out, size_t len, struct error *err)
{
	struct json *doc = json_parse(out, len, err);
	const struct json *status;
	const char *s, *kind, *apiv;
	int rc = 0;

	if (!doc)
		return error_prefix(err, "exec plugin %s: output is not JSON", ex->command);
	kind = json_get_string(doc, "kind");
	apiv = json_get_string(doc, "apiVersion");
	status = json_get(doc, "status");
	if (!kind || strcmp(kind, "ExecCredential") != 0 || !status || status->type != JSON_OBJECT) {
		rc = error_set(err, ERR_INVALID, "exec plugin %s: output is not an ExecCredential with a status",
			       ex->command);
		goto out;
	}
	if (!apiv || strcmp(apiv, ex->api_version) != 0) {
		rc = error_set(err, ERR_INVALID, "exec plugin %s: returned apiVersion %s, want %s",
			       ex->command, apiv ? apiv : "(none)", ex->api_version);
		goto out;
	}
	exec_plugin_clear_cache(ex);
	if ((s = json_get_string(status, "token")) && *s)
		ex->token = mem_strdup(s);
	if ((s = json_get_string(status, "clientCertificateData")) && *s) {
		ex->cert.data = mem_strdup(s);
		ex->cert.len = strlen(s);
	}
	if ((s = json_get_string(status, "clientKeyData")) && *s) {
		ex->key.data = mem_strdup(s);
		ex->key.len = strlen(s);
	}
	if (!ex->token && !(ex->cert.len && ex->key.len)) {
		exec_plugin_clear_cache(ex);
		rc = error_set(err, ERR_INVALID,
			       "exec plugin %s: status has neither token nor clientCertificateData+clientKeyData",
			       ex->command);
		goto out;
	}
	if ((!ex->cert.len) != (!ex->key.len)) {
		exec_plugin_clear_cache(ex);
		rc = error_set(err, ERR_INVALID, "exec plugin %s: clientCertificateData and clientKeyData go together",
			       ex->command);
		goto out;
	}
	if ((s = json_get_string(status, "expirationTimestamp")) && *s) {
		if (clock_parse_rfc3339(s, &ex->expiry_unix) < 0) {
			exec_plugin_clear_cache(ex);
			rc = error_set(err, ERR_INVALID, "exec plugin %s: bad expirationTimestamp %s",
				       ex->command, s);
			goto out;
		}
	}
	ex->cached = true;
out:
	json_free(doc);
	return rc;
}

int exec_plugin_run(const struct kube_config *cfg, struct kube_exec *ex, struct error *err)
{
	int outp[2] = {-1, -1}, errp[2] = {-1, -1}, ep[2] = {-1, -1};
	struct buf out, errb;
	char *info = NULL, **argv = NULL, **envp = NULL;
	size_t nargs = 0;
	pid_t pid;
	int rc = 0, status = 0, child_errno = 0;
	int64_t deadline;
	ssize_t n;

	buf_init(&out, KUBE_EXEC_MAX_OUTPUT_BYTES);
	buf_init(&errb, EXEC_PLUGIN_STDERR_MAX_BYTES);
	while (ex->args && ex->args[nargs])
		nargs++;
	argv = mem_calloc(nargs + 2, sizeof(char *));
	argv[0] = ex->command;
	for (size_t i = 0; i < nargs; i++)
		argv[i + 1] = ex->args[i];
	{
		struct buf ib;

		buf_init(&ib, 8 * KUBE_CRED_MAX_BYTES);
		char *json = kc_exec_info(cfg, ex);
		buf_appendf(&ib, "KUBERNETES_EXEC_INFO=%s", json);
		free(json);
		info = buf_take(&ib);
	}
	envp = kc_exec_envp(ex, info);
	if (pipe2(outp, O_CLOEXEC) < 0 || pipe2(errp, O_CLOEXEC) < 0 || pipe2(ep, O_CLOEXEC) < 0) {
		rc = error_set(err, ERR_IO, "exec plugin %s: pipe: %s", ex->command, error_errno_text(errno));
		goto out;
	}
	ex->runs++;
	pid = fork();
	if (pid < 0) {
		rc = error_set(err, ERR_IO, "exec plugin %s: fork: %s", ex->command, error_errno_text(errno));
		goto out;
	}
	if (pid == 0) {
		int e, devnull = open("/dev/null", O_RDONLY);

		if (devnull >= 0)
			dup2(devnull, 0);
		dup2(outp[1], 1);
		dup2(errp[1], 2);
		execvpe(argv[0], argv, envp);
		e = errno;
		if (write(ep[1], &e, sizeof(e)) < 0)
			_exit(126);
		_exit(127);
	}
	close(outp[1]);
	close(errp[1]);
	close(ep[1]);
	outp[1] = errp[1] = ep[1] = -1;
	/* the error pipe closes on a successful exec (CLOEXEC) */
	while ((n = read(ep[0], &child_errno, sizeof(child_errno))) < 0 && errno == EINTR)
		;
	if (n == (ssize_t)sizeof(child_errno)) {
		waitpid(pid, &status, 0);
		rc = error_set(err, ERR_IO, "exec plugin %s: %s%s%s", ex->command, error_errno_text(child_errno),
			       ex->install_hint ? "; " : "", ex->install_hint ? ex->install_hint : "");
		goto out;
	}
	deadline = clock_mono_ms() + (ex->timeout_ms > 0 ? ex->timeout_ms : KUBE_EXEC_TIMEOUT_MS);
	{
		struct pollfd fds[2] = {{outp[0], POLLIN, 0}, {errp[0], POLLIN, 0}};
		int open_fds = 2;

		while (open_fds > 0) {
			int64_t left = deadline - clock_mono_ms();
			char chunk[4096];

			if (left <= 0) {
				kill(pid, SIGKILL);
				waitpid(pid, &status, 0);
				rc = error_set(err, ERR_TIMEOUT, "exec plugin %s: no answer within %d ms",
					       ex->command, ex->timeout_ms > 0 ? ex->timeout_ms : KUBE_EXEC_TIMEOUT_MS);
				goto out;
			}
			if (poll(fds, 2, (int)left) < 0) {
				if (errno == EINTR)
					continue;
				break;
			}
			for (int i = 0; i < 2; i++) {
				if (fds[i].fd < 0 || !(fds[i].revents & (POLLIN | POLLHUP | POLLERR)))
					continue;
				n = read(fds[i].fd, chunk, sizeof(chunk));
				if (n < 0 && errno == EINTR)
					continue;
				if (n <= 0) {
					fds[i].fd = -1;
					open_fds--;
					continue;
				}
				if (i == 0 && buf_append(&out, chunk, (size_t)n) < 0) {
					kill(pid, SIGKILL);
					waitpid(pid, &status, 0);
					rc = error_set(err, ERR_LIMIT, "exec plugin %s: output larger than %u bytes",
						       ex->command, KUBE_EXEC_MAX_OUTPUT_BYTES);
					goto out;
				}
				if (i == 1 && errb.len + (size_t)n <= errb.max)
					buf_append(&errb, chunk, (size_t)n);
			}
		}
	}
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		char *e = mem_strdup(buf_str(&errb));

		kube__trim_right(e);
		rc = error_set(err, ERR_IO, "exec plugin %s failed (%s %d)%s%s", ex->command,
			       WIFEXITED(status) ? "exit" : "signal",
			       WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status),
			       *e ? ": " : "", e);
		free(e);
		goto out;
	}
	rc = kc_exec_parse(ex, buf_str(&out), out.len, err);
out:
	for (int i = 0; i < 2; i++) {
		if (outp[i] >= 0)
			close(outp[i]);
		if (errp[i] >= 0)
			close(errp[i]);
		if (ep[i] >= 0)
			close(ep[i]);
	}
	buf_cleanup(&out);
	buf_cleanup(&errb);
	free(argv);
	free(envp);
	free(info);
	return rc;
}

