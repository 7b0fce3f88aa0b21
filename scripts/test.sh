#!/usr/bin/env bash
# The README's test command: installs what it needs, then runs lint, typecheck, the unit/integration
# tests of every package and the end-to-end tests against a real kube-apiserver + etcd, Redis, git and
# sops/age. The last line on stdout is `tests: N passed, N failed, N skipped`; timings go to stderr.
#   scripts/test.sh            everything
#   scripts/test.sh --unit     packages only (no control plane)
set -euo pipefail
. "$(dirname "$0")/env.sh"
cd "$SHIPLOG_ROOT"
case "${1:-}" in
  "" | --unit) ;;
  *) echo "usage: scripts/test.sh [--unit]" >&2; exit 2 ;;
esac

t0=$SECONDS
scripts/bootstrap.sh
# On a fresh clone bootstrap has just created .toolchain/node: read env.sh again so this shell uses it.
. scripts/env.sh
echo "test: bootstrap $((SECONDS - t0))s" >&2
[ "${1:-}" = --unit ] || scripts/install-test-deps.sh

status=0
echo "== lint and typecheck" >&2
t1=$SECONDS
npm run --silent lint || { echo "test: lint failed (eslint, circular imports or formatting: see above)" >&2; status=1; }
npm run --silent typecheck || { echo "test: typecheck failed (see above)" >&2; status=1; }
echo "test: lint and typecheck $((SECONDS - t1))s" >&2

echo "== tests" >&2
# The shared control plane, every workspace's tests and the summary line (test/harness/run-tests.ts).
npm run --silent test:all -- "$@" || status=1
exit "$status"
