#!/bin/sh
# Installs the Debian package `make deb` built on this machine and checks
# what an operator gets: the system user and directories the maintainer
# scripts make, the conffile, the units enabled, the shipped configuration
# passing `rtwebhookd -t` once credentials exist, and the installed daemon
# serving a test event through an installed module found by name. Then
# purges the package. Root only, and it changes the machine: CI runs it
# (make deb-check); `make test` does not.
# Usage: check_deb.sh BUILD_DIR
set -eu
build=$1
src=$(cd "$(dirname "$0")/../.." && pwd)
deb=$(find "$build" -maxdepth 1 -name 'rtwebhookd_*.deb' | sort | head -1)
fail() {
	echo "check_deb.sh: $*" >&2
	exit 1
}
[ "$(id -u)" -eq 0 ] || fail "run as root"
if dpkg -s rtwebhookd >/dev/null 2>&1; then
	fail "rtwebhookd is installed on this machine already; not touching it"
fi
work=$(mktemp -d)
pid=""
cleanup() {
	[ -n "$pid" ] && kill "$pid" 2>/dev/null
	dpkg --purge rtwebhookd >/dev/null 2>&1 || true
	rm -rf "$work"
}
trap cleanup EXIT

dpkg -i "$deb" >"$work/dpkg.log" 2>&1 || { cat "$work/dpkg.log"; fail "dpkg -i failed"; }

# What postinst made.
getent passwd rtwebhookd >/dev/null || fail "no rtwebhookd user"
[ "$(stat -c %a /etc/rtwebhookd/credentials)" = 700 ] ||
	fail "/etc/rtwebhookd/credentials is not 0700"
dpkg-query -W -f='${Conffiles}\n' rtwebhookd |
	grep -q /etc/rtwebhookd/rtwebhookd.conf || fail "no conffile"
[ -e /etc/systemd/system/sockets.target.wants/rtwebhookd.socket ] ||
	fail "rtwebhookd.socket not enabled"
[ -e /etc/systemd/system/multi-user.target.wants/rtwebhookd.service ] ||
	fail "rtwebhookd.service not enabled"
[ -x /usr/sbin/rtwebhookd ] || fail "/usr/sbin/rtwebhookd missing"
[ -x /usr/bin/rtw-send ] || fail "/usr/bin/rtw-send missing"
[ -s /usr/share/doc/rtwebhookd/copyright ] || fail "no copyright file"
version=$(dpkg-query -W -f='${Version}' rtwebhookd)
zcat /usr/share/doc/rtwebhookd/changelog.gz | head -1 |
	grep -qF "rtwebhookd ($version)" ||
	fail "no changelog, or its first entry is not version $version"
man -w rtwebhookd | grep -q 'man8/rtwebhookd.8.gz$' ||
	fail "man rtwebhookd does not find the compressed page"

# The shipped configuration, with the credentials systemd would pass.
mkdir -p "$work/creds"
echo "deb-check-token-0123456789" >"$work/creds/recall-token"
echo "whsec_dGVzdC1yZWNhbGwtc2VjcmV0" >"$work/creds/recall-signing-secret"
(cd "$work" && CREDENTIALS_DIRECTORY="$work/creds" \
	/usr/sbin/rtwebhookd -t -c /etc/rtwebhookd/rtwebhookd.conf) ||
	fail "the shipped configuration does not pass -t"

# The installed daemon serves, with an installed module found by name.
cat >"$work/check.conf" <<CONF
listen = { address = "127.0.0.1"; port = 0; };
spool = { dir = "$work/spool"; };
endpoints = ( { path = "/recall/events"; tokens = ["deb-check-token"]; } );
handlers = ( { name = "archive"; module = "jsonl";
               config = { path = "$work/events.jsonl"; }; } );
CONF
chmod 600 "$work/check.conf"
/usr/sbin/rtwebhookd -c "$work/check.conf" >"$work/daemon.log" 2>&1 &
pid=$!
port=""
for _ in $(seq 100); do
	port=$(sed -n 's/.*listening on 127.0.0.1 port \([0-9]*\).*/\1/p' \
		"$work/daemon.log" | head -1)
	[ -n "$port" ] && break
	sleep 0.1
done
[ -n "$port" ] || { cat "$work/daemon.log"; fail "the daemon did not start"; }
status=$(curl -s -o /dev/null -w '%{http_code}' \
	-H 'Content-Type: application/json' \
	--data-binary @"$src/tests/fixtures/events/join.json" \
	"http://127.0.0.1:$port/recall/events?token=deb-check-token")
[ "$status" = 200 ] || fail "POST answered $status"
for _ in $(seq 50); do
	[ -s "$work/events.jsonl" ] && break
	sleep 0.1
done
[ "$(wc -l <"$work/events.jsonl")" = 1 ] || fail "the event did not arrive"
kill "$pid"
wait "$pid" 2>/dev/null || true
pid=""

dpkg --purge rtwebhookd >/dev/null
[ ! -e /usr/sbin/rtwebhookd ] || fail "purge left /usr/sbin/rtwebhookd"
[ ! -e /etc/rtwebhookd/rtwebhookd.conf ] || fail "purge left the conffile"
echo "check_deb.sh: $(basename "$deb") installs, serves and purges"
