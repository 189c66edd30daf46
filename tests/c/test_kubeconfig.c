/* test_kubeconfig.c - src/kube/kubeconfig: file merging, paths, auth
 * variants, exec plugins (tests/fixtures/kubeconfig/exec-plugin.sh), in-cluster
 * config and token rotation. Every test works in its own temp directory. */
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

#include "core/clock.h"
#include "kube/kubeconfig.h"
#include "support/testutil.h"

#define PLUGIN DEVSERVER_SOURCE_DIR "/tests/fixtures/kubeconfig/exec-plugin.sh"

/* "PEM" base64: -----BEGIN TEST CA----- */
#define CA_B64 "LS0tLS1CRUdJTiBURVNUIENBLS0tLS0="
#define CA_PEM "-----BEGIN TEST CA-----"

struct tmp {
	char dir[64];
};

static void tmp_path(const struct tmp *t, const char *name, char *out, size_t n)
{
	snprintf(out, n, "%s/%s", t->dir, name);
}

static void tmp_write(const struct tmp *t, const char *name, const char *text)
{
	char p[256];

	tmp_path(t, name, p, sizeof(p));
	tu_write_file(p, text);
}

static int setup(void **state)
{
	struct tmp *t = calloc(1, sizeof(*t));

	strcpy(t->dir, "/tmp/test_kubeconfig.XXXXXX");
	if (tu_tmpdir_make(t->dir))
		return -1;
	unsetenv("KUBECONFIG");
	unsetenv("KUBERNETES_SERVICE_HOST");
	unsetenv("KUBERNETES_SERVICE_PORT");
	unsetenv(KUBE_SA_DIR_ENV);
	*state = t;
	return 0;
}

static int teardown(void **state)
{
	struct tmp *t = *state;

	if (tu_tmpdir_remove(t->dir) != 0)
		return -1;
	free(t);
	return 0;
}

static void test_single_file_with_token_and_ca_data(void **state)
{
	struct tmp *t = *state;
	struct kube_config cfg;
	struct kube_credentials cr;
	struct error err;
	char p[256];

	tmp_write(t, "config",
		  "apiVersion: v1\nkind: Config\ncurrent-context: dev\n"
		  "clusters:\n- name: c1\n  cluster:\n    server: https://api.example:6443/\n"
		  "    certificate-authority-data: " CA_B64 "\n    tls-server-name: kubernetes\n"
		  "contexts:\n- name: dev\n  context: {cluster: c1, user: u1, namespace: team-a}\n"
		  "users:\n- name: u1\n  user:\n    token: s3cret\n");
	tmp_path(t, "config", p, sizeof(p));
	assert_int_equal(kube_config_load_files(&cfg, p, NULL, &err), 0);
	assert_string_equal(cfg.server, "https://api.example:6443");
	assert_string_equal(cfg.context, "dev");
	assert_string_equal(cfg.namespace, "team-a");
	assert_string_equal(cfg.tls_server_name, "kubernetes");
	assert_false(cfg.insecure_skip_tls_verify);
	assert_int_equal(cfg.ca.len, strlen(CA_PEM));
	assert_memory_equal(cfg.ca.data, CA_PEM, cfg.ca.len);
	assert_int_equal(kube_config_credentials(&cfg, &cr, &err), 0);
	assert_string_equal(cr.token, "s3cret");
	assert_null(cr.cert);
	assert_null(cr.username);
	kube_config_cleanup(&cfg);
}

static void test_merge_first_file_wins(void **state)
{
	struct tmp *t = *state;
	struct kube_config cfg;
	struct error err;
	char list[1024], a[256], b[256], missing[256];

	/* a: sets current-context "first" and cluster c1; b: redefines c1 and
	 * defines the contexts and the user; "missing" does not exist. */
	tmp_write(t, "a",
		  "current-context: first\n"
		  "clusters:\n- name: c1\n  cluster: {server: 'https://from-a:6443'}\n");
	tmp_write(t, "b",
		  "current-context: second\n"
		  "clusters:\n- name: c1\n  cluster: {server: 'https://from-b:6443'}\n"
		  "- name: c2\n  cluster: {server: 'https://c2:6443', insecure-skip-tls-verify: true}\n"
		  "contexts:\n- name: first\n  context: {cluster: c1, user: u}\n"
		  "- name: second\n  context: {cluster: c2, user: u, namespace: ns2}\n"
		  "users:\n- name: u\n  user: {username: admin, password: pw}\n");
	tmp_path(t, "a", a, sizeof(a));
	tmp_path(t, "b", b, sizeof(b));
	tmp_path(t, "missing", missing, sizeof(missing));
	snprintf(list, sizeof(list), "%s:%s:%s", missing, a, b);
	setenv("KUBECONFIG", list, 1);
	assert_int_equal(kube_config_load(&cfg, NULL, &err), 0);
	assert_string_equal(cfg.context, "first");          /* from the first file setting it */
	assert_string_equal(cfg.server, "https://from-a:6443"); /* a defined c1 first */
	assert_string_equal(cfg.namespace, "default");
	assert_string_equal(cfg.username, "admin");
	kube_config_cleanup(&cfg);

	/* --context override */
	{
		struct kube_config_options o = {.context = "second"};

		assert_int_equal(kube_config_load(&cfg, &o, &err), 0);
		assert_string_equal(cfg.server, "https://c2:6443");
		assert_true(cfg.insecure_skip_tls_verify);
		assert_string_equal(cfg.namespace, "ns2");
		kube_config_cleanup(&cfg);
	}
	/* --namespace override and an unknown context */
	{
		struct kube_config_options o = {.namespace = "other"};
		struct kube_config_options bad = {.context = "nope"};

		assert_int_equal(kube_config_load(&cfg, &o, &err), 0);
		assert_string_equal(cfg.namespace, "other");
		kube_config_cleanup(&cfg);
		assert_int_equal(kube_config_load(&cfg, &bad, &err), ERR_INVALID);
		assert_non_null(strstr(err.msg, "context nope not found"));
	}
}

static void test_relative_paths_resolve_against_the_file(void **state)
{
	struct tmp *t = *state;
	struct kube_config cfg;
	struct kube_credentials cr;
	struct error err;
	char sub[256], p[256], cwd[512];

	tmp_path(t, "sub", sub, sizeof(sub));
	assert_int_equal(mkdir(sub, 0700), 0);
	tmp_write(t, "sub/ca.pem", CA_PEM "\n");
	tmp_write(t, "sub/client.crt", "CLIENT CERT\n");
	tmp_write(t, "sub/client.key", "CLIENT KEY\n");
	tmp_write(t, "sub/token", "file-token\n");
	tmp_write(t, "sub/config",
		  "current-context: x\n"
		  "clusters:\n- name: c\n  cluster: {server: 'https://h:1', certificate-authority: ca.pem}\n"
		  "contexts:\n- name: x\n  context: {cluster: c, user: u}\n"
		  "users:\n- name: u\n  user: {client-certificate: client.crt, client-key: ./client.key,"
		  " tokenFile: token}\n");
	tmp_path(t, "sub/config", p, sizeof(p));
	/* run from elsewhere so a cwd-relative lookup would fail */
	assert_non_null(getcwd(cwd, sizeof(cwd)));
	assert_int_equal(chdir("/"), 0);
	assert_int_equal(kube_config_load_files(&cfg, p, NULL, &err), 0);
	assert_int_equal(chdir(cwd), 0);
	assert_string_equal(cfg.ca.data, CA_PEM "\n");
	assert_int_equal(kube_config_credentials(&cfg, &cr, &err), 0);
	assert_string_equal(cr.cert->data, "CLIENT CERT\n");
	assert_string_equal(cr.key->data, "CLIENT KEY\n");
	assert_string_equal(cr.token, "file-token"); /* trailing newline trimmed */
	kube_config_cleanup(&cfg);
}

static void test_cert_data_and_errors(void **state)
{
	struct tmp *t = *state;
	struct kube_config cfg;
	struct error err;
	char p[256];

	tmp_write(t, "config",
		  "current-context: x\n"
		  "clusters:\n- name: c\n  cluster: {server: 'https://h:1'}\n"
		  "contexts:\n- name: x\n  context: {cluster: c, user: u}\n"
		  "users:\n- name: u\n  user: {client-certificate-data: Q0VSVA==, client-key-data: S0VZ}\n");
	tmp_path(t, "config", p, sizeof(p));
	assert_int_equal(kube_config_load_files(&cfg, p, NULL, &err), 0);
	assert_string_equal(cfg.cert.data, "CERT");
	assert_string_equal(cfg.key.data, "KEY");
	kube_config_cleanup(&cfg);

	/* bad base64 names the field */
	tmp_write(t, "config",
		  "current-context: x\n"
		  "clusters:\n- name: c\n  cluster: {server: 'https://h:1', certificate-authority-data: '!!'}\n"
		  "contexts:\n- name: x\n  context: {cluster: c}\n");
	assert_int_equal(kube_config_load_files(&cfg, p, NULL, &err), ERR_INVALID);
	assert_non_null(strstr(err.msg, "certificate-authority-data"));

	/* a missing CA file, a missing cluster, a single missing file */
	tmp_write(t, "config",
		  "current-context: x\n"
		  "clusters:\n- name: c\n  cluster: {server: 'https://h:1', certificate-authority: nope.pem}\n"
		  "contexts:\n- name: x\n  context: {cluster: c}\n- name: y\n  context: {cluster: zz}\n");
	assert_int_equal(kube_config_load_files(&cfg, p, NULL, &err), ERR_IO);
	assert_non_null(strstr(err.msg, "nope.pem"));
	assert_int_equal(kube_config_load_files(&cfg, p, "y", &err), ERR_INVALID);
	assert_non_null(strstr(err.msg, "cluster zz not found"));
	tmp_path(t, "absent", p, sizeof(p));
	assert_int_equal(kube_config_load_files(&cfg, p, NULL, &err), ERR_IO);
}

/* Writes a kubeconfig whose user runs the exec plugin fixture. */
static void write_exec_config(const struct tmp *t, const char *api, const char *command,
			      const char *expiry, const char *mode)
{
	char text[2048];

	snprintf(text, sizeof(text),
		 "current-context: x\n"
		 "clusters:\n- name: c\n  cluster: {server: 'https://h:1'}\n"
		 "contexts:\n- name: x\n  context: {cluster: c, user: u}\n"
		 "users:\n- name: u\n  user:\n    exec:\n"
		 "      apiVersion: %s\n      command: %s\n"
		 "      args: ['%s/counter', '%s', '%s']\n"
		 "      env: [{name: TEST_PLUGIN_SUFFIX, value: hello}]\n"
		 "      installHint: install the plugin from example.com\n"
		 "      provideClusterInfo: true\n",
		 api, command, t->dir, expiry, mode);
	tmp_write(t, "config", text);
}

static void load_tmp_config(const struct tmp *t, struct kube_config *cfg)
{
	struct error err;
	char p[256];

	tmp_path(t, "config", p, sizeof(p));
	assert_int_equal(kube_config_load_files(cfg, p, NULL, &err), 0);
}

static void test_exec_plugin_token_cached_until_expiry(void **state)
{
	struct tmp *t = *state;
	struct kube_config cfg;
	struct kube_credentials cr;
	struct error err;
	char future[CLOCK_RFC3339_BYTES], past[CLOCK_RFC3339_BYTES];

	clock_format_rfc3339(clock_wall_ms() / 1000 + 3600, future);
	clock_format_rfc3339(clock_wall_ms() / 1000 - 10, past);

	write_exec_config(t, "client.authentication.k8s.io/v1", PLUGIN, future, "token");
	load_tmp_config(t, &cfg);
	assert_int_equal(kube_config_credentials(&cfg, &cr, &err), 0);
	assert_string_equal(cr.token, "tok-1-hello");
	assert_int_equal(kube_config_credentials(&cfg, &cr, &err), 0);
	assert_string_equal(cr.token, "tok-1-hello"); /* cached */
	assert_int_equal(cfg.exec->runs, 1);
	assert_true(cfg.exec->expiry_unix > clock_wall_ms() / 1000);
	/* a 401 drops the cache */
	assert_true(kube_config_invalidate(&cfg));
	assert_int_equal(kube_config_credentials(&cfg, &cr, &err), 0);
	assert_string_equal(cr.token, "tok-2-hello");
	kube_config_cleanup(&cfg);

	/* already expired: every call re-runs the plugin */
	write_exec_config(t, "client.authentication.k8s.io/v1beta1", PLUGIN, past, "token");
	load_tmp_config(t, &cfg);
	assert_int_equal(kube_config_credentials(&cfg, &cr, &err), 0);
	assert_string_equal(cr.token, "tok-3-hello");
	assert_int_equal(kube_config_credentials(&cfg, &cr, &err), 0);
	assert_string_equal(cr.token, "tok-4-hello");
	assert_int_equal(cfg.exec->runs, 2);
	kube_config_cleanup(&cfg);

	/* no expiry: cached for good */
	write_exec_config(t, "client.authentication.k8s.io/v1", PLUGIN, "none", "token");
	load_tmp_config(t, &cfg);
	for (int i = 0; i < 3; i++) {
		assert_int_equal(kube_config_credentials(&cfg, &cr, &err), 0);
		assert_string_equal(cr.token, "tok-5-hello");
	}
	kube_config_cleanup(&cfg);
}

static void test_exec_plugin_client_cert_and_relative_command(void **state)
{
	struct tmp *t = *state;
	struct kube_config cfg;
	struct kube_credentials cr;
	struct error err;
	char link[256];

	tmp_path(t, "plugin.sh", link, sizeof(link));
	assert_int_equal(symlink(PLUGIN, link), 0);
	write_exec_config(t, "client.authentication.k8s.io/v1beta1", "./plugin.sh", "none", "cert");
	load_tmp_config(t, &cfg);
	assert_string_equal(cfg.exec->command, link);
	assert_int_equal(kube_config_credentials(&cfg, &cr, &err), 0);
	assert_null(cr.token);
	assert_string_equal(cr.cert->data, "CERT-1");
	assert_string_equal(cr.key->data, "KEY-1");
	kube_config_cleanup(&cfg);
}

static void test_exec_plugin_failures(void **state)
{
	struct tmp *t = *state;
	struct kube_config cfg;
	struct kube_credentials cr;
	struct error err;
	int64_t t0;

	write_exec_config(t, "client.authentication.k8s.io/v1", "devserver-no-such-plugin", "none", "token");
	load_tmp_config(t, &cfg);
	assert_int_equal(kube_config_credentials(&cfg, &cr, &err), ERR_IO);
	assert_non_null(strstr(err.msg, "devserver-no-such-plugin"));
	assert_non_null(strstr(err.msg, "No such file"));
	assert_non_null(strstr(err.msg, "install the plugin from example.com"));
	kube_config_cleanup(&cfg);

	write_exec_config(t, "client.authentication.k8s.io/v1", PLUGIN, "none", "fail");
	load_tmp_config(t, &cfg);
	assert_int_equal(kube_config_credentials(&cfg, &cr, &err), ERR_IO);
	assert_non_null(strstr(err.msg, "exit 1"));
	assert_non_null(strstr(err.msg, "boom: cannot reach"));
	kube_config_cleanup(&cfg);

	write_exec_config(t, "client.authentication.k8s.io/v1", PLUGIN, "none", "garbage");
	load_tmp_config(t, &cfg);
	assert_int_equal(kube_config_credentials(&cfg, &cr, &err), ERR_INVALID);
	assert_non_null(strstr(err.msg, "not JSON"));
	kube_config_cleanup(&cfg);

	write_exec_config(t, "client.authentication.k8s.io/v1", PLUGIN, "none", "sleep");
	load_tmp_config(t, &cfg);
	cfg.exec->timeout_ms = 300;
	t0 = clock_mono_ms();
	assert_int_equal(kube_config_credentials(&cfg, &cr, &err), ERR_TIMEOUT);
	assert_true(clock_mono_ms() - t0 < 3000);
	kube_config_cleanup(&cfg);

	/* unsupported apiVersion is rejected at load */
	write_exec_config(t, "client.authentication.k8s.io/v1alpha1", PLUGIN, "none", "token");
	{
		char p[256];

		tmp_path(t, "config", p, sizeof(p));
		assert_int_equal(kube_config_load_files(&cfg, p, NULL, &err), ERR_INVALID);
		assert_non_null(strstr(err.msg, "v1alpha1"));
	}
}

static void write_sa(const struct tmp *t, const char *token)
{
	char tmp[256], dst[256];

	/* replace atomically, as the kubelet does */
	tmp_path(t, "sa/token.new", tmp, sizeof(tmp));
	tmp_path(t, "sa/token", dst, sizeof(dst));
	tu_write_file(tmp, token);
	assert_int_equal(rename(tmp, dst), 0);
}

static void test_in_cluster_and_token_rotation(void **state)
{
	struct tmp *t = *state;
	struct kube_config cfg;
	struct kube_credentials cr;
	struct error err;
	char sa[256];

	tmp_path(t, "sa", sa, sizeof(sa));
	assert_int_equal(mkdir(sa, 0700), 0);
	write_sa(t, "token-1\n");
	tmp_write(t, "sa/ca.crt", CA_PEM);
	tmp_write(t, "sa/namespace", "operators\n");
	setenv(KUBE_SA_DIR_ENV, sa, 1);

	/* not in a cluster */
	assert_int_equal(kube_config_load_in_cluster(&cfg, &err), ERR_INVALID);

	setenv("KUBERNETES_SERVICE_HOST", "10.96.0.1", 1);
	setenv("KUBERNETES_SERVICE_PORT", "443", 1);
	assert_int_equal(kube_config_load_in_cluster(&cfg, &err), 0);
	assert_string_equal(cfg.server, "https://10.96.0.1:443");
	assert_string_equal(cfg.namespace, "operators");
	assert_string_equal(cfg.ca.data, CA_PEM);
	assert_int_equal(kube_config_credentials(&cfg, &cr, &err), 0);
	assert_string_equal(cr.token, "token-1");

	/* rotation: a new file is picked up on the next request */
	write_sa(t, "token-2\n");
	assert_int_equal(kube_config_credentials(&cfg, &cr, &err), 0);
	assert_string_equal(cr.token, "token-2");
	/* a vanished file keeps the last good token */
	{
		char p[256];

		tmp_path(t, "sa/token", p, sizeof(p));
		assert_int_equal(unlink(p), 0);
		assert_int_equal(kube_config_credentials(&cfg, &cr, &err), 0);
		assert_string_equal(cr.token, "token-2");
	}
	/* and the periodic re-read happens even when stat sees no change */
	write_sa(t, "token-3\n");
	assert_int_equal(kube_config_credentials(&cfg, &cr, &err), 0);
	assert_string_equal(cr.token, "token-3");
	cfg.token_read_ms -= KUBE_TOKEN_RECHECK_MS;
	{
		char p[256];
		FILE *f;

		/* rewrite in place keeping size; force the same mtime */
		tmp_path(t, "sa/token", p, sizeof(p));
		f = fopen(p, "r+");
		assert_non_null(f);
		fputs("token-4\n", f);
		fclose(f);
		cfg.token_mtime_ns = 0; /* irrelevant: the recheck interval passed */
	}
	assert_int_equal(kube_config_credentials(&cfg, &cr, &err), 0);
	assert_string_equal(cr.token, "token-4");
	kube_config_cleanup(&cfg);

	/* IPv6 service host */
	setenv("KUBERNETES_SERVICE_HOST", "fd00::1", 1);
	assert_int_equal(kube_config_load_in_cluster(&cfg, &err), 0);
	assert_string_equal(cfg.server, "https://[fd00::1]:443");
	kube_config_cleanup(&cfg);
}

static void test_resolution_order(void **state)
{
	struct tmp *t = *state;
	struct kube_config cfg;
	struct error err;
	char sa[256], p[256], home[256];
	struct kube_config_options op = {.prefer_in_cluster = true};

	tmp_path(t, "sa", sa, sizeof(sa));
	assert_int_equal(mkdir(sa, 0700), 0);
	write_sa(t, "tok");
	tmp_write(t, "sa/ca.crt", CA_PEM);
	setenv(KUBE_SA_DIR_ENV, sa, 1);
	tmp_write(t, "config",
		  "current-context: x\nclusters:\n- name: c\n  cluster: {server: 'https://file:1'}\n"
		  "contexts:\n- name: x\n  context: {cluster: c}\n");
	tmp_path(t, "config", p, sizeof(p));
	setenv("KUBECONFIG", p, 1);
	setenv("KUBERNETES_SERVICE_HOST", "10.0.0.1", 1);
	setenv("KUBERNETES_SERVICE_PORT", "6443", 1);

	/* operator: in-cluster beats $KUBECONFIG */
	assert_int_equal(kube_config_load(&cfg, &op, &err), 0);
	assert_string_equal(cfg.source, "in-cluster");
	assert_string_equal(cfg.namespace, "default"); /* no namespace file */
	kube_config_cleanup(&cfg);
	/* explicit --kubeconfig beats in-cluster */
	op.kubeconfig = p;
	assert_int_equal(kube_config_load(&cfg, &op, &err), 0);
	assert_string_equal(cfg.server, "https://file:1");
	kube_config_cleanup(&cfg);
	/* devctl: $KUBECONFIG first */
	assert_int_equal(kube_config_load(&cfg, NULL, &err), 0);
	assert_string_equal(cfg.server, "https://file:1");
	kube_config_cleanup(&cfg);
	/* no $KUBECONFIG: ~/.kube/config, and in-cluster when there is none */
	unsetenv("KUBECONFIG");
	tmp_path(t, "home", home, sizeof(home));
	assert_int_equal(mkdir(home, 0700), 0);
	setenv("HOME", home, 1);
	assert_int_equal(kube_config_load(&cfg, NULL, &err), 0);
	assert_string_equal(cfg.source, "in-cluster");
	kube_config_cleanup(&cfg);
	assert_int_equal(mkdir(strcat(home, "/.kube"), 0700), 0);
	tmp_write(t, "home/.kube/config",
		  "current-context: x\nclusters:\n- name: c\n  cluster: {server: 'https://home:1'}\n"
		  "contexts:\n- name: x\n  context: {cluster: c}\n");
	assert_int_equal(kube_config_load(&cfg, NULL, &err), 0);
	assert_string_equal(cfg.server, "https://home:1");
	kube_config_cleanup(&cfg);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_single_file_with_token_and_ca_data, setup, teardown),
		cmocka_unit_test_setup_teardown(test_merge_first_file_wins, setup, teardown),
		cmocka_unit_test_setup_teardown(test_relative_paths_resolve_against_the_file, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cert_data_and_errors, setup, teardown),
		cmocka_unit_test_setup_teardown(test_exec_plugin_token_cached_until_expiry, setup, teardown),
		cmocka_unit_test_setup_teardown(test_exec_plugin_client_cert_and_relative_command, setup, teardown),
		cmocka_unit_test_setup_teardown(test_exec_plugin_failures, setup, teardown),
		cmocka_unit_test_setup_teardown(test_in_cluster_and_token_rotation, setup, teardown),
		cmocka_unit_test_setup_teardown(test_resolution_order, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
