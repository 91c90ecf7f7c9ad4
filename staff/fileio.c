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

int write_all(int fd, const void *bytes, size_t n)
{
	const char *p = bytes;
	while (n > 0) {
		ssize_t w = write(fd, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return errno;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/* Makes a completed rename durable: 0, or the errno of what failed. */
static int sync_parent_dir(const char *path)
{
	char copy[PATH_MAX];
	if (strlen(path) >= sizeof copy)
		return ENAMETOOLONG;
	strcpy(copy, path);
	int dir = open(dirname(copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dir < 0)
		return errno;
	int error = fsync(dir) == 0 ? 0 : errno;
	close(dir);
	return error;
}

/* Puts tmp at path, refusing to replace an existing file when asked; *error
 * is the errno of a failure. */
static enum file_status move_into_place(const char *tmp, const char *path, bool replace, int *error)
{
	*error = 0;
	if (replace) {
		if (rename(tmp, path) == 0)
			return FILE_OK;
		*error = errno;
		return FILE_NOT_WRITTEN;
	}
	if (renameat2(AT_FDCWD, tmp, AT_FDCWD, path, RENAME_NOREPLACE) == 0)
		return FILE_OK;
	*error = errno;
	if (*error == EEXIST)
		return FILE_EXISTS;
	if (*error != EINVAL && *error != ENOSYS)
		return FILE_NOT_WRITTEN;
	/* A file system without RENAME_NOREPLACE: link() also never replaces. */
	if (link(tmp, path) != 0) {
		*error = errno;
		return *error == EEXIST ? FILE_EXISTS : FILE_NOT_WRITTEN;
	}
	unlink(tmp);
	return FILE_OK;
}

enum file_status file_replace(const char *path, const void *bytes, size_t len, mode_t mode,
                              bool replace, char *err, size_t errlen)
{
	char tmp[PATH_MAX];
	if (snprintf(tmp, sizeof tmp, "%s.tmp-XXXXXX", path) >= (int)sizeof tmp) {
		snprintf(err, errlen, "the path is too long");
		return FILE_NO_TEMP;
	}
	/* Created with O_EXCL and mode 0600, so a secret is never readable by
	 * anyone else, not even for a moment. */
	int fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0) {
		snprintf(err, errlen, "cannot create a file next to it: %s", strerror(errno));
		return FILE_NO_TEMP;
	}
	enum file_status status = FILE_OK;
	int error = fchmod(fd, mode) != 0 ? errno : write_all(fd, bytes, len);
	if (error == 0 && fsync(fd) != 0)
		error = errno;
	if (close(fd) != 0 && error == 0)
		error = errno;
	if (error != 0)
		status = FILE_NOT_WRITTEN;
	else
		status = move_into_place(tmp, path, replace, &error);
	if (status != FILE_OK) {
		unlink(tmp);
		if (status == FILE_EXISTS)
			snprintf(err, errlen, "a file of that name already exists");
		else
			snprintf(err, errlen, "%s", strerror(error));
		return status;
	}
	error = sync_parent_dir(path);
	if (error == 0)
		return FILE_OK;
	snprintf(err, errlen, "could not sync its folder: %s", strerror(error));
	return FILE_NOT_DURABLE;
}

bool file_read_all(const char *path, size_t max, char **text, size_t *len, char *err, size_t errlen)
{
	*text = NULL;
	*len = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0) {
		snprintf(err, errlen, "cannot open %s: %s", path, strerror(errno));
		return false;
	}
	struct stat st;
	char *data = NULL;
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		snprintf(err, errlen, "%s is not a regular file", path);
		goto fail;
	}
	data = malloc(max + 1);
	if (!data) {
		snprintf(err, errlen, "out of memory while reading %s", path);
		goto fail;
	}
	size_t n = 0;
	while (n <= max) {
		ssize_t r = read(fd, data + n, max + 1 - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			snprintf(err, errlen, "cannot read %s: %s", path, strerror(errno));
			goto fail;
		}
		if (r == 0)
			break;
		n += (size_t)r;
	}
	if (n > max) {
		snprintf(err, errlen, "%s is larger than it can be (%zu bytes at most)", path, max);
		goto fail;
	}
	close(fd);
	data[n] = '\0';
	*text = data;
	*len = n;
	return true;
fail:
	free(data);
	close(fd);
	return false;
}
