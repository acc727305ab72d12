# The two commands of the README: `make run` and `make test`. Everything else is a step they use.
BUILD ?= build
BUILD_ASAN ?= build-asan
JOBS ?= $(shell nproc)
CMAKE_FLAGS ?=
ARGS ?=

.PHONY: run test deps test-deps build build-asan unit integration asan bench bench-engine bench-store format format-check clean \
  fuzz fuzz-regress fuzz-build fuzz-seeds package release

run: deps build
	./$(BUILD)/quorum node $(ARGS)

test: test-deps
	bash scripts/test.sh

deps:
	bash scripts/install-deps.sh

test-deps:
	bash scripts/install-deps.sh --test

# llama.cpp's libraries for the embedded engine: built once into ~/.cache/quorum, then found at once.
LLAMA_ROOT = $(shell bash scripts/build-llama.sh lib | tail -n 1)

build:
	cmake -S . -B $(BUILD) -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DQUORUM_LLAMA_ROOT=$(LLAMA_ROOT) $(CMAKE_FLAGS) >/dev/null
	cmake --build $(BUILD) -j $(JOBS)

build-asan:
	cmake -S . -B $(BUILD_ASAN) -G Ninja -DCMAKE_BUILD_TYPE=Debug -DQUORUM_SANITIZE=ON -DQUORUM_BENCH=OFF \
	  -DQUORUM_LLAMA_ROOT=$(LLAMA_ROOT) >/dev/null
	cmake --build $(BUILD_ASAN) -j $(JOBS)

# The Debian packages in dist/ (scripts/package.sh; the version is CMakeLists.txt's project VERSION).
package: build
	bash scripts/package.sh --build $(BUILD) --out dist

# A release in dist/: the packages, a tarball of each binary, manifest.json and its Ed25519 signature
# (scripts/release.sh; RELEASE_KEY: the private key, default the development key; docs/release.md).
RELEASE_KEY ?=
release: build
	bash scripts/release.sh --build $(BUILD) --out dist $(if $(RELEASE_KEY),--key $(RELEASE_KEY))

unit: build
	ctest --test-dir $(BUILD) --output-on-failure -j $(JOBS)

# The benchmark (not part of the tests): node vs nginx vs direct, and the embedded engine vs llama-server
# (bench/engine.sh, last); figures as Markdown on stdout.
bench: test-deps
	cmake -S . -B $(BUILD) -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DQUORUM_BENCH=ON -DQUORUM_LLAMA_ROOT=$(LLAMA_ROOT) $(CMAKE_FLAGS) >/dev/null
	cmake --build $(BUILD) -j $(JOBS)
	bash bench/run.sh

# The relay's control-plane store, SQLite next to PostgreSQL (bench/store.sh); Markdown on stdout.
bench-store: test-deps
	cmake -S . -B $(BUILD) -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DQUORUM_BENCH=ON -DQUORUM_LLAMA_ROOT=$(LLAMA_ROOT) $(CMAKE_FLAGS) >/dev/null
	cmake --build $(BUILD) -j $(JOBS) --target quorum-store-bench
	bash bench/store.sh

# The embedded llama.cpp engine next to llama-server on the same generated 58M model; Markdown on stdout.
bench-engine: test-deps
	cmake -S . -B $(BUILD) -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DQUORUM_BENCH=ON -DQUORUM_LLAMA_ROOT=$(LLAMA_ROOT) $(CMAKE_FLAGS) >/dev/null
	cmake --build $(BUILD) -j $(JOBS)
	QUORUM_BIN=$(abspath $(BUILD))/quorum bash bench/engine.sh

# libFuzzer harnesses over the pure code (fuzz/, built with clang into build-fuzz/; docs/reliability.md):
# `make fuzz` runs each for FUZZ_SECONDS (default 60) and prints the executions per harness; `make fuzz-regress`
# runs each over its committed seeds plus a fixed, seeded number of mutations, as the test suite does.
fuzz: test-deps
	bash scripts/fuzz.sh run

fuzz-regress:
	bash scripts/fuzz.sh regress

fuzz-build:
	bash scripts/fuzz.sh build

fuzz-seeds:
	bash scripts/fuzz.sh seeds

format:
	clang-format -i $$(git ls-files '*.cpp' '*.h')

# The first step of `make test`: every tracked .cpp and .h as .clang-format wants it. On failure, lists the
# files that drift (`make format` fixes them; `clang-format --dry-run FILE` shows where).
format-check:
	@out=$$(clang-format --dry-run -Werror $$(git ls-files '*.cpp' '*.h') 2>&1) || { \
	  files=$$(printf '%s\n' "$$out" | sed -n 's/^\([^ ]*\):[0-9]*:[0-9]*: error: code should be clang-formatted.*/\1/p' | sort -u); \
	  if [ -z "$$files" ]; then printf '%s\n' "$$out"; exit 1; fi; \
	  echo "$$(echo "$$files" | wc -l) files are not clang-formatted (make format fixes them):"; \
	  printf '  %s\n' $$files; \
	  exit 1; \
	}

clean:
	rm -rf $(BUILD) $(BUILD_ASAN) build-fuzz dist
