/* test_kube_list.c - src/kube/client against a loopback API server, for the
 * hostile-object paths (issue 17): a paginated list with one over-deep item
 * yields every other item and that one's stub; a page whose body outgrows
 * max_page_bytes is fetched again with half the items; a single object too
 * large for a page fails with ERR_LIMIT; a response whose only excess is
 * 130 levels of managedFields is still read. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/buf.h"
#include "core/mem.h"
#include "kube/client.h"

#define ITEMS 6
#define DEEP_ITEM 3            /* the over-deep one */
#define PAD_BYTES 300          /* each item's padding: a page of 4 (one deep) is > 2 KiB */

struct srv {
	int lfd, port;
	pthread_t thr;
	atomic_int stop;
	atomic_int limits[32];     /* the limit= of each list request */
	atomic_int nlists;
	int huge;                  /* serve one item bigger than any page */
};

static void item_text(struct buf *b, int i, int huge)
{
	buf_appendf(b, "{\"metadata\":{\"name\":\"cm%d\",\"namespace\":\"ns\",\"uid\":\"u%d\","
		    "\"resourceVersion\":\"%d\"},\"data\":{\"pad\":\"", i, i, 100 + i);
	for (int k = 0; k < (huge ? 40 * PAD_BYTES : PAD_BYTES); k++)
		buf_append_char(b, 'p');
	buf_append_str(b, "\"");
	if (i == DEEP_ITEM) {
		buf_append_str(b, ",\"deep\":");
		for (int k = 0; k < 130; k++)
			buf_append_str(b, "{\"a\":");
		buf_append_char(b, '1');
		for (int k = 0; k < 130; k++)
			buf_append_char(b, '}');
	}
	buf_append_str(b, "}}");
}

static void respond(int fd, const char *body, size_t len)
{
	char head[256];
	int n = snprintf(head, sizeof(head),
			 "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %zu\r\n\r\n", len);

	if (send(fd, head, (size_t)n, MSG_NOSIGNAL) < 0 || send(fd, body, len, MSG_NOSIGNAL) < 0)
		return;
}

static void handle(struct srv *s, int fd, const char *path)
{
	struct buf b;

	buf_init(&b, 1 << 24);
	if (strncmp(path, "/api/v1/namespaces/ns/configmaps?", 33) == 0) {
		const char *l = strstr(path, "limit="), *c = strstr(path, "continue=");
		int limit = l ? atoi(l + 6) : 500, from = c ? atoi(c + 9) : 0, n = atomic_fetch_add(&s->nlists, 1);

		if (n < 32)
			atomic_store(&s->limits[n], limit);
		buf_append_str(&b, "{\"kind\":\"ConfigMapList\",\"apiVersion\":\"v1\",\"metadata\":{\"resourceVersion\":\"500\"");
		if (from + limit < ITEMS)
			buf_appendf(&b, ",\"continue\":\"%d\"", from + limit);
		buf_append_str(&b, "},\"items\":[");
		for (int i = from; i < from + limit && i < ITEMS; i++) {
			if (i > from)
				buf_append_char(&b, ',');
			item_text(&b, i, s->huge && i == 1);
		}
		buf_append_str(&b, "]}");
	} else if (strcmp(path, "/api/v1/namespaces/ns/configmaps/legacy") == 0) {
		/* pruned by a new schema, but its managedFields kept the old depth */
		buf_append_str(&b, "{\"kind\":\"ConfigMap\",\"apiVersion\":\"v1\",\"metadata\":{\"name\":\"legacy\","
			       "\"namespace\":\"ns\",\"resourceVersion\":\"7\",\"managedFields\":[{\"fieldsV1\":");
		for (int k = 0; k < 130; k++)
			buf_append_str(&b, "{\"f:a\":");
		buf_append_str(&b, "{}");
		for (int k = 0; k < 130; k++)
			buf_append_char(&b, '}');
		buf_append_str(&b, "}]},\"data\":{\"a\":\"b\"}}");
	} else {
		buf_append_str(&b, "{\"kind\":\"Status\",\"code\":404}");
	}
	respond(fd, buf_str(&b), b.len);
	buf_cleanup(&b);
}

static void *serve(void *ud)
{
	struct srv *s = ud;

	while (!atomic_load(&s->stop)) {
		struct pollfd p = {s->lfd, POLLIN, 0};
		char req[8192];
		size_t have = 0;
		int fd;

		if (poll(&p, 1, 50) <= 0 || (fd = accept(s->lfd, NULL, NULL)) < 0)
			continue;
		/* one connection at a time, requests one after another (GETs only) */
		while (!atomic_load(&s->stop)) {
			struct pollfd q = {fd, POLLIN, 0};
			char *end, method[16], path[1024];
			ssize_t n;

			if (!(end = memmem(req, have, "\r\n\r\n", 4))) {
				if (poll(&q, 1, 50) <= 0)
					continue;
				n = recv(fd, req + have, sizeof(req) - 1 - have, 0);
				if (n <= 0)
					break;
				have += (size_t)n;
				continue;
			}
			req[have] = '\0';
			if (sscanf(req, "%15s %1023s", method, path) == 2)
				handle(s, fd, path);
			have -= (size_t)(end + 4 - req);
			memmove(req, end + 4, have);
		}
		close(fd);
	}
	return NULL;
}

struct fx {
	struct srv srv;
	struct kube_config cfg;
	struct kube_client client;
};

static int setup(void **state)
{
	struct fx *f = mem_calloc(1, sizeof(*f));
	struct sockaddr_in a = {0};
	socklen_t alen = sizeof(a);
	char url[64];
	int one = 1;

	f->srv.lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	setsockopt(f->srv.lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(f->srv.lfd, (struct sockaddr *)&a, sizeof(a)) < 0 || listen(f->srv.lfd, 8) < 0)
		return -1;
	getsockname(f->srv.lfd, (struct sockaddr *)&a, &alen);
	f->srv.port = ntohs(a.sin_port);
	pthread_create(&f->srv.thr, NULL, serve, &f->srv);
	snprintf(url, sizeof(url), "http://127.0.0.1:%d", f->srv.port);
	f->cfg.server = mem_strdup(url);
	f->cfg.namespace = mem_strdup("ns");
	if (kube_client_init(&f->client, &f->cfg, NULL) < 0)
		return -1;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	kube_client_cleanup(&f->client);
	atomic_store(&f->srv.stop, 1);
	pthread_join(f->srv.thr, NULL);
	close(f->srv.lfd);
	kube_config_cleanup(&f->cfg);
	free(f);
	return 0;
}

static void test_list_halves_big_pages_and_stubs_the_deep_item(void **state)
{
	struct fx *f = *state;
	struct kube_list_options o = {.limit = 4, .max_page_bytes = 2048};
	struct json *list = NULL;
	const struct json *items;
	struct error err;

	assert_int_equal(kube_list(&f->client, kube_resource_find("v1", "ConfigMap"), "ns", &o, &list, &err), 0);
	items = json_get(list, "items");
	assert_int_equal(items->u.arr.len, ITEMS);
	for (int i = 0; i < ITEMS; i++) {
		const struct json *it = items->u.arr.items[i];
		char name[16];

		snprintf(name, sizeof(name), "cm%d", i);
		assert_string_equal(json_get_string(json_get(it, "metadata"), "name"), name);
		assert_string_equal(json_get_string(it, "kind"), "ConfigMap"); /* stamped, stubs too */
		if (i == DEEP_ITEM) {
			assert_non_null(kube_object_skipped(it));
			assert_non_null(strstr(kube_object_skipped(it), "data: nesting deeper than"));
			assert_null(json_get(it, "data"));
		} else {
			assert_null(kube_object_skipped(it));
		}
	}
	assert_string_equal(json_get_string(json_get(list, "metadata"), "resourceVersion"), "500");
	/* 4 items did not fit in 2 KiB: the same first page again with 2, then 2 each */
	assert_int_equal(atomic_load(&f->srv.nlists), 4);
	assert_int_equal(atomic_load(&f->srv.limits[0]), 4);
	assert_int_equal(atomic_load(&f->srv.limits[1]), 2);
	assert_int_equal(atomic_load(&f->srv.limits[2]), 2);
	assert_int_equal(atomic_load(&f->srv.limits[3]), 2);
	json_free(list);
}

static void test_list_fails_only_when_one_item_does_not_fit(void **state)
{
	struct fx *f = *state;
	struct kube_list_options o = {.limit = 2, .max_page_bytes = 4096};
	struct json *list = (struct json *)1;
	struct error err;

	f->srv.huge = 1;
	atomic_store(&f->srv.nlists, 0);
	assert_int_equal(kube_list(&f->client, kube_resource_find("v1", "ConfigMap"), "ns", &o, &list, &err),
			 ERR_LIMIT);
	assert_null(list);
	/* limit 2 (items 0, 1), then 1 (item 0), then 1 (item 1: alone too big) */
	assert_int_equal(atomic_load(&f->srv.limits[0]), 2);
	assert_int_equal(atomic_load(&f->srv.limits[1]), 1);
	assert_int_equal(atomic_load(&f->srv.limits[2]), 1);
	f->srv.huge = 0;
}

static void test_get_with_deep_managed_fields(void **state)
{
	struct fx *f = *state;
	struct json *obj = NULL;
	struct error err;

	assert_int_equal(kube_get(&f->client, kube_resource_find("v1", "ConfigMap"), "ns", "legacy", &obj, &err), 0);
	assert_string_equal(json_get_string(json_get(obj, "data"), "a"), "b");
	assert_null(json_path(obj, "metadata", "managedFields", NULL));
	json_free(obj);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_list_halves_big_pages_and_stubs_the_deep_item),
		cmocka_unit_test(test_list_fails_only_when_one_item_does_not_fit),
		cmocka_unit_test(test_get_with_deep_managed_fields),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
