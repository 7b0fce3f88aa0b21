#!/usr/bin/env bash
# Builds the shiplog image with buildah (no daemon) and checks it: `shiplog version` must run in it as
# uid 65532 with a read-only root filesystem (deploy/image/run.sh; test/e2e/image.test.ts checks more). Uses the official node image when NODE_IMAGE is given,
# else the local base from deploy/image/base.sh (for machines that reach no container registry).
#
#   deploy/image/build.sh [tag]        default tag: localhost/shiplog:dev
set -euo pipefail
. "$(dirname "$0")/../../scripts/env.sh"
cd "$SHIPLOG_ROOT"
TAG="${1:-localhost/shiplog:dev}"
STORAGE=(--storage-driver "${SHIPLOG_BUILDAH_STORAGE_DRIVER:-vfs}")
NODE_IMAGE="${NODE_IMAGE:-$(deploy/image/base.sh)}"
# The host's CA bundle (it may hold a proxy's CA) reaches `npm ci` as a build secret, not a layer.
CA_FILE="${SHIPLOG_BUILD_CA_FILE:-${SSL_CERT_FILE:-/etc/ssl/certs/ca-certificates.crt}}"
SECRET=()
[ -f "$CA_FILE" ] && SECRET=(--secret "id=extra-ca,src=$CA_FILE")
BUD=(buildah "${STORAGE[@]}" bud --layers --pull-never --isolation chroot "${SECRET[@]}"
  --build-arg NODE_IMAGE="$NODE_IMAGE" -f deploy/Dockerfile)
# The build stage gets a tag of its own, so that pruning below keeps its cached layers (npm ci and
# the nodegit compile) for the next build.
echo "build: buildah bud --target build (base $NODE_IMAGE) -> $TAG-build" >&2
"${BUD[@]}" --target build -t "$TAG-build" .
echo "build: buildah bud -> $TAG" >&2
"${BUD[@]}" -t "$TAG" .
# vfs storage keeps a full copy of every layer: drop what no tag needs any more.
buildah "${STORAGE[@]}" rmi --prune >/dev/null 2>&1 || true
echo "build: checking the image (read-only root, uid 65532)" >&2
"$(dirname "$0")/run.sh" "$TAG" version
buildah "${STORAGE[@]}" images "$TAG"
