/*
 * For the Valgrind pass of `make test` only (build/valgrind/, never
 * installed): Valgrind does not implement the seccomp system call, and a
 * worker that cannot enter its sandbox refuses to serve, so the programs run
 * under Valgrind are linked with this in place of lib/sandbox.c. The sandbox
 * itself is tested by tests/unit/test_sandbox.c and by the integration suites
 * run on the normal and the ASan builds.
 */
#include "sandbox.h"

bool sandbox_enter(enum sandbox_profile profile, char *err, size_t errlen)
{
	(void)profile;
	(void)err;
	(void)errlen;
	return true;
}

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
