#!/bin/sh
# The sqlite handler through the real daemon (bench/handler_sqlite.c
# measures the module alone, through its ABI).
#
#   bench/handler_sqlite.sh [BUILD_DIR] [BOTS] [EVENTS_PER_BOT] [WORKERS]
#                           [normal|full] [backlog|live]
#
# rtw-send generates BOTS synthetic meetings of EVENTS_PER_BOT
# Recall-shaped events each (transcripts, partials, participant events;
# a few repeated, as Recall does, which the daemon drops) and posts them
# over HTTP, 64 bots at a time, to a daemon with one sqlite handler.
#  backlog: another connection holds the database's write lock while the
#           events are posted, so all of them are spooled and none stored
#           (the handler answers RETRY; retry_max_ms = 200); then the lock
#           is released: how fast the daemon moves a backlog from its
#           spool into the database (dispatch, batching, progress saves
#           included; HTTP intake excluded).
#  live:    the events are stored while they arrive: the rate is at most
#           the HTTP intake rate (rtw-send's figure is printed too).
# The events table is polled every 50 ms; the rate is taken between 10 %
# and 90 % of the events. Needs python3 (its sqlite3 module). Not a test:
# figures depend on the machine and its load.
set -eu
build=${1:-build}
bots=${2:-200}
per_bot=${3:-500}
workers=${4:-1}
sync=${5:-normal}
mode=${6:-backlog}
cmake --build "$build" --target rtwebhookd sqlite rtw-send >/dev/null
dir=$(mktemp -d /tmp/bench-sqlite-daemon-XXXXXX)
daemon=
locker=
poller=
cleanup() {
	for pid in $poller $locker $daemon; do
		if kill "$pid" 2>/dev/null; then
			wait "$pid" 2>/dev/null || true
		fi
	done
	if [ -n "${KEEP:-}" ]; then
		echo "kept $dir" >&2
	else
		rm -rf "$dir"
	fi
}
trap cleanup EXIT INT TERM

port=$((20000 + $$ % 20000))
token=bench-sqlite-token
"$build/rtw-send" --synth "bots=$bots,events=$per_bot" \
	--synth-out "$dir/events.jsonl" >/dev/null
# Distinct bodies: the repeats are dropped by the daemon.
total=$(sort -u "$dir/events.jsonl" | wc -l)
cat >"$dir/rtw.conf" <<EOF
listen = { address = "127.0.0.1"; port = $port; };
spool = { dir = "$dir/spool"; fsync = "batch"; };
endpoints = ( { path = "/recall/events"; tokens = ["$token"]; } );
handlers = ( { name = "store"; module = "sqlite"; workers = $workers;
  retry_max_ms = 200;
  config = { path = "$dir/events.db"; synchronous = "$sync";
             busy_timeout_ms = 0; }; } );
EOF
chmod 600 "$dir/rtw.conf"

# Waits (10 s at most) for a file to appear.
await() {
	tries=0
	while [ ! -e "$1" ]; do
		tries=$((tries + 1))
		if [ $tries -gt 200 ]; then
			echo "no $1; the daemon says:" >&2
			cat "$dir/daemon.log" >&2
			exit 1
		fi
		sleep 0.05
	done
}

# Holds the write lock while $dir/hold exists (backlog mode).
lock_database() {
	touch "$dir/hold"
	python3 - "$dir" <<'EOF' &
import os, sqlite3, sys, time
d = sys.argv[1]
c = sqlite3.connect(d + "/events.db", isolation_level=None, timeout=10)
c.execute("BEGIN IMMEDIATE")
open(d + "/locked", "w").close()
for _ in range(6000):
    if not os.path.exists(d + "/hold"):
        break
    time.sleep(0.05)
c.execute("ROLLBACK")
EOF
	locker=$!
	await "$dir/locked"
}

# Prints the storing rate once every event is stored (2 minutes at most).
poll() {
	python3 - "$dir/events.db" "$total" "$workers $sync $mode" <<'EOF'
import sqlite3, sys, time
path, total = sys.argv[1], int(sys.argv[2])

def stored():
    # A new connection each time: nothing keeps an old snapshot open.
    db = sqlite3.connect(path, timeout=10)
    n = db.execute("SELECT count(*) FROM events").fetchall()[0][0]
    db.close()
    return n

start = time.monotonic()
t10 = t90 = None
while time.monotonic() - start < 120:
    n = stored()
    now = time.monotonic()
    if t10 is None and n >= total * 0.1:
        t10, n10 = now, n
    if t90 is None and n >= total * 0.9:
        t90, n90 = now, n
    if n >= total:
        break
    time.sleep(0.05)
if t90 is None or t90 == t10:
    sys.exit("only %d of %d events stored after %.0f s"
             % (n, total, now - start))
print("sqlite through the daemon (workers, synchronous, mode: %s): %d "
      "events stored in %.2f s; %.0f events/s between 10%% and 90%%"
      % (sys.argv[3], n, now - start, (n90 - n10) / (t90 - t10)))
EOF
}

send() {
	"$build/rtw-send" --url \
		"http://127.0.0.1:$port/recall/events?token=$token" \
		--speed 1000000 --concurrency 64 --retry-interval-ms 100 \
		"$dir/events.jsonl" >"$dir/send.log" 2>&1
}

"$build/rtwebhookd" -c "$dir/rtw.conf" >"$dir/daemon.log" 2>&1 &
daemon=$!
await "$dir/events.db"
sleep 0.5 # the handler creates its tables
if [ "$mode" = backlog ]; then
	lock_database
	send
	rm "$dir/hold"
	wait "$locker"
	locker=
	poll
else
	poll &
	poller=$!
	send
	wait "$poller"
	poller=
	grep "events/s" "$dir/send.log" | sed 's/^/rtw-send intake: /'
fi
stat -c '  %s %n' "$dir"/events.db*
stop_start=$(date +%s.%N)
kill "$daemon"
wait "$daemon" || true
daemon=
echo "the daemon stopped in $(echo "$(date +%s.%N) - $stop_start" | bc) s"
grep -o "[0-9]* events stored in [0-9]* commits" "$dir/daemon.log" || true
