#!/usr/bin/env bash
# Builds the shiplog image with buildah (no daemon) and checks it: `shiplog version` must run in it as
# uid 65532 with a read-only root filesystem. Uses the official node image when NODE_IMAGE is given,
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
echo "build: buildah bud (base $NODE_IMAGE) -> $TAG" >&2
buildah "${STORAGE[@]}" bud --layers --pull-never --isolation chroot "${SECRET[@]}" \
  --build-arg NODE_IMAGE="$NODE_IMAGE" -f deploy/Dockerfile -t "$TAG" .
echo "build: checking the image" >&2
ctr="$(buildah "${STORAGE[@]}" from --pull-never "$TAG")"
trap 'buildah "${STORAGE[@]}" rm "$ctr" >/dev/null' EXIT
buildah "${STORAGE[@]}" run --isolation chroot --user 65532:65532 "$ctr" -- shiplog version
buildah "${STORAGE[@]}" images "$TAG"
