/* ssh.c - devctl's ssh connections (see ssh.h).
 *
 * The port-forward is `kubectl port-forward --address=127.0.0.1
 * pod/<pod> :2222` with the user's --kubeconfig/--context: kubectl
 * prints the local port it chose, which is read from its stdout with a
 * deadline; it is stopped (SIGTERM, then waited for) when ssh exits. ssh gets
 * UserKnownHostsFile, HostKeyAlias and StrictHostKeyChecking=yes, plus
 * UpdateHostKeys=no so it never adds keys of its own to devctl's file.
 */
#include "ssh.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/clock.h"
#include "flags.h"
#include "known_hosts.h"

static int ssh_copy_label(char *out, size_t cap, const char *v, const char *what, struct error *err)
{
	if (!v || !*v || strlen(v) >= cap || !api_is_dns1123_label(v, strlen(v)))
		return error_set(err, ERR_INVALID, "the DevServer's %s is not a DNS label", what);
	snprintf(out, cap, "%s", v);
	return 0;
}

int ssh_target_from_devserver(const struct json *ds, struct ssh_target *t, struct error *err)
{
	const struct json *meta = json_get(ds, "metadata"), *ssh = json_path(ds, "status", "ssh", NULL);
	const char *phase = json_get_string(json_get(ds, "status"), "phase");
	const char *svc = json_get_string(ssh, "service"), *key = json_get_string(ssh, "hostKey");
	const char *uid = json_get_string(meta, "uid");
	int rc;

	memset(t, 0, sizeof(*t));
	if ((rc = ssh_copy_label(t->name, sizeof(t->name), json_get_string(meta, "name"), "name", err)) < 0 ||
	    (rc = ssh_copy_label(t->ns, sizeof(t->ns), json_get_string(meta, "namespace"), "namespace", err)) < 0)
		return rc;
	if (!uid || !*uid || strlen(uid) >= sizeof(t->uid) || strspn(uid, "0123456789abcdefABCDEF-") != strlen(uid))
		return error_set(err, ERR_INVALID, "DevServer \"%s\" has no usable metadata.uid", t->name);
	snprintf(t->uid, sizeof(t->uid), "%s", uid);
	if (!svc)
		return error_set(err, ERR_INVALID, "DevServer \"%s\" has no SSH service yet (phase %s)",
				 t->name, phase ? phase : "unknown");
	if (!api_is_dns1123_label(svc, strlen(svc)) || strlen(svc) >= sizeof(t->service))
		return error_set(err, ERR_INVALID, "DevServer \"%s\": status.ssh.service is not a DNS label",
				 t->name);
	snprintf(t->service, sizeof(t->service), "%s", svc);
	if (!key)
		return error_set(err, ERR_INVALID, "DevServer \"%s\" has not published its SSH host key yet "
				 "(phase %s); is the operator running?", t->name, phase ? phase : "unknown");
	if (sshkey_public_strip_comment(key, t->host_key, sizeof(t->host_key), err) < 0 ||
	    sshkey_public_fingerprint(t->host_key, t->fingerprint, err) < 0)
		return error_prefix(err, "DevServer \"%s\": status.ssh.hostKey", t->name);
	snprintf(t->alias, sizeof(t->alias), "%s.%s.%s.devserver", t->uid, t->name, t->ns);
	snprintf(t->stale_suffix, sizeof(t->stale_suffix), ".%s.%s.devserver", t->name, t->ns);
	snprintf(t->host, sizeof(t->host), "%s.%s.devserver", t->name, t->ns);
	return 0;
}

int ssh_target_set_pod(struct ssh_target *t, const struct json *pod, struct error *err)
{
	const char *name = json_get_string(json_get(pod, "metadata"), "name");
	const char *phase = json_get_string(json_get(pod, "status"), "phase");
	const struct json *conds = json_path(pod, "status", "conditions", NULL);
	bool ready = false;

	if (!name || !api_is_dns1123_subdomain(name, strlen(name)) || strlen(name) >= sizeof(t->pod))
		return error_set(err, ERR_INVALID, "DevServer \"%s\": its pod has no usable name", t->name);
	for (size_t i = 0; conds && conds->type == JSON_ARRAY && i < conds->u.arr.len; i++) {
		const struct json *c = conds->u.arr.items[i];

		if (strcmp(json_get_string(c, "type") ?: "", "Ready") == 0)
			ready = strcmp(json_get_string(c, "status") ?: "", "True") == 0;
	}
	if (!ready)
		return error_set(err, ERR_INVALID, "DevServer \"%s\" is not ready yet: its pod %s is %s "
				 "(devctl describe %s says why)", t->name, name, phase ? phase : "not running",
				 t->name);
	snprintf(t->pod, sizeof(t->pod), "%s", name);
	return 0;
}

int ssh_pin_host_key(const struct ssh_target *t, const char *known_hosts, struct error *err)
{
	enum known_hosts_result r;

	return known_hosts_pin(known_hosts, t->alias, t->stale_suffix, t->host_key, &r, err);
}

void ssh_build_argv(struct ssh_argv *a, const struct ssh_target *t, const char *known_hosts,
		    int port, const char *identity, bool tty, char *const *command, int ncmd)
{
	const size_t max = sizeof(a->argv) / sizeof(a->argv[0]) - 1;
	size_t n = 0;

	snprintf(a->port, sizeof(a->port), "%d", port);
	snprintf(a->known, sizeof(a->known), "UserKnownHostsFile=%s", known_hosts);
	snprintf(a->alias, sizeof(a->alias), "HostKeyAlias=%s", t->alias);
	a->argv[n++] = "ssh";
	a->argv[n++] = "-p";
	a->argv[n++] = a->port;
	a->argv[n++] = "-o";
	a->argv[n++] = a->known;
	a->argv[n++] = "-o";
	a->argv[n++] = "GlobalKnownHostsFile=/dev/null";
	a->argv[n++] = "-o";
	a->argv[n++] = a->alias;
	a->argv[n++] = "-o";
	a->argv[n++] = "StrictHostKeyChecking=yes";
	a->argv[n++] = "-o";
	a->argv[n++] = "UpdateHostKeys=no";
	if (identity) {
		snprintf(a->identity, sizeof(a->identity), "%s", identity);
		a->argv[n++] = "-i";
		a->argv[n++] = a->identity;
		a->argv[n++] = "-o";
		a->argv[n++] = "IdentitiesOnly=yes";
	}
	if (tty)
		a->argv[n++] = "-tt";
	a->argv[n++] = "-l";
	a->argv[n++] = SSH_LOGIN_USER;
	a->argv[n++] = "127.0.0.1";
	/* "--" so that a remote command starting with '-' is never an ssh option */
	if (ncmd > 0)
		a->argv[n++] = "--";
	for (int i = 0; i < ncmd && n < max; i++)
		a->argv[n++] = command[i];
	a->argv[n] = NULL;
}

struct ssh_forward {
	pid_t pid;
	int port;
};

static void ssh_forward_stop(struct ssh_forward *f)
{
	if (f->pid > 0) {
		kill(f->pid, SIGTERM);
		waitpid(f->pid, NULL, 0);
	}
	f->pid = -1;
}

/* Reads kubectl's "Forwarding from 127.0.0.1:PORT -> ..." line, with a deadline. */
static int ssh_forward_read_port(int fd, int *port)
{
	char line[512];
	size_t len = 0;
	int64_t deadline = clock_mono_ms() + SSH_PORT_FORWARD_TIMEOUT_MS;

	*port = 0;
	while (*port == 0) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		int64_t left = deadline - clock_mono_ms();
		ssize_t got;
		char *nl;

		if (left <= 0 || poll(&p, 1, (int)left) <= 0)
			return ERR_TIMEOUT;
		got = read(fd, line + len, sizeof(line) - 1 - len);
		if (got <= 0)
			return ERR_IO;
		len += (size_t)got;
		line[len] = '\0';
		while ((nl = strchr(line, '\n'))) {
			*nl = '\0';
			sscanf(line, "Forwarding from 127.0.0.1:%d", port);
			memmove(line, nl + 1, len - (size_t)(nl + 1 - line) + 1);
			len -= (size_t)(nl + 1 - line);
		}
		if (len == sizeof(line) - 1)
			len = 0; /* a line longer than any kubectl writes: drop it */
	}
	return 0;
}

static int ssh_forward_start(const struct global_opts *g, const struct ssh_target *t,
			     struct ssh_forward *f, struct error *err)
{
	char target[300], ports[16];
	int fds[2], rc;

	f->pid = -1;
	if (pipe(fds) < 0)
		return error_set(err, ERR_IO, "pipe: %s", error_errno_text(errno));
	/* the pod devctl chose, not service/...: kubectl would pick any pod of
	 * the selector, a terminating one included */
	snprintf(target, sizeof(target), "pod/%s", t->pod);
	snprintf(ports, sizeof(ports), ":%d", SSH_POD_PORT);
	f->pid = fork();
	if (f->pid < 0) {
		close(fds[0]);
		close(fds[1]);
		return error_set(err, ERR_IO, "fork: %s", error_errno_text(errno));
	}
	if (f->pid == 0) {
		const char *argv[16];
		int n = 0;

		dup2(fds[1], STDOUT_FILENO);
		close(fds[0]);
		close(fds[1]);
		argv[n++] = "kubectl";
		if (g->kubeconfig) {
			argv[n++] = "--kubeconfig";
			argv[n++] = g->kubeconfig;
		}
		if (g->context) {
			argv[n++] = "--context";
			argv[n++] = g->context;
		}
		argv[n++] = "-n";
		argv[n++] = t->ns;
		argv[n++] = "port-forward";
		argv[n++] = "--address=127.0.0.1";
		argv[n++] = target;
		argv[n++] = ports;
		argv[n] = NULL;
		execvp("kubectl", (char *const *)argv);
		fprintf(stderr, "devctl: cannot run kubectl: %s\n", error_errno_text(errno));
		_exit(127);
	}
	close(fds[1]);
	rc = ssh_forward_read_port(fds[0], &f->port);
	/* kubectl writes one more line per connection, which the pipe buffer
	 * holds: nobody needs to read it */
	if (rc < 0) {
		ssh_forward_stop(f);
		close(fds[0]);
		return error_set(err, rc, "kubectl port-forward to %s/%s did not start within %d s",
				 t->ns, target, SSH_PORT_FORWARD_TIMEOUT_MS / 1000);
	}
	fcntl(fds[0], F_SETFD, FD_CLOEXEC);
	return 0;
}

int ssh_connect(const struct global_opts *g, const struct ssh_target *t, const char *known_hosts,
		const char *identity, bool tty, char *const *command, int ncmd, int *exit_status,
		struct error *err)
{
	struct ssh_forward f;
	struct ssh_argv a;
	pid_t child;
	int status, rc = 0;

	if ((rc = ssh_forward_start(g, t, &f, err)) < 0)
		return rc;
	ssh_build_argv(&a, t, known_hosts, f.port, identity, tty, command, ncmd);
	child = fork();
	if (child == 0) {
		execvp("ssh", (char *const *)a.argv);
		fprintf(stderr, "devctl: cannot run ssh: %s\n", error_errno_text(errno));
		_exit(127);
	}
	if (child < 0)
		rc = error_set(err, ERR_IO, "fork: %s", error_errno_text(errno));
	else if (waitpid(child, &status, 0) > 0)
		*exit_status = WIFEXITED(status) ? WEXITSTATUS(status) : 255;
	ssh_forward_stop(&f);
	return rc;
}

/* Appends s single-quoted for sh, with '%' doubled for ssh's own token
 * expansion of ProxyCommand. */
static void ssh_quote_proxy(struct buf *out, const char *s)
{
	buf_append_char(out, '\'');
	for (; *s; s++) {
		if (*s == '\'')
			buf_append_str(out, "'\\''");
		else if (*s == '%')
			buf_append_str(out, "%%");
		else
			buf_append_char(out, *s);
	}
	buf_append_char(out, '\'');
}

static bool ssh_config_safe(const char *s)
{
	return !strpbrk(s, "\"\n\r");
}

int ssh_config_block(const struct global_opts *g, const struct ssh_target *t,
		     const char *known_hosts, struct buf *out, struct error *err)
{
	if (!ssh_config_safe(known_hosts) || (g->kubeconfig && !ssh_config_safe(g->kubeconfig)) ||
	    (g->context && !ssh_config_safe(g->context)))
		return error_set(err, ERR_INVALID, "a path or context contains a double quote or a "
				 "newline, which ssh_config cannot carry");
	buf_appendf(out, "Host %s\n", t->host);
	buf_appendf(out, "  User %s\n", SSH_LOGIN_USER);
	buf_appendf(out, "  HostKeyAlias %s\n", t->alias);
	buf_append_str(out, "  UserKnownHostsFile \"");
	for (const char *s = known_hosts; *s; s++)
		buf_append_str(out, *s == '%' ? "%%" : (char[]){ *s, '\0' });
	buf_append_str(out, "\"\n");
	buf_append_str(out, "  StrictHostKeyChecking yes\n");
	buf_append_str(out, "  UpdateHostKeys no\n");
	buf_append_str(out, "  ProxyCommand kubectl");
	if (g->kubeconfig) {
		buf_append_str(out, " --kubeconfig ");
		ssh_quote_proxy(out, g->kubeconfig);
	}
	if (g->context) {
		buf_append_str(out, " --context ");
		ssh_quote_proxy(out, g->context);
	}
	buf_appendf(out, " -n %s exec -i deploy/%s -c devserver -- %s nc 127.0.0.1 %d\n", t->ns,
		    t->name, SSH_NETCAT, SSH_POD_PORT);
	return 0;
}
