#!/usr/bin/env bash
# Instructions per delivery under valgrind's callgrind, for machines where
# `perf stat -e instructions` says <not supported> (most VMs; chat-loadgen then reports n/a).
#
# Two short runs per server, the same setup with M1 and then M2 messages; the difference
# cancels start-up, sign-ups (Argon2 on chat-server), stream setup and shutdown, leaving
# the cost of the extra deliveries:
#     instructions per delivery = (I(M2) - I(M1)) / (deliveries(M2) - deliveries(M1))
# Timer-driven work (keepalives, chat-server's 2 s poll) does not cancel exactly: the runs
# last different times under valgrind. Take the figure to ~10 %, and compare the servers'
# figures with each other rather than with perf's on other machines.
#
# Usage: bash loadgen/scripts/callgrind.sh [reference] [sqlite] [postgres://...]   (default: reference sqlite)
# Env: LG (chat-loadgen, chat-server beside it; default target/release/chat-loadgen),
#      SUBS (20), M1 (20), M2 (220), SPU (subscriber sessions per user, 1; at 1,000
#      subscribers SPU=20 keeps the Argon2 sign-ins under valgrind to ~60), KEEP (a directory:
#      the callgrind outputs are copied there, for callgrind_annotate), ACK_DEBOUNCE_MS (an
#      hour: acks every --ack-batch 50 events only; under valgrind the usual 250 ms timer
#      would fire every few events, and the count of acks, each a whole RPC with its token
#      check, would depend on how slow the run was). Slow: valgrind runs one thread at a time, ~50x slower;
#      a few minutes in all. Loopback only; every server is stopped before the script ends.
set -euo pipefail
cd "$(dirname "$0")/../.."
LG="${LG:-target/release/chat-loadgen}"
SUBS="${SUBS:-20}"
M1="${M1:-20}"
M2="${M2:-220}"
SPU="${SPU:-1}"
command -v valgrind >/dev/null || { echo "callgrind.sh: valgrind is not installed" >&2; exit 2; }
WORK=$(mktemp -d /tmp/chat-callgrind.XXXXXX)
cleanup() {
  # A server still under valgrind (the load generator only killed the wrapper shell).
  for f in "$WORK"/*.pid; do
    [ -e "$f" ] && kill -KILL "$(cat "$f")" 2>/dev/null || true
  done
  if [ -n "${KEEP:-}" ]; then mkdir -p "$KEEP" && cp "$WORK"/*.out "$KEEP"/ 2>/dev/null || true; fi
  rm -rf "$WORK"
}
trap cleanup EXIT
targets=("$@")
[ ${#targets[@]} -eq 0 ] && targets=(reference sqlite)

# run TARGET MESSAGES: prints "INSTRUCTIONS DELIVERIES"
run() {
  local target=$1 m=$2 name real
  name=$(echo "$target-$m" | tr -c 'A-Za-z0-9\n-' '_')
  if [ "$target" = reference ]; then real=$(realpath "$LG"); else real=$(realpath "$(dirname "$LG")/chat-server"); fi
  # The wrapper stays the parent of valgrind, so the load generator's SIGKILL at the end
  # hits the shell and not valgrind, which we then stop with SIGTERM: the server shuts
  # down as it would, and callgrind writes its totals.
  cat >"$WORK/$name.sh" <<EOF
#!/bin/sh
valgrind --tool=callgrind --callgrind-out-file="$WORK/$name.out" "$real" "\$@" &
echo \$! >"$WORK/$name.pid"
wait
EOF
  chmod +x "$WORK/$name.sh"
  local spawn=(--spawn "$target" --server-bin "$WORK/$name.sh")
  [ "$target" = reference ] && spawn=(--spawn reference --reference-bin "$WORK/$name.sh")
  local json
  json=$("$LG" "${spawn[@]}" --subscribers "$SUBS" --posters 2 --reactors 2 --messages "$m" \
    --sessions-per-user "$SPU" --ack-debounce-ms "${ACK_DEBOUNCE_MS:-3600000}" --signup-parallelism 2 --settle 2 --drain-timeout 120 --label "callgrind-$target" \
    2>"$WORK/$name.err" | tail -n 1) || { cat "$WORK/$name.err" >&2; return 1; }
  local pid
  pid=$(cat "$WORK/$name.pid")
  kill -TERM "$pid" 2>/dev/null || true
  for _ in $(seq 1 600); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  kill -KILL "$pid" 2>/dev/null || true
  rm -f "$WORK/$name.pid"
  local instr deliveries
  instr=$(grep -m1 -E '^(totals|summary):' "$WORK/$name.out" | awk '{print $2}')
  deliveries=$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["deliveries"])' "$json")
  echo "$instr $deliveries"
}

for target in "${targets[@]}"; do
  echo "== $target: $M1 then $M2 messages, $SUBS subscribers, under callgrind" >&2
  first=$(run "$target" "$M1")
  second=$(run "$target" "$M2")
  read -r i1 d1 <<<"$first"
  read -r i2 d2 <<<"$second"
  python3 - "$target" "$i1" "$d1" "$i2" "$d2" <<'EOF'
import sys
target, i1, d1, i2, d2 = sys.argv[1], *map(int, sys.argv[2:])
per = (i2 - i1) / (d2 - d1) if d2 > d1 else float("nan")
print(f"{target}: {i1:,} instructions / {d1:,} deliveries, {i2:,} / {d2:,}: "
      f"{per:,.0f} instructions per delivery")
EOF
done
