#!/usr/bin/env bash
# BENCHMARKS.md's ssh gateway scenario (issue 14): chat-ssh-bench, three runs against a
# fresh release chat-server and chat-tui ssh-gateway each, then the medians.
# Appends one JSON line per run to ${OUT:-bench-results.jsonl}.
# Usage: bash loadgen/scripts/ssh-bench.sh [chat-ssh-bench options...]
#   (default: --sessions 200 --messages 100 --rate 5, i.e. 5 messages/s for 20 s)
# SB=path/to/chat-ssh-bench (with chat-server and chat-tui beside it) and BUILD=0
# measure prebuilt binaries.
set -euo pipefail
cd "$(dirname "$0")/../.."
OUT="${OUT:-bench-results.jsonl}"
RUNS="${RUNS:-3}"
SB="${SB:-target/release/chat-ssh-bench}"
LABEL="${LABEL:-ssh200}"
# The whole workspace, as bench-all.sh does: a few packages (-p) would resolve other
# features and compile the dependencies again.
if [ "${BUILD:-1}" = 1 ]; then cargo build --release --locked --workspace; fi

ARGS=("$@")
if [ ${#ARGS[@]} -eq 0 ]; then ARGS=(--sessions 200 --messages 100 --rate 5); fi
for i in $(seq 1 "$RUNS"); do
  echo "== $LABEL run $i: chat-ssh-bench ${ARGS[*]}" >&2
  "$SB" --label "$LABEL" "${ARGS[@]}" | tee /dev/stderr | tail -n 1 >> "$OUT"
done

python3 loadgen/scripts/ssh-medians.py "$OUT"
