# Sourced by the bench scripts that need the release `cardinalsin` and `metrics_dataset_gen`.
# Sets `bin` and `gen` from CARDINALSIN_BIN / DATASET_GEN when both are given (already built
# binaries); otherwise builds the release preset in $repo and uses its binaries for the unset ones.
# REQUIRES: `repo` is the repository root and the caller runs with `set -e`.
bin=${CARDINALSIN_BIN:-}
gen=${DATASET_GEN:-}
if [[ -z "$bin" || -z "$gen" ]]; then
  cmake --preset release >/dev/null
  cmake --build --preset release --target cardinalsin metrics_dataset_gen >/dev/null
  bin=${bin:-$repo/build/release/cmd/cardinalsin/cardinalsin}
  gen=${gen:-$repo/build/release/bench/metrics_dataset_gen}
fi
