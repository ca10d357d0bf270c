#!/usr/bin/env bash
# Installs everything, builds the release binary and starts `cardinalsin server`: the embedded
# default (all roles in one process, local filesystem object store and WAL under ./data).
# Extra arguments go to the server, e.g. scripts/serve.sh --http-port 9080.
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo"
scripts/install-deps.sh
cmake --preset release >/dev/null
cmake --build --preset release --target cardinalsin
exec "$repo/build/release/cmd/cardinalsin/cardinalsin" server "$@"
