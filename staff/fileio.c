#include "fileio.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

bool write_all(int fd, const void *bytes, size_t n)
{
	const char *p = bytes;
	while (n > 0) {
		ssize_t w = write(fd, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return false;
		p += w;
		n -= (size_t)w;
	}
	return true;
}

/* Makes a completed rename durable. */
static bool sync_parent_dir(const char *path)
{
	char copy[PATH_MAX];
	if (strlen(path) >= sizeof copy) {
		errno = ENAMETOOLONG;
		return false;
	}
	strcpy(copy, path);
	int dir = open(dirname(copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dir < 0)
		return false;
	bool ok = fsync(dir) == 0;
	int saved_errno = errno;
	close(dir);
	errno = saved_errno;
	return ok;
}

/* Puts tmp at path, refusing to replace an existing file when asked. */
static enum file_status move_into_place(const char *tmp, const char *path, bool replace)
{
	if (replace)
		return rename(tmp, path) == 0 ? FILE_OK : FILE_NOT_WRITTEN;
	if (renameat2(AT_FDCWD, tmp, AT_FDCWD, path, RENAME_NOREPLACE) == 0)
		return FILE_OK;
	if (errno == EEXIST)
		return FILE_EXISTS;
	if (errno != EINVAL && errno != ENOSYS)
		return FILE_NOT_WRITTEN;
	/* A file system without RENAME_NOREPLACE: link() also never replaces. */
	if (link(tmp, path) != 0)
		return errno == EEXIST ? FILE_EXISTS : FILE_NOT_WRITTEN;
	unlink(tmp);
	return FILE_OK;
}

enum file_status file_replace(const char *path, const void *bytes, size_t len, mode_t mode,
                              bool replace)
{
	char tmp[PATH_MAX];
	if (snprintf(tmp, sizeof tmp, "%s.tmp-XXXXXX", path) >= (int)sizeof tmp) {
		errno = ENAMETOOLONG;
		return FILE_NO_TEMP;
	}
	/* Created with O_EXCL and mode 0600, so a secret is never readable by
	 * anyone else, not even for a moment. */
	int fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0)
		return FILE_NO_TEMP;
	enum file_status status = FILE_OK;
	if (fchmod(fd, mode) != 0 || !write_all(fd, bytes, len) || fsync(fd) != 0)
		status = FILE_NOT_WRITTEN;
	int saved_errno = errno;
	if (close(fd) != 0 && status == FILE_OK) {
		status = FILE_NOT_WRITTEN;
		saved_errno = errno;
	}
	if (status == FILE_OK) {
		status = move_into_place(tmp, path, replace);
		saved_errno = errno;
	}
	if (status != FILE_OK) {
		unlink(tmp);
		errno = saved_errno;
		return status;
	}
	return sync_parent_dir(path) ? FILE_OK : FILE_NOT_DURABLE;
}
