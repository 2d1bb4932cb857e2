#!/usr/bin/env python3
"""Turns the raw results of bench/run into results.md, the chart and the
target verdicts. Standard library only.

    bench/report.py RESULTS_DIR [--gnuplot PATH] [--update-docs]

RESULTS_DIR holds what bench/run wrote: map_bench.json (Google Benchmark,
medians of the repetitions), absl_deadlock_on.json, go.txt (go test -bench
output, optional), memory.txt, latency.txt, machine.txt. Writes
RESULTS_DIR/results.md, RESULTS_DIR/performance.png (or .svg) and prints
results.md. --update-docs also replaces the results section of
docs/performance.md (between its markers) and docs/performance.png.
"""

import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys

# Column order. The peers are what sync_map is compared with ("best peer").
SYNC = "sync_map"
PEERS = ["std_shared_mutex", "absl_mutex", "tbb_chm", "libcuckoo", "libcds_michael"]
GO = "go_sync_map"
REF = "absl_nolock"
HEADERS = {
    SYNC: "sync_map",
    "std_shared_mutex": "std::unordered_map + shared_mutex",
    "absl_mutex": "absl::flat_hash_map + absl::Mutex",
    "tbb_chm": "tbb::concurrent_hash_map",
    "libcuckoo": "libcuckoo",
    "libcds_michael": "libcds MichaelHashMap (HP)",
    GO: "Go sync.Map",
    REF: "flat_hash_map, no lock (1 thread)",
}
SHORT = {
    SYNC: "sync_map",
    "std_shared_mutex": "std+shared_mutex",
    "absl_mutex": "absl+Mutex",
    "tbb_chm": "tbb",
    "libcuckoo": "libcuckoo",
    "libcds_michael": "libcds",
    GO: "Go sync.Map",
}

READ_MOSTLY = ["LoadMostlyHits", "LoadMostlyMisses", "Range"]
WRITE_HEAVY = ["LoadOrStoreUnique", "AdversarialAlloc", "DeleteCollision"]
# Benchmarks Go 1.19 does not have (added in Go 1.20 and 1.23); and the one
# whose loop changed in Go 1.20 (LoadAndDeleteCollision re-stores the key).
GO_SINCE = {
    "SwapCollision": "1.20", "SwapMostlyHits": "1.20", "SwapMostlyMisses": "1.20",
    "CompareAndSwapCollision": "1.20", "CompareAndSwapNoExistingKey": "1.20",
    "CompareAndSwapValueNotEqual": "1.20", "CompareAndSwapMostlyHits": "1.20",
    "CompareAndSwapMostlyMisses": "1.20", "CompareAndDeleteCollision": "1.20",
    "CompareAndDeleteMostlyHits": "1.20", "CompareAndDeleteMostlyMisses": "1.20",
    "Clear": "1.23",
}
GO_CHANGED = {"LoadAndDeleteCollision": "1.20"}


def go_version_tuple(text):
    m = re.search(r"go(\d+)\.(\d+)", text or "")
    return (int(m.group(1)), int(m.group(2))) if m else None


def version_tuple(s):
    a, b = s.split(".")
    return (int(a), int(b))


# ---------------------------------------------------------------- parsing


def load_gbench(path, field="real_time"):
    """{(workload, map, threads): ns per op} from a Google Benchmark JSON file,
    medians of the repetitions; None for a run that failed. field: real_time
    (wall time / all threads' operations, the table's measure) or cpu_time
    (the threads' CPU time / all their operations)."""
    if not os.path.exists(path):
        return {}
    with open(path) as f:
        data = json.load(f)
    rows = data.get("benchmarks", [])
    have_aggregates = any(r.get("run_type") == "aggregate" for r in rows)
    samples = {}
    scale = {"ns": 1.0, "us": 1e3, "ms": 1e6, "s": 1e9}
    for r in rows:
        if have_aggregates and r.get("aggregate_name") != "median":
            continue
        if not have_aggregates and r.get("run_type") == "aggregate":
            continue
        name = r["run_name"]
        m = re.match(r"^([^/]+)/([^/]+)/.*threads:(\d+)$", name)
        if not m:
            continue
        key = (m.group(1), m.group(2), int(m.group(3)))
        if r.get("error_occurred"):
            samples.setdefault(key, []).append(None)
            continue
        samples.setdefault(key, []).append(r[field] * scale[r.get("time_unit", "ns")])
    out = {}
    for key, vals in samples.items():
        good = [v for v in vals if v is not None]
        out[key] = statistics.median(good) if good and len(good) == len(vals) else None
    return out


def load_go(path):
    """{(workload, threads): ns per op}, medians over -count, from go test
    -bench output; and the Go version line."""
    out, version = {}, None
    if not os.path.exists(path):
        return out, version
    samples = {}
    with open(path) as f:
        for line in f:
            if line.startswith("go version"):
                version = line.strip()
            m = re.match(r"^Benchmark(\w+)/\*sync\.Map(?:-(\d+))?\s+\d+\s+([\d.]+) ns/op", line)
            if m:
                threads = int(m.group(2) or 1)
                samples.setdefault((m.group(1), threads), []).append(float(m.group(3)))
    for key, vals in samples.items():
        out[key] = statistics.median(vals)
    return out, version


def load_lines(path, tag):
    rows = []
    if not os.path.exists(path):
        return rows
    with open(path) as f:
        for line in f:
            parts = line.split()
            if parts and parts[0] == tag:
                rows.append(parts[1:])
    return rows


def load_machine(path):
    info = {}
    if os.path.exists(path):
        with open(path) as f:
            for line in f:
                if ":" in line:
                    k, v = line.split(":", 1)
                    info[k.strip()] = v.strip()
    return info


# ---------------------------------------------------------------- formatting


def fmt(ns):
    if ns is None:
        return "error"
    if ns < 10:
        return f"{ns:.2f}"
    if ns < 100:
        return f"{ns:.1f}"
    return f"{ns:,.0f}"


def fmt_ratio(r):
    return "—" if r is None else f"{r:.2f}"


# ---------------------------------------------------------------- main


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("results")
    ap.add_argument("--gnuplot", default=shutil.which("gnuplot"))
    ap.add_argument("--update-docs", action="store_true")
    args = ap.parse_args()
    d = args.results

    bench = load_gbench(os.path.join(d, "map_bench.json"))
    cpu = load_gbench(os.path.join(d, "map_bench.json"), "cpu_time")
    dd_on = load_gbench(os.path.join(d, "absl_deadlock_on.json"))
    go, go_version = load_go(os.path.join(d, "go.txt"))
    machine = load_machine(os.path.join(d, "machine.txt"))
    go_ver = go_version_tuple(go_version or machine.get("go", ""))
    memory = load_lines(os.path.join(d, "memory.txt"), "memory")
    latency = load_lines(os.path.join(d, "latency.txt"), "latency")
    spikes = load_lines(os.path.join(d, "latency.txt"), "spike")

    workloads, threads = [], []
    for (w, _m, t) in bench:
        if w not in workloads:
            workloads.append(w)
        if t not in threads:
            threads.append(t)
    threads.sort()
    cols = [SYNC] + PEERS + ([GO] if go else []) + [REF]

    def cell(w, m, t):
        if m == GO:
            return go.get((w, t))
        return bench.get((w, m, t))

    def best_peer(w, t):
        vals = [(bench.get((w, p, t)), p) for p in PEERS]
        vals = [(v, p) for v, p in vals if v is not None]
        return min(vals) if vals else (None, None)

    def ratio(a, b):
        return None if a is None or b is None or b == 0 else a / b

    out = []
    emit = out.append

    # ---- the table
    emit("### ns per operation (median of the repetitions; lower is better)")
    emit("")
    emit("One operation is one iteration of Go's benchmark loop; with several threads, "
         "wall time divided by the operations of all threads together (Go's ns/op). "
         "**Bold**: the fastest C++ map in the row. *ratio*: sync_map ÷ the best peer "
         "(below 1: sync_map is faster). *vs Go*: sync_map ÷ Go's sync.Map.")
    emit("")
    head = ["workload", "thr"] + [HEADERS[c] for c in cols] + ["ratio", "vs Go"]
    emit("| " + " | ".join(head) + " |")
    emit("|" + "|".join(["---", "--:"] + ["--:"] * (len(cols) + 2)) + "|")
    notes = set()
    for w in workloads:
        for t in threads:
            row_vals = {c: cell(w, c, t) for c in cols}
            if all(v is None for c, v in row_vals.items() if c not in (GO, REF)) and (w, SYNC, t) not in bench:
                continue
            cpp = [row_vals[c] for c in [SYNC] + PEERS if row_vals[c] is not None]
            fastest = min(cpp) if cpp else None
            cells = []
            for c in cols:
                v = row_vals[c]
                if c == REF and (w, REF, t) not in bench:
                    cells.append("")
                    continue
                if c == GO and v is None:
                    if w in GO_SINCE and (go_ver is None or go_ver < version_tuple(GO_SINCE[w])):
                        cells.append("n/a¹")
                        notes.add(1)
                    else:
                        cells.append("—")
                    continue
                s = fmt(v)
                if c == GO and w in GO_CHANGED and go_ver is not None and go_ver < version_tuple(GO_CHANGED[w]):
                    s += "²"
                    notes.add(2)
                if v is not None and v == fastest and c != GO:
                    s = f"**{s}**"
                cells.append(s)
            bp, _ = best_peer(w, t)
            r = ratio(row_vals[SYNC], bp)
            rg = ratio(row_vals[SYNC], row_vals.get(GO)) if GO in cols else None
            rs = fmt_ratio(r)
            if r is not None and r > 1:
                rs = f"*{rs}*"
            emit("| " + " | ".join([w, str(t)] + cells + [rs, fmt_ratio(rg)]) + " |")
    emit("")
    if 1 in notes:
        emit(f"¹ Not in the Go toolchain of this run ({go_version or 'go'}): the Swap / "
             "CompareAndSwap / CompareAndDelete benchmarks came with Go 1.20, Clear with Go 1.23.")
        emit("")
    if 2 in notes:
        emit("² Go before 1.20 runs LoadAndDeleteCollision without storing the key back after a "
             "successful delete, so most of its iterations delete a missing key; the C++ rows follow "
             "current Go (store it back).")
    if not go:
        emit("Go's column is missing: no `go` toolchain was found (Debian: `apt-get install golang-go`).")
    emit("")

    # ---- absl::Mutex deadlock detection
    if dd_on:
        emit("### absl::Mutex deadlock detection (Debian's Abseil has it on)")
        emit("")
        emit("The table uses `absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore)` "
             "for the absl peer. The same rows with detection left on:")
        emit("")
        emit("| workload | thr | absl + Mutex, detection off | detection on | on ÷ off |")
        emit("|---|--:|--:|--:|--:|")
        for (w, m, t), v in sorted(dd_on.items(), key=lambda kv: (workloads.index(kv[0][0])
                                                                  if kv[0][0] in workloads else 99, kv[0][2])):
            off = bench.get((w, m, t))
            emit(f"| {w} | {t} | {fmt(off) if off else '—'} | {fmt(v)} | {fmt_ratio(ratio(v, off))} |")
        emit("")

    # ---- memory
    if memory:
        emit("### Memory: bytes per entry at 1M int64 → int64 entries")
        emit("")
        emit("| map | state | heap (operator new) B/entry | resident set B/entry |")
        emit("|---|---|--:|--:|")
        for m, state, heap, rss in memory:
            heap_s = "n/a³" if m == "tbb_chm" else heap
            emit(f"| {HEADERS.get(m, m)} | {state} | {heap_s} | {rss} |")
        emit("")
        emit("³ tbb allocates through tbbmalloc, which operator new does not see; its resident-set "
             "growth is the measure.")
        emit("")

    # ---- latency
    if latency:
        emit("### Latency of storing a new key while the map grows to 1M keys (1 thread, ns)")
        emit("")
        emit("*grow*: stores only. *grow+read*: each store followed by two loads of the new key "
             "(sync_map then promotes whenever the map doubles and rebuilds its dirty map at the next "
             "store). Median of the repetitions for each statistic; each sample includes the "
             "clock's own ~20 ns.")
        emit("")
        emit("| map | scenario | p50 | p99 | p99.9 | max | keys in the map at max |")
        emit("|---|---|--:|--:|--:|--:|--:|")
        for m, sc, p50, p99, p999, mx, at in latency:
            emit(f"| {HEADERS.get(m, m)} | {sc} | {int(p50):,} | {int(p99):,} | {int(p999):,} | "
                 f"{int(mx):,} | {int(at):,} |")
        emit("")
        if spikes:
            emit("The five slowest sync_map stores of the last repetition (ns @ keys in the map): " +
                 "; ".join(f"*{sc}*: " + ", ".join(f"{int(ns):,} @ {int(at):,}"
                                                    for mm, sc2, ns, at in spikes if sc2 == sc)
                           for sc in dict.fromkeys(s[1] for s in spikes)) + ".")
            emit("")

    # ---- targets
    emit("### Targets (from this run)")
    emit("")
    verdicts = []

    def verdict(ok, text):
        verdicts.append(("holds" if ok else "**MISSED**", text))

    for w in ["LoadHit", "LoadMostlyHits"]:
        s, ref = bench.get((w, SYNC, 1)), bench.get((w, REF, 1))
        r = ratio(s, ref)
        if r is not None:
            verdict(r <= 1.5, f"{w}, 1 thread: sync_map {fmt(s)} ns vs unsynchronized flat_hash_map::find "
                              f"{fmt(ref)} ns = **{r:.2f}×** (target ≤ 1.5×, goal 1.2×)")
    for w in READ_MOSTLY:
        for t in threads:
            s = bench.get((w, SYNC, t))
            bp, bpn = best_peer(w, t)
            g = go.get((w, t))
            if s is None or bp is None:
                continue
            ok = s < bp and (g is None or s < g)
            text = f"{w}, {t} thr: sync_map {fmt(s)} vs best peer {SHORT[bpn]} {fmt(bp)} ({ratio(s, bp):.2f}×)"
            if g is not None:
                text += f", Go {fmt(g)} ({ratio(s, g):.2f}×)"
            verdict(ok, text + " — target: faster than every peer and Go")
    for w in ["LoadHit"] + READ_MOSTLY:
        s1, s2 = bench.get((w, SYNC, 1)), bench.get((w, SYNC, 2))
        if s1 and s2:
            sc = s1 / s2
            c1, c2 = cpu.get((w, SYNC, 1)), cpu.get((w, SYNC, 2))
            extra = ""
            if c1 and c2:
                # Wall-clock scaling also depends on getting two whole cores;
                # CPU time per operation isolates the map's own contention.
                extra = (f"; CPU time per operation {fmt(c1)} ns at 1 thread, {fmt(c2)} ns at 2 "
                         f"({c2 / c1:.2f}×: {'no' if c2 / c1 < 1.15 else 'some'} contention)")
            verdict(sc >= 1.8, f"{w}: 2-thread throughput = **{sc:.2f}×** 1 thread (target ≥ 1.8×){extra}")
    for w in WRITE_HEAVY:
        for t in threads:
            s = bench.get((w, SYNC, t))
            bp, bpn = best_peer(w, t)
            if s is None or bp is None:
                continue
            r = s / bp
            verdict(r <= 2.0, f"{w}, {t} thr: sync_map {fmt(s)} vs best peer {SHORT[bpn]} {fmt(bp)} = "
                              f"**{r:.2f}×** (target ≤ 2×)")
    for m, sc, p50, p99, p999, mx, at in latency:
        if m == SYNC:
            peers_max = [int(x[5]) for x in latency if x[0] != SYNC and x[1] == sc]
            verdicts.append(("stated", f"worst-case store latency at 1M keys, {sc}: sync_map max "
                                       f"{int(mx) / 1e6:.1f} ms (at {int(at):,} keys), p99.9 {int(p999):,} ns; "
                                       f"peers' max {min(peers_max) / 1e6:.1f}–{max(peers_max) / 1e6:.1f} ms"
                             if peers_max else ""))
    mem = {(m, s): float(rss) for m, s, _h, rss in memory}
    if memory:
        steady = mem.get((SYNC, "promoted"))
        peer_rss = {m: v for (m, s), v in mem.items() if m in PEERS}
        if steady is not None and peer_rss:
            lo = min(peer_rss, key=peer_rss.get)
            hi = max(peer_rss, key=peer_rss.get)
            verdicts.append(("stated", f"memory at 1M entries (resident): sync_map {steady:.0f} B/entry "
                                       f"(snapshot only), {mem.get((SYNC, 'rebuilt'), 0):.0f} with a dirty map "
                                       f"beside it; peers {peer_rss[lo]:.0f} ({SHORT[lo]}) to "
                                       f"{peer_rss[hi]:.0f} ({SHORT[hi]})"))
    for status, text in verdicts:
        emit(f"- {status}: {text}")
    emit("")

    # ---- machine
    if machine:
        emit("### Machine and run")
        emit("")
        for k, v in machine.items():
            emit(f"- {k}: {v}")
        # A single thread that gets a whole core has real time = CPU time;
        # other load on the machine shows up as the ratio growing above 1.
        share = [bench[k] / cpu[k] for k in bench
                 if k[2] == 1 and bench.get(k) and cpu.get(k)]
        if share:
            emit(f"- noise: single-thread benchmarks took {statistics.median(share):.2f}× their CPU time "
                 f"in wall time (median; 1.00 when the run has a core to itself)")
        emit("")

    md = "\n".join(out)
    with open(os.path.join(d, "results.md"), "w") as f:
        f.write(md)

    chart = make_chart(d, bench, go, workloads, threads, args.gnuplot)
    print(md)
    if chart:
        print(f"chart: {chart}", file=sys.stderr)
    if args.update_docs:
        update_docs(md, chart)


DOC = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "docs", "performance.md")
BEGIN = "<!-- results:begin (generated by bench/run --update-docs; do not edit by hand) -->"
END = "<!-- results:end -->"


def update_docs(md, chart):
    with open(DOC) as f:
        text = f.read()
    i, j = text.index(BEGIN) + len(BEGIN), text.index(END)
    with open(DOC, "w") as f:
        f.write(text[:i] + "\n" + md.strip() + "\n" + text[j:])
    if chart:
        dest = os.path.join(os.path.dirname(DOC), os.path.basename(chart))
        shutil.copyfile(chart, dest)
        other = dest[:-3] + ("svg" if dest.endswith("png") else "png")
        if os.path.exists(other):
            os.remove(other)
    print(f"updated {os.path.normpath(DOC)}", file=sys.stderr)


def make_chart(d, bench, go, workloads, threads, gnuplot):
    """One panel per thread count: ns/op per workload (log scale), one bar per
    map. Returns the image path, or None without gnuplot."""
    if not gnuplot:
        print("report: gnuplot not found, no chart", file=sys.stderr)
        return None
    series = [SYNC] + PEERS + ([GO] if go else [])
    for t in threads:
        with open(os.path.join(d, f"chart_t{t}.dat"), "w") as f:
            f.write("workload " + " ".join(series) + "\n")
            for w in workloads:
                vals = []
                for m in series:
                    v = go.get((w, t)) if m == GO else bench.get((w, m, t))
                    vals.append("-" if v is None else f"{v:.3f}")
                f.write(w + " " + " ".join(vals) + "\n")
    terms = subprocess.run([gnuplot, "-e", "set terminal"], capture_output=True, text=True)
    cairo = "pngcairo" in (terms.stdout + terms.stderr)
    image = os.path.join(d, "performance.png" if cairo else "performance.svg")
    height = 600 * len(threads) + 160
    colors = ["#d62728", "#1f77b4", "#ff7f0e", "#2ca02c", "#9467bd", "#8c564b", "#7f7f7f"]
    script = [
        (f"set terminal pngcairo size 1800,{height} font 'sans,10'" if cairo
         else f"set terminal svg size 1800,{height} font 'sans,10'"),
        f"set output '{image}'",
        "set termoption noenhanced",
        "set datafile missing '-'",
        "set style data histograms",
        "set style histogram clustered gap 1",
        "set style fill solid 0.9 border -1",
        "set boxwidth 0.9",
        "set logscale y",
        "set yrange [1:*]",
        "set grid ytics",
        "set ylabel 'ns per operation (log scale, lower is better)'",
        "set xtics rotate by -40 nomirror",
        "set bmargin 12",
        "set rmargin 10",
        "set key outside top center horizontal",
        f"set multiplot layout {len(threads)},1 title 'syncmap::sync_map vs. peers on Go''s sync.Map "
        "benchmarks (ns/op, median)'",
    ]
    for n, t in enumerate(threads):
        if n > 0:
            script.append("unset key")
        script.append(f"set title '{t} thread{'s' if t > 1 else ''}'")
        parts = []
        for i, m in enumerate(series):
            spec = f"'{os.path.join(d, f'chart_t{t}.dat')}' using {i + 2}"
            if i == 0:
                spec += ":xtic(1)"
            spec += f" title '{SHORT[m]}' lc rgb '{colors[i % len(colors)]}'"
            parts.append(spec)
        script.append("plot " + ", ".join(parts))
    script.append("unset multiplot")
    res = subprocess.run([gnuplot], input="\n".join(script), capture_output=True, text=True)
    if res.returncode != 0:
        print("report: gnuplot failed:\n" + res.stderr, file=sys.stderr)
        return None
    return image


if __name__ == "__main__":
    main()
