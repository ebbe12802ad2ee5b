#!/bin/bash
# Builds the libFuzzer targets with clang (ASan + UBSan) and runs each for
# SECONDS seconds (default 60), seeded from tests/fuzz/seeds and the
# fixtures. A crash stops with the input saved in build-fuzz/crashes/;
# turn it into a regression test (copy it to the fixtures) before fixing.
#   scripts/fuzz.sh            # 60 s per target, as CI does
#   scripts/fuzz.sh 3600       # a long run
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-60}
build="build-fuzz"
CC=clang cmake -S . -B "$build" -DRTW_FUZZ=ON -DRTW_TESTS=OFF \
	-DCMAKE_BUILD_TYPE=Debug >/dev/null
cmake --build "$build" -j "$(nproc)" --target fuzz_event fuzz_config \
	fuzz_signature fuzz_request jsonl
mkdir -p "$build/crashes"
export LSAN_OPTIONS="suppressions=$PWD/tests/fuzz/lsan.supp:print_suppressions=0"

# corpus_for TARGET: a fresh working corpus with the seeds for it.
corpus_for() {
	local dir="$build/corpus/$1"
	mkdir -p "$dir"
	case "$1" in
	fuzz_event)
		cp tests/fixtures/events/*.json tests/fixtures/events/invalid/*.body \
			"$dir/" ;;
	fuzz_config)
		cp conf/*.conf "$dir/"
		find tests/config -name '*.conf' -exec cp {} "$dir/" \; ;;
	fuzz_signature) cp tests/fuzz/seeds/signature/* "$dir/" ;;
	fuzz_request) cp tests/fuzz/seeds/request/* "$dir/" ;;
	esac
	echo "$dir"
}

for target in fuzz_event fuzz_config fuzz_signature fuzz_request; do
	echo "== $target: ${seconds}s"
	"$build/$target" -max_total_time="$seconds" -max_len=65536 \
		-timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
		-artifact_prefix="$build/crashes/$target-" \
		"$(corpus_for "$target")" 2>&1 | grep -E '^(#|==|stat::|INFO: Seed|Done|SUMMARY|ERROR)' | tail -8
done
echo "fuzzing finished without a crash"
