/* ssh.h - reaching a DevServer's sshd: the target from its status, the pinned
 * host key, the port-forward and ssh processes, and the ssh_config block.
 *
 * devctl speaks no SSH itself: it runs the system's `ssh`, reaching the pod
 * through `kubectl port-forward` (devctl ssh) or `kubectl exec` with the tools
 * image's netcat (the ProxyCommand of devctl ssh-config, so editors' remote
 * plugins work without devctl running). Either way ssh checks the host key
 * strictly against devctl's known_hosts (known_hosts.h), where devctl has
 * just written the key the operator published: host key checking is never
 * relaxed and never trusts the first answer.
 *
 * Everything from the cluster that reaches a command line goes there as its
 * own argv word (ssh, kubectl port-forward) or shell-quoted (ProxyCommand);
 * names are checked to be DNS labels before use.
 */
#ifndef DEVCTL_SSH_H
#define DEVCTL_SSH_H

#include <stdbool.h>

#include "command.h"
#include "core/attr.h"
#include "core/buf.h"
#include "core/error.h"
#include "core/sshkey.h"
#include "json/json.h"

#define SSH_LOGIN_USER "dev"
#define SSH_POD_PORT 2222                      /* sshd inside the pod */
#define SSH_NETCAT "/devserver/bin/busybox"    /* the tools image's, in every DevServer */
#define SSH_PORT_FORWARD_TIMEOUT_MS 15000

struct ssh_target {
	char ns[64], name[64], uid[64];
	char service[254];
	char pod[254];          /* set by ssh_target_set_pod: where to port-forward */
	char host_key[SSHKEY_PUBLIC_LINE_MAX_BYTES];    /* "<type> <base64>" */
	char fingerprint[SSHKEY_FINGERPRINT_BYTES];
	char alias[256];        /* HostKeyAlias: <uid>.<name>.<ns>.devserver, one per object */
	char stale_suffix[192]; /* .<name>.<ns>.devserver: aliases of earlier namesakes */
	char host[192];         /* the ssh_config Host: <name>.<ns>.devserver */
};

/* Reads the target from a DevServer as the API server returned it. Clear
 * ERR_INVALID messages when it has no SSH Service or no published host key
 * yet (with its phase), or names that are not DNS labels. */
int ssh_target_from_devserver(const struct json *ds, struct ssh_target *t, struct error *err) DS_MUST_USE;

/* Picks the pod to connect to (backend_devserver_pod's): ERR_INVALID with
 * the reason when it is not ready to take a connection. */
int ssh_target_set_pod(struct ssh_target *t, const struct json *pod, struct error *err) DS_MUST_USE;

/* Pins t's host key in known_hosts (see known_hosts_pin). */
int ssh_pin_host_key(const struct ssh_target *t, const char *known_hosts, struct error *err) DS_MUST_USE;

#define KNOWN_HOSTS_OPT_MAX_BYTES 1100

/* The ssh argv (NULL-terminated, pointing into t, the arguments and a's
 * buffers) for a connection to 127.0.0.1:port; identity may be NULL; tty
 * forces a terminal even with a command (ssh -tt). */
struct ssh_argv {
	const char *argv[CLI_MAX_ARGS + 32];
	char port[16], known[KNOWN_HOSTS_OPT_MAX_BYTES], alias[300], identity[1100];
};
void ssh_build_argv(struct ssh_argv *a, const struct ssh_target *t, const char *known_hosts,
		    int port, const char *identity, bool tty, char *const *command, int ncmd);

/* Runs `kubectl port-forward` to t's pod (sshd's port), then ssh, and waits
 * for ssh; *exit_status is ssh's. An error only when something could not
 * start. */
int ssh_connect(const struct global_opts *g, const struct ssh_target *t, const char *known_hosts,
		const char *identity, bool tty, char *const *command, int ncmd, int *exit_status,
		struct error *err) DS_MUST_USE;

/* Appends the ssh_config(5) Host block for t to out: User, HostKeyAlias,
 * UserKnownHostsFile, StrictHostKeyChecking yes, and a ProxyCommand running
 * kubectl exec with the global flags of g. ERR_INVALID for a path that
 * ssh_config cannot carry (a double quote or a newline). */
int ssh_config_block(const struct global_opts *g, const struct ssh_target *t,
		     const char *known_hosts, struct buf *out, struct error *err) DS_MUST_USE;

#endif
