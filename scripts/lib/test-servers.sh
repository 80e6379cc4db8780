# shellcheck shell=bash
# Sourced by scripts/test. Installs the real servers the tests run against, with
# `go install`, into a cache outside the clone so a fresh clone on the same
# machine reuses them. Exports their paths for the vitest global setup.
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
