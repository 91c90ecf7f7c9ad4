/*
 * fileio: writing files so that a crash leaves the old one or the new one,
 * never a mixture. Only the staff side writes files that must survive (the
 * keyring, the public key), so this lives there.
 *
 * A file is replaced by writing a temporary file beside it (mkostemp: only we
 * can open it), setting its mode, fsync, rename over the old one, then fsync
 * of the folder so that the rename itself is on disk. Writes are retried
 * after EINTR and short writes. Small files (the team's) are read whole.
 */
#ifndef CLINIC_FILEIO_H
#define CLINIC_FILEIO_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/* Writes all n bytes to fd: 0, or the errno of the write that failed. */
int write_all(int fd, const void *bytes, size_t n);

enum file_status {
	FILE_OK = 0,
	FILE_EXISTS,      /* replace was false and path exists: nothing changed */
	FILE_NO_TEMP,     /* no temporary file could be made beside path: nothing changed */
	FILE_NOT_WRITTEN, /* writing or renaming failed: path is unchanged */
	FILE_NOT_DURABLE, /* path holds the new bytes, but its folder could not be synced */
};

/* Puts len bytes at path with mode, replacing what is there only if replace
 * is set (otherwise atomically refusing, even against a racing creator).
 * Unless FILE_OK, err says why, as the end of a sentence about path ("the
 * path is too long", "could not sync its folder: ..."). */
enum file_status file_replace(const char *path, const void *bytes, size_t len, mode_t mode,
                              bool replace, char *err, size_t errlen);

/* Reads the whole regular file at path, at most max bytes, into *text
 * (malloc'd and NUL-terminated: free it) and *len. False with err saying
 * why in a sentence that names path. For public files: a secret is read
 * into locked memory instead. */
bool file_read_all(const char *path, size_t max, char **text, size_t *len, char *err,
                   size_t errlen);

#endif
