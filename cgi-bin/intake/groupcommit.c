#include "groupcommit.h"

#include <errno.h>
#include <pthread.h>
#include <semaphore.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "shared.h"

/* How long a waiting worker sleeps before it checks that the leader lives. */
#define LEADER_CHECK_NS (10 * 1000 * 1000)
#define MAX_SLOTS 256u
#define MAX_ROW_LIMIT ((size_t)4 << 20)
/* With big posts allowed, fewer slots rather than more memory: posts that
 * find no free slot are committed alone. */
#define MAX_MAPPED_BYTES ((size_t)64 << 20)
#define ERROR_LEN 200

enum slot_state {
	SLOT_FREE,
	SLOT_QUEUED, /* waiting for a leader */
	SLOT_TAKEN,  /* in the commit under way */
	SLOT_DONE,   /* committed or failed: status says which */
};

struct slot {
	enum slot_state state;
	pid_t owner;
	enum store_status status;
	sem_t wake; /* posted when the slot is done, or when a leader is wanted */
	char ref[16], kind[16], day[11], key_id[32];
	char error[ERROR_LEN]; /* the leader's reason, when the row failed */
	size_t sealed_len;
};

/* A process that dies holding one of the mutexes leaves what they guard
 * usable: a slot's state is written after its other fields (set_state), and
 * a half-done commit is taken over (take_over_from_dead_leader).
 *
 * Lives entirely in the shared mapping; the rows' sealed bytes follow the
 * slots, row_limit bytes each. */
struct group_commit {
	pthread_mutex_t lock;    /* guards everything here */
	pthread_mutex_t leading; /* held by the leader while it commits */
	bool leader_active;
	size_t mapped_bytes;
	size_t data_offset;
	size_t row_limit;
	unsigned slot_count;
	unsigned long commits, rows;
	struct slot slots[];
};

struct group_commit *group_commit_new(unsigned slots, size_t row_limit)
{
	if (slots == 0 || slots > MAX_SLOTS || row_limit == 0 || row_limit > MAX_ROW_LIMIT)
		return NULL;
	size_t fitting = MAX_MAPPED_BYTES / row_limit;
	if (slots > fitting)
		slots = fitting > 2 ? (unsigned)fitting : 2;
	size_t header = sizeof(struct group_commit) + (size_t)slots * sizeof(struct slot);
	size_t data_offset = (header + 63) & ~(size_t)63;
	size_t bytes = data_offset + (size_t)slots * row_limit;
	void *mem = shared_map(bytes);
	if (!mem)
		return NULL;
	struct group_commit *g = mem;
	g->mapped_bytes = bytes;
	g->data_offset = data_offset;
	g->row_limit = row_limit;
	g->slot_count = slots;
	bool ok = shared_mutex_init(&g->lock) && shared_mutex_init(&g->leading);
	for (unsigned i = 0; ok && i < slots; i++)
		ok = sem_init(&g->slots[i].wake, 1, 0) == 0;
	if (!ok) {
		munmap(mem, bytes);
		return NULL;
	}
	return g;
}

void group_commit_free(struct group_commit *g)
{
	if (g)
		munmap(g, g->mapped_bytes);
}

/* Where slot's sealed bytes live in the mapping. */
static unsigned char *sealed_bytes(struct group_commit *g, const struct slot *slot)
{
	return (unsigned char *)g + g->data_offset + (size_t)(slot - g->slots) * g->row_limit;
}

/* A slot's state is written last, with release order, so that a process
 * killed part way through filling a slot or recording its outcome never
 * leaves a state that claims more than the fields hold. */
static void set_state(struct slot *slot, enum slot_state state)
{
	__atomic_store_n(&slot->state, state, __ATOMIC_RELEASE);
}

/* Whether the process owner no longer exists. */
static bool owner_gone(pid_t owner)
{
	return owner <= 0 || (kill(owner, 0) != 0 && errno == ESRCH);
}

/* A free slot for this process (lock held), or NULL. Slots whose owner died
 * are reclaimed once done; so is one left under this very pid by an earlier
 * worker that had it before. */
static struct slot *claim_slot(struct group_commit *g, pid_t me)
{
	struct slot *found = NULL;
	for (unsigned i = 0; i < g->slot_count; i++) {
		struct slot *slot = &g->slots[i];
		if (slot->owner == me && (slot->state == SLOT_QUEUED || slot->state == SLOT_DONE))
			set_state(slot, SLOT_FREE);
		if (!found && slot->state == SLOT_FREE)
			found = slot;
	}
	for (unsigned i = 0; !found && i < g->slot_count; i++) {
		struct slot *slot = &g->slots[i];
		if (slot->state == SLOT_DONE && owner_gone(slot->owner)) {
			set_state(slot, SLOT_FREE);
			found = slot;
		}
	}
	if (found)
		while (sem_trywait(&found->wake) == 0)
			; /* wake-ups meant for its last owner */
	return found;
}

/* With the lock held and a leader recorded: whether that leader died. */
static bool leader_died(struct group_commit *g)
{
	int rc = pthread_mutex_trylock(&g->leading);
	if (rc == EBUSY)
		return false;
	if (rc == EOWNERDEAD)
		rc = pthread_mutex_consistent(&g->leading);
	if (rc == 0)
		pthread_mutex_unlock(&g->leading);
	return true;
}

/* Its rows may or may not have reached the file: they are committed again,
 * which the store counts as done for rows already there. */
static void take_over_from_dead_leader(struct group_commit *g)
{
	for (unsigned i = 0; i < g->slot_count; i++)
		if (g->slots[i].state == SLOT_TAKEN)
			set_state(&g->slots[i], SLOT_QUEUED);
	g->leader_active = false;
}

/* Called and returns with the lock held: commits every queued row. False
 * if the leader's mutex is beyond repair (nothing was taken). */
static bool lead(struct group_commit *g, struct store *s)
{
	struct store_new_row rows[MAX_SLOTS];
	struct slot *taken[MAX_SLOTS];
	size_t count = 0;
	/* Free unless a dead leader still has it, which shared_mutex_lock repairs. */
	if (!shared_mutex_lock(&g->leading))
		return false;
	g->leader_active = true;
	for (unsigned i = 0; i < g->slot_count; i++) {
		struct slot *slot = &g->slots[i];
		if (slot->state != SLOT_QUEUED)
			continue;
		set_state(slot, SLOT_TAKEN);
		taken[count] = slot;
		rows[count] = (struct store_new_row){
		    slot->ref,        slot->kind,  slot->day, slot->key_id, sealed_bytes(g, slot),
		    slot->sealed_len, STORE_FAILED};
		count++;
	}
	pthread_mutex_unlock(&g->lock);

	store_insert_many(s, rows, count);

	/* Should the lock be beyond repair, the outcomes are still recorded:
	 * the rows' owners are waiting for them. */
	(void)shared_mutex_lock(&g->lock);
	for (size_t i = 0; i < count; i++) {
		taken[i]->status = rows[i].status;
		if (rows[i].status != STORE_OK)
			snprintf(taken[i]->error, sizeof taken[i]->error, "%s", store_error(s));
		set_state(taken[i], SLOT_DONE);
		sem_post(&taken[i]->wake);
	}
	g->commits++;
	g->rows += count;
	g->leader_active = false;
	pthread_mutex_unlock(&g->leading);
	/* Rows that arrived during this commit need a leader of their own. */
	for (unsigned i = 0; i < g->slot_count; i++)
		if (g->slots[i].state == SLOT_QUEUED)
			sem_post(&g->slots[i].wake);
	return true;
}

/* Waits for slot to be woken, or LEADER_CHECK_NS at most. */
static void wait_for_wake(struct slot *slot)
{
	struct timespec until;
	clock_gettime(CLOCK_MONOTONIC, &until);
	until.tv_nsec += LEADER_CHECK_NS;
	if (until.tv_nsec >= 1000000000L) {
		until.tv_sec++;
		until.tv_nsec -= 1000000000L;
	}
	/* A timeout or an interruption just means: look again. */
	(void)sem_clockwait(&slot->wake, CLOCK_MONOTONIC, &until);
}

/* Commits row in a transaction of its own (no slot, no group); its status, with why in err. */
static enum store_status commit_alone(struct store *s, struct store_new_row *row, char *err,
                                      size_t errlen)
{
	store_insert_many(s, row, 1);
	if (row->status != STORE_OK)
		snprintf(err, errlen, "%s", store_error(s));
	return row->status;
}

/* Whether row fits a slot: every text in its array, the sealed bytes within row_limit. */
static bool fits(const struct group_commit *g, const struct store_new_row *row)
{
	const struct slot *slot = &g->slots[0];
	return row->ref && row->kind && row->day && row->key_id && row->sealed &&
	       row->sealed_len <= g->row_limit && strlen(row->ref) < sizeof slot->ref &&
	       strlen(row->kind) < sizeof slot->kind && strlen(row->day) < sizeof slot->day &&
	       strlen(row->key_id) < sizeof slot->key_id;
}

enum store_status group_commit_insert(struct group_commit *g, struct store *s,
                                      struct store_new_row *row, char *err, size_t errlen)
{
	if (errlen)
		err[0] = '\0';
	if (!g || !fits(g, row) || !shared_mutex_lock(&g->lock))
		return commit_alone(s, row, err, errlen);
	pid_t me = getpid();
	struct slot *mine = claim_slot(g, me);
	if (!mine) {
		pthread_mutex_unlock(&g->lock);
		return commit_alone(s, row, err, errlen);
	}
	strcpy(mine->ref, row->ref);
	strcpy(mine->kind, row->kind);
	strcpy(mine->day, row->day);
	strcpy(mine->key_id, row->key_id);
	if (row->sealed_len)
		memcpy(sealed_bytes(g, mine), row->sealed, row->sealed_len);
	mine->sealed_len = row->sealed_len;
	mine->owner = me;
	mine->status = STORE_FAILED;
	mine->error[0] = '\0';
	set_state(mine, SLOT_QUEUED);
	for (;;) {
		if (mine->state == SLOT_DONE) {
			row->status = mine->status;
			if (row->status != STORE_OK)
				snprintf(err, errlen, "%s", mine->error);
			set_state(mine, SLOT_FREE);
			break;
		}
		if (!g->leader_active) {
			if (lead(g, s))
				continue;
			set_state(mine, SLOT_FREE); /* no one can lead: commit alone */
			pthread_mutex_unlock(&g->lock);
			return commit_alone(s, row, err, errlen);
		}
		if (leader_died(g)) {
			take_over_from_dead_leader(g);
			continue;
		}
		pthread_mutex_unlock(&g->lock);
		wait_for_wake(mine);
		if (!shared_mutex_lock(&g->lock)) {
			row->status = STORE_FAILED;
			snprintf(err, errlen,
			         "the shared commit queue is damaged; the enquiry may "
			         "or may not have been stored");
			return row->status;
		}
	}
	pthread_mutex_unlock(&g->lock);
	return row->status;
}

void group_commit_counts(struct group_commit *g, unsigned long *commits, unsigned long *rows)
{
	*commits = *rows = 0;
	if (g && shared_mutex_lock(&g->lock)) {
		*commits = g->commits;
		*rows = g->rows;
		pthread_mutex_unlock(&g->lock);
	}
}
