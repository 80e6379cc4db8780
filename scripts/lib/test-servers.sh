# shellcheck shell=bash
# Sourced by scripts/test. Installs the real servers the tests run against, with
# `go install`, into a cache outside the clone so a fresh clone on the same
# machine reuses them, and Debian's Chromium for the browser tests. Exports
# their paths for the vitest global setup. (Postgres needs nothing here: the
# global setup uses the system's binaries or fetches them through npm.)
#
# MinIO's community edition is source-only now; the Go module proxy serves its
# last commits as pseudo-versions (it does not resolve RELEASE.* tag names).

STOWAGE_MINIO_MODULE="github.com/minio/minio@v0.0.0-20260212201848-7aac2a2c5b7c"
STOWAGE_MC_MODULE="github.com/minio/mc@v0.0.0-20250313080218-cf909e1063a9"
STOWAGE_TOXIPROXY_VERSION="v2.12.0"

# go_tool NAME MODULE@VERSION BINARY -> prints the binary's path, building it when missing.
go_tool() {
  local name="$1" module="$2" binary="$3" version dir
  version="${module##*@}"
  dir="$STOWAGE_CACHE/tools/$name-$version"
  if [ ! -x "$dir/$binary" ]; then
    command -v go >/dev/null || { log "Go is needed to build $name ($module); install Go >= 1.24"; exit 1; }
    log "building $name from $module with go install (first run only; MinIO takes several minutes on 2 cores)"
    local started=$SECONDS tmp="$dir.partial"
    rm -rf "$tmp" && mkdir -p "$tmp"
    # -v prints each package as it compiles: the progress a person watching needs.
    (cd / && GOBIN="$tmp" GOFLAGS=-buildvcs=false go install -v "$module" 2>&1 |
      awk -v n="$name" '{ c++; if (c % 25 == 0) printf("[stowage] %s: %d packages compiled, now %s\n", n, c, $0) > "/dev/stderr" }')
    [ -x "$tmp/$binary" ] || { log "building $name failed"; exit 1; }
    rm -rf "$dir" && mv "$tmp" "$dir"
    log "built $name in $((SECONDS - started))s"
  fi
  printf '%s/%s' "$dir" "$binary"
}

ensure_test_servers() {
  STOWAGE_MINIO_BIN="$(go_tool minio "$STOWAGE_MINIO_MODULE" minio)"
  STOWAGE_MC_BIN="$(go_tool mc "$STOWAGE_MC_MODULE" mc)"
  STOWAGE_TOXIPROXY_BIN="$(go_tool toxiproxy "github.com/Shopify/toxiproxy/v2/cmd/server@$STOWAGE_TOXIPROXY_VERSION" server)"
  export STOWAGE_MINIO_BIN STOWAGE_MC_BIN STOWAGE_TOXIPROXY_BIN
  log "test servers: minio, mc and toxiproxy ready under $STOWAGE_CACHE/tools"
}

# Debian's chromium package gives /usr/bin/chromium, which the browser tests drive
# with playwright-core (Playwright's own browser download is not used).
STOWAGE_CHROMIUM_DEFAULT="/usr/bin/chromium"

ensure_chromium() {
  if [ -n "${STOWAGE_CHROMIUM_BIN:-}" ]; then
    [ -x "$STOWAGE_CHROMIUM_BIN" ] || { log "STOWAGE_CHROMIUM_BIN=$STOWAGE_CHROMIUM_BIN is not an executable"; exit 1; }
  elif [ ! -x "$STOWAGE_CHROMIUM_DEFAULT" ]; then
    command -v apt-get >/dev/null || {
      log "the browser tests need Chromium at $STOWAGE_CHROMIUM_DEFAULT, and apt-get is not available to install it:"
      log "install Chromium with your package manager and set STOWAGE_CHROMIUM_BIN to its path"
      exit 1
    }
    local as_root=()
    if [ "$(id -u)" -ne 0 ]; then
      sudo -n true 2>/dev/null || { log "installing Chromium needs root: run 'sudo apt-get install -y chromium' once, or set STOWAGE_CHROMIUM_BIN"; exit 1; }
      as_root=(sudo -n)
    fi
    local started=$SECONDS
    log "installing Debian's chromium package for the browser tests (first run only; about a minute)"
    if ! "${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -q 2>&1 |
      awk '/^(Get|Hit):/ { n++ } /^(E|W):/ { print > "/dev/stderr" }
           END { printf("[stowage] chromium: package lists updated (%d sources)\n", n) > "/dev/stderr" }'; then
      log "apt-get update failed (see above)"
      exit 1
    fi
    # Progress a person watching can follow: a line every 20 packages fetched or set up.
    if ! "${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium 2>&1 |
      awk '/^Get:/ { g++; if (g % 20 == 0) printf("[stowage] chromium: %d packages downloaded\n", g) > "/dev/stderr" }
           /^Setting up/ { s++; if (s % 20 == 0) printf("[stowage] chromium: %d packages set up\n", s) > "/dev/stderr" }
           /^E:/ { print > "/dev/stderr" }'; then
      log "apt-get install chromium failed (see above)"
      exit 1
    fi
    [ -x "$STOWAGE_CHROMIUM_DEFAULT" ] || { log "apt-get install chromium did not give $STOWAGE_CHROMIUM_DEFAULT"; exit 1; }
    log "installed Chromium in $((SECONDS - started))s"
  fi
  STOWAGE_CHROMIUM_BIN="${STOWAGE_CHROMIUM_BIN:-$STOWAGE_CHROMIUM_DEFAULT}"
  export STOWAGE_CHROMIUM_BIN
  log "browser: $("$STOWAGE_CHROMIUM_BIN" --version 2>/dev/null || echo "$STOWAGE_CHROMIUM_BIN")"
}
