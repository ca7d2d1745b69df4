#!/usr/bin/env bash
# Runs every test of the workspace: unit and property tests, the storage contract suite on
# SQLite and PostgreSQL, the HTTP contract, deadline and stream tests, and the binary's CLI,
# crash and multi-node tests. PostgreSQL must listen on 127.0.0.1:5432 (override with
# CIVICGRID_TEST_PG); .ci/run starts it when it is down.
set -euo pipefail
cd "$(dirname "$0")"
log=$(mktemp)
trap 'rm -f "$log"' EXIT
# Tests start servers and browsers and some assert sub-second latencies; two at a time on a
# 2-core machine keeps them from starving each other.
status=0
cargo test --workspace --locked -- --test-threads "${CIVICGRID_TEST_THREADS:-2}" 2>&1 | tee "$log" || status=$?
# One closing line with the totals of every test binary.
passed=$(grep -Eo '^test result: [a-zA-Z]+\. [0-9]+ passed' "$log" | awk '{s+=$4} END {print s+0}')
failed=$(grep -Eo '[0-9]+ failed;' "$log" | awk '{s+=$1} END {print s+0}')
echo
echo "${passed} passed, ${failed} failed"
exit "$status"
