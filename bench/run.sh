#!/usr/bin/env bash
# Runs the benchmark (`pnpm bench [options]`, see bench/README.md): makes sure
# Node.js and pnpm are there, builds the MinIO binary on first use, builds the
# driver and the benchmark, then runs it. Options go to bench/dist/main.js.
source "$(dirname "$0")/../scripts/lib/toolchain.sh"
source "$(dirname "$0")/../scripts/lib/test-servers.sh"
ensure_test_servers
cd "$STOWAGE_ROOT"
log "building the driver and the benchmark"
pnpm exec tsc -b bench
exec node bench/dist/main.js "$@"
