#!/usr/bin/env python3
"""Medians per scenario label of chat-loadgen's JSON lines (one file, one line per run).

Lines from --compare-reference runs (issue 15) also give a second table: the reference's
medians and the medians of each run's ratios (ours / reference, both measured in the same
invocation), with the goal (>= 0.5x throughput, <= 2x p99) judged on those medians."""
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
    # --replicas: the pairs whose event was caused on another replica than the stream's
    ("xrep50", lambda r: (r.get("cross_delivery_ms") or {}).get("p50")),
    ("xrep99", lambda r: (r.get("cross_delivery_ms") or {}).get("p99")),
    ("fan99", lambda r: r["fanout_ms"]["p99"]),
    ("send99", lambda r: r["send_ms"]["p99"]),
    ("lost", lambda r: r["lost"]),
    ("dup", lambda r: r["duplicated"]),
    ("ooo", lambda r: r["out_of_order"]),
    ("leak", lambda r: r.get("leaked")),  # lines before the room scenario have none
    ("srvCPU", lambda r: r["server_load_cpu_s"]),
    ("lgCPU", lambda r: r["loadgen_load_cpu_s"]),
    ("cpuUs/dl", lambda r: r.get("server_cpu_us_per_delivery")),  # lines before issue 15 have none
    ("rssOpen", lambda r: (r["server_streams_open"] or {}).get("rss_mb")),
    ("rssEnd", lambda r: (r["server_end"] or {}).get("rss_mb")),
    ("peak", lambda r: (r["server_end"] or {}).get("peak_rss_mb")),
]
print("label".ljust(12) + "".join(c.rjust(10) for c, _ in cols))
for label, rs in runs.items():
    row = [len(rs)] + [med(rs, f) for _, f in cols[1:]]
    print(label.ljust(12) + "".join((f"{v:10.1f}" if isinstance(v, float) else f"{v:10}") for v in row))

def ref(f):
    return lambda r: f(r["reference"])

def ratio(key):
    return lambda r: r["vs_reference"][key]

def cpu_us(r):
    return r.get("server_cpu_us_per_delivery")

ref_cols = [
    ("runs", lambda r: 1),
    ("refDeliv/s", ref(lambda o: o["deliveries_per_s"])),
    ("ourDeliv/s", lambda r: r["deliveries_per_s"]),
    ("x deliv/s", ratio("deliveries_per_s")),
    ("refP50", ref(lambda o: o["delivery_ms"]["p50"])),
    ("ourP50", lambda r: r["delivery_ms"]["p50"]),
    ("x p50", ratio("p50")),
    ("refP99", ref(lambda o: o["delivery_ms"]["p99"])),
    ("ourP99", lambda r: r["delivery_ms"]["p99"]),
    ("x p99", ratio("p99")),
    ("refCPUus", ref(cpu_us)),
    ("ourCPUus", cpu_us),
    ("x CPU", ratio("cpu_per_delivery")),
    ("refInstr", ref(lambda o: o.get("instructions_per_delivery"))),
    ("ourInstr", lambda r: r.get("instructions_per_delivery")),
    ("refBad", ref(lambda o: o["lost"] + o["duplicated"] + o["out_of_order"] + o["leaked"])),
]
compared = {label: [r for r in rs if r.get("reference")] for label, rs in runs.items()}
compared = {label: rs for label, rs in compared.items() if rs}
if compared:
    print()
    print("against the in-memory reference (medians; x = median of the runs' ours/reference ratios)")
    print("label".ljust(12) + "".join(c.rjust(11) for c, _ in ref_cols) + "  goals")
    for label, rs in compared.items():
        row = [len(rs)] + [med(rs, f) for _, f in ref_cols[1:]]
        thr, p99 = med(rs, ratio("deliveries_per_s")), med(rs, ratio("p99"))
        goals = "yes" if thr >= 0.5 and p99 <= 2.0 else ("n/a" if thr != thr or p99 != p99 else "no")
        print(label.ljust(12)
              + "".join((f"{v:11.2f}" if isinstance(v, float) else f"{v:11}") for v in row)
              + "  " + goals)
