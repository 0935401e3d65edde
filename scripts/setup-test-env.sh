#!/usr/bin/env bash
# Installs everything the real-toolchain tests need (as root). The work is done by
# `cargo xtask setup` (xtask/src/setup.rs); this name stays for the messages and notes
# that point here.
set -euo pipefail
cd "$(dirname "$0")/.."
exec cargo xtask setup "$@"
