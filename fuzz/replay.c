/*
 * replay: runs one fuzz target over saved inputs, without libFuzzer.
 *
 *   replay_NAME PATH...     (files, or folders whose files are all inputs)
 *
 * Each input runs in a child process of its own, so one crash, sanitizer
 * report, leak or hang (20 s) fails that input alone and the rest still run.
 * Prints each failing input and then "NAME: N passed, M failed"; exits 1 if
 * any failed. make test uses it to replay the seed corpora and the
 * regression inputs under AddressSanitizer and UndefinedBehaviorSanitizer.
 */
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fuzz.h"

#define MAX_INPUT_BYTES (16 * 1024 * 1024)
#define SECONDS_PER_INPUT 20

static unsigned passed, failed;

static uint8_t *read_input(const char *path, size_t *size)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	uint8_t *data = malloc(MAX_INPUT_BYTES);
	size_t n = data ? fread(data, 1, MAX_INPUT_BYTES, f) : 0;
	bool ok = data && !ferror(f) && fgetc(f) == EOF;
	fclose(f);
	if (!ok) {
		free(data);
		return NULL;
	}
	*size = n;
	return data;
}

/* Runs the target on one file in a child; true if the child exited 0. */
static bool replay_file(const char *path)
{
	size_t size = 0;
	uint8_t *data = read_input(path, &size);
	if (!data) {
		printf("  FAIL %s: cannot read it (%s)\n", path, strerror(errno));
		return false;
	}
	/* The exact size, so a read past the input is caught. */
	uint8_t *exact = malloc(size ? size : 1);
	if (!exact) {
		free(data);
		return false;
	}
	memcpy(exact, data, size);
	free(data);
	fflush(NULL);
	pid_t pid = fork();
	if (pid == 0) {
		alarm(SECONDS_PER_INPUT);
		LLVMFuzzerTestOneInput(exact, size);
		free(exact);
		exit(0); /* exit, not _exit: the leak checker runs at exit */
	}
	free(exact);
	if (pid < 0) {
		printf("  FAIL %s: cannot fork (%s)\n", path, strerror(errno));
		return false;
	}
	int status;
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return false;
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return true;
	if (WIFSIGNALED(status))
		printf("  FAIL %s: %s\n", path,
		       WTERMSIG(status) == SIGALRM ? "took too long" : strsignal(WTERMSIG(status)));
	else
		printf("  FAIL %s: exit status %d (a sanitizer report is above)\n", path,
		       WEXITSTATUS(status));
	return false;
}

static int by_name(const struct dirent **a, const struct dirent **b)
{
	return strcmp((*a)->d_name, (*b)->d_name);
}

static void replay_path(const char *path)
{
	struct stat st;
	if (stat(path, &st) != 0) {
		return; /* an empty corpus folder may simply not exist */
	}
	if (!S_ISDIR(st.st_mode)) {
		if (replay_file(path))
			passed++;
		else
			failed++;
		return;
	}
	struct dirent **entries;
	int n = scandir(path, &entries, NULL, by_name);
	if (n < 0) {
		printf("  FAIL %s: cannot list it (%s)\n", path, strerror(errno));
		failed++;
		return;
	}
	for (int i = 0; i < n; i++) {
		if (entries[i]->d_name[0] != '.') {
			char child[4096];
			snprintf(child, sizeof child, "%s/%s", path, entries[i]->d_name);
			struct stat cst;
			if (stat(child, &cst) == 0 && S_ISREG(cst.st_mode)) {
				if (replay_file(child))
					passed++;
				else
					failed++;
			}
		}
		free(entries[i]);
	}
	free(entries);
}

int main(int argc, char **argv)
{
	const char *name = strrchr(argv[0], '/') ? strrchr(argv[0], '/') + 1 : argv[0];
	if (strncmp(name, "replay_", 7) == 0)
		name += 7;
	if (argc < 2) {
		fprintf(stderr, "usage: %s FILE-OR-FOLDER...\n", argv[0]);
		return 2;
	}
	for (int i = 1; i < argc; i++)
		replay_path(argv[i]);
	printf("  %-28s %3u passed, %u failed\n", name, passed, failed);
	return failed ? 1 : 0;
}
