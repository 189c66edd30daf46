/* bench_devserver.c - the benchmark DevServer (see bench_devserver.h). */
#include "bench_devserver.h"

#include <stdio.h>
#include <string.h>

struct json *bench_devserver(const char *name, const char *flavor, struct error *err)
{
	char text[1024];

	snprintf(text, sizeof(text),
		 "{\"apiVersion\":\"devserver.io/v1\",\"kind\":\"DevServer\",\"metadata\":{\"name\":\"%s\"},"
		 "\"spec\":{\"flavor\":\"%s\",\"owner\":\"bench\",\"image\":\"example.invalid/dev:1\","
		 "\"ssh\":{\"publicKeys\":[\"ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl "
		 "bench@example\"]},\"home\":{\"size\":\"1Gi\"},\"env\":[{\"name\":\"EDITOR\",\"value\":\"vim\"}]}}",
		 name, flavor);
	return json_parse(text, strlen(text), err);
}
