#!/usr/bin/env bash
# Builds the libFuzzer targets in test/fuzz/ with clang-14 (ASan + UBSan + libFuzzer coverage) in
# build/fuzz, then runs each for a while over a copy of its seed corpus (test/fuzz/README.md).
# The g++ presets and their build directories are not touched.
#
#   scripts/fuzz.sh [seconds-per-target]       default 30
#
# Environment:
#   FUZZ_TARGETS   space-separated targets to run (default: every *_fuzzer.cc in test/fuzz/)
#   FUZZ_WERROR    ON (default) or OFF: -Werror for the fuzz build, as CS_WERROR
#   FUZZ_JOBS      build parallelism (default 2)
#
# Prints one line per target and exits 1 if any target crashed, leaked, timed out (10 s per input)
# or ran out of memory (4 GiB resident, or one allocation over 1 GiB, which we treat as a bug for
# inputs of at most 1 MiB: the reader must bound what corrupt sizes make it allocate). The line
# names the input that did it (build/fuzz/crashes/<target>/...); replay it with
# build/fuzz/<target> <file>. Each run starts from a fresh copy of the seed corpus
# test/fuzz/corpus/<target without _fuzzer>/ in build/fuzz/run/<target>/corpus (left there
# afterwards, grown); the checked-in corpus never grows.
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo"

seconds=${1:-30}
if ! [[ "$seconds" =~ ^[0-9]+$ ]] || ((seconds == 0)); then
  echo "usage: scripts/fuzz.sh [seconds-per-target]" >&2
  exit 2
fi
build=build/fuzz
jobs=${FUZZ_JOBS:-2}

for tool in clang-14 clang++-14 cmake ninja; do
  if ! command -v "$tool" >/dev/null; then
    echo "fuzz: $tool not found (scripts/install-deps.sh)" >&2
    exit 2
  fi
done

if [[ -n "${FUZZ_TARGETS:-}" ]]; then
  read -r -a targets <<<"$FUZZ_TARGETS"
else
  targets=()
  for src in test/fuzz/*_fuzzer.cc; do targets+=("$(basename "$src" .cc)"); done
fi

echo "== configure and build ($build, clang-14, fuzzer+address+undefined)"
mkdir -p "$build"
cmake -S test/fuzz -B "$build" -G Ninja \
  -DCMAKE_C_COMPILER=clang-14 -DCMAKE_CXX_COMPILER=clang++-14 \
  -DCMAKE_BUILD_TYPE=Debug -DCMAKE_CXX_FLAGS_DEBUG="-O1 -g" -DCMAKE_C_FLAGS_DEBUG="-O1 -g" \
  -DCS_SANITIZE=fuzzer-no-link,address,undefined -DCS_WERROR="${FUZZ_WERROR:-ON}" \
  >"$build/configure.log" 2>&1 || { cat "$build/configure.log" >&2; exit 2; }
cmake --build "$build" -j "$jobs" --target "${targets[@]}" ||
  { echo "fuzz: build failed (FUZZ_WERROR=OFF skips -Werror)" >&2; exit 2; }

# Stack traces for UBSan; leaks are bugs too (LeakSanitizer is on by default with ASan).
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:allocator_may_return_null=0}

failed=0
results=()
for target in "${targets[@]}"; do
  seeds=test/fuzz/corpus/${target%_fuzzer}  # parquet_reader_fuzzer -> corpus/parquet_reader
  [[ -d "$seeds" ]] || { echo "fuzz: no seed corpus $seeds" >&2; exit 2; }
  work=$build/run/$target
  crashes=$build/crashes/$target
  rm -rf "$work"
  mkdir -p "$work/corpus" "$crashes"
  cp -r "$seeds/." "$work/corpus/"
  seed_count=$(find "$work/corpus" -type f | wc -l)
  echo "== $target: ${seconds}s over $seed_count seeds"
  status=0
  "$build/$target" "$work/corpus" \
    -max_total_time="$seconds" -max_len=1048576 -timeout=10 \
    -rss_limit_mb=4096 -malloc_limit_mb=1024 \
    -print_final_stats=1 -artifact_prefix="$crashes/" >"$work/log" 2>&1 || status=$?
  runs=$(sed -nE 's/^stat::number_of_executed_units: *([0-9]+).*/\1/p' "$work/log" | tail -n1)
  last=$(grep -E '^#[0-9]+' "$work/log" | tail -n1 || true)
  cov=$(sed -nE 's/.* cov: ([0-9]+).*/\1/p' <<<"$last")
  ft=$(sed -nE 's/.* ft: ([0-9]+).*/\1/p' <<<"$last")
  corpus=$(sed -nE 's/.* corp: ([0-9]+)\/.*/\1/p' <<<"$last")
  if ((status == 0)); then
    line="$target: ok, ${seconds}s, ${runs:-?} runs, cov ${cov:-?} ft ${ft:-?},"
    line+=" corpus $seed_count -> ${corpus:-?}"
  else
    failed=1
    artifact=$(sed -nE 's/.*Test unit written to (.*)$/\1/p' "$work/log" | tail -n1)
    what='ERROR: (AddressSanitizer|LeakSanitizer|UndefinedBehaviorSanitizer|libFuzzer)[^(]*'
    what+='|runtime error: .*|invariant violated: .*|parquet_metadata_fuzzer: .*'
    kind=$(grep -m1 -oE "$what" "$work/log" || true)
    line="$target: FAILED (exit $status) ${kind:-see log}; input: ${artifact:-none}; log: $work/log"
    # The report's first lines, for the console.
    grep -E 'ERROR:|runtime error:|invariant|SUMMARY:|^    #[0-9]+ ' "$work/log" |
      head -n 25 >&2 || true
  fi
  results+=("$line")
done

echo "== results"
printf '%s\n' "${results[@]}"
exit "$failed"
