/*
 * shared: memory and locks shared by a program's pre-forked workers.
 *
 * The memory is an anonymous shared mapping made before the workers fork,
 * kept out of core files. The locks are process-shared robust mutexes: a
 * worker killed while holding one hands it to the next locker instead of
 * wedging the others.
 */
#ifndef CLINIC_SHARED_H
#define CLINIC_SHARED_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>

/* Zero-filled shared memory of bytes, or NULL. Release with munmap. */
void *shared_map(size_t bytes);

/* Makes m a process-shared robust mutex (in shared memory); false if the
 * system will not. */
bool shared_mutex_init(pthread_mutex_t *m);

/* Locks m; when its last holder died, takes it over and marks it usable
 * again (the caller knows whether what it guards can be half-changed).
 * False only if m is beyond repair. */
bool shared_mutex_lock(pthread_mutex_t *m);

#endif
