#!/bin/sh
# Installs the build into a scratch root (cmake --install, DESTDIR),
# builds the out-of-tree example module docs/examples/counter against the
# installed header through pkg-config, and has the daemon load it and run
# its init (-t). Usage: check_install.sh SOURCE_DIR BUILD_DIR
set -eu
src=$1
build=$2
root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT

# The prefix chosen at configure time (the daemon looks for its modules
# there): /usr/local by default, /usr for a package.
DESTDIR="$root" cmake --install "$build" >/dev/null
prefix=$(sed -n 's/^CMAKE_INSTALL_PREFIX:PATH=//p' "$build/CMakeCache.txt")
installed() {
	[ -n "$(find "$root" -path "*$1" | head -1)" ] ||
		{ echo "not installed: $1" >&2; exit 1; }
}
for f in sbin/rtwebhookd bin/rtw-send include/rtwebhookd/handler.h \
	rtwebhookd/handlers/jsonl.so pkgconfig/rtwebhookd.pc \
	systemd/system/rtwebhookd.service systemd/system/rtwebhookd.socket \
	sysusers.d/rtwebhookd.conf tmpfiles.d/rtwebhookd.conf \
	etc/rtwebhookd/rtwebhookd.conf man8/rtwebhookd.8.gz \
	man5/rtwebhookd.conf.5.gz man1/rtw-send.1.gz doc/rtwebhookd/changelog.gz; do
	installed "$f"
done
[ -x "$root$prefix/sbin/rtwebhookd" ]
# The manual pages render without warnings.
# A list read line by line, not a for over find's words: a name with a
# space stays one page (the list itself is outside any man directory).
find "$root" -path '*/man/man*' -type f >"$root/pages"
while IFS= read -r page; do
	warnings=$(man --warnings -l "$page" 2>&1 >/dev/null)
	[ -z "$warnings" ] || { echo "$page: $warnings" >&2; exit 1; }
done <"$root/pages"
[ -s "$root/pages" ] || { echo "no manual pages installed" >&2; exit 1; }

pc=$(dirname "$(find "$root" -name rtwebhookd.pc | head -1)")
export PKG_CONFIG_PATH="$pc" PKG_CONFIG_SYSROOT_DIR="$root"
cp -r "$src/docs/examples/counter" "$root/counter"
make -s -C "$root/counter" CFLAGS="-O2 -Wall -Wextra -Werror"

cat >"$root/counter.conf" <<CONF
listen = { address = "127.0.0.1"; port = 0; };
spool = { dir = "$root/spool"; };
endpoints = ( { path = "/recall/events"; tokens = ["install-test-token"]; } );
handlers = ( { name = "count"; module = "$root/counter/counter.so"; } );
CONF
chmod 600 "$root/counter.conf"
"$build/rtwebhookd" -t -c "$root/counter.conf"
