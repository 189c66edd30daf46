/* bench_args.h - integer flags of the benchmark programs, refused when they
 * are not numbers in range (atoi would turn "1e3" or "x" into a silent 1 or
 * 0 and the benchmark would measure something else than asked). */
#ifndef DEVSERVER_BENCH_ARGS_H
#define DEVSERVER_BENCH_ARGS_H

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

static inline int bench_int_arg(const char *flag, const char *value, long min, long max)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(value, &end, 10);
	if (errno || end == value || *end || v < min || v > max) {
		fprintf(stderr, "%s: want an integer from %ld to %ld, got \"%s\"\n", flag, min, max, value);
		exit(2);
	}
	return (int)v;
}

#endif
