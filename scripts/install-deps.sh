#!/usr/bin/env bash
# Installs the Debian packages loadgen needs to build, test and benchmark.
# Idempotent and quiet: does nothing when everything is already present.
set -euo pipefail

pkgs=(
  build-essential cmake ninja-build pkg-config
  libasio-dev libfmt-dev libcli11-dev libssl-dev zlib1g-dev nlohmann-json3-dev
  libprotobuf-dev protobuf-compiler libgrpc++-dev python3-protobuf python3-grpcio python3-prometheus-client
  libgtest-dev libgmock-dev libbenchmark-dev
  clang-14 libclang-rt-14-dev clang-format-14
  nginx-light wrk openssl python3 curl procps util-linux
  python3-locust
  libyaml-cpp-dev libluajit-5.1-dev  # scenario files (-f): YAML and Lua
  liburing-dev  # bench/uring-vs-epoll (bench/uring_probe.cpp): io_uring against epoll
  libzmq3-dev cppzmq-dev libmsgpack-cxx-dev python3-zmq python3-msgpack python3-yaml  # distributed runs (cluster/), deploy/ checks
  chromium  # the browser tests (tests/e2e; scripts/e2e-deps.sh adds playwright-core)
)

missing=()
for p in "${pkgs[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
  SUDO=sudo
else
  SUDO=
fi

echo "install-deps: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq >/dev/null
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
# nginx-light starts a system service on install; we run our own instances only.
if command -v systemctl >/dev/null 2>&1; then $SUDO systemctl disable --now nginx >/dev/null 2>&1 || true; fi
$SUDO service nginx stop >/dev/null 2>&1 || true
