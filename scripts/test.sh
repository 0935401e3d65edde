#!/usr/bin/env bash
# The test command: installs every prerequisite (scripts/setup-test-env.sh, as root), then
# checks formatting and lints, then runs the whole suite. CI runs exactly this.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/setup-test-env.sh
cargo fmt --all -- --check
cargo clippy --all-targets --locked -- -D warnings
cargo test --locked
