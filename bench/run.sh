#!/usr/bin/env bash
# Runs every benchmark in bench/ (each prints its own numbers), one after another.
# Pass names to run only some: `npm run bench -- verifier`.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "$#" -gt 0 ]; then files=(); for name in "$@"; do files+=("bench/$name.bench.ts"); done
else files=(bench/*.bench.ts); fi
for file in "${files[@]}"; do
  echo "== $file"
  npx tsx "$file"
done
