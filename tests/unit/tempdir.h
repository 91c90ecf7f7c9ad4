/* A throwaway folder for a unit test's files, and its removal. */
#ifndef CLINIC_TEST_TEMPDIR_H
#define CLINIC_TEST_TEMPDIR_H

#include <ftw.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>

/* Makes /tmp/<name>.XXXXXX into dir (at least 64 bytes). */
static inline bool tempdir_make(char *dir, size_t len, const char *name)
{
	snprintf(dir, len, "/tmp/%s.XXXXXX", name);
	return mkdtemp(dir) != NULL;
}

static inline int tempdir_remove_entry(const char *path, const struct stat *st, int flag,
                                       struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

/* Removes dir and everything in it, even if a test made it read-only. */
static inline void tempdir_remove(const char *dir)
{
	chmod(dir, 0700);
	nftw(dir, tempdir_remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}

#endif
