#!/bin/sh
# Sustained events/s of the redis handler into a local redis-server, for
# several worker counts and server durability settings (see
# bench/handler_redis.c). Usage: bench/handler_redis.sh [BUILD_DIR] [EVENTS]
# Needs redis-server and libhiredis-dev. Not a test: numbers depend on the
# machine and its load.
set -eu
build=${1:-build}
events=${2:-100000}
cmake --build "$build" --target bench_handler_redis >/dev/null
for fsync in none everysec always; do
	for workers in 1 2 4 8; do
		n=$events
		# appendfsync always: one fsync per server loop; keep it short.
		[ "$fsync" = always ] && n=$((events / 10))
		REDIS_BENCH_FSYNC=$fsync "$build/bench_handler_redis" \
			"$workers" "$n" 4
	done
done
