# Convenience wrapper around CMake: `make`, `make run`, `make test`.
BUILD ?= build
CONF ?= conf/rtwebhookd.conf
CMAKE_FLAGS ?=
JOBS ?= $(shell nproc)

.PHONY: all build run test check-config clean asan valgrind fuzz bench bench-profile \
	deb deb-check

all: build

$(BUILD)/CMakeCache.txt:
	cmake -S . -B $(BUILD) $(CMAKE_FLAGS)

build: $(BUILD)/CMakeCache.txt
	cmake --build $(BUILD) -j $(JOBS)

# Starts the daemon in the foreground on the development config.
run: build
	mkdir -p var
	$(BUILD)/rtwebhookd -c $(CONF)

check-config: build
	$(BUILD)/rtwebhookd -t -c $(CONF)

# Runs every test (unit and integration).
test: build
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS)

# The same tests under AddressSanitizer and UndefinedBehaviorSanitizer.
asan:
	$(MAKE) test BUILD=build-asan CMAKE_FLAGS="-DRTW_SANITIZE=ON -DCMAKE_BUILD_TYPE=Debug"

# The integration tests again with the daemon under valgrind memcheck: any
# memory error or definite leak fails them.
valgrind: build
	cd $(BUILD) && RTW_TEST_VALGRIND=1 ctest --output-on-failure -L integration -E 'slow_client|security'

# Fuzzing: FUZZ_SECONDS per target (CI runs 60; long runs: make fuzz FUZZ_SECONDS=3600).
FUZZ_SECONDS ?= 60
fuzz:
	scripts/fuzz.sh $(FUZZ_SECONDS)

# Benchmarks (bench/README.md): rtwebhookd against its ceilings and peers,
# about 10 minutes (run K: 01:36-01:46); the table lands in $(BUILD)/bench-results/summary.txt.
# Needs wrk (sudo scripts/install-bench-deps.sh). Never part of `make test`.
# Only what the benchmarks run is built.
BENCH_TARGETS = rtwebhookd jsonl rtw-send delivery_cpu bench_ceiling \
		bench_idle_conns bench_sink_wait bench_durable_floor
bench: $(BUILD)/CMakeCache.txt
	cmake --build $(BUILD) -j $(JOBS) --target $(BENCH_TARGETS)
	bench/run.sh $(BUILD)

# Where a request's CPU goes: callgrind, perf and strace views of the
# request path and a breakdown, in $(BUILD)/bench-results/profile/.
bench-profile: $(BUILD)/CMakeCache.txt
	cmake --build $(BUILD) -j $(JOBS) --target $(BENCH_TARGETS)
	bench/profile.sh $(BUILD)

# A Debian package in build-deb/ (packaging/cpack.cmake), built for the
# prefix /usr where the package installs.
deb:
	cmake -S . -B build-deb -DCMAKE_INSTALL_PREFIX=/usr -DRTW_TESTS=OFF \
		-DCMAKE_BUILD_TYPE=RelWithDebInfo
	cmake --build build-deb -j $(JOBS)
	cd build-deb && cpack -G DEB

# Installs that package on this machine (root), checks the installed
# daemon serves, and purges the package again. CI runs it.
deb-check: deb
	tests/install/check_deb.sh build-deb

clean:
	rm -rf $(BUILD) build-asan build-deb
