# Convenience wrapper around CMake: `make`, `make run`, `make test`.
BUILD ?= build
CONF ?= conf/rtwebhookd.conf
CMAKE_FLAGS ?=
JOBS ?= $(shell nproc)

.PHONY: all build run test check-config clean asan valgrind fuzz bench

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

# Benchmarks (see bench/): CPU per event of the delivery path vs parsing.
bench: build
	$(BUILD)/delivery_cpu 200000 batch
	$(BUILD)/delivery_cpu 200000 off

clean:
	rm -rf $(BUILD) build-asan
