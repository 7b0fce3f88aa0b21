#!/usr/bin/env bash
# Runs the shiplog image the way the Helm chart runs its container, without a container engine:
# as uid/gid 65532, with a read-only root filesystem, a fresh tmpfs on /tmp, a host directory as the
# writable /var/lib/shiplog (the repo volume), the image's own environment and entrypoint, and the
# host's network (so that it reaches a test apiserver and Redis on loopback). Needs root (mount and
# chroot in a private mount namespace) and buildah.
#
#   deploy/image/run.sh [--data DIR] [-v HOST:CTR]... [-e K=V]... [--entrypoint CMD] IMAGE [ARGS...]
#
#   --data DIR        host directory mounted read-write on /var/lib/shiplog (default: a new temp dir,
#                     removed afterwards); made writable for uid 65532
#   -v HOST:CTR       read-only bind mount of a host file or directory (e.g. a kubeconfig)
#   -e K=V            extra environment variable
#   --entrypoint CMD  run CMD instead of the image's entrypoint (e.g. /bin/sh)
#
# SIGTERM and SIGINT are passed on to the containerised process; the exit code is its exit code.
set -euo pipefail
STORAGE=(--storage-driver "${SHIPLOG_BUILDAH_STORAGE_DRIVER:-vfs}")
die() { echo "run: $*" >&2; exit 125; }

data="" entrypoint="" binds=() envs=()
while [ $# -gt 0 ]; do
  case "$1" in
    --data) data="$2"; shift 2 ;;
    -v) binds+=("$2"); shift 2 ;;
    -e) envs+=("$2"); shift 2 ;;
    --entrypoint) entrypoint="$2"; shift 2 ;;
    --) shift; break ;;
    -*) die "unknown option $1" ;;
    *) break ;;
  esac
done
[ $# -ge 1 ] || die "usage: run.sh [--data DIR] [-v HOST:CTR]... [-e K=V]... [--entrypoint CMD] IMAGE [ARGS...]"
image="$1"; shift
[ "$(id -u)" = 0 ] || die "needs root (a private mount namespace, a read-only bind mount and chroot)"
command -v buildah >/dev/null || die "buildah is missing: apt-get install -y buildah"

own_data=""
if [ -z "$data" ]; then data="$(mktemp -d)"; own_data="$data"; fi
mkdir -p "$data" && chown 65532:65532 "$data"

ctr="$(buildah "${STORAGE[@]}" from --pull-never "$image")" || die "no image $image (deploy/image/build.sh builds it)"
cleanup() {
  buildah "${STORAGE[@]}" umount "$ctr" >/dev/null 2>&1 || true
  buildah "${STORAGE[@]}" rm "$ctr" >/dev/null 2>&1 || true
  [ -z "$own_data" ] || rm -rf "$own_data"
}
trap cleanup EXIT
root="$(buildah "${STORAGE[@]}" mount "$ctr")"

# The image's environment, entrypoint and working directory, as its OCI config gives them.
inspect="$(buildah "${STORAGE[@]}" inspect --type image "$image")"
cfg() { printf '%s' "$inspect" | node -e "const c = JSON.parse(require('fs').readFileSync(0, 'utf8')).OCIv1.config ?? {}; $1"; }
mapfile -t image_env < <(cfg 'for (const e of c.Env ?? []) console.log(e)')
mapfile -t image_entry < <(cfg 'for (const e of c.Entrypoint ?? []) console.log(e)')
workdir="$(cfg 'process.stdout.write(c.WorkingDir || "/")')"
[ "${#image_env[@]}" -gt 0 ] || die "cannot read the environment of $image"
[ -z "$entrypoint" ] || image_entry=("$entrypoint")
[ "${#image_entry[@]}" -gt 0 ] || die "the image has no entrypoint and none was given"

# Inside a private mount namespace (gone when the process exits): bind the root onto itself and make
# it read-only, then mount the writable places and the read-only extras, then chroot as 65532.
setup='set -e
root="$1"; data="$2"; shift 2
mount --bind "$root" "$root"
mount --make-private "$root"
for b in $SHIPLOG_RUN_BINDS; do
  host="${b%%:*}"; ctr="${b#*:}"
  if [ -d "$host" ]; then mkdir -p "$root$ctr"; else mkdir -p "$(dirname "$root$ctr")"; [ -e "$root$ctr" ] || : > "$root$ctr"; fi
done
mkdir -p "$root/tmp" "$root/var/lib/shiplog" "$root/dev" "$root/proc"
mount -o remount,bind,ro "$root"
mount -t tmpfs -o mode=1777,size=512m tmpfs "$root/tmp"
mount --bind "$data" "$root/var/lib/shiplog"
mount --rbind /dev "$root/dev"
mount -t proc proc "$root/proc"
for b in $SHIPLOG_RUN_BINDS; do
  host="${b%%:*}"; ctr="${b#*:}"
  mount --bind "$host" "$root$ctr"
  mount -o remount,bind,ro "$root$ctr"
done
exec chroot --userspec=65532:65532 "$root" "$@"'
export SHIPLOG_RUN_BINDS="${binds[*]:-}"
unshare --mount --propagation private sh -c "$setup" run "$root" "$data" \
  /usr/bin/env -i "${image_env[@]}" "${envs[@]}" /bin/sh -c 'cd "$0" && exec "$@"' "$workdir" \
  "${image_entry[@]}" "$@" &
child=$!
trap 'kill -TERM "$child" 2>/dev/null || true' TERM
trap 'kill -INT "$child" 2>/dev/null || true' INT
set +e
while :; do
  wait "$child"; code=$?
  # wait returns early (>128) when a trapped signal arrives; wait again until the child has exited.
  kill -0 "$child" 2>/dev/null || break
done
exit "$code"
