/*
 * fuzz: what every fuzz target shares.
 *
 * A target is one LLVMFuzzerTestOneInput per file, built twice: with
 * libFuzzer (build/fuzz/fuzz_NAME, for `make fuzz` and the short runs of
 * `make test`) and with fuzz/replay.c instead (build/asan/fuzz/replay_NAME,
 * which replays the seed corpus and the saved regressions). Targets are
 * deterministic, free all they allocate and bound the sizes they accept, so
 * that any crash, leak, sanitizer report or timeout is the code's fault.
 *
 * FUZZ_CHECK states a property the code under test promises; a broken one
 * aborts, which both drivers report as a failure of that input.
 */
#ifndef CLINIC_FUZZ_H
#define CLINIC_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_CHECK(cond)                                                                           \
	do {                                                                                       \
		if (!(cond))                                                                       \
			fuzz_fail(__FILE__, __LINE__, #cond);                                      \
	} while (0)

static inline _Noreturn void fuzz_fail(const char *file, int line, const char *what)
{
	fprintf(stderr, "%s:%d: property does not hold: %s\n", file, line, what);
	abort();
}

/* Takes up to max bytes from the front of *data as one piece, up to the next
 * separator byte (which is consumed). Lets a target read several strings
 * from one input so that mutations stay local to one of them. */
static inline size_t fuzz_take(const uint8_t **data, size_t *size, uint8_t separator, size_t max,
                               const uint8_t **piece)
{
	size_t n = 0;
	while (n < *size && n < max && (*data)[n] != separator)
		n++;
	*piece = *data;
	size_t used = n < *size && (*data)[n] == separator ? n + 1 : n;
	*data += used;
	*size -= used;
	return n;
}

#endif
