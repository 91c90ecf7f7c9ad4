/*
 * sandbox: what a FastCGI worker may still ask of the kernel once it serves,
 * enforced by a seccomp filter (libseccomp).
 *
 * A worker enters its sandbox after it has opened what it needs and before
 * it accepts its first connection. The filter allows every system call
 * except the ones its profile names; a named call kills the whole process
 * with SIGSYS at once, which the supervising parent logs before starting
 * another worker. A deny list rather than an allow list keeps the filter
 * independent of how glibc, SQLite and libsodium happen to be built, while
 * still closing what an attacker who took over a worker would reach for.
 * The filter cannot be lifted and forbids gaining privileges (no_new_privs);
 * the process is also made non-dumpable, so a worker killed mid-request
 * leaves no core file holding what a visitor typed.
 *
 * Every profile forbids:
 *   - running programs: execve, execveat;
 *   - creating sockets: socket, socketpair (the inherited listening socket
 *     and the connections accepted from it keep working);
 *   - creating processes: fork, vfork, clone without CLONE_THREAD;
 *   - kernel interfaces a web worker never needs: ptrace, mount, namespaces,
 *     modules, bpf, io_uring, keyrings, setting the clock, and the like.
 * SANDBOX_PAGES also forbids changing any file: open/openat with O_WRONLY,
 * O_RDWR, O_CREAT, O_TRUNC or O_APPEND, and creat, truncate, unlink, rename,
 * mkdir, link, chmod, chown, utimes, xattrs and the like. Descriptors opened
 * before the sandbox (the log file) can still be written.
 * SANDBOX_CONTACT keeps file changes: SQLite needs them for the enquiry
 * database (open O_RDWR|O_CREAT, fsync, locks, shared memory, unlinking its
 * journal, truncating its WAL).
 *
 * Two calls take their arguments in a structure the filter cannot read:
 * clone3 (every profile) and openat2 (SANDBOX_PAGES) answer ENOSYS, so
 * callers fall back to clone and openat, which the filter can check.
 */
#ifndef CLINIC_SANDBOX_H
#define CLINIC_SANDBOX_H

#include <stdbool.h>
#include <stddef.h>

enum sandbox_profile {
	SANDBOX_NONE = 0, /* no filter: tools, tests, and the zero value of server_options */
	SANDBOX_PAGES,    /* read-only content pages */
	SANDBOX_CONTACT,  /* form posts stored in SQLite */
};

/* Confines the calling process (all of its threads) to profile for the rest
 * of its life. On failure writes a sentence into err and returns false; the
 * caller must then stop rather than serve unconfined. SANDBOX_NONE does
 * nothing and succeeds. */
bool sandbox_enter(enum sandbox_profile profile, char *err, size_t errlen);

/* "none", "pages", "contact", or "unknown": for log lines. */
const char *sandbox_profile_name(enum sandbox_profile profile);

#endif
