/* kubeconfig.h - where the API server is and how to authenticate to it.
 *
 * Two sources, as kubectl and client-go read them:
 *  - kubeconfig files: $KUBECONFIG (':'-separated, merged: the first file to
 *    define a cluster/context/user name wins, current-context comes from the
 *    first file that sets it), or an explicit path, or ~/.kube/config;
 *  - in-cluster: the service-account token, CA and namespace under
 *    /var/run/secrets/kubernetes.io/serviceaccount (KUBE_SA_DIR_ENV overrides
 *    the directory, for tests) and KUBERNETES_SERVICE_HOST/PORT.
 *
 * Certificates and keys stay in memory (PEM bytes) and go to libcurl as
 * blobs; nothing is written to disk. Credentials that change while we run
 * (a token file that the kubelet rotates, an exec plugin's expiring token)
 * are refreshed by kube_config_credentials(), which the HTTP layer calls
 * before every request attempt.
 *
 * Ownership: struct kube_config is caller-allocated (kube_config_load /
 * kube_config_cleanup) and owns every string in it.
 */
#ifndef DEVSERVER_KUBE_KUBECONFIG_H
#define DEVSERVER_KUBE_KUBECONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/attr.h"
#include "core/error.h"

#define KUBECONFIG_MAX_FILE_BYTES (16u * 1024 * 1024)  /* one kubeconfig file */
#define KUBE_CRED_MAX_BYTES (1u * 1024 * 1024)        /* a token, CA, cert or key */
#define KUBE_EXEC_MAX_OUTPUT_BYTES (1u * 1024 * 1024)  /* exec plugin stdout */
#define KUBE_EXEC_TIMEOUT_MS 60000                     /* exec plugin run time */
#define KUBE_TOKEN_RECHECK_MS 60000  /* re-read a token file at least this often */

/* Environment variable naming the service-account directory (tests). */
#define KUBE_SA_DIR_ENV "DEVSERVER_SERVICEACCOUNT_DIR"
#define KUBE_SA_DIR_DEFAULT "/var/run/secrets/kubernetes.io/serviceaccount"

/* A byte string (PEM data, not NUL-counted; data is NUL-terminated anyway). */
struct kube_blob {
	char *data;
	size_t len;
};

/* An exec credential plugin and its cached result. */
struct kube_exec {
	char *api_version;        /* client.authentication.k8s.io/v1 or v1beta1 */
	char *command;            /* resolved against the kubeconfig's directory if it has a '/' */
	char **args;              /* NULL-terminated */
	char **env;               /* NULL-terminated "NAME=value" additions */
	char *install_hint;
	bool provide_cluster_info;
	int timeout_ms;           /* KUBE_EXEC_TIMEOUT_MS unless a test lowers it */
	/* cache */
	bool cached;
	int64_t expiry_unix;      /* 0: no expiry given, valid until invalidated */
	char *token;
	struct kube_blob cert, key;
	unsigned runs;            /* how many times the plugin ran (tests, metrics) */
};

struct kube_config {
	char *source;             /* "in-cluster" or the kubeconfig path(s) */
	char *context;            /* the context used (NULL in-cluster) */
	char *server;             /* "https://host:port", no trailing '/' */
	char *namespace;          /* the context's namespace, "default" if unset */
	bool namespace_defaulted; /* no context, file or option named one */
	char *tls_server_name;    /* verify the server certificate for this name */
	bool insecure_skip_tls_verify;
	struct kube_blob ca;      /* PEM; empty: the system trust store */
	struct kube_blob cert;    /* static client certificate (PEM) */
	struct kube_blob key;     /* static client key (PEM) */
	char *token;              /* static token, or the last read of token_file */
	char *token_file;         /* re-read when it changes and every KUBE_TOKEN_RECHECK_MS */
	int64_t token_read_ms;    /* monotonic time of the last read */
	int64_t token_mtime_ns;
	uint64_t token_ino;
	char *username, *password;
	struct kube_exec *exec;   /* NULL without an exec plugin */
};

struct kube_config_options {
	const char *kubeconfig;   /* --kubeconfig; NULL: see kube_config_load */
	const char *context;      /* --context; NULL: current-context */
	const char *namespace;    /* --namespace; NULL: the context's */
	bool prefer_in_cluster;   /* operator: in-cluster before $KUBECONFIG */
};

/* Resolves the configuration. Order: opt->kubeconfig if set; else, when
 * prefer_in_cluster and KUBERNETES_SERVICE_HOST is set, in-cluster; else
 * $KUBECONFIG; else ~/.kube/config; else (no file) in-cluster when
 * KUBERNETES_SERVICE_HOST is set. Returns 0, or ERR_IO / ERR_INVALID with
 * err naming the file and field. On error cfg is left cleaned up. */
int kube_config_load(struct kube_config *cfg, const struct kube_config_options *opt,
		     struct error *err) DS_MUST_USE;

/* Loads from an explicit ':'-separated list of kubeconfig files (what
 * $KUBECONFIG holds), merging as kubectl does. Missing files in a list of
 * several are skipped (kubectl does the same); a single missing file is an
 * error. */
int kube_config_load_files(struct kube_config *cfg, const char *paths, const char *context,
			   struct error *err) DS_MUST_USE;

/* In-cluster configuration from the service-account directory. */
int kube_config_load_in_cluster(struct kube_config *cfg, struct error *err) DS_MUST_USE;

void kube_config_cleanup(struct kube_config *cfg);

/* The credentials to use for the next request; pointers borrow from cfg and
 * stay valid until the next call to kube_config_credentials or
 * kube_config_invalidate. Refreshes a rotated token file and re-runs an
 * expired exec plugin (which blocks for up to its timeout). */
struct kube_credentials {
	const char *token;               /* NULL: no bearer token */
	const struct kube_blob *cert;    /* NULL: no client certificate */
	const struct kube_blob *key;
	const char *username, *password; /* basic auth when set */
};
int kube_config_credentials(struct kube_config *cfg, struct kube_credentials *out,
			    struct error *err) DS_MUST_USE;

/* Forgets cached exec credentials and forces a token file re-read: call it
 * after a 401, which usually means the credential went stale early. Returns
 * true when something refreshable was dropped (a retry may help). */
bool kube_config_invalidate(struct kube_config *cfg);

#endif
