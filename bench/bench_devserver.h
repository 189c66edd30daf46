/* bench_devserver.h - the DevServer every benchmark program creates.
 *
 * One definition, so the ceiling (bench/ceiling.c) writes exactly the
 * objects the operator renders for the DevServers bench/latency.c creates:
 * the example's shape, with a home, one SSH key and an env var, so all four
 * children exist.
 */
#ifndef DEVSERVER_BENCH_DEVSERVER_H
#define DEVSERVER_BENCH_DEVSERVER_H

#include "core/error.h"
#include "json/json.h"

/* A new DevServer named name using flavor (caller frees), or NULL with err. */
struct json *bench_devserver(const char *name, const char *flavor, struct error *err);

#endif
