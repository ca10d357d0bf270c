#!/usr/bin/env bash
# Checks every #include "<module>/..." in src/ and cmd/ against cmake/layers.txt: a module may
# include only itself and the modules its line lists, and never another module's internal/.
# Prints each violation as file:line and exits 1 if there is any.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

declare -A allowed
modules=()
while IFS= read -r line; do
  [[ "$line" =~ ^[[:space:]]*(#|$) ]] && continue
  module=${line%%:*}
  deps=${line#*:}
  allowed[$module]=" $module $(tr -s ' ' <<<"$deps") "
  modules+=("$module")
done <cmake/layers.txt

violations=0
for module in "${modules[@]}"; do
  [[ -d "src/$module" ]] || continue
  while IFS=: read -r file lineno include; do
    target=$(sed -E 's/.*#include "([^/"]+)\/.*/\1/' <<<"$include")
    [[ -d "src/$target" ]] || continue  # a third-party header such as "absl/..."
    if [[ "${allowed[$module]}" != *" $target "* ]]; then
      echo "$file:$lineno: module '$module' may not include '$target' (cmake/layers.txt)"
      violations=$((violations + 1))
    elif [[ "$target" != "$module" && "$include" == *"/internal/"* ]]; then
      echo "$file:$lineno: '$module' includes another module's internal header"
      violations=$((violations + 1))
    fi
  done < <(grep -rnE '^#include "[^"]+/' "src/$module" || true)
done
for dir in src/*/; do
  module=$(basename "$dir")
  if [[ -z "${allowed[$module]:-}" ]]; then
    echo "src/$module: module missing from cmake/layers.txt"
    violations=$((violations + 1))
  fi
done
if ((violations > 0)); then
  echo "layering: $violations violation(s)"
  exit 1
fi
echo "layering: ok (${#modules[@]} modules)"
