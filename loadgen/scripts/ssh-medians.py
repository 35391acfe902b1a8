#!/usr/bin/env python3
"""Medians per scenario label of chat-ssh-bench's JSON lines ("bench":"ssh-gateway"); any
other line in the file (chat-loadgen's) is skipped. Latencies in ms (Send start to the
marker on the screen), memory in KiB per session, CPU in seconds over the posting window
and in ms per 1,000 delivered messages."""
import json, statistics, sys
from collections import defaultdict

runs = defaultdict(list)
for line in open(sys.argv[1] if len(sys.argv) > 1 else "bench-results.jsonl"):
    line = line.strip()
    if line.startswith("{"):
        r = json.loads(line)
        if r.get("bench") == "ssh-gateway":
            runs[r["label"]].append(r)

def med(rs, f):
    vals = [f(r) for r in rs if f(r) is not None]
    return statistics.median(vals) if vals else float("nan")

cols = [
    ("runs", lambda r: 1),
    ("sessions", lambda r: r["sessions"]),
    ("deliv", lambda r: r["deliveries"]),
    ("missed", lambda r: r["missed"]),
    ("dropped", lambda r: r["dropped"]),
    ("p50", lambda r: r["latency_ms"]["p50"]),
    ("p90", lambda r: r["latency_ms"]["p90"]),
    ("p99", lambda r: r["latency_ms"]["p99"]),
    ("max", lambda r: r["latency_ms"]["max"]),
    ("send99", lambda r: r["send_ms"]["p99"]),
    ("KiB/sess", lambda r: r["rss_per_session_kib"]),
    ("KiB/end", lambda r: r["rss_per_session_end_kib"]),
    ("gwCPU", lambda r: r["gateway_cpu_s"]),
    ("ms/1000", lambda r: r["gateway_cpu_ms_per_1000"]),
    ("srvCPU", lambda r: r["server_cpu_s"]),
    ("benchCPU", lambda r: r["bench_cpu_s"]),
    ("window", lambda r: r["window_s"]),
]
print("label".ljust(12) + "".join(c.rjust(10) for c, _ in cols))
for label, rs in runs.items():
    row = [len(rs)] + [med(rs, f) for _, f in cols[1:]]
    print(label.ljust(12) + "".join((f"{v:10.1f}" if isinstance(v, float) else f"{v:10}") for v in row))
