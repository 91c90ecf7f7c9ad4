#!/bin/sh
# `make install`: lays out the clinic's site under DESTDIR/PREFIX the way the
# shipped nginx, Apache and systemd files expect (they name /usr/local; with
# another PREFIX the installed copies name that instead).
#
#   PREFIX/libexec/clinic/   pages.fcgi, contact.fcgi, build-content
#   PREFIX/bin/enquiries     the staff tool (purge and notify run here too)
#   PREFIX/share/clinic/     htdocs/, site/ (content and templates), nginx/, apache/
#   PREFIX/lib/systemd/system, PREFIX/lib/sysusers.d, PREFIX/lib/tmpfiles.d
#   /etc/clinic/site.conf    written once, never overwritten
#   /var/lib/clinic/content/content.db   compiled from site/ on every install
#
# Run as root with no DESTDIR on the server itself, it also creates the two
# system users and the folders (systemd-sysusers, systemd-tmpfiles) and a
# form-token key. It never makes or copies the staff's secret key.
set -eu
cd "$(dirname "$0")/.."
PREFIX=${PREFIX:-/usr/local}
DESTDIR=${DESTDIR:-}
case "$PREFIX" in
/*) ;;
*)
	echo "install: PREFIX must be an absolute path, not '$PREFIX'" >&2
	exit 1
	;;
esac
for f in cgi-bin/pages.fcgi cgi-bin/contact.fcgi tools/enquiries tools/build-content; do
	if [ ! -x "$f" ]; then
		echo "install: $f has not been built; run make first" >&2
		exit 1
	fi
done

root=$DESTDIR
libexec=$root$PREFIX/libexec/clinic
share=$root$PREFIX/share/clinic
unitdir=$root$PREFIX/lib/systemd/system
etc=$root/etc/clinic
content=$root/var/lib/clinic/content
enquiries=$root/var/lib/clinic/enquiries

# Copies a text file, pointing /usr/local at PREFIX.
place() { # mode source destination
	sed "s#/usr/local\([/)]\)#$PREFIX\1#g" "$2" >"$3.tmp"
	chmod "$1" "$3.tmp"
	mv "$3.tmp" "$3"
}

mkdir -p "$libexec" "$root$PREFIX/bin" "$root$PREFIX/share/man/man1" "$share/nginx" \
	"$share/apache" "$unitdir" "$root$PREFIX/lib/sysusers.d" "$root$PREFIX/lib/tmpfiles.d" \
	"$etc" "$content" "$enquiries"

install -m 0755 cgi-bin/pages.fcgi cgi-bin/contact.fcgi tools/build-content "$libexec/"
install -m 0755 tools/enquiries "$root$PREFIX/bin/enquiries"
install -m 0644 staff/enquiries.1 "$root$PREFIX/share/man/man1/enquiries.1"

# Static files and the content sources: replaced whole, so nothing stale stays.
rm -rf "$share/htdocs" "$share/site"
cp -R htdocs "$share/htdocs"
cp -R site "$share/site"
find "$share/htdocs" "$share/site" -type d -exec chmod 0755 {} +
find "$share/htdocs" "$share/site" -type f -exec chmod 0644 {} +

for f in deploy/nginx/*.conf; do
	place 0644 "$f" "$share/nginx/$(basename "$f")"
done
for f in deploy/apache/*.conf; do
	place 0644 "$f" "$share/apache/$(basename "$f")"
done
for f in deploy/systemd/*.service deploy/systemd/*.socket deploy/systemd/*.timer; do
	place 0644 "$f" "$unitdir/$(basename "$f")"
done
place 0644 deploy/systemd/clinic.sysusers "$root$PREFIX/lib/sysusers.d/clinic.conf"
place 0644 deploy/systemd/clinic.tmpfiles "$root$PREFIX/lib/tmpfiles.d/clinic.conf"

if [ ! -e "$etc/site.conf" ]; then
	cat >"$etc/site.conf.tmp" <<'EOF'
# The clinic's site, read by pages.fcgi, contact.fcgi and the enquiries tool.
# Written once by `make install`; yours to edit (unknown settings are errors).
content_db = /var/lib/clinic/content/content.db
enquiry_db = /var/lib/clinic/enquiries/enquiries.db
# The staff public key (from `enquiries init` on a staff computer) and the
# form-token key. The staff secret key never comes to this server.
public_key = /etc/clinic/staff.pub
secret_key =
token_key = /etc/clinic/token.key
# A team instead (README, "Staff keys: a team"): the signed team file the
# practice lead publishes, and the team key's public half (64 hex digits,
# from `enquiries team init`) it must be signed with. With team_file set,
# every enquiry is sealed to the team and public_key is not used.
team_file =
team_admin_key =
# Empty: the programs inherit their sockets from systemd
# (clinic-pages.socket, clinic-contact.socket) or from mod_fcgid.
pages_listen =
contact_listen =
# Empty: standard error, which systemd keeps in the journal.
log_file =
# Workers of pages.fcgi and of contact.fcgi. contact's spend most of a post
# waiting for the disk; with more of them one commit (one fsync) carries
# several posts.
workers = 2
contact_workers = 12
max_body = 32768
token_min_age = 3
token_max_age = 14400
rate_limit_posts = 5
rate_limit_window = 3600
# The address visitors use: posts from anywhere else are refused.
site_origin = https://clinic.example
clinic_name = The Clinic
clinic_phone = 020 7946 0000
clinic_email = enquiries@clinic.example
retention_days = 90
notify_to = staff@clinic.example
sendmail = /usr/sbin/sendmail
# What search engines, link previews and the privacy notice (/privacy) say.
# The language of the pages (<html lang>, og:locale).
site_language = en-GB
# The clinic's address and opening hours: shown in every page's footer and
# given to search engines on the home page.
clinic_street_address =
clinic_locality =
clinic_postcode =
clinic_country = GB
# Days and times, e.g. "Mo-Fr 09:00-17:00, Sa 10:00-13:00"; empty: not stated.
opening_hours =
# Who holds the enquiries in law (empty: clinic_name), where data protection
# requests go (empty: clinic_email) and the ICO registration number. The
# privacy notice states all three: fill them in before going live.
data_controller =
privacy_contact =
ico_registration =
# /.well-known/security.txt: whom to tell about a vulnerability (a mailto:
# or https: address; empty: clinic_email).
security_contact =
EOF
	chmod 0644 "$etc/site.conf.tmp"
	mv "$etc/site.conf.tmp" "$etc/site.conf"
fi

# The content database: built beside the old one and renamed over it, so a
# running pages.fcgi switches to it on its next request.
tools/build-content "$share/site" "$content/content.db" >/dev/null
chmod 0644 "$content/content.db"

if [ -z "$DESTDIR" ] && [ "$(id -u)" -eq 0 ]; then
	if command -v systemd-sysusers >/dev/null; then
		systemd-sysusers "$PREFIX/lib/sysusers.d/clinic.conf"
	fi
	if command -v systemd-tmpfiles >/dev/null; then
		systemd-tmpfiles --create "$PREFIX/lib/tmpfiles.d/clinic.conf"
	fi
	if [ ! -e /etc/clinic/token.key ] && getent group clinic-contact >/dev/null; then
		umask 077
		od -An -tx1 -N32 /dev/urandom | tr -d ' \n' >/etc/clinic/token.key.tmp
		echo >>/etc/clinic/token.key.tmp
		chgrp clinic-contact /etc/clinic/token.key.tmp
		chmod 0640 /etc/clinic/token.key.tmp
		mv /etc/clinic/token.key.tmp /etc/clinic/token.key
	fi
	if command -v systemctl >/dev/null && [ -d /run/systemd/system ]; then
		systemctl daemon-reload
	fi
	echo "Installed under $PREFIX. Next: deploy/README.md, from \"The staff key\" on."
else
	echo "Installed under $root$PREFIX (and $root/etc/clinic, $root/var/lib/clinic)."
fi
