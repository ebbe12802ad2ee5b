#!/bin/sh
# Sustained events/s of the pipe handler (see bench/handler_pipe.c):
#   bench/handler_pipe.sh [BUILD_DIR] [SECONDS]
# Builds the driver against the module in BUILD_DIR/handlers/pipe.so and
# feeds a worker that reads and drops its input, then python3 workers that
# parse each line, without and with acknowledgements.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
build=${1:-$here/../build}
seconds=${2:-5}
so=$build/handlers/pipe.so
event=$here/../tests/fixtures/events/chat_message.json
bin=$(mktemp /tmp/handler_pipe.XXXXXX)
trap 'rm -f "$bin"' EXIT
# pkg-config prints several flags: split on purpose.
# shellcheck disable=SC2046
cc -O2 -o "$bin" "$here/handler_pipe.c" -I"$here/../include" \
	$(pkg-config --cflags --libs jansson) -ldl -lpthread
printf 'cat > /dev/null, no ack:      '
"$bin" "$so" "$event" 0 "$seconds" -- /bin/cat
printf 'python3 parses, no ack:       '
"$bin" "$so" "$event" 0 "$seconds" -- python3 -c '
import json, sys
for line in sys.stdin:
    json.loads(line)'
printf 'python3 parses and acks:      '
"$bin" "$so" "$event" 1 "$seconds" -- python3 -c '
import json, sys
for line in sys.stdin:
    ev = json.loads(line)
    sys.stdout.write("ok %d\n" % ev["_rtwebhookd"]["seq"])
    sys.stdout.flush()'
