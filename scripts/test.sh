#!/usr/bin/env bash
# The README's test command: installs what it needs (bootstrap + control-plane binaries), then runs
# lint, typecheck, the unit/integration tests of every package and the end-to-end tests against a real
# kube-apiserver + etcd, Redis, git and sops/age. Ends with one 'N passed, N failed' line.
#   scripts/test.sh            everything
#   scripts/test.sh --unit     packages only (no control plane)
set -euo pipefail
. "$(dirname "$0")/env.sh"
cd "$SHIPLOG_ROOT"
mode="${1:-all}"
t0=$SECONDS
scripts/bootstrap.sh
# On a fresh clone bootstrap has just created .toolchain/node: read env.sh again so this shell uses it.
. scripts/env.sh
t_boot=$((SECONDS - t0))
if [ "$mode" != "--unit" ]; then
  t1=$SECONDS
  scripts/build-tools.sh >/dev/null
  echo "test: control-plane binaries ready in $((SECONDS - t1))s" >&2
  # The image test (test/e2e/image.test.ts) builds deploy/Dockerfile with buildah, a rootless-capable
  # builder from Debian; as root with apt, install it. Elsewhere that test is skipped and says why.
  if [ "${SHIPLOG_SKIP_IMAGE:-}" != 1 ] && [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null \
    && ! { command -v buildah && command -v debootstrap; } >/dev/null; then
    echo "test: installing buildah and debootstrap for the image test" >&2
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq buildah debootstrap) >/dev/null \
      || echo "test: apt-get install buildah debootstrap failed; the image test will be skipped" >&2
  fi
fi

log="$(mktemp -d)/test.log"
status=0
echo "== lint and typecheck" >&2
turbo run lint typecheck --output-logs=errors-only || status=1
npx madge --circular --extensions js packages/*/dist >/dev/null || { echo "test: circular imports found (npm run cycles)" >&2; status=1; }
prettier --check . >/dev/null 2>&1 || { echo "test: files not formatted (npm run format)" >&2; { prettier --check . 2>&1 || true; } | tail -20 >&2; status=1; }

echo "== tests" >&2
if [ "$mode" = "--unit" ]; then
  filter=(--filter='./packages/*')
else
  filter=()
  # One control plane shared by every e2e test file (start-up time matters); stopped on any exit.
  t2=$SECONDS
  npm run --silent cluster -- up >/dev/null || { echo "test: the test control plane did not start (see above)" >&2; exit 1; }
  trap 'npm run --silent cluster -- down >/dev/null 2>&1 || true' EXIT
  echo "test: control plane up in $((SECONDS - t2))s" >&2
fi
turbo run test --concurrency=1 --output-logs=full "${filter[@]}" 2>&1 | tee "$log" || status=1

sum() { awk -v k="$1" '$0 ~ ("ℹ " k " [0-9]+$") { n += $NF } END { print n + 0 }' "$log"; }
passed="$(sum pass)"; failed="$(sum fail)"; skipped="$(sum skipped)"; todo="$(sum todo)"
passed="${passed:-0}"; failed="${failed:-0}"; skipped="${skipped:-0}"
if [ "$passed" -eq 0 ]; then echo "test: no test ran" >&2; status=1; fi
[ "$failed" -eq 0 ] || status=1
echo "test: bootstrap ${t_boot}s, total $((SECONDS - t0))s" >&2
echo "tests: $passed passed, $failed failed, $skipped skipped"
exit "$status"
