#!/usr/bin/env bash
# What the end-to-end tests need beyond scripts/bootstrap.sh; called by scripts/test.sh. Idempotent.
#   1. the control-plane binaries, sops, age and helm (scripts/build-tools.sh, cached by version);
#   2. as root with apt: buildah and debootstrap, for the image test (test/e2e/image.test.ts builds
#      deploy/Dockerfile with them). Elsewhere, or with SHIPLOG_SKIP_IMAGE=1, that test is skipped and
#      says why.
set -euo pipefail
. "$(dirname "$0")/env.sh"
cd "$SHIPLOG_ROOT"

t0=$SECONDS
scripts/build-tools.sh >/dev/null
echo "test: control-plane binaries ready in $((SECONDS - t0))s" >&2

if [ "${SHIPLOG_SKIP_IMAGE:-}" != 1 ] && [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null \
  && ! { command -v buildah && command -v debootstrap; } >/dev/null; then
  echo "test: installing buildah and debootstrap for the image test" >&2
  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq buildah debootstrap) >/dev/null \
    || echo "test: apt-get install buildah debootstrap failed; the image test will be skipped" >&2
fi
