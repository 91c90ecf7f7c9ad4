#include "shared.h"

#include <errno.h>
#include <sys/mman.h>

void *shared_map(size_t bytes)
{
	void *mem = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (mem == MAP_FAILED)
		return NULL;
	/* Nothing in here should end up in a core file. */
	(void)madvise(mem, bytes, MADV_DONTDUMP);
	return mem;
}

bool shared_mutex_init(pthread_mutex_t *m)
{
	pthread_mutexattr_t attr;
	if (pthread_mutexattr_init(&attr) != 0)
		return false;
	bool ok = pthread_mutexattr_setpshared(&attr, PTHREAD_PROCESS_SHARED) == 0 &&
	          pthread_mutexattr_setrobust(&attr, PTHREAD_MUTEX_ROBUST) == 0 &&
	          pthread_mutex_init(m, &attr) == 0;
	pthread_mutexattr_destroy(&attr);
	return ok;
}

bool shared_mutex_lock(pthread_mutex_t *m)
{
	int rc = pthread_mutex_lock(m);
	if (rc == EOWNERDEAD) {
		rc = pthread_mutex_consistent(m);
		if (rc != 0)
			pthread_mutex_unlock(m);
	}
	return rc == 0;
}
