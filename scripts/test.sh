#!/usr/bin/env bash
# The test command: installs every prerequisite (scripts/setup-test-env.sh, as root), then
# checks formatting and lints (the real-toolchain suite included), then runs the unit tests
# and the real-toolchain suite (`--features real`). CI runs exactly this.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/setup-test-env.sh
cargo fmt --all -- --check
cargo clippy --workspace --all-targets --features real --locked -- -D warnings
cargo test --workspace --features real --locked
