#!/usr/bin/env bash
# Installs everything CardinalSin needs to build, test and run its native stack on Debian 12:
# the Debian packages (compilers, libraries, real test peers) and a Python virtual environment
# under .venv with the pinned test-only clients of test/requirements.txt.
#
# Idempotent: packages already installed are not touched (apt runs only when one is missing) and
# the venv is rebuilt only when test/requirements.txt changes. Needs root (or sudo) for apt.
#
# Usage: scripts/install-deps.sh
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

packages=(
  # Build
  build-essential cmake ninja-build ccache pkg-config git
  clang clang-format clang-tidy libclang-rt-14-dev
  # Libraries (ARCHITECTURE.md section 10)
  libabsl-dev libcli11-dev libspdlog-dev libfmt-dev nlohmann-json3-dev
  libcurl4-openssl-dev libssl-dev zlib1g-dev libzstd-dev libsnappy-dev libre2-dev libxxhash-dev
  libthrift-dev thrift-compiler libflatbuffers-dev flatbuffers-compiler
  libgrpc++-dev libprotobuf-dev protobuf-compiler protobuf-compiler-grpc
  libboost-dev libboost-system-dev
  libgtest-dev libgmock-dev googletest libbenchmark-dev
  # Scripts and tests
  curl jq ca-certificates python3 python3-venv python3-pip procps psmisc uuid-runtime
  # Real peers (reference/peers.md): S3 server, Prometheus and a scrape target
  ceph-mon ceph-osd radosgw ceph-common prometheus prometheus-node-exporter
)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if ((${#missing[@]} > 0)); then
  echo "install-deps: installing ${#missing[@]} Debian packages: ${missing[*]}" >&2
  sudo_cmd=()
  if [[ $(id -u) -ne 0 ]]; then sudo_cmd=(sudo); fi
  export DEBIAN_FRONTEND=noninteractive
  "${sudo_cmd[@]}" apt-get update -qq
  "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
else
  echo "install-deps: all ${#packages[@]} Debian packages present" >&2
fi

# Test-only Python clients, pinned, in the repository's own venv. Debian's python3 is used on
# purpose so that the venv does not depend on whatever interpreter is first on PATH.
venv="$repo/.venv"
requirements="$repo/test/requirements.txt"
stamp="$venv/.requirements.sha256"
want=$(sha256sum "$requirements" | cut -d' ' -f1)
if [[ ! -x "$venv/bin/python" || ! -f "$stamp" || "$(cat "$stamp")" != "$want" ]]; then
  echo "install-deps: building $venv from test/requirements.txt" >&2
  rm -rf "$venv"
  /usr/bin/python3 -m venv "$venv"
  "$venv/bin/pip" install -q --disable-pip-version-check -r "$requirements"
  echo "$want" >"$stamp"
else
  echo "install-deps: $venv is up to date" >&2
fi
