# shellcheck shell=bash
# Sourced by bench/run.sh after test-servers.sh (it reuses go_tool from there).
# Builds the tools only the benchmark needs, so scripts/test never builds them.

STOWAGE_RCLONE_MODULE="github.com/rclone/rclone@v1.76.0"

# ensure_bench_tools -> exports STOWAGE_RCLONE_BIN, building rclone with `go install` on first use.
ensure_bench_tools() {
  STOWAGE_RCLONE_BIN="$(go_tool rclone "$STOWAGE_RCLONE_MODULE" rclone)"
  export STOWAGE_RCLONE_BIN
  log "bench tools: rclone $("$STOWAGE_RCLONE_BIN" version | head -n 1 | awk '{ print $2 }') ready under $STOWAGE_CACHE/tools"
}
