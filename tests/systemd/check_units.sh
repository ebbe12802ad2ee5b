#!/bin/sh
# Checks the shipped systemd units: `systemd-analyze verify` accepts them
# (with ExecStart pointed at the daemon just built), and `systemd-analyze
# security` rates the service's exposure at most MAX_EXPOSURE ("OK" or
# better). Usage: check_units.sh SOURCE_DIR DAEMON
set -eu
src=$1
daemon=$2
MAX_EXPOSURE=1.5
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

sed "s|/usr/sbin/rtwebhookd|$daemon|g" "$src/conf/systemd/rtwebhookd.service" \
	>"$work/rtwebhookd.service"
cp "$src/conf/systemd/rtwebhookd.socket" "$work/"
cd "$work"
systemd-analyze verify --man=no ./rtwebhookd.service ./rtwebhookd.socket

report=$(systemd-analyze security --offline=true ./rtwebhookd.service)
score=$(printf '%s\n' "$report" |
	sed -n 's/.*Overall exposure level for rtwebhookd.service: \([0-9.]*\).*/\1/p')
if [ -z "$score" ]; then
	echo "no exposure level in systemd-analyze security's report" >&2
	exit 1
fi
echo "exposure level: $score (at most $MAX_EXPOSURE wanted)"
awk -v s="$score" -v m="$MAX_EXPOSURE" 'BEGIN { exit !(s <= m) }'
