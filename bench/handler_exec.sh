#!/bin/sh
# Sustained events/s of the exec handler (see bench/handler_exec.c):
#   bench/handler_exec.sh [BUILD_DIR] [SECONDS]
# Builds the driver against the module in BUILD_DIR/handlers/exec.so and
# runs a few commands with 1 and 2 threads (the daemon's `workers`).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
build=${1:-$here/../build}
seconds=${2:-5}
so=$build/handlers/exec.so
event=$here/../tests/fixtures/events/chat_message.json
bin=$(mktemp /tmp/handler_exec.XXXXXX)
trap 'rm -f "$bin"' EXIT
# pkg-config prints several flags: split on purpose.
# shellcheck disable=SC2046
cc -O2 -o "$bin" "$here/handler_exec.c" -I"$here/../include" \
	$(pkg-config --cflags --libs jansson) -ldl -lpthread
for threads in 1 2; do
	printf '/bin/true:            '
	"$bin" "$so" "$event" $threads "$seconds" -- /bin/true
	printf 'cat > /dev/null:      '
	"$bin" "$so" "$event" $threads "$seconds" -- /bin/cat
	printf 'sh -c (a shell):      '
	"$bin" "$so" "$event" $threads "$seconds" -- /bin/sh -c 'cat >/dev/null'
	printf 'python3 (reads JSON): '
	"$bin" "$so" "$event" $threads "$seconds" -- python3 -c \
		'import json,sys; json.load(sys.stdin)'
done
