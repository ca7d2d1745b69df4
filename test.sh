#!/usr/bin/env bash
# Runs every test of the workspace: unit, contract suites on SQLite and PostgreSQL, the HTTP
# contract, and the binary's crash and CLI tests. PostgreSQL must listen on 127.0.0.1:5432
# (override with CIVICGRID_TEST_PG); .ci/run starts it when it is down.
set -euo pipefail
cd "$(dirname "$0")"
# Tests that start servers are bounded; two at a time fit a 2-core machine.
cargo test --workspace --locked -- --test-threads "${CIVICGRID_TEST_THREADS:-4}"
