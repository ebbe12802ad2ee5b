#!/bin/sh
# Sustained events/s of the nats handler into a local nats-server with
# JetStream, for several worker counts (see bench/handler_nats.c).
# Usage: bench/handler_nats.sh [BUILD_DIR] [EVENTS]
# Needs nats-server and libnats-dev. Not a test: numbers depend on the
# machine and its load.
set -eu
build=${1:-build}
events=${2:-100000}
cmake --build "$build" --target bench_handler_nats >/dev/null
for workers in 1 2 4 8 16; do
	"$build/bench_handler_nats" "$workers" "$events" 4
done
