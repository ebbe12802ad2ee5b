# shellcheck shell=bash
# bench/lib.sh: what bench/run.sh and bench/profile.sh share: starting and
# stopping the servers, the load generator, /proc figures. Sourced; the
# sourcing script sets HERE, BUILD, CONNS and calls bench_init.

TOKEN=dev-token-change-me
EVENTS_PATH=/recall/events
HZ=$(getconf CLK_TCK)
WORK=""
SERVER_PID=""
SERVER_PORT=""
SERVER_LOG=""
SERVER_DIR=""
SINK=""
URL=""
RT=()   # BENCH_RT=1: SCHED_FIFO for servers and generators
WRAP=() # a command the server runs under (profile.sh: valgrind)
RTW_EDIT=() # extra sed arguments for the daemon's configuration
CEILING_ARGS=() # extra arguments for the ceilings (e.g. --pool 81920)
[ "${BENCH_RT:-0}" = 1 ] && RT=(chrt -f 1)

die() {
	echo "bench: $*" >&2
	exit 1
}
say() { echo "bench: $*" >&2; }

# Stops the server and removes the temporary directory; a script may
# define bench_cleanup_hook for its own leftovers.
cleanup() {
	stop_server
	if declare -F bench_cleanup_hook >/dev/null; then
		bench_cleanup_hook
	fi
	[ -n "$WORK" ] && rm -rf "$WORK"
	return 0
}

# A temporary directory for the run, removed (with every server stopped)
# however the script ends.
bench_init() {
	trap cleanup EXIT
	trap 'exit 130' INT TERM
	WORK=$(mktemp -d "${TMPDIR:-/tmp}/rtw-bench.XXXXXX")
}

# ---- processes -------------------------------------------------------------

# A port nobody listens on, below the kernel's ephemeral range: a port
# in that range can be the local end of a client connection (or of one in
# TIME_WAIT after the no-keep-alive runs), and binding it then fails.
free_port() {
	local low p
	low=$(cut -f1 /proc/sys/net/ipv4/ip_local_port_range)
	while :; do
		p=$((10000 + RANDOM % (low - 10000)))
		(exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null || break
	done
	echo "$p"
}

# Waits until the server accepts connections on $1 (LISTEN_TIMEOUT_S).
wait_listen() {
	for _ in $(seq $((${LISTEN_TIMEOUT_S:-10} * 20))); do
		kill -0 "$SERVER_PID" 2>/dev/null || {
			tail -20 "$SERVER_LOG" >&2
			die "the server exited at start (log above)"
		}
		(exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
		sleep 0.05
	done
	die "the server did not listen on port $1 within ${LISTEN_TIMEOUT_S:-10} s"
}

# start_server KIND CPUS: starts a fresh server pinned to CPUS; sets
# SERVER_PID, SERVER_PORT, URL and, for rtwebhookd, SINK (the jsonl file).
# shellcheck disable=SC2034 # the globals are read by the sourcing script
start_server() {
	local kind=$1 cpus=$2 port dir threads
	port=$(free_port)
	SERVER_PORT=$port
	dir=$(mktemp -d "$WORK/$kind.XXXXXX")
	SERVER_DIR=$dir
	threads=$(($(tr -cd , <<<"$cpus" | wc -c) + 1))
	SERVER_LOG=$dir/log
	URL="http://127.0.0.1:$port$EVENTS_PATH?token=$TOKEN"
	SINK=""
	case $kind in
	bare | parse | durable)
		local parse=()
		[ "$kind" = parse ] && parse=(--parse)
		[ "$kind" = durable ] && parse=(--parse --durable "$dir")
		launch "$cpus" "$BUILD/bench/ceiling" --port "$port" \
			--threads "$threads" "${parse[@]}" "${CEILING_ARGS[@]}" ;;
	rtw)
		sed -e "s|@DIR@|$dir|g" -e "s|@PORT@|$port|" "${RTW_EDIT[@]}" \
			"$HERE/rtwebhookd-bench.conf" >"$dir/bench.conf"
		chmod 600 "$dir/bench.conf" # it holds the token
		SINK=$dir/events.jsonl
		launch "$cpus" "$BUILD/rtwebhookd" -c "$dir/bench.conf" ;;
	node)
		launch "$cpus" node "$HERE/node_receiver.js" "$port" \
			"$EVENTS_PATH" "$TOKEN" ;;
	webhook)
		URL="http://127.0.0.1:$port/hooks/recall?token=$TOKEN"
		launch "$cpus" webhook -hooks "$HERE/webhook-hooks.json" \
			-ip 127.0.0.1 -port "$port" ;;
	esac
	wait_listen "$port"
}

launch() {
	local cpus=$1
	shift
	taskset -c "$cpus" "${RT[@]}" "${WRAP[@]}" "$@" >"$SERVER_LOG" 2>&1 &
	SERVER_PID=$!
}

# SIGTERM, then SIGKILL if it has not exited within 15 s. Then its
# directory goes (spool, sink, log): the sink's pages are not synced, and
# left in place the kernel writes them back 30 s later
# (vm.dirty_expire_centisecs), in the middle of later runs, whose flushes
# then queue behind hundreds of megabytes of another run's data. Each run
# starts from the disk state the first one had.
stop_server() {
	[ -n "$SERVER_PID" ] || return 0
	kill -TERM "$SERVER_PID" 2>/dev/null || true
	for _ in $(seq 150); do
		kill -0 "$SERVER_PID" 2>/dev/null || break
		sleep 0.1
	done
	kill -KILL "$SERVER_PID" 2>/dev/null || true
	wait "$SERVER_PID" 2>/dev/null || true
	SERVER_PID=""
	[ -n "$SERVER_DIR" ] && rm -rf "$SERVER_DIR"
	SERVER_DIR=""
}

# ---- /proc figures -----------------------------------------------------------

# CPU ticks of a process and of the children it has reaped (the commands
# adnanh/webhook forks).
cpu_ticks() {
	awk '{ print $14 + $15 + $16 + $17 }' "/proc/$1/stat"
}

hwm_kb() {
	awk '/^VmHWM:/ { print $2 }' "/proc/$1/status"
}

# Busy ticks of the whole machine (all CPUs), to see what else ran.
machine_busy() {
	awk '/^cpu / { print $2 + $3 + $4 + $7 + $8 + $9 }' /proc/stat
}

# ---- load ------------------------------------------------------------------

# load CPUS THREADS SECONDS NONCE SIZE MODE [RATE]: runs wrk, prints its
# wrk_result line followed by gen_ticks=N, the generator's CPU (from the
# shell's `times`, i.e. the rusage of the reaped wrk).
load() {
	local cpus=$1 threads=$2 secs=$3 nonce=$4 size=$5 mode=$6 rate=${7:-}
	local pace=() out=$WORK/wrk.out gen
	[ -n "$rate" ] && pace=("$((rate / threads))")
	gen=$(
		taskset -c "$cpus" "${RT[@]}" wrk -t "$threads" -c "$CONNS" \
			-d "${secs}s" --timeout 5s -s "$HERE/recall_event.lua" \
			"$URL" -- "$nonce" "$size" "$mode" "${pace[@]}" \
			>"$out" 2>"$WORK/wrk.err" || exit 1
		# No pipe: `times` must run in the shell that reaped wrk.
		times >"$WORK/times"
		tail -1 "$WORK/times"
	) || die "wrk failed: $(cat "$WORK/wrk.err")"
	grep -q '^wrk_result' "$out" || die "wrk printed no result: $(cat "$out")"
	# "0m1.230s 0m2.340s" (user, system) -> clock ticks
	gen=$(awk -v hz="$HZ" '{ for (i = 1; i <= 2; i++) { split($i, t, "m");
		s += t[1] * 60 + t[2] } } END { printf "%d", s * hz }' <<<"$gen")
	echo "$(grep '^wrk_result' "$out") gen_ticks=$gen"
}

# The answers that were 2xx, from a wrk_result line.
acked_of() {
	echo $(($(field requests "$1") - $(field non2xx "$1")))
}

# field NAME LINE: the value of NAME=value in a k=v line.
field() {
	sed -n "s/.* $1=\([^ ]*\).*/\1/p" <<<" $2"
}

