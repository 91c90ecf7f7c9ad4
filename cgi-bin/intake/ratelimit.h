/*
 * ratelimit: a per-client limit on form posts, shared by all workers of one
 * program through an anonymous shared memory table made before they fork.
 *
 * Clients are told apart by a keyed hash (crypto_generichash) of their
 * address under a key derived from a random secret that lives only in this
 * memory and from the current day, so the key rotates daily and no address,
 * nor anything that could be matched to one later, is ever stored. The table
 * is fixed in size; when it is full the oldest window is reused.
 */
#ifndef CLINIC_RATELIMIT_H
#define CLINIC_RATELIMIT_H

#include <stdbool.h>
#include <time.h>

struct ratelimit;

/* Creates the shared table (mmap MAP_SHARED|MAP_ANONYMOUS). Call before fork. */
struct ratelimit *ratelimit_new(unsigned slots, unsigned max_hits, unsigned window_seconds);

/* Counts one hit for address at now; returns false when the client has
 * already had max_hits within the current window (the hit is not counted).
 * Safe to call from several processes at once; a worker killed while inside
 * must not wedge the others (robust process-shared mutex). */
bool ratelimit_allow(struct ratelimit *rl, const char *address, time_t now);

/* Unmaps the table, wiping it first in the process that made it. */
void ratelimit_free(struct ratelimit *rl);

#endif
