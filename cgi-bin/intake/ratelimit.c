#include "ratelimit.h"

#include <pthread.h>
#include <sodium.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "shared.h"

#define SECONDS_PER_DAY 86400
#define CLIENT_HASH_BYTES 16
/* Bounds the shared table to 128 MiB whatever the caller asks. */
#define MAX_SLOTS (1u << 22)

struct slot {
	unsigned char client[CLIENT_HASH_BYTES];
	int64_t window_start;
	unsigned hits;
	bool used;
};

/* Lives entirely in the shared mapping, so every worker sees the same. */
struct ratelimit {
	pthread_mutex_t lock;
	size_t mapped_bytes;
	pid_t creator;
	unsigned slot_count;
	unsigned max_hits;
	unsigned window_seconds;
	unsigned char secret[crypto_kdf_KEYBYTES];
	struct slot slots[];
};

struct ratelimit *ratelimit_new(unsigned slots, unsigned max_hits, unsigned window_seconds)
{
	if (slots == 0 || slots > MAX_SLOTS || sodium_init() < 0)
		return NULL;
	size_t bytes = sizeof(struct ratelimit) + (size_t)slots * sizeof(struct slot);
	void *mem = shared_map(bytes);
	if (!mem)
		return NULL;
	struct ratelimit *rl = mem;
	rl->mapped_bytes = bytes;
	rl->creator = getpid();
	rl->slot_count = slots;
	rl->max_hits = max_hits;
	rl->window_seconds = window_seconds;
	randombytes_buf(rl->secret, sizeof rl->secret);

	if (!shared_mutex_init(&rl->lock)) {
		sodium_memzero(rl->secret, sizeof rl->secret);
		munmap(mem, bytes);
		return NULL;
	}
	return rl;
}

/* The client's name for today: a keyed hash under a key that only exists for
 * this day, so yesterday's entries cannot be tied to today's visitors. */
static bool client_hash(const struct ratelimit *rl, const char *address, time_t now,
                        unsigned char out[CLIENT_HASH_BYTES])
{
	int64_t day = (int64_t)now / SECONDS_PER_DAY;
	if ((int64_t)now < 0 && (int64_t)now % SECONDS_PER_DAY != 0)
		day--;
	unsigned char day_key[crypto_generichash_KEYBYTES];
	bool ok = crypto_kdf_derive_from_key(day_key, sizeof day_key, (uint64_t)day, "ratelim1",
	                                     rl->secret) == 0 &&
	          crypto_generichash(out, CLIENT_HASH_BYTES, (const unsigned char *)address,
	                             strlen(address), day_key, sizeof day_key) == 0;
	sodium_memzero(day_key, sizeof day_key);
	return ok;
}

/* Whether slot s's window has ended by now. */
static bool window_over(const struct ratelimit *rl, const struct slot *s, int64_t now)
{
	/* A clock set back keeps the window open rather than wrapping round. */
	if (now < s->window_start)
		return false;
	return (uint64_t)now - (uint64_t)s->window_start >= rl->window_seconds;
}

/* The client's slot; failing that a free or finished one; failing that the
 * one whose window began longest ago. */
static struct slot *find_slot(struct ratelimit *rl, const unsigned char client[], int64_t now,
                              bool *fresh)
{
	struct slot *reusable = NULL, *oldest = NULL;
	for (unsigned i = 0; i < rl->slot_count; i++) {
		struct slot *s = &rl->slots[i];
		if (!s->used || window_over(rl, s, now)) {
			if (!reusable)
				reusable = s;
			continue;
		}
		if (sodium_memcmp(s->client, client, CLIENT_HASH_BYTES) == 0) {
			*fresh = false;
			return s;
		}
		if (!oldest || s->window_start < oldest->window_start)
			oldest = s;
	}
	*fresh = true;
	return reusable ? reusable : oldest;
}

bool ratelimit_allow(struct ratelimit *rl, const char *address, time_t now)
{
	if (!rl)
		return true;
	/* Should hashing or the lock ever fail, an enquiry from a person in
	 * distress matters more than the limit: the post is let through. */
	unsigned char client[CLIENT_HASH_BYTES];
	if (!client_hash(rl, address ? address : "", now, client))
		return true;
	/* A worker that died holding the lock left at worst one slot's count
	 * short by a hit, which is harmless here. */
	if (!shared_mutex_lock(&rl->lock)) {
		sodium_memzero(client, sizeof client);
		return true;
	}
	bool fresh;
	struct slot *s = find_slot(rl, client, (int64_t)now, &fresh);
	bool allowed;
	if (fresh) {
		memcpy(s->client, client, CLIENT_HASH_BYTES);
		s->window_start = (int64_t)now;
		s->hits = 0;
		s->used = true;
	}
	allowed = s->hits < rl->max_hits;
	if (allowed)
		s->hits++;
	pthread_mutex_unlock(&rl->lock);
	sodium_memzero(client, sizeof client);
	return allowed;
}

void ratelimit_free(struct ratelimit *rl)
{
	if (!rl)
		return;
	size_t bytes = rl->mapped_bytes;
	/* The mapping is shared: only its creator, the last to use it, wipes
	 * what the workers still rely on. */
	if (rl->creator == getpid())
		sodium_memzero(rl, bytes);
	munmap(rl, bytes);
}
