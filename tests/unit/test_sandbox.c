/* sandbox: each check runs in a child that enters a profile and then tries
 * something; forbidden calls must end the child with SIGSYS and leave no
 * trace, allowed ones (reading, accepting connections, threads, SQLite in
 * WAL mode for contact) must keep working. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "sandbox.h"

#define ORIGINAL "the original text\n"

static char dir[64];
static char file[128];    /* holds ORIGINAL; every write attempt must leave it so */
static char db_path[128]; /* a small SQLite database made before any sandbox */
static struct stat file_before;

static int make_fixture(void **state)
{
	(void)state;
	snprintf(dir, sizeof dir, "/tmp/test_sandbox.XXXXXX");
	if (!mkdtemp(dir))
		return -1;
	snprintf(file, sizeof file, "%s/file.txt", dir);
	snprintf(db_path, sizeof db_path, "%s/content.db", dir);
	FILE *f = fopen(file, "w");
	if (!f || fputs(ORIGINAL, f) < 0 || fclose(f) != 0 || stat(file, &file_before) != 0)
		return -1;
	sqlite3 *db;
	if (sqlite3_open(db_path, &db) != SQLITE_OK ||
	    sqlite3_exec(db, "CREATE TABLE pages(path TEXT); INSERT INTO pages VALUES('/faq');",
	                 NULL, NULL, NULL) != SQLITE_OK)
		return -1;
	return sqlite3_close(db) == SQLITE_OK ? 0 : -1;
}

static int remove_fixture(void **state)
{
	(void)state;
	char command[128];
	snprintf(command, sizeof command, "rm -rf '%s'", dir);
	return system(command) == 0 ? 0 : -1;
}

/* Forks; the child enters profile, runs fn and exits with what fn returns
 * (0: everything allowed worked). Returns the child's wait status. */
static int run_confined(enum sandbox_profile profile, int (*fn)(void))
{
	fflush(NULL);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		char err[256];
		if (!sandbox_enter(profile, err, sizeof err)) {
			fprintf(stderr, "sandbox_enter: %s\n", err);
			_exit(90);
		}
		_exit(fn());
	}
	int status;
	assert_int_equal(waitpid(pid, &status, 0), pid);
	return status;
}

static void assert_killed(int status, const char *what)
{
	if (!WIFSIGNALED(status) || WTERMSIG(status) != SIGSYS)
		fail_msg("%s: expected death by SIGSYS, got %s %d", what,
		         WIFSIGNALED(status) ? "signal" : "exit status",
		         WIFSIGNALED(status) ? WTERMSIG(status) : WEXITSTATUS(status));
}

static void assert_survived(int status, const char *what)
{
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		fail_msg("%s: expected exit 0, got %s %d", what,
		         WIFSIGNALED(status) ? "signal" : "exit status",
		         WIFSIGNALED(status) ? WTERMSIG(status) : WEXITSTATUS(status));
}

static void assert_file_untouched(void)
{
	char text[64] = {0};
	FILE *f = fopen(file, "r");
	assert_non_null(f);
	size_t n = fread(text, 1, sizeof text - 1, f);
	fclose(f);
	assert_int_equal(n, strlen(ORIGINAL));
	assert_string_equal(text, ORIGINAL);
	struct stat st;
	assert_int_equal(stat(file, &st), 0);
	assert_int_equal(st.st_mode, file_before.st_mode);
	assert_int_equal(st.st_nlink, 1);
	assert_int_equal(st.st_mtim.tv_sec, file_before.st_mtim.tv_sec);
	assert_int_equal(st.st_mtim.tv_nsec, file_before.st_mtim.tv_nsec);
}

static bool exists_in_dir(const char *name)
{
	char path[192];
	snprintf(path, sizeof path, "%s/%s", dir, name);
	struct stat st;
	return lstat(path, &st) == 0;
}

/* --- what every profile forbids ----------------------------------------- */

static int try_execve(void)
{
	char *argv[] = {"true", NULL};
	char *envp[] = {NULL};
	execve("/bin/true", argv, envp);
	return 1;
}

static int try_execveat(void)
{
	char *argv[] = {"true", NULL};
	char *envp[] = {NULL};
	syscall(SYS_execveat, AT_FDCWD, "/bin/true", argv, envp, 0);
	return 1;
}

static int try_system(void)
{
	return system("true") == 0 ? 1 : 2;
}

static int try_popen(void)
{
	FILE *p = popen("echo hello", "r");
	if (p)
		pclose(p);
	return 1;
}

static int try_unix_socket(void)
{
	return socket(AF_UNIX, SOCK_STREAM, 0) >= 0 ? 1 : 2;
}

static int try_inet_socket(void)
{
	return socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0) >= 0 ? 1 : 2;
}

static int try_socketpair(void)
{
	int sv[2];
	return socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0 ? 1 : 2;
}

static int try_fork(void)
{
	pid_t pid = fork();
	if (pid == 0)
		_exit(0);
	return 1;
}

static int try_ptrace_attach(void)
{
	syscall(SYS_ptrace, 16 /* PTRACE_ATTACH */, getppid(), 0, 0);
	return 1;
}

static int try_unshare(void)
{
	syscall(SYS_unshare, 0);
	return 1;
}

static int try_io_uring(void)
{
	syscall(SYS_io_uring_setup, 1, NULL);
	return 1;
}

static void every_profile_forbids_programs_sockets_and_processes(void **state)
{
	(void)state;
	static const struct {
		const char *what;
		int (*fn)(void);
	} forbidden[] = {
	    {"execve", try_execve},
	    {"execveat", try_execveat},
	    {"system()", try_system},
	    {"popen()", try_popen},
	    {"socket(AF_UNIX)", try_unix_socket},
	    {"socket(AF_INET)", try_inet_socket},
	    {"socketpair", try_socketpair},
	    {"fork", try_fork},
	    {"ptrace", try_ptrace_attach},
	    {"unshare", try_unshare},
	    {"io_uring_setup", try_io_uring},
	};
	const enum sandbox_profile profiles[] = {SANDBOX_PAGES, SANDBOX_CONTACT};
	for (size_t p = 0; p < 2; p++)
		for (size_t i = 0; i < sizeof forbidden / sizeof forbidden[0]; i++) {
			char what[96];
			snprintf(what, sizeof what, "%s in %s", forbidden[i].what,
			         sandbox_profile_name(profiles[p]));
			assert_killed(run_confined(profiles[p], forbidden[i].fn), what);
		}
}

static void sigsys_handler(int sig)
{
	(void)sig;
	_exit(3);
}

static int try_execve_with_a_handler(void)
{
	struct sigaction sa = {.sa_handler = sigsys_handler};
	sigemptyset(&sa.sa_mask);
	sigaction(SIGSYS, &sa, NULL);
	return try_execve();
}

static void *socket_in_thread(void *arg)
{
	(void)arg;
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);
	return fd >= 0 ? (void *)1 : (void *)2;
}

static int try_socket_from_a_thread(void)
{
	pthread_t t;
	if (pthread_create(&t, NULL, socket_in_thread, NULL) != 0)
		return 4;
	void *result;
	pthread_join(t, &result);
	pause(); /* only the whole process dying ends this */
	return 5;
}

static void a_violation_cannot_be_caught_and_kills_every_thread(void **state)
{
	(void)state;
	assert_killed(run_confined(SANDBOX_CONTACT, try_execve_with_a_handler), "with a handler");
	assert_killed(run_confined(SANDBOX_PAGES, try_socket_from_a_thread), "from a thread");
}

/* --- what every profile still allows ------------------------------------ */

static volatile int thread_ran;

static void *set_flag(void *arg)
{
	(void)arg;
	thread_ran = 1;
	return NULL;
}

static int threads_and_calls_hidden_from_the_filter(void)
{
	pthread_t t;
	if (pthread_create(&t, NULL, set_flag, NULL) != 0 || pthread_join(t, NULL) != 0 ||
	    !thread_ran)
		return 10;
	/* clone3 hides its flags from the filter, so it claims not to exist. */
	errno = 0;
	if (syscall(SYS_clone3, NULL, 0) != -1 || errno != ENOSYS)
		return 11;
	return 0;
}

static void threads_still_work(void **state)
{
	(void)state;
	assert_survived(run_confined(SANDBOX_PAGES, threads_and_calls_hidden_from_the_filter),
	                "threads in pages");
	assert_survived(run_confined(SANDBOX_CONTACT, threads_and_calls_hidden_from_the_filter),
	                "threads in contact");
}

static int listen_fd = -1;

/* What a worker does: wait in ppoll, accept, read, answer, close. */
static int serve_one_connection(void)
{
	struct pollfd pfd = {.fd = listen_fd, .events = POLLIN};
	sigset_t none;
	sigemptyset(&none);
	struct timespec limit = {10, 0};
	if (ppoll(&pfd, 1, &limit, &none) != 1)
		return 20;
	int fd = accept4(listen_fd, NULL, NULL, SOCK_CLOEXEC);
	if (fd < 0)
		return 21;
	char in[8] = {0};
	if (read(fd, in, 4) != 4 || memcmp(in, "ping", 4) != 0)
		return 22;
	if (write(fd, "pong", 4) != 4 || shutdown(fd, SHUT_WR) != 0 || close(fd) != 0)
		return 23;
	return 0;
}

static void accepted_connections_still_work(void **state)
{
	(void)state;
	const enum sandbox_profile profiles[] = {SANDBOX_PAGES, SANDBOX_CONTACT};
	for (size_t p = 0; p < 2; p++) {
		struct sockaddr_un addr = {.sun_family = AF_UNIX};
		snprintf(addr.sun_path, sizeof addr.sun_path, "%s/listen.sock", dir);
		unlink(addr.sun_path);
		listen_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		assert_true(listen_fd >= 0);
		assert_int_equal(bind(listen_fd, (struct sockaddr *)&addr, sizeof addr), 0);
		assert_int_equal(listen(listen_fd, 4), 0);
		fflush(NULL);
		pid_t pid = fork();
		assert_true(pid >= 0);
		if (pid == 0) {
			char err[256];
			_exit(sandbox_enter(profiles[p], err, sizeof err) ? serve_one_connection()
			                                                  : 90);
		}
		int client = socket(AF_UNIX, SOCK_STREAM, 0);
		assert_int_equal(connect(client, (struct sockaddr *)&addr, sizeof addr), 0);
		assert_int_equal(write(client, "ping", 4), 4);
		char answer[8] = {0};
		assert_int_equal(read(client, answer, sizeof answer), 4);
		assert_memory_equal(answer, "pong", 4);
		close(client);
		int status;
		assert_int_equal(waitpid(pid, &status, 0), pid);
		assert_survived(status, sandbox_profile_name(profiles[p]));
		close(listen_fd);
		unlink(addr.sun_path);
	}
}

static int report_confinement(void)
{
	if (prctl(PR_GET_DUMPABLE, 0, 0, 0, 0) != 0)
		return 30;
	struct rlimit core;
	if (getrlimit(RLIMIT_CORE, &core) != 0 || core.rlim_cur != 0 || core.rlim_max != 0)
		return 31;
	FILE *f = fopen("/proc/self/status", "r");
	if (!f)
		return 32;
	char line[256];
	bool filtered = false, no_new_privs = false;
	while (fgets(line, sizeof line, f)) {
		filtered |= strcmp(line, "Seccomp:\t2\n") == 0;
		no_new_privs |= strcmp(line, "NoNewPrivs:\t1\n") == 0;
	}
	fclose(f);
	return filtered ? no_new_privs ? 0 : 34 : 33;
}

static void a_confined_worker_is_filtered_and_leaves_no_core(void **state)
{
	(void)state;
	assert_survived(run_confined(SANDBOX_PAGES, report_confinement), "pages");
	assert_survived(run_confined(SANDBOX_CONTACT, report_confinement), "contact");
}

/* --- pages: no file may change ----------------------------------------- */

static int open_flags_under_test;

static int try_open(void)
{
	int fd = open(file, open_flags_under_test, 0644);
	return fd >= 0 ? 1 : 2;
}

static int try_openat(void)
{
	int fd = openat(AT_FDCWD, file, open_flags_under_test, 0644);
	return fd >= 0 ? 1 : 2;
}

static int try_open_syscall(void)
{
	/* The old open(2) call, which glibc no longer uses but an attacker could. */
	long fd = syscall(SYS_open, file, open_flags_under_test, 0644);
	return fd >= 0 ? 1 : 2;
}

static void pages_cannot_open_a_file_to_change_it(void **state)
{
	(void)state;
	const int flags[] = {O_WRONLY,
	                     O_RDWR,
	                     O_RDONLY | O_CREAT,
	                     O_RDONLY | O_TRUNC,
	                     O_RDONLY | O_APPEND,
	                     O_WRONLY | O_CLOEXEC,
	                     O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW,
	                     O_ACCMODE};
	int (*const ways[])(void) = {try_open, try_openat, try_open_syscall};
	for (size_t i = 0; i < sizeof flags / sizeof flags[0]; i++)
		for (size_t w = 0; w < 3; w++) {
			open_flags_under_test = flags[i];
			char what[64];
			snprintf(what, sizeof what, "open way %zu with flags %#o", w, flags[i]);
			assert_killed(run_confined(SANDBOX_PAGES, ways[w]), what);
			assert_file_untouched();
		}
}

static int try_fopen_w(void)
{
	return fopen(file, "w") ? 1 : 2;
}

static int try_fopen_a(void)
{
	return fopen(file, "a") ? 1 : 2;
}

static int try_fopen_r_plus(void)
{
	return fopen(file, "r+") ? 1 : 2;
}

static int try_creat(void)
{
	char path[192];
	snprintf(path, sizeof path, "%s/created", dir);
	return creat(path, 0644) >= 0 ? 1 : 2;
}

static int try_unlink(void)
{
	return unlink(file) == 0 ? 1 : 2;
}

static int try_rename(void)
{
	char path[192];
	snprintf(path, sizeof path, "%s/renamed", dir);
	return rename(file, path) == 0 ? 1 : 2;
}

static int try_mkdir(void)
{
	char path[192];
	snprintf(path, sizeof path, "%s/made", dir);
	return mkdir(path, 0755) == 0 ? 1 : 2;
}

static int try_link(void)
{
	char path[192];
	snprintf(path, sizeof path, "%s/linked", dir);
	return link(file, path) == 0 ? 1 : 2;
}

static int try_symlink(void)
{
	char path[192];
	snprintf(path, sizeof path, "%s/symlinked", dir);
	return symlink(file, path) == 0 ? 1 : 2;
}

static int try_truncate(void)
{
	return truncate(file, 0) == 0 ? 1 : 2;
}

static int inherited_fd = -1; /* opened O_RDWR before the sandbox */

static int try_ftruncate_inherited(void)
{
	return ftruncate(inherited_fd, 0) == 0 ? 1 : 2;
}

static int try_chmod(void)
{
	return chmod(file, 0600) == 0 ? 1 : 2;
}

static int try_utimes(void)
{
	return utimensat(AT_FDCWD, file, NULL, 0) == 0 ? 1 : 2;
}

static int try_setxattr(void)
{
	return setxattr(file, "user.probe", "x", 1, 0) == 0 ? 1 : 2;
}

static void pages_cannot_change_files_any_other_way(void **state)
{
	(void)state;
	inherited_fd = open(file, O_RDWR | O_CLOEXEC);
	assert_true(inherited_fd >= 0);
	static const struct {
		const char *what;
		int (*fn)(void);
	} forbidden[] = {
	    {"fopen w", try_fopen_w},
	    {"fopen a", try_fopen_a},
	    {"fopen r+", try_fopen_r_plus},
	    {"creat", try_creat},
	    {"unlink", try_unlink},
	    {"rename", try_rename},
	    {"mkdir", try_mkdir},
	    {"link", try_link},
	    {"symlink", try_symlink},
	    {"truncate", try_truncate},
	    {"ftruncate", try_ftruncate_inherited},
	    {"chmod", try_chmod},
	    {"utimensat", try_utimes},
	    {"setxattr", try_setxattr},
	};
	for (size_t i = 0; i < sizeof forbidden / sizeof forbidden[0]; i++) {
		assert_killed(run_confined(SANDBOX_PAGES, forbidden[i].fn), forbidden[i].what);
		assert_file_untouched();
	}
	close(inherited_fd);
	const char *never_made[] = {"created", "renamed", "made", "linked", "symlinked"};
	for (size_t i = 0; i < 5; i++)
		assert_false(exists_in_dir(never_made[i]));
}

static int log_fd = -1; /* like the log file: opened O_WRONLY|O_APPEND before */

static int read_everything_allowed(void)
{
	int fd = open(file, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	char text[64] = {0};
	if (fd < 0 || read(fd, text, sizeof text - 1) != (ssize_t)strlen(ORIGINAL))
		return 40;
	void *map = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE, fd, 0);
	if (map == MAP_FAILED || memcmp(map, ORIGINAL, strlen(ORIGINAL)) != 0)
		return 41;
	munmap(map, 4096);
	close(fd);
	DIR *d = opendir(dir);
	if (!d || !readdir(d))
		return 42;
	closedir(d);
	struct stat st;
	if (stat(db_path, &st) != 0)
		return 43;
	/* What pages.fcgi does with the content database. */
	char uri[192];
	snprintf(uri, sizeof uri, "file:%s?immutable=1", db_path);
	sqlite3 *db;
	sqlite3_stmt *q;
	if (sqlite3_open_v2(uri, &db, SQLITE_OPEN_READONLY | SQLITE_OPEN_URI, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(db, "SELECT path FROM pages", -1, &q, NULL) != SQLITE_OK ||
	    sqlite3_step(q) != SQLITE_ROW ||
	    strcmp((const char *)sqlite3_column_text(q, 0), "/faq"))
		return 44;
	sqlite3_finalize(q);
	sqlite3_close(db);
	if (write(log_fd, "confined line\n", 14) != 14)
		return 45;
	char random[16];
	if (getrandom(random, sizeof random, 0) != (ssize_t)sizeof random)
		return 46;
	/* openat2 hides its flags from the filter, so it claims not to exist. */
	errno = 0;
	if (syscall(SYS_openat2, AT_FDCWD, file, NULL, 0) != -1 || errno != ENOSYS)
		return 47;
	return 0;
}

static void pages_can_still_read_and_write_what_it_had_open(void **state)
{
	(void)state;
	char log_path[192];
	snprintf(log_path, sizeof log_path, "%s/log", dir);
	log_fd = open(log_path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
	assert_true(log_fd >= 0);
	assert_survived(run_confined(SANDBOX_PAGES, read_everything_allowed), "reading");
	close(log_fd);
	struct stat st;
	assert_int_equal(stat(log_path, &st), 0);
	assert_int_equal(st.st_size, 14);
}

/* --- contact: SQLite must keep working ---------------------------------- */

static int store_like_contact(void)
{
	char path[192];
	snprintf(path, sizeof path, "%s/enquiries.db", dir);
	sqlite3 *db;
	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL) !=
	    SQLITE_OK)
		return 50;
	const char *steps[] = {"PRAGMA journal_mode = WAL",
	                       "PRAGMA synchronous = FULL",
	                       "CREATE TABLE enquiries(id INTEGER PRIMARY KEY, sealed BLOB)",
	                       "BEGIN IMMEDIATE",
	                       "INSERT INTO enquiries(sealed) VALUES (randomblob(600))",
	                       "INSERT INTO enquiries(sealed) VALUES (randomblob(600))",
	                       "COMMIT",
	                       "DELETE FROM enquiries WHERE id = 1",
	                       "PRAGMA wal_checkpoint(TRUNCATE)"};
	for (size_t i = 0; i < sizeof steps / sizeof steps[0]; i++)
		if (sqlite3_exec(db, steps[i], NULL, NULL, NULL) != SQLITE_OK)
			return 51 + (int)i;
	if (sqlite3_close(db) != SQLITE_OK)
		return 70;
	/* A rollback-journal database creates and unlinks its journal. */
	snprintf(path, sizeof path, "%s/journal.db", dir);
	if (sqlite3_open(path, &db) != SQLITE_OK ||
	    sqlite3_exec(db, "CREATE TABLE t(x); INSERT INTO t VALUES (1);", NULL, NULL, NULL) !=
	        SQLITE_OK ||
	    sqlite3_close(db) != SQLITE_OK)
		return 71;
	char renamed[192];
	snprintf(renamed, sizeof renamed, "%s/journal-renamed.db", dir);
	if (rename(path, renamed) != 0 || unlink(renamed) != 0)
		return 72;
	return 0;
}

static void contact_can_keep_a_sqlite_database(void **state)
{
	(void)state;
	assert_survived(run_confined(SANDBOX_CONTACT, store_like_contact), "SQLite in contact");
	char path[192];
	snprintf(path, sizeof path, "%s/enquiries.db", dir);
	sqlite3 *db;
	sqlite3_stmt *q;
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db, "SELECT count(*) FROM enquiries", -1, &q, NULL),
	                 SQLITE_OK);
	assert_int_equal(sqlite3_step(q), SQLITE_ROW);
	assert_int_equal(sqlite3_column_int(q, 0), 1);
	sqlite3_finalize(q);
	sqlite3_close(db);
	assert_false(exists_in_dir("journal.db-journal"));
	/* The same work is forbidden to pages. */
	unlink(path);
	assert_killed(run_confined(SANDBOX_PAGES, store_like_contact), "SQLite writes in pages");
	assert_false(exists_in_dir("enquiries.db"));
}

/* --- profiles themselves ------------------------------------------------ */

static int enter_contact_then_write(void)
{
	char err[256];
	if (!sandbox_enter(SANDBOX_CONTACT, err, sizeof err))
		return 80;
	return try_fopen_w();
}

static void a_later_looser_profile_cannot_undo_a_stricter_one(void **state)
{
	(void)state;
	assert_killed(run_confined(SANDBOX_PAGES, enter_contact_then_write), "pages then contact");
	assert_file_untouched();
}

static int exec_unconfined(void)
{
	pid_t pid = fork();
	if (pid == 0) {
		try_execve();
		_exit(1);
	}
	int status;
	if (pid < 0 || waitpid(pid, &status, 0) != pid || !WIFEXITED(status) ||
	    WEXITSTATUS(status) != 0)
		return 60;
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);
	if (fd < 0)
		return 61;
	close(fd);
	return prctl(PR_GET_DUMPABLE, 0, 0, 0, 0) == 1 ? 0 : 62;
}

static void none_confines_nothing_and_unknown_profiles_are_refused(void **state)
{
	(void)state;
	assert_survived(run_confined(SANDBOX_NONE, exec_unconfined), "SANDBOX_NONE");
	char err[256] = "";
	assert_false(sandbox_enter((enum sandbox_profile)42, err, sizeof err));
	assert_non_null(strstr(err, "42"));
	assert_string_equal(sandbox_profile_name(SANDBOX_PAGES), "pages");
	assert_string_equal(sandbox_profile_name(SANDBOX_CONTACT), "contact");
	assert_string_equal(sandbox_profile_name(SANDBOX_NONE), "none");
	assert_string_equal(sandbox_profile_name((enum sandbox_profile)42), "unknown");
	/* Refusing an unknown profile installed nothing in this process. */
	assert_int_equal(prctl(PR_GET_DUMPABLE, 0, 0, 0, 0), 1);
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);
	assert_true(fd >= 0);
	close(fd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(every_profile_forbids_programs_sockets_and_processes),
	    cmocka_unit_test(a_violation_cannot_be_caught_and_kills_every_thread),
	    cmocka_unit_test(threads_still_work),
	    cmocka_unit_test(accepted_connections_still_work),
	    cmocka_unit_test(a_confined_worker_is_filtered_and_leaves_no_core),
	    cmocka_unit_test(pages_cannot_open_a_file_to_change_it),
	    cmocka_unit_test(pages_cannot_change_files_any_other_way),
	    cmocka_unit_test(pages_can_still_read_and_write_what_it_had_open),
	    cmocka_unit_test(contact_can_keep_a_sqlite_database),
	    cmocka_unit_test(a_later_looser_profile_cannot_undo_a_stricter_one),
	    cmocka_unit_test(none_confines_nothing_and_unknown_profiles_are_refused),
	};
	return cmocka_run_group_tests(tests, make_fixture, remove_fixture);
}
