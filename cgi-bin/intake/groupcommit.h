/*
 * groupcommit: one commit (one fsync) for the form posts of several workers.
 *
 * Writers take turns on the enquiry database, and each commit waits for its
 * fsync; with one row per commit, posts queue behind each other's fsync. Here
 * a worker puts its sealed row in a table in anonymous shared memory (made
 * before the workers fork) and either waits or, when no commit is under way,
 * becomes the leader: it commits every row waiting at that moment in one
 * transaction of its own connection, records each row's outcome and wakes
 * the rows' owners. A row's owner returns only once the commit holding its
 * row has returned, so "thank you" still follows the fsync.
 *
 * A leader killed mid-commit is noticed by the others (it held a robust
 * mutex); its rows go back in the queue and the next leader stores them
 * again, which the store treats as done if they had reached the file. Only
 * sealed bytes ever enter the shared table.
 */
#ifndef CLINIC_GROUPCOMMIT_H
#define CLINIC_GROUPCOMMIT_H

#include <stddef.h>

#include "store.h"

struct group_commit;

/* Creates the shared table: slots rows of at most row_limit sealed bytes
 * (fewer slots if they would take more than 64 MiB). Call before fork. NULL
 * if the memory or its locks cannot be had. */
struct group_commit *group_commit_new(unsigned slots, size_t row_limit);
/* Unmaps the table: in the parent, once the workers are gone. */
void group_commit_free(struct group_commit *g);

/* Commits row through the group, using s when this worker leads, and sets
 * row->status as store_insert_many does; when that is not STORE_OK, err
 * holds the reason (from whichever worker committed). With g NULL, a row too
 * big for a slot or no free slot, the row is committed alone. One caller per
 * process at a time: the workers are single-threaded. Returns row->status. */
enum store_status group_commit_insert(struct group_commit *g, struct store *s,
                                      struct store_new_row *row, char *err, size_t errlen);

/* Commits made and rows they held, since the table was made. */
void group_commit_counts(struct group_commit *g, unsigned long *commits, unsigned long *rows);

#endif
