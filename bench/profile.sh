#!/bin/bash
# bench/profile.sh BUILD_DIR: where the CPU of a request goes in rtwebhookd
# (`make bench-profile`). Three views of the same request path, each
# with the 1.1 KB transcript event of the benchmark, daemon on CPU 0 and
# wrk on CPU 1:
#   1. callgrind: instructions by function, inclusive, and per request for
#      the functions of the request path (user space only);
#   2. perf (when the kernel lets us): user space against the kernel, and
#      the top symbols at full speed;
#   3. strace -c (when installed): system calls per request, at full speed;
#   4. a breakdown at full speed: CPU per event of the daemon with parts of
#      its work switched off in the configuration (fsync = "off": no group
#      commit, no suspended requests; no handler: no sink), next to the
#      parse ceiling with its own 16 KiB and with the daemon's 80 KiB
#      connection pool.
# Output in BUILD_DIR/bench-results/profile/ (the *.callgrind.out files are
# kept for callgrind_annotate or kcachegrind).
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
BUILD=$(cd "${1:-build}" && pwd)
OUT=${BENCH_OUT:-$BUILD/bench-results}/profile
CONNS=64 # as bench/run.sh; callgrind_run uses fewer
CG_CONNS=8 # under callgrind the daemon does a few hundred requests/s
CG_SECONDS=${PROFILE_SECONDS:-15}

# shellcheck source=bench/lib.sh
. "$HERE/lib.sh"

# The request path's own functions, as callgrind_annotate names them.
PATH_FUNCTIONS='http.c:on_request|http.c:begin_request|http.c:finish_request|http.c:answer_flushed|http.c:respond|ingest.c:ingest_body|event.c:event_parse|json_loadb|event.c:event_clear|dedup.c:dedup_key_make|dedup.c:dedup_reserve|spool.c:spool_append|spool.c:spool_on_commit|spool.c:commit_round|spool_format.c:spool_record_encode|http_request.c:request_check_token|secret.c:secret_digest|dispatch.c:worker_main|dispatch.c:reader_main|jsonl.c:jsonl_handle|memset'

# callgrind_run KIND: KIND's server under callgrind for CG_SECONDS of
# load; leaves KIND.callgrind.out and prints the acknowledged requests.
callgrind_run() {
	local kind=$1 res CONNS=$CG_CONNS
	WRAP=(valgrind --tool=callgrind
		--callgrind-out-file="$OUT/$kind.callgrind.out")
	LISTEN_TIMEOUT_S=60 start_server "$kind" 0
	WRAP=()
	res=$(load 1 1 "$CG_SECONDS" "cg-$kind-$$" 1126 keepalive)
	stop_server # callgrind writes its file at exit
	acked_of "$res"
}

# Instructions of the whole process (start-up included) per request.
ir_per_request() {
	callgrind_annotate --auto=no "$OUT/$1.callgrind.out" 2>/dev/null |
		awk -v n="$2" '/PROGRAM TOTALS/ { v = $1; gsub(",", "", v);
			printf "%.0f", v / n }'
}

callgrind() {
	local acked ceiling_acked
	command -v valgrind >/dev/null || {
		say "valgrind not installed: skipping callgrind"
		return 0
	}
	acked=$(callgrind_run rtw)
	ceiling_acked=$(callgrind_run parse)
	# Function totals only (no source annotation), one line per function
	# and object: "Ir (pct) file:function [object]".
	callgrind_annotate --inclusive=yes --auto=no "$OUT/rtw.callgrind.out" \
		2>/dev/null | grep -E '^ *[0-9,]+ +\(.*\[' \
		>"$OUT/callgrind-inclusive.txt"
	{
		echo "== callgrind: $acked requests (1.1 KB, keep-alive, $CG_CONNS connections)"
		echo "instructions per request, whole process: rtwebhookd" \
			"$(ir_per_request rtw "$acked"), parse ceiling" \
			"$(ir_per_request parse "$ceiling_acked")"
		echo "-- rtwebhookd: top 25 by inclusive instructions"
		sed -n 1,25p "$OUT/callgrind-inclusive.txt"
		echo "-- rtwebhookd: the request path, instructions per request (inclusive)"
		grep -E "$PATH_FUNCTIONS" "$OUT/callgrind-inclusive.txt" |
			awk -v n="$acked" '{ v = $1; gsub(",", "", v);
				printf "%10.0f  %s\n", v / n, $0 }' | cut -c1-150
	} | tee "$OUT/callgrind-summary.txt"
}

perf_view() {
	local pid
	if ! perf stat -e task-clock true >/dev/null 2>&1; then
		say "perf missing or not permitted here: skipping the perf view"
		return 0
	fi
	start_server rtw 0
	pid=$SERVER_PID
	load 1 1 1 "perf-warm-$$" 1126 keepalive >/dev/null
	perf record -q -F 1999 -g -p "$pid" -o "$OUT/perf.data" -- sleep 4 \
		>/dev/null 2>&1 &
	load 1 1 4 "perf-$$" 1126 keepalive >/dev/null
	wait $! || true
	stop_server
	{
		echo "== perf: daemon at full speed, 4 s"
		echo "-- by object"
		perf report -i "$OUT/perf.data" --no-children --sort dso --stdio 2>/dev/null |
			grep -E '^ +[0-9.]+%' | sed -n 1,12p
		echo "-- top symbols (self)"
		perf report -i "$OUT/perf.data" --no-children --sort sym --stdio -g none 2>/dev/null |
			grep -E '^ +[0-9.]+%' | sed -n 1,25p
	} | tee "$OUT/perf-summary.txt"
}

syscalls() {
	local res acked
	command -v strace >/dev/null || {
		say "strace not installed: skipping the system call count"
		return 0
	}
	start_server rtw 0
	strace -f -c -o "$OUT/strace.txt" -p "$SERVER_PID" 2>/dev/null &
	local tracer=$!
	sleep 0.5
	res=$(load 1 1 4 "strace-$$" 1126 keepalive)
	kill -INT $tracer
	wait $tracer || true
	stop_server
	acked=$(acked_of "$res")
	{
		echo "== system calls per request, traced (strace slows the daemon: $acked requests in 4 s)"
		awk -v n="$acked" '$NF ~ /^[a-z_0-9]+$/ && $NF != "total" && $4 ~ /^[0-9]+$/ {
			printf "  %-16s %6.2f\n", $NF, $4 / n }' "$OUT/strace.txt" |
			sort -k2 -n -r
	} | tee "$OUT/syscalls-summary.txt"
}

# The breakdown's configurations: which parts of the work are switched
# off, as sed edits of bench/rtwebhookd-bench.conf (sets RTW_EDIT).
set_edits() {
	local off=(-e 's/fsync = "batch"/fsync = "off"/')
	local none=(-e '/^handlers = (/,/^);/c\handlers = ();')
	case $1 in
	"fsync=off, no handler") RTW_EDIT=("${off[@]}" "${none[@]}") ;;
	"fsync=off, jsonl") RTW_EDIT=("${off[@]}") ;;
	"fsync=batch, no handler") RTW_EDIT=("${none[@]}") ;;
	*) RTW_EDIT=() ;;
	esac
}

# quick_measure LABEL KIND: events/s and server CPU per event over 5 s of
# keep-alive load and 1 s after it (the sink catching up).
quick_measure() {
	local label=$1 kind=$2 res t0 t1
	start_server "$kind" 0
	load 1 1 1 "bd-warm-$$" 1126 keepalive >/dev/null
	t0=$(cpu_ticks "$SERVER_PID")
	res=$(load 1 1 5 "bd-$$" 1126 keepalive)
	sleep 1
	t1=$(cpu_ticks "$SERVER_PID")
	stop_server
	awk -v l="$label" -v n="$(acked_of "$res")" -v t=$((t1 - t0)) \
		-v us="$(field duration_us "$res")" -v hz="$HZ" \
		'BEGIN { printf "  %-42s %8.0f ev/s %8.1f us/ev\n", l, n / (us / 1e6), t / hz * 1e6 / n }'
}

breakdown() {
	local variant
	{
		echo "== breakdown at full speed (1.1 KB, keep-alive, $CONNS connections, 1 core; 3 alternating rounds)"
		for _ in 1 2 3; do
			quick_measure "parse ceiling" parse
			CEILING_ARGS=(--pool 81920)
			quick_measure "parse ceiling, 80 KiB pool" parse
			CEILING_ARGS=()
			for variant in "fsync=off, no handler" "fsync=off, jsonl" \
				"fsync=batch, no handler" "fsync=batch, jsonl (default)"; do
				set_edits "$variant"
				quick_measure "rtwebhookd $variant" rtw
			done
			RTW_EDIT=()
		done
	} | tee "$OUT/breakdown-runs.txt" >&2
	breakdown_medians "$OUT/breakdown-runs.txt" | tee "$OUT/breakdown-summary.txt"
}

# The median of each configuration's runs (lines "  LABEL  N ev/s  M us/ev").
breakdown_medians() {
	echo "== breakdown at full speed, medians of 3 (1.1 KB, keep-alive, $CONNS connections, 1 core)"
	awk '
	function median(a, n,    i, j, t) {
		for (i = 2; i <= n; i++)
			for (j = i; j > 1 && a[j - 1] > a[j]; j--) {
				t = a[j]; a[j] = a[j - 1]; a[j - 1] = t
			}
		return a[int((n + 1) / 2)]
	}
	/ ev\/s / {
		label = $0; sub(/^ +/, "", label); sub(/ +[0-9]+ ev\/s.*/, "", label)
		if (!(label in n)) order[++k] = label
		i = ++n[label]
		rate[label, i] = $(NF - 3); cpu[label, i] = $(NF - 1)
	}
	END {
		for (c = 1; c <= k; c++) {
			l = order[c]
			for (i = 1; i <= n[l]; i++) { r[i] = rate[l, i]; u[i] = cpu[l, i] }
			printf "  %-42s %8.0f ev/s %8.1f us/ev\n", l, median(r, n[l]), median(u, n[l])
		}
	}' "$1"
}

main() {
	[ -x "$BUILD/rtwebhookd" ] || die "$BUILD/rtwebhookd is missing: run 'make' first"
	command -v wrk >/dev/null ||
		die "'wrk' is missing; install it with: sudo scripts/install-bench-deps.sh"
	mkdir -p "$OUT"
	bench_init
	callgrind
	perf_view
	syscalls
	breakdown
}

main
