#!/bin/sh
# The `package` stage of `make test` (tests/package/run.py): builds, lints,
# installs, upgrades and purges the Debian packages on this machine. One stage
# at a time per machine: others' runs wait here for this lock.
cd "$(dirname "$0")/../.." || exit 1
flock -w 900 /run/lock/clinic-package-stage.lock python3 tests/package/run.py ||
	{
		status=$?
		[ "$status" -eq 1 ] && exit 1 # run.py printed its own line
		echo "package: 0 passed, 1 failed (the stage lock or python3 failed: $status)"
		exit 1
	}
