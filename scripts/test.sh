#!/usr/bin/env bash
# The test command: installs every prerequisite (`cargo xtask setup`, as root), then
# checks formatting and lints (the real-toolchain suite included), then runs the unit tests
# and the real-toolchain suite (`--features real`). CI runs exactly this.
set -euo pipefail
cd "$(dirname "$0")/.."

cargo xtask setup
cargo fmt --all -- --check
cargo clippy --workspace --all-targets --features real --locked -- -D warnings
cargo test --workspace --features real --locked
