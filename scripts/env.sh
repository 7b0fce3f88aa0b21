# shellcheck shell=bash
# Sourced by every project script: puts the project's Node 24 first on PATH and points native addon
# builds at its headers. Reads nothing else and changes nothing on disk.
SHIPLOG_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export SHIPLOG_ROOT
export SHIPLOG_NODE_VERSION="${SHIPLOG_NODE_VERSION:-24.21.0}"
export SHIPLOG_CACHE_DIR="${SHIPLOG_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/shiplog}"
if [ -x "$SHIPLOG_ROOT/.toolchain/node/bin/node" ]; then
  export PATH="$SHIPLOG_ROOT/.toolchain/node/bin:$PATH"
  export npm_config_nodedir="$SHIPLOG_ROOT/.toolchain/node"
fi
# Root's tools (debootstrap, sshd, buildah's helpers) live in sbin, which a minimal PATH may lack.
for d in /usr/local/sbin /usr/sbin /sbin; do
  case ":$PATH:" in *":$d:"*) ;; *) [ -d "$d" ] && PATH="$PATH:$d" ;; esac
done
export PATH
if [ -d /usr/local/go/bin ]; then
  export PATH="$PATH:/usr/local/go/bin"
fi
export PATH="$SHIPLOG_ROOT/node_modules/.bin:$PATH"
export TURBO_TELEMETRY_DISABLED=1 DO_NOT_TRACK=1
