# The two commands of the README: `make run` and `make test`. Everything else is a step they use.
BUILD ?= build
BUILD_ASAN ?= build-asan
JOBS ?= $(shell nproc)
CMAKE_FLAGS ?=
ARGS ?=

.PHONY: run test deps test-deps build build-asan unit integration asan bench format clean

run: deps build
	./$(BUILD)/quorum node $(ARGS)

test: test-deps
	bash scripts/test.sh

deps:
	bash scripts/install-deps.sh

test-deps:
	bash scripts/install-deps.sh --test

build:
	cmake -S . -B $(BUILD) -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo $(CMAKE_FLAGS) >/dev/null
	cmake --build $(BUILD) -j $(JOBS)

build-asan:
	cmake -S . -B $(BUILD_ASAN) -G Ninja -DCMAKE_BUILD_TYPE=Debug -DQUORUM_SANITIZE=ON -DQUORUM_BENCH=OFF >/dev/null
	cmake --build $(BUILD_ASAN) -j $(JOBS)

unit: build
	ctest --test-dir $(BUILD) --output-on-failure -j $(JOBS)

# The benchmark (not part of the tests): node vs nginx vs direct, figures as Markdown on stdout.
bench: test-deps
	cmake -S . -B $(BUILD) -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DQUORUM_BENCH=ON $(CMAKE_FLAGS) >/dev/null
	cmake --build $(BUILD) -j $(JOBS)
	bash bench/run.sh

format:
	clang-format -i $$(git ls-files '*.cpp' '*.h')

clean:
	rm -rf $(BUILD) $(BUILD_ASAN)
