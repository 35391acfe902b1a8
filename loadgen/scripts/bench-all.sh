#!/usr/bin/env bash
# The scenarios of BENCHMARKS.md, three runs each, against fresh release servers.
# Appends one JSON line per run to ${OUT:-bench-results.jsonl} and prints the medians.
# REFERENCE=1: each run is made against the in-memory reference server first, then
# against chat-server (--compare-reference, issue 15); the medians then include the ratios.
# Usage (what `just bench` runs with arguments): bash loadgen/scripts/bench-all.sh [scenario...]   (sqlite100 sqlite100max sqlite1000 pg100 rooms50 idle5000)
# The big and replica scenarios of issue 15 run only when named: pg1000 sqlite10000
# idle50000 (about 10 minutes of sign-ins alone) replicas3 replicas1 (REFERENCE=1 does not
# apply to the replicas: replicas1 is their yardstick).
set -euo pipefail
cd "$(dirname "$0")/../.."
PG_URL="${PG_URL:-postgres://postgres@127.0.0.1:5432/postgres}"
OUT="${OUT:-bench-results.jsonl}"
RUNS="${RUNS:-3}"
# LG=path/to/chat-loadgen (with chat-server beside it) and BUILD=0 measure prebuilt binaries.
LG="${LG:-target/release/chat-loadgen}"
# The whole workspace: building a few packages (-p) would resolve other features and
# compile the dependencies again.
if [ "${BUILD:-1}" = 1 ]; then cargo build --release --locked --workspace; fi

COMPARE=()
if [ "${REFERENCE:-0}" = 1 ]; then COMPARE=(--compare-reference); fi

scenario() {
  local label=$1; shift
  for i in $(seq 1 "$RUNS"); do
    echo "== $label run $i: chat-loadgen $* ${COMPARE[*]}" >&2
    "$LG" --label "$label" "$@" "${COMPARE[@]}" | tee /dev/stderr | tail -n 1 >> "$OUT"
  done
}

ALL=("$@")
run_if() { local name=$1; shift; if [ ${#ALL[@]} -eq 0 ] || [[ " ${ALL[*]} " == *" $name "* ]]; then scenario "$name" "$@"; fi; }
# Only when named (long, or without a reference); never --compare-reference for replicas.
named() { [[ " ${ALL[*]} " == *" $1 "* ]]; }
run_named() { local name=$1; shift; if named "$name"; then scenario "$name" "$@"; fi; }
run_named_alone() {
  local name=$1; shift
  if named "$name"; then local saved=("${COMPARE[@]}"); COMPARE=(); scenario "$name" "$@"; COMPARE=("${saved[@]}"); fi
}

# 80 messages/s = 240 events/s = 24,000 deliveries/s sustained: the target's load.
run_if sqlite100  --spawn sqlite   --subscribers 100  --posters 4 --reactors 4 --duration 10 --rate 80
# The same without a cap: as fast as the gate and the server allow.
run_if sqlite100max --spawn sqlite --subscribers 100  --posters 4 --reactors 4 --duration 10
run_if sqlite1000 --spawn sqlite   --subscribers 1000 --posters 4 --reactors 4 --duration 10
run_if pg100      --spawn "$PG_URL" --subscribers 100 --posters 4 --reactors 4 --duration 10
# 1,000 subscribers in 50 rooms of 20 (each user in one room; posters and reactors in all).
run_if rooms50    --spawn sqlite   --subscribers 1000 --rooms 50 --posters 4 --reactors 4 --duration 10
run_if idle5000   --spawn sqlite   --subscribers 5000 --sessions-per-user 5 --connections 50 --idle --settle 5

# Issue 15's big scenarios. Sign-ups and password sign-ins are Argon2 hashes (~120 a
# second on 2 cores); with --sessions-per-user (the server's max_sessions_per_user is 20)
# a spawned chat-server's users open their later sessions with an ssh key (no hash).
run_named pg1000      --spawn "$PG_URL" --subscribers 1000 --posters 4 --reactors 4 --duration 10
run_named sqlite10000 --spawn sqlite --subscribers 10000 --sessions-per-user 20 --connections 64 \
  --posters 4 --reactors 4 --duration 10 --settle 5 --drain-timeout 120
# 50,000 idle streams over 250 connections (200 each: the server allows 256 calls at once on one).
run_named idle50000   --spawn sqlite --subscribers 50000 --sessions-per-user 20 --connections 250 \
  --idle --settle 5 --drain-timeout 300 --signup-parallelism 16
# Three replicas of chat-server on one PostgreSQL database, clients round-robin over them,
# against the same load on one (the comparison; there is no reference for replicas).
run_named_alone replicas3 --spawn "$PG_URL" --replicas 3 --subscribers 100 --posters 4 --reactors 4 --duration 10
run_named_alone replicas1 --spawn "$PG_URL" --replicas 1 --subscribers 100 --posters 4 --reactors 4 --duration 10

python3 loadgen/scripts/medians.py "$OUT"
