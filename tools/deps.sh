#!/bin/sh
# Makes sure the Debian packages the build, `make run` and `make test` need are
# installed: as root it installs what is missing, otherwise it prints the command.
set -eu
packages="build-essential pkg-config libfcgi-dev libsodium-dev libsqlite3-dev libcmark-dev
libcmocka-dev libseccomp-dev nginx apache2 libapache2-mod-fcgid openssl tidy python3 curl sqlite3 clang-format
chromium nodejs
clang libclang-rt-14-dev llvm valgrind
debhelper lintian systemd iproute2"
missing=""
for p in $packages; do
	status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
	case "$status" in
	"install ok installed") ;;
	*) missing="$missing $p" ;;
	esac
done
# npm may come with nodejs (NodeSource) rather than as Debian's own package.
command -v npm >/dev/null 2>&1 || missing="$missing npm"
[ -z "$missing" ] && exit 0
if [ "$(id -u)" -ne 0 ]; then
	echo "These Debian packages are missing:$missing" >&2
	echo "Install them with:  sudo apt-get install -y$missing" >&2
	exit 1
fi
echo "Installing Debian packages:$missing"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# Don't let the packages start system services of their own (port 80 etc.).
if [ ! -e /usr/sbin/policy-rc.d ]; then
	printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
	chmod +x /usr/sbin/policy-rc.d
	trap 'rm -f /usr/sbin/policy-rc.d' EXIT
fi
apt-get install -y -qq --no-install-recommends $missing >/dev/null
