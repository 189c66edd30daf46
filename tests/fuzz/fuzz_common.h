/* fuzz_common.h - helpers shared by the libFuzzer targets (tests/fuzz/).
 *
 * A target checks properties, not just "no crash": when a property fails it
 * aborts through FUZZ_CHECK, so libFuzzer saves the input as a crash and
 * the message says which property broke.
 */
#ifndef DEVSERVER_FUZZ_COMMON_H
#define DEVSERVER_FUZZ_COMMON_H

#include <stdio.h>
#include <stdlib.h>

#define FUZZ_CHECK(cond, ...)                                                     \
	do {                                                                      \
		if (!(cond)) {                                                    \
			fprintf(stderr, "%s:%d: property failed: %s: ", __FILE__, \
				__LINE__, #cond);                                 \
			fprintf(stderr, __VA_ARGS__);                             \
			fputc('\n', stderr);                                      \
			abort();                                                  \
		}                                                                 \
	} while (0)

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size);

#endif
