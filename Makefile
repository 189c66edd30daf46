# Front door for the common tasks; CMake does the real build in build/.
#   make build     configure and build (programs in build/bin/)
#   make test      install missing dependencies, build, run every ctest suite
#                  (unit, lua, integration, e2e); the local control plane is
#                  started and stopped by the tests themselves
#   make unit      only the fast suites (unit + lua), no cluster
#   make run       local control plane up, CRDs and flavors installed, the
#                  operator running, a sample DevServer Running
#   make down      stop the operator and the local control plane
#   make asan      build and run the unit suites with ASan+UBSan (build-asan/)
#   make valgrind  build (build-valgrind/) and run every unit test binary under
#                  valgrind --leak-check=full (scripts/valgrind-unit)
#   make fuzz      libFuzzer targets with clang (build-fuzz/), FUZZ_SECONDS
#                  (default 60) each (scripts/fuzz); not part of make test
#   make clean     remove build directories
BUILD_DIR ?= build
BUILD_TYPE ?= RelWithDebInfo
JOBS ?= $(shell nproc)
CTEST_ARGS ?=

.PHONY: all build deps test unit integration run down asan valgrind fuzz lint clean bench

all: build

deps:
	@scripts/install-deps --check 2>/dev/null || scripts/install-deps

$(BUILD_DIR)/CMakeCache.txt:
	cmake -S . -B $(BUILD_DIR) -DCMAKE_BUILD_TYPE=$(BUILD_TYPE)

build: deps $(BUILD_DIR)/CMakeCache.txt
	cmake --build $(BUILD_DIR) -j$(JOBS)

test: build
	cd $(BUILD_DIR) && ctest --output-on-failure $(CTEST_ARGS)

unit: build
	cd $(BUILD_DIR) && ctest --output-on-failure -L 'unit|lua' $(CTEST_ARGS)

integration: build
	cd $(BUILD_DIR) && ctest --output-on-failure -L integration $(CTEST_ARGS)

run: build
	scripts/run-local

down:
	scripts/run-local stop
	scripts/cluster down

asan: deps
	cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug -DDEVSERVER_SANITIZE=ON
	cmake --build build-asan -j$(JOBS)
	cd build-asan && ctest --output-on-failure -L 'unit' $(CTEST_ARGS)

valgrind: deps
	cmake -S . -B build-valgrind -DCMAKE_BUILD_TYPE=RelWithDebInfo
	cmake --build build-valgrind -j$(JOBS)
	scripts/valgrind-unit build-valgrind

FUZZ_SECONDS ?= 60
fuzz: deps
	scripts/fuzz $(FUZZ_SECONDS)

# The benchmark (not part of test): its own Release build (build-bench) and
# control plane; N=100 and 1000 by default, BENCH_ARGS="--large" adds 5000.
# Results: bench/results/latest.json and .png; see docs/performance.md.
bench:
	bench/run $(BENCH_ARGS)

lint:
	luacheck lua tests/lua

clean:
	rm -rf $(BUILD_DIR) build-asan
