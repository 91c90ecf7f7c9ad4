#include "sandbox.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <seccomp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>

/* Denied in every profile. Names rather than numbers: a call this
 * architecture does not have is skipped, not an error. */
static const char *const never_needed[] = {
    /* running programs */
    "execve", "execveat",
    /* new sockets; accept4 on the listening socket stays allowed */
    "socket", "socketpair",
    /* new processes (clone is checked separately: threads stay allowed) */
    "fork", "vfork",
    /* reaching into other processes */
    "ptrace", "process_vm_readv", "process_vm_writev", "kcmp", "pidfd_getfd",
    /* mounts and namespaces */
    "mount", "umount2", "pivot_root", "chroot", "move_mount", "open_tree", "fsopen", "fsmount",
    "fsconfig", "fspick", "mount_setattr", "unshare", "setns",
    /* the kernel itself */
    "init_module", "finit_module", "delete_module", "kexec_load", "kexec_file_load", "reboot",
    "swapon", "swapoff", "acct", "bpf", "perf_event_open", "userfaultfd", "syslog", "iopl",
    "ioperm", "quotactl", "settimeofday", "clock_settime", "clock_adjtime", "adjtimex",
    "sethostname", "setdomainname",
    /* io_uring performs opens and sends that no seccomp filter sees */
    "io_uring_setup", "io_uring_enter", "io_uring_register",
    /* keyrings and raw file handles */
    "keyctl", "add_key", "request_key", "open_by_handle_at", "name_to_handle_at"};

/* Denied to the read-only profile: every way to change a file by name or by
 * a descriptor it could newly obtain. */
static const char *const changes_files[] = {
    "creat",     "truncate",  "ftruncate",   "fallocate",    "unlink",      "unlinkat",
    "rmdir",     "rename",    "renameat",    "renameat2",    "mkdir",       "mkdirat",
    "mknod",     "mknodat",   "link",        "linkat",       "symlink",     "symlinkat",
    "chmod",     "fchmod",    "fchmodat",    "chown",        "fchown",      "fchownat",
    "lchown",    "utime",     "utimes",      "utimensat",    "futimesat",   "setxattr",
    "lsetxattr", "fsetxattr", "removexattr", "lremovexattr", "fremovexattr"};

/* Any one of these bits in open's flags means the file may change. */
static const uint64_t write_flags[] = {O_WRONLY, O_RDWR, O_CREAT, O_TRUNC, O_APPEND};

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

const char *sandbox_profile_name(enum sandbox_profile profile)
{
	switch (profile) {
	case SANDBOX_NONE:
		return "none";
	case SANDBOX_PAGES:
		return "pages";
	case SANDBOX_CONTACT:
		return "contact";
	}
	return "unknown";
}

/* Adds a rule applying action to the call name; a call this architecture lacks is skipped.
 * False with why in err. */
static bool deny(scmp_filter_ctx ctx, uint32_t action, const char *name, char *err, size_t errlen)
{
	int nr = seccomp_syscall_resolve_name(name);
	if (nr == __NR_SCMP_ERROR)
		return true; /* not a call on this architecture */
	int rc = seccomp_rule_add(ctx, action, nr, 0);
	if (rc < 0) {
		snprintf(err, errlen, "cannot add a seccomp rule for %s: %s", name, strerror(-rc));
		return false;
	}
	return true;
}

/* deny() for each of count names. */
static bool deny_list(scmp_filter_ctx ctx, uint32_t action, const char *const *names, size_t count,
                      char *err, size_t errlen)
{
	for (size_t i = 0; i < count; i++)
		if (!deny(ctx, action, names[i], err, errlen))
			return false;
	return true;
}

/* Kills open(path, flags) and openat(dir, path, flags) whenever flags carry
 * a bit that lets the file change. Rules for one call are alternatives. */
static bool deny_writable_opens(scmp_filter_ctx ctx, uint32_t action, char *err, size_t errlen)
{
	struct {
		const char *name;
		unsigned flags_arg;
	} opens[] = {{"open", 1}, {"openat", 2}};
	for (size_t i = 0; i < COUNT(opens); i++) {
		int nr = seccomp_syscall_resolve_name(opens[i].name);
		if (nr == __NR_SCMP_ERROR)
			continue;
		for (size_t b = 0; b < COUNT(write_flags); b++) {
			struct scmp_arg_cmp has_bit = {.arg = opens[i].flags_arg,
			                               .op = SCMP_CMP_MASKED_EQ,
			                               .datum_a = write_flags[b],
			                               .datum_b = write_flags[b]};
			int rc = seccomp_rule_add_array(ctx, action, nr, 1, &has_bit);
			if (rc < 0) {
				snprintf(err, errlen, "cannot add a seccomp rule for %s: %s",
				         opens[i].name, strerror(-rc));
				return false;
			}
		}
	}
	return true;
}

/* Adds profile's rules to ctx, each killing with kill; false with why in err. */
static bool build_filter(scmp_filter_ctx ctx, enum sandbox_profile profile, uint32_t kill,
                         char *err, size_t errlen)
{
	int rc;
	/* A call made through another ABI (int 0x80 on x86-64) would dodge
	 * every rule below. */
	if ((rc = seccomp_attr_set(ctx, SCMP_FLTATR_ACT_BADARCH, kill)) < 0 ||
	    (rc = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_NNP, 1)) < 0 ||
	    (rc = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_TSYNC, 1)) < 0) {
		snprintf(err, errlen, "cannot configure the seccomp filter: %s", strerror(-rc));
		return false;
	}
	if (!deny_list(ctx, kill, never_needed, COUNT(never_needed), err, errlen))
		return false;
	int clone_nr = seccomp_syscall_resolve_name("clone");
	if (clone_nr != __NR_SCMP_ERROR) {
		struct scmp_arg_cmp not_a_thread = {
		    .arg = 0, .op = SCMP_CMP_MASKED_EQ, .datum_a = CLONE_THREAD, .datum_b = 0};
		if ((rc = seccomp_rule_add_array(ctx, kill, clone_nr, 1, &not_a_thread)) < 0) {
			snprintf(err, errlen, "cannot add a seccomp rule for clone: %s",
			         strerror(-rc));
			return false;
		}
	}
	if (!deny(ctx, SCMP_ACT_ERRNO(ENOSYS), "clone3", err, errlen))
		return false;
	if (profile == SANDBOX_PAGES) {
		if (!deny_list(ctx, kill, changes_files, COUNT(changes_files), err, errlen) ||
		    !deny_writable_opens(ctx, kill, err, errlen) ||
		    !deny(ctx, SCMP_ACT_ERRNO(ENOSYS), "openat2", err, errlen))
			return false;
	}
	return true;
}

bool sandbox_enter(enum sandbox_profile profile, char *err, size_t errlen)
{
	if (profile == SANDBOX_NONE)
		return true;
	if (profile != SANDBOX_PAGES && profile != SANDBOX_CONTACT) {
		snprintf(err, errlen, "unknown sandbox profile %d", (int)profile);
		return false;
	}
	/* No core file may keep a request's plaintext, nor may another process
	 * of the same user attach to read it. */
	struct rlimit no_core = {0, 0};
	if (setrlimit(RLIMIT_CORE, &no_core) != 0 || prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0) {
		snprintf(err, errlen, "cannot make the worker non-dumpable: %s", strerror(errno));
		return false;
	}
	/* SECCOMP_RET_KILL_PROCESS needs Linux 4.14 (API level 3); before that
	 * only the calling thread could be killed, which for a single-threaded
	 * worker comes to the same. */
	uint32_t kill = seccomp_api_get() >= 3 ? SCMP_ACT_KILL_PROCESS : SCMP_ACT_KILL;
	scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);
	if (!ctx) {
		snprintf(err, errlen, "cannot start a seccomp filter (out of memory)");
		return false;
	}
	bool ok = build_filter(ctx, profile, kill, err, errlen);
	if (ok) {
		int rc = seccomp_load(ctx);
		if (rc < 0) {
			snprintf(err, errlen, "the kernel refused the %s seccomp filter: %s",
			         sandbox_profile_name(profile), strerror(-rc));
			ok = false;
		}
	}
	seccomp_release(ctx);
	return ok;
}
