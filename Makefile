# The two README commands: `make demo` and `make test`. Each installs what is
# missing, configures, builds and runs.
JOBS ?= $(shell nproc)
.PHONY: setup build demo test test-asan bench format clean

setup:
	@scripts/setup.sh build

build: setup
	@cmake --preset release >/dev/null
	@cmake --build --preset release -j $(JOBS)

demo: build
	./build/release/examples/autograd_demo

test: build
	ctest --preset release -j $(JOBS)

test-asan: setup
	@cmake --preset asan >/dev/null
	@cmake --build --preset asan -j $(JOBS)
	ctest --preset asan -j $(JOBS)

bench: setup
	@scripts/setup.sh bench
	@cmake --preset release >/dev/null
	@cmake --build --preset release -j $(JOBS)
	bench/run_all.sh

format:
	clang-format -i $$(git ls-files '*.cpp' '*.hpp')

clean:
	rm -rf build
