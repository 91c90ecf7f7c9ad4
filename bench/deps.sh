#!/bin/sh
# `make bench` needs wrk (Debian's) and perf is optional (profiles); make test
# does not, so it is installed here and not by tools/deps.sh. As root this
# installs wrk if missing; otherwise it prints the command.
set -eu
status=$(dpkg-query -W -f='${Status}' wrk 2>/dev/null || true)
[ "$status" = "install ok installed" ] && exit 0
if [ "$(id -u)" -ne 0 ]; then
	echo "make bench needs wrk. Install it with:  sudo apt-get install -y wrk" >&2
	exit 1
fi
echo "Installing wrk for make bench"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends wrk >/dev/null
