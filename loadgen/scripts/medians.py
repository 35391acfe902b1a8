#!/usr/bin/env python3
"""Medians per scenario label of chat-loadgen's JSON lines (one file, one line per run)."""
import json, statistics, sys
from collections import defaultdict

runs = defaultdict(list)
for line in open(sys.argv[1] if len(sys.argv) > 1 else "bench-results.jsonl"):
    line = line.strip()
    if line.startswith("{"):
        r = json.loads(line)
        runs[r["label"]].append(r)

def med(rs, f):
    vals = [f(r) for r in rs if f(r) is not None]
    return statistics.median(vals) if vals else float("nan")

cols = [
    ("runs", lambda r: 1),
    ("events/s", lambda r: r["events_per_s"]),
    ("deliv/s", lambda r: r["deliveries_per_s"]),
    ("p50", lambda r: r["delivery_ms"]["p50"]),
    ("p90", lambda r: r["delivery_ms"]["p90"]),
    ("p99", lambda r: r["delivery_ms"]["p99"]),
    ("p99.9", lambda r: r["delivery_ms"]["p999"]),
    ("max", lambda r: r["delivery_ms"]["max"]),
    ("fan99", lambda r: r["fanout_ms"]["p99"]),
    ("send99", lambda r: r["send_ms"]["p99"]),
    ("lost", lambda r: r["lost"]),
    ("dup", lambda r: r["duplicated"]),
    ("ooo", lambda r: r["out_of_order"]),
    ("leak", lambda r: r.get("leaked")),  # lines before the room scenario have none
    ("srvCPU", lambda r: r["server_load_cpu_s"]),
    ("lgCPU", lambda r: r["loadgen_load_cpu_s"]),
    ("rssOpen", lambda r: (r["server_streams_open"] or {}).get("rss_mb")),
    ("rssEnd", lambda r: (r["server_end"] or {}).get("rss_mb")),
    ("peak", lambda r: (r["server_end"] or {}).get("peak_rss_mb")),
]
print("label".ljust(12) + "".join(c.rjust(10) for c, _ in cols))
for label, rs in runs.items():
    row = [len(rs)] + [med(rs, f) for _, f in cols[1:]]
    print(label.ljust(12) + "".join((f"{v:10.1f}" if isinstance(v, float) else f"{v:10}") for v in row))
