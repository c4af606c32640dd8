# The two commands of the README, and a few helpers. Each installs what is missing first.
.PHONY: all deps build build-demo build-asan demo test test-release test-asan bench fuzz format format-check check-deps clean

JOBS ?= 2

all: build

deps:
	@bash scripts/install-deps.sh
	@bash scripts/web-deps.sh

build: deps
	@cmake --preset release >/dev/null
	@cmake --build --preset release -j $(JOBS)

# Only what `make demo` runs: the generator and the shop simulator (not the tests and benchmarks).
build-demo: deps
	@cmake --preset release >/dev/null
	@cmake --build --preset release -j $(JOBS) --target loadgen shopsim

build-asan: deps
	@cmake --preset asan >/dev/null
	@cmake --build --preset asan -j $(JOBS)

# Runs the main job on an embedded default against a local server (see README).
demo: build-demo
	@bash scripts/demo.sh

# Every test: the release build, then the same suite under ASan+UBSan.
test: test-release test-asan

test-release: build
	@cd build/release && ctest --output-on-failure --timeout 300 -j $(JOBS)

test-asan: build-asan
	@cd build/asan && ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
	  UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	  ctest --output-on-failure --timeout 600 -j $(JOBS)

bench: build
	@bash bench/vs-wrk
	@bash bench/idle-memory

fuzz: deps
	@cmake --preset fuzz >/dev/null
	@cmake --build --preset fuzz -j $(JOBS)

format: deps
	@git ls-files '*.cpp' '*.hpp' | xargs clang-format-14 -i

# Lists the C++ files that differ from clang-format-14 with .clang-format (`make format` fixes them).
format-check: deps
	@tools/check-format

# Layering, CMake deps, env and wall-clock reads against docs/architecture.md (tools/check-deps).
check-deps: deps
	@python3 tools/check-deps

clean:
	@rm -rf build
