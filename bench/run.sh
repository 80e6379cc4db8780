#!/usr/bin/env bash
# Runs a benchmark (`pnpm bench [driver|offload] [options]`, see bench/README.md):
# makes sure Node.js and pnpm are there, builds MinIO (and, for the offload
# benchmark, rclone) with `go install` on first use, builds the packages and
# the benchmark, then runs it. Arguments go to bench/dist/cli.js.
source "$(dirname "$0")/../scripts/lib/toolchain.sh"
source "$(dirname "$0")/../scripts/lib/test-servers.sh"
source "$(dirname "$0")/../scripts/lib/bench-tools.sh"
ensure_test_servers
if [ "${1:-}" = "offload" ] && [[ " $* " != *" --no-rclone "* ]]; then ensure_bench_tools; fi
cd "$STOWAGE_ROOT"
log "building the packages and the benchmark"
pnpm exec tsc -b bench
exec node bench/dist/cli.js "$@"
