/* fuzz_kubeconfig.c - kubeconfig parsing from bytes.
 *
 * kubeconfig.h only loads from paths, so each input is written to a file in
 * a private directory under /dev/shm (tmpfs: no disk I/O) and loaded with
 * kube_config_load_files, with and without an explicit context. The
 * directory also holds small ca.crt / client.crt / client.key / token files
 * so relative file references resolve to something real.
 *
 * To keep the target hermetic, an input whose file-path fields
 * (certificate-authority, client-certificate, client-key, tokenFile) name
 * anything outside that directory is skipped: a path fuzzer must not read
 * /dev/stdin or /proc. Exec plugins are parsed but never run (only
 * kube_config_credentials runs them, and this target does not call it).
 *
 * Properties: success fills server and namespace and the context; failure
 * sets an error code and message and leaves cfg cleaned up (all NULL, so
 * a second cleanup is harmless). LeakSanitizer checks both paths.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/error.h"
#include "fuzz_common.h"
#include "json/json.h"
#include "json/yaml_doc.h"
#include "kube/kubeconfig.h"

static char dir[64];
static char path[128];

static void put(const char *name, const char *text)
{
	char p[128];
	FILE *f;

	snprintf(p, sizeof(p), "%s/%s", dir, name);
	f = fopen(p, "w");
	FUZZ_CHECK(f != NULL, "cannot write %s", p);
	fputs(text, f);
	fclose(f);
}

static void remove_dir(void)
{
	static const char *const files[] = { "config", "ca.crt", "client.crt", "client.key", "token" };
	char p[128];

	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		snprintf(p, sizeof(p), "%s/%s", dir, files[i]);
		unlink(p);
	}
	rmdir(dir);
}

static void setup_once(void)
{
	if (dir[0])
		return;
	atexit(remove_dir);
	snprintf(dir, sizeof(dir), "/dev/shm/fuzz_kubeconfig.XXXXXX");
	if (!mkdtemp(dir)) {
		snprintf(dir, sizeof(dir), "/tmp/fuzz_kubeconfig.XXXXXX");
		FUZZ_CHECK(mkdtemp(dir) != NULL, "mkdtemp");
	}
	snprintf(path, sizeof(path), "%s/config", dir);
	put("ca.crt", "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n");
	put("client.crt", "-----BEGIN CERTIFICATE-----\nMIIC\n-----END CERTIFICATE-----\n");
	put("client.key", "-----BEGIN EC PRIVATE KEY-----\nMIID\n-----END EC PRIVATE KEY-----\n");
	put("token", "fuzz-token\n");
}

static bool is_path_key(const char *k)
{
	return strcmp(k, "certificate-authority") == 0 || strcmp(k, "client-certificate") == 0 ||
	       strcmp(k, "client-key") == 0 || strcmp(k, "tokenFile") == 0;
}

/* True when some path field could leave the private directory. */
static bool escapes(const struct json *v)
{
	if (v->type == JSON_ARRAY) {
		for (size_t i = 0; i < v->u.arr.len; i++)
			if (escapes(v->u.arr.items[i]))
				return true;
	} else if (v->type == JSON_OBJECT) {
		for (size_t i = 0; i < v->u.obj.len; i++) {
			const struct json *c = v->u.obj.items[i].value;

			if (is_path_key(v->u.obj.items[i].key) && c->type == JSON_STRING &&
			    (memchr(c->u.str.ptr, '/', c->u.str.len) || c->u.str.ptr[0] == '.' ||
			     strlen(c->u.str.ptr) != c->u.str.len))
				return true;
			if (escapes(c))
				return true;
		}
	}
	return false;
}

static void check_cleaned(const struct kube_config *cfg)
{
	FUZZ_CHECK(!cfg->source && !cfg->context && !cfg->server && !cfg->namespace &&
			   !cfg->token && !cfg->token_file && !cfg->exec && !cfg->ca.data &&
			   !cfg->cert.data && !cfg->key.data && !cfg->username && !cfg->password,
		   "failed load left fields set");
}

static void load(const char *context)
{
	struct kube_config cfg;
	struct error err;
	int rc;

	error_clear(&err);
	rc = kube_config_load_files(&cfg, path, context, &err);
	if (rc < 0) {
		FUZZ_CHECK(err.code == rc && err.msg[0], "error %d without a message", rc);
		check_cleaned(&cfg);
		kube_config_cleanup(&cfg);
		return;
	}
	FUZZ_CHECK(rc == 0, "unexpected rc %d", rc);
	FUZZ_CHECK(cfg.server && cfg.server[0], "no server");
	FUZZ_CHECK(cfg.namespace && cfg.namespace[0], "no namespace");
	FUZZ_CHECK(cfg.context != NULL, "no context");
	FUZZ_CHECK((cfg.cert.len == 0) == (cfg.key.len == 0), "cert without key");
	kube_config_cleanup(&cfg);
	check_cleaned(&cfg);
	kube_config_cleanup(&cfg);
}

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
	struct error err;
	struct json **docs = NULL;
	size_t n = 0;
	bool skip = false;
	FILE *f;

	setup_once();
	if (yaml_doc_parse_all((const char *)data, size, &docs, &n, &err) == 0) {
		for (size_t i = 0; i < n; i++) {
			skip |= escapes(docs[i]);
			json_free(docs[i]);
		}
		free(docs);
	} else {
		struct json *one = yaml_doc_parse((const char *)data, size, &err);

		skip = one && escapes(one);
		json_free(one);
	}
	if (skip)
		return 0;
	f = fopen(path, "wb");
	FUZZ_CHECK(f != NULL, "cannot write %s", path);
	if (size)
		fwrite(data, 1, size, f);
	fclose(f);
	load(NULL);
	load("dev");
	return 0;
}
