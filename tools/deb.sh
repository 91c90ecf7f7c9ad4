#!/bin/sh
# `make deb`: builds the Debian packages (debian/) with dpkg-buildpackage from
# a copy of this tree, and leaves them in build/deb/:
#
#   build/deb/clinic-web_VERSION_ARCH.deb     the server: programs, site, units
#   build/deb/clinic-staff_VERSION_ARCH.deb   the staff tool alone
#   build/deb/*-dbgsym_VERSION_ARCH.deb       their debugging symbols
#   build/deb/clinic_VERSION_ARCH.changes     (and .buildinfo), for lintian
#   build/deb/clinic-VERSION/                 the copy it was built in
#
# A copy, because dpkg-buildpackage cleans its tree (`make clean`) first.
# DEB_BUILD_OPTIONS is passed on (nocheck skips the unit tests); JOBS sets -j.
set -eu
cd "$(dirname "$0")/.."
version=$(dpkg-parsechangelog -S Version)
out=build/deb
src=$out/clinic-$version
rm -rf "$out"
mkdir -p "$src"
if [ -e .git ]; then
	# What git tracks, and new files it does not ignore (a file deleted but
	# not yet committed is skipped).
	git ls-files -z --cached --others --exclude-standard |
		tar --null --ignore-failed-read -T - -cf - | tar -xf - -C "$src"
else
	tar --exclude=./build --exclude=./var --exclude=node_modules --exclude=./tests/artifacts \
		--exclude=./bench/results -cf - . | tar -xf - -C "$src"
fi
(cd "$src" && dpkg-buildpackage -us -uc -b -j"${JOBS:-auto}")
echo "make deb: the packages are in $out/:"
for deb in "$out"/*.deb; do
	echo "  $deb"
done
