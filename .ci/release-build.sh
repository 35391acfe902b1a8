#!/usr/bin/env bash
# The release build, in one place: the Dockerfile runs this script and CI runs it too, so
# a commit that passes CI builds in Docker. server/tests/deploy/files.rs checks that the
# Dockerfile's cached dependency layer (cargo chef cook) uses the same arguments.
set -euo pipefail
cargo build --locked --release -p chat-server -p chat-tui
