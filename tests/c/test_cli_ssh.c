/* test_cli_ssh.c - cli/known_hosts and cli/ssh: pinning the published host
 * key (added, unchanged, refused when it differs, older namesakes dropped,
 * foreign lines kept, file and directory modes, size ceiling), the target
 * read from a DevServer's status with its errors, the ssh argv, the
 * ssh_config block with hostile paths quoted, and ssh_connect end to end
 * against stand-ins for kubectl and ssh on PATH (no cluster, no network). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "known_hosts.h"
#include "ssh.h"
#include "support/testutil.h"

#define KEY_A "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIJJFtheLHMUspjjB83oD4wxAmnyEMIMe7NOyZiK0Rywk"
#define FP_A "SHA256:t/36O1zGd/Rqk2SBdCZxwunLhXgllPTfCFiKO7GdTHo"
#define KEY_B "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOFNZVkktMtx6A2nXkmSd9G44r1yrUmsddBNIA1Tma79"

static char tmpdir[] = "/tmp/test_cli_ssh.XXXXXX";

static void write_file(const char *path, const char *text, mode_t mode)
{
	tu_write_file(path, text);
	chmod(path, mode);
}

static char *read_all(const char *path)
{
	char *text = NULL;
	size_t len;
	struct error err;

	if (cli_read_file(path, 1 << 22, &text, &len, &err) < 0)
		fail_msg("%s", err.msg);
	return text;
}

static int setup(void **state)
{
	return tu_tmpdir_make(tmpdir);
}

static int teardown(void **state)
{
	return tu_tmpdir_remove(tmpdir);
}

static void test_known_hosts_path_creates_private_dirs(void **state)
{
	char home[512], path[KNOWN_HOSTS_PATH_MAX_BYTES], dir[600];
	struct error err;
	struct stat st;

	snprintf(home, sizeof(home), "%s/home1", tmpdir);
	mkdir(home, 0755);
	/* neither ~/.config nor ~/.config/devctl exists yet */
	assert_int_equal(known_hosts_path(home, path, &err), 0);
	snprintf(dir, sizeof(dir), "%s/.config/devctl/known_hosts", home);
	assert_string_equal(path, dir);
	snprintf(dir, sizeof(dir), "%s/.config/devctl", home);
	assert_int_equal(stat(dir, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0700);
	assert_int_equal(known_hosts_path(NULL, path, &err), ERR_INVALID);
	assert_int_equal(known_hosts_path("", path, &err), ERR_INVALID);
	snprintf(dir, sizeof(dir), "%s/a-file", tmpdir);
	write_file(dir, "x", 0600);
	assert_int_equal(known_hosts_path(dir, path, &err), ERR_IO);
	assert_non_null(strstr(err.msg, "cannot create"));
}

static void test_known_hosts_pin(void **state)
{
	char path[600];
	enum known_hosts_result r;
	struct error err;
	struct stat st;
	char *text;

	snprintf(path, sizeof(path), "%s/kh1", tmpdir);
	/* a new file, 0600 */
	assert_int_equal(known_hosts_pin(path, "u1.box.dev.devserver", ".box.dev.devserver", KEY_A, &r, &err), 0);
	assert_int_equal(r, KNOWN_HOSTS_ADDED);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	text = read_all(path);
	assert_string_equal(text, "u1.box.dev.devserver " KEY_A "\n");
	free(text);
	/* the same again: nothing written */
	assert_int_equal(known_hosts_pin(path, "u1.box.dev.devserver", ".box.dev.devserver", KEY_A, &r, &err), 0);
	assert_int_equal(r, KNOWN_HOSTS_SAME);
	/* a different key for the same DevServer object: refused, file unchanged */
	assert_int_equal(known_hosts_pin(path, "u1.box.dev.devserver", ".box.dev.devserver", KEY_B, &r, &err),
			 ERR_CONFLICT);
	assert_non_null(strstr(err.msg, FP_A));
	assert_non_null(strstr(err.msg, "refusing to connect"));
	assert_non_null(strstr(err.msg, path));
	text = read_all(path);
	assert_string_equal(text, "u1.box.dev.devserver " KEY_A "\n");
	free(text);
	/* a new DevServer of the same name (another uid): its key replaces the
	 * old one's; other DevServers and foreign lines stay */
	write_file(path,
		   "# my notes\n"
		   "u1.box.dev.devserver " KEY_A "\n"
		   "box.dev.devserver " KEY_A "\n"
		   "u9.other.dev.devserver " KEY_A "\n"
		   "u7.box.prod.devserver " KEY_A "\n"
		   "example.com " KEY_B " comment here\n"
		   "no-newline-at-end " KEY_B,
		   0644);
	assert_int_equal(known_hosts_pin(path, "u2.box.dev.devserver", ".box.dev.devserver", KEY_B, &r, &err), 0);
	assert_int_equal(r, KNOWN_HOSTS_ADDED);
	text = read_all(path);
	assert_string_equal(text,
			    "# my notes\n"
			    "u9.other.dev.devserver " KEY_A "\n"
			    "u7.box.prod.devserver " KEY_A "\n"
			    "example.com " KEY_B " comment here\n"
			    "no-newline-at-end " KEY_B "\n"
			    "u2.box.dev.devserver " KEY_B "\n");
	free(text);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	/* a duplicate or unreadable entry of ours is dropped, the good one kept */
	write_file(path, "u3.x.dev.devserver garbage\nu3.x.dev.devserver " KEY_A "\nu3.x.dev.devserver " KEY_A "\n", 0666);
	assert_int_equal(known_hosts_pin(path, "u3.x.dev.devserver", ".x.dev.devserver", KEY_A, &r, &err), 0);
	text = read_all(path);
	assert_string_equal(text, "u3.x.dev.devserver " KEY_A "\n");
	free(text);
	/* an already pinned key tightens the mode of a file left open */
	chmod(path, 0666);
	assert_int_equal(known_hosts_pin(path, "u3.x.dev.devserver", ".x.dev.devserver", KEY_A, &r, &err), 0);
	assert_int_equal(r, KNOWN_HOSTS_SAME);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	/* not a key */
	assert_int_equal(known_hosts_pin(path, "a", ".a", "not a key", &r, &err), ERR_INVALID);
}

static void test_known_hosts_ceiling(void **state)
{
	char path[600];
	enum known_hosts_result r;
	struct error err;
	FILE *f;

	snprintf(path, sizeof(path), "%s/kh-big", tmpdir);
	f = fopen(path, "w");
	assert_non_null(f);
	for (size_t i = 0; i < KNOWN_HOSTS_MAX_BYTES / 50; i++)
		fprintf(f, "host%06zu %s\n", i, KEY_A);
	fclose(f);
	assert_int_equal(known_hosts_pin(path, "u.b.c.devserver", ".b.c.devserver", KEY_A, &r, &err), ERR_LIMIT);
}

static const char ds_ok[] =
	"{\"metadata\":{\"name\":\"box\",\"namespace\":\"dev\",\"uid\":\"0f1e-22\"},"
	"\"status\":{\"phase\":\"Running\",\"ssh\":{\"service\":\"box-ssh\",\"port\":22,"
	"\"hostKey\":\"" KEY_A " ignored-comment\",\"hostKeyFingerprint\":\"" FP_A "\"}}}";

static void test_ssh_target(void **state)
{
	struct ssh_target t;
	struct error err;
	struct json *ds = tu_json(ds_ok);
	struct json *no_svc = tu_json("{\"metadata\":{\"name\":\"box\",\"namespace\":\"dev\",\"uid\":\"a1\"},"
				"\"status\":{\"phase\":\"Pending\"}}");
	struct json *no_key = tu_json("{\"metadata\":{\"name\":\"box\",\"namespace\":\"dev\",\"uid\":\"1\"},"
				"\"status\":{\"phase\":\"Provisioning\",\"ssh\":{\"service\":\"box-ssh\"}}}");
	struct json *bad_key = tu_json("{\"metadata\":{\"name\":\"box\",\"namespace\":\"dev\",\"uid\":\"1\"},"
				 "\"status\":{\"ssh\":{\"service\":\"box-ssh\",\"hostKey\":\"ssh-ed25519 zz\"}}}");
	struct json *bad_ns = tu_json("{\"metadata\":{\"name\":\"box\",\"namespace\":\"a;rm -rf ~\",\"uid\":\"1\"}}");
	struct json *bad_svc = tu_json("{\"metadata\":{\"name\":\"box\",\"namespace\":\"dev\",\"uid\":\"1\"},"
				 "\"status\":{\"ssh\":{\"service\":\"$(reboot)\"}}}");
	struct json *bad_uid = tu_json("{\"metadata\":{\"name\":\"box\",\"namespace\":\"dev\",\"uid\":\"../x\"}}");

	assert_int_equal(ssh_target_from_devserver(ds, &t, &err), 0);
	assert_string_equal(t.service, "box-ssh");
	assert_string_equal(t.host_key, KEY_A);
	assert_string_equal(t.fingerprint, FP_A);
	assert_string_equal(t.alias, "0f1e-22.box.dev.devserver");
	assert_string_equal(t.stale_suffix, ".box.dev.devserver");
	assert_string_equal(t.host, "box.dev.devserver");
	assert_int_equal(ssh_target_from_devserver(no_svc, &t, &err), ERR_INVALID);
	assert_string_equal(err.msg, "DevServer \"box\" has no SSH service yet (phase Pending)");
	assert_int_equal(ssh_target_from_devserver(no_key, &t, &err), ERR_INVALID);
	assert_non_null(strstr(err.msg, "has not published its SSH host key yet (phase Provisioning)"));
	assert_int_equal(ssh_target_from_devserver(bad_key, &t, &err), ERR_INVALID);
	assert_non_null(strstr(err.msg, "status.ssh.hostKey"));
	assert_int_equal(ssh_target_from_devserver(bad_ns, &t, &err), ERR_INVALID);
	assert_int_equal(ssh_target_from_devserver(bad_svc, &t, &err), ERR_INVALID);
	assert_int_equal(ssh_target_from_devserver(bad_uid, &t, &err), ERR_INVALID);
	json_free(ds);
	json_free(no_svc);
	json_free(no_key);
	json_free(bad_key);
	json_free(bad_ns);
	json_free(bad_svc);
	json_free(bad_uid);
}

static void test_ssh_target_pod(void **state)
{
	struct ssh_target t;
	struct error err;
	struct json *ds = tu_json(ds_ok);
	struct json *ready = tu_json("{\"metadata\":{\"name\":\"box-7c9-abc\"},\"status\":{\"phase\":\"Running\","
			       "\"conditions\":[{\"type\":\"Ready\",\"status\":\"True\"}]}}");
	struct json *starting = tu_json("{\"metadata\":{\"name\":\"box-7c9-abc\"},\"status\":{\"phase\":\"Pending\","
				  "\"conditions\":[{\"type\":\"Ready\",\"status\":\"False\"}]}}");
	struct json *evil = tu_json("{\"metadata\":{\"name\":\"-oProxyCommand=x\"}}");

	assert_int_equal(ssh_target_from_devserver(ds, &t, &err), 0);
	assert_int_equal(ssh_target_set_pod(&t, ready, &err), 0);
	assert_string_equal(t.pod, "box-7c9-abc");
	assert_int_equal(ssh_target_set_pod(&t, starting, &err), ERR_INVALID);
	assert_string_equal(err.msg, "DevServer \"box\" is not ready yet: its pod box-7c9-abc is Pending "
			    "(devctl describe box says why)");
	assert_int_equal(ssh_target_set_pod(&t, evil, &err), ERR_INVALID);
	json_free(ds);
	json_free(ready);
	json_free(starting);
	json_free(evil);
}

static void test_ssh_argv(void **state)
{
	struct ssh_target t;
	struct ssh_argv a;
	struct error err;
	struct json *ds = tu_json(ds_ok);
	char *cmd[] = { "-rf", "x" };
	char joined[2048] = "";

	assert_int_equal(ssh_target_from_devserver(ds, &t, &err), 0);
	ssh_build_argv(&a, &t, "/h/kh", 40123, "/h/id", true, cmd, 2);
	for (int i = 0; a.argv[i]; i++) {
		strcat(joined, a.argv[i]);
		strcat(joined, "|");
	}
	assert_string_equal(joined,
			    "ssh|-p|40123|-o|UserKnownHostsFile=/h/kh|-o|GlobalKnownHostsFile=/dev/null|"
			    "-o|HostKeyAlias=0f1e-22.box.dev.devserver|-o|StrictHostKeyChecking=yes|"
			    "-o|UpdateHostKeys=no|-i|/h/id|-o|IdentitiesOnly=yes|-tt|-l|dev|127.0.0.1|--|-rf|x|");
	ssh_build_argv(&a, &t, "/h/kh", 1, NULL, false, NULL, 0);
	for (int i = 0; a.argv[i]; i++)
		assert_string_not_equal(a.argv[i], "--");
	json_free(ds);
}

static void test_ssh_config_block_quotes(void **state)
{
	struct global_opts g = { .kubeconfig = "/tmp/it's a %h dir/kc", .context = "ctx one" };
	struct ssh_target t;
	struct error err;
	struct json *ds = tu_json(ds_ok);
	struct buf b;

	assert_int_equal(ssh_target_from_devserver(ds, &t, &err), 0);
	buf_init(&b, 1 << 16);
	assert_int_equal(ssh_config_block(&g, &t, "/home/a b/%x/known_hosts", &b, &err), 0);
	assert_string_equal(b.data,
			    "Host box.dev.devserver\n"
			    "  User dev\n"
			    "  HostKeyAlias 0f1e-22.box.dev.devserver\n"
			    "  UserKnownHostsFile \"/home/a b/%%x/known_hosts\"\n"
			    "  StrictHostKeyChecking yes\n"
			    "  UpdateHostKeys no\n"
			    "  ProxyCommand kubectl --kubeconfig '/tmp/it'\\''s a %%h dir/kc' --context 'ctx one'"
			    " -n dev exec -i deploy/box -c devserver -- /devserver/bin/busybox nc 127.0.0.1 2222\n");
	buf_reset(&b);
	g.context = "a\"b";
	assert_int_equal(ssh_config_block(&g, &t, "/k", &b, &err), ERR_INVALID);
	g.context = NULL;
	g.kubeconfig = NULL;
	assert_int_equal(ssh_config_block(&g, &t, "/k\nHost *", &b, &err), ERR_INVALID);
	buf_cleanup(&b);
	json_free(ds);
}

/* ssh_connect against scripts standing in for kubectl (prints the line
 * kubectl port-forward prints, then waits to be stopped) and ssh (records
 * its argv and exits 7). */
static void test_ssh_connect_runs_forward_then_ssh(void **state)
{
	char bin[600], path[700], log[700], oldpath[4096];
	struct global_opts g = { .kubeconfig = "/k c" };
	struct ssh_target t;
	struct error err;
	struct json *ds = tu_json(ds_ok);
	char *cmd[] = { "whoami" };
	int status = -1;
	char *text;

	snprintf(bin, sizeof(bin), "%s/bin", tmpdir);
	mkdir(bin, 0700);
	snprintf(log, sizeof(log), "%s/argv.log", tmpdir);
	snprintf(path, sizeof(path), "%s/kubectl", bin);
	{
		char script[1500];

		snprintf(script, sizeof(script),
			 "#!/bin/sh\nprintf '%%s\\n' \"$*\" > '%s.kubectl'\n"
			 "echo 'Forwarding from 127.0.0.1:40999 -> 2222'\n"
			 "trap 'exit 0' TERM\nwhile :; do sleep 0.05; done\n", log);
		write_file(path, script, 0700);
		snprintf(path, sizeof(path), "%s/ssh", bin);
		snprintf(script, sizeof(script), "#!/bin/sh\nprintf '%%s\\n' \"$@\" > '%s'\nexit 7\n", log);
		write_file(path, script, 0700);
	}
	snprintf(oldpath, sizeof(oldpath), "%s", getenv("PATH") ? getenv("PATH") : "/usr/bin:/bin");
	snprintf(path, sizeof(path), "%s:%s", bin, oldpath);
	setenv("PATH", path, 1);
	assert_int_equal(ssh_target_from_devserver(ds, &t, &err), 0);
	snprintf(t.pod, sizeof(t.pod), "box-5d4f-x2");
	assert_int_equal(ssh_connect(&g, &t, "/kh", NULL, false, cmd, 1, &status, &err), 0);
	setenv("PATH", oldpath, 1);
	assert_int_equal(status, 7);
	text = read_all(log);
	assert_non_null(strstr(text, "-p\n40999\n"));
	assert_non_null(strstr(text, "StrictHostKeyChecking=yes\n"));
	assert_non_null(strstr(text, "127.0.0.1\n--\nwhoami\n"));
	free(text);
	snprintf(path, sizeof(path), "%s.kubectl", log);
	text = read_all(path);
	assert_string_equal(text, "--kubeconfig /k c -n dev port-forward --address=127.0.0.1 pod/box-5d4f-x2 :2222\n");
	free(text);
	json_free(ds);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_known_hosts_path_creates_private_dirs),
		cmocka_unit_test(test_known_hosts_pin),
		cmocka_unit_test(test_known_hosts_ceiling),
		cmocka_unit_test(test_ssh_target),
		cmocka_unit_test(test_ssh_target_pod),
		cmocka_unit_test(test_ssh_argv),
		cmocka_unit_test(test_ssh_config_block_quotes),
		cmocka_unit_test(test_ssh_connect_runs_forward_then_ssh),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
