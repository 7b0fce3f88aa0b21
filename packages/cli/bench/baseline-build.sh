#!/usr/bin/env bash
# Builds shiplog at an earlier commit in a throw-away worktree, for benchmarks whose baseline is the
# behaviour before a change (run in the same benchmark run as the current build). The worktree shares
# this checkout's installed node_modules (nodegit's native build included) except the workspace links,
# which point at the worktree's own packages. Prints the path of the baseline's CLI (dist/main.js).
#   packages/cli/bench/baseline-build.sh <commit> [dir]
set -euo pipefail
ref="${1:?usage: baseline-build.sh <commit> [dir]}"
root="$(git -C "$(dirname "$0")" rev-parse --show-toplevel)"
dir="${2:-/tmp/shiplog-baseline-$(git -C "$root" rev-parse --short "$ref")}"
if [ ! -f "$dir/packages/cli/dist/main.js" ]; then
  rm -rf "$dir"
  git -C "$root" worktree prune
  git -C "$root" worktree add --detach "$dir" "$ref" >&2
  mkdir -p "$dir/node_modules/@shiplog"
  for entry in "$root"/node_modules/* "$root"/node_modules/.bin; do
    name="$(basename "$entry")"
    [ "$name" = "@shiplog" ] || ln -sfn "$entry" "$dir/node_modules/$name"
  done
  for pkg in "$dir"/packages/*/; do
    name="$(node -p "require('$pkg/package.json').name")"
    ln -sfn "$pkg" "$dir/node_modules/$name"
  done
  for nested in "$root"/packages/*/node_modules; do
    pkg="$(basename "$(dirname "$nested")")"
    ln -sfn "$nested" "$dir/packages/$pkg/node_modules"
  done
  for pkg in core attribution watcher committer notifier cli; do
    (cd "$dir/packages/$pkg" && "$root/node_modules/.bin/tsc" -p tsconfig.json >&2)
  done
fi
echo "$dir/packages/cli/dist/main.js"
