#!/usr/bin/env python3
# Copyright (c) syncmap authors. Licensed under the MIT license (see LICENSE).
"""Runs checked_map_bench several times and prints the table docs/checked_map.md quotes.

Each run is a separate process (memory placement, and with it the noise, differs
from one process to the next); each row of each run reports `ratio`, the checked
map's time over the bare container's measured alongside it (see
bench/checked_map_bench.hpp). The table gives, per row, the median over all runs and
repetitions of ns/op, of bare ns/op and of the ratio, and the spread of the ratio
(the middle half of the values).

  bench/checked_map_report.py build/bench/bench/checked_map_bench --runs 8
  bench/checked_map_report.py BINARY --runs 8 --filter '/(off|sampled)/'
"""

import argparse
import collections
import json
import statistics
import subprocess
import sys


def quartiles(values):
    v = sorted(values)
    return v[len(v) // 4], v[(3 * len(v)) // 4]


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("binary")
    ap.add_argument("--runs", type=int, default=8)
    ap.add_argument("--repetitions", type=int, default=3)
    ap.add_argument("--min-time", default="0.05")
    ap.add_argument("--filter", default=".")
    args = ap.parse_args()

    rows = collections.OrderedDict()
    for run in range(args.runs):
        out = subprocess.run(
            [
                args.binary,
                "--benchmark_filter=" + args.filter,
                "--benchmark_repetitions=%d" % args.repetitions,
                "--benchmark_min_time=" + args.min_time,
                "--benchmark_format=json",
            ],
            check=True,
            capture_output=True,
            text=True,
        ).stdout
        for b in json.loads(out)["benchmarks"]:
            if b.get("run_type") != "iteration":
                continue
            r = rows.setdefault(b["run_name"], {"ns": [], "bare": [], "ratio": []})
            r["ns"].append(b["ns/op"])
            r["bare"].append(b["bare ns/op"])
            r["ratio"].append(b["ratio"])
        print("run %d of %d done" % (run + 1, args.runs), file=sys.stderr)

    # The binary registers each mode's rows in its own translation unit, so it
    # lists them mode by mode; the table goes by container, operation, size.
    order = {"std_unordered_map": 0, "absl_flat_hash_map": 1, "Find": 0, "FindEscaping": 1, "Insert": 2, "Erase": 3,
             "off": 0, "sampled": 1, "on": 2}

    def sort_key(name):
        op, container, mode, keys = name.split("/")
        return (order.get(container, 9), order.get(op, 9), int(keys), order.get(mode, 9))

    # Row names spell containers as identifiers; the table, as C++ does.
    spelled = {"std_unordered_map": "std::unordered_map", "absl_flat_hash_map": "absl::flat_hash_map"}

    print("| operation | container | keys | mode | bare ns/op | checked ns/op | checked / bare | middle half |")
    print("|---|---|---|---|---|---|---|---|")
    for name in sorted(rows, key=sort_key):
        r = rows[name]
        op, container, mode, keys = name.split("/")
        keys = "2^20" if keys == str(1 << 20) else keys
        lo, hi = quartiles(r["ratio"])
        print(
            "| %s | `%s` | %s | `%s` | %.1f | %.1f | %+.0f%% | %+.0f%% .. %+.0f%% |"
            % (
                op,
                spelled.get(container, container),
                keys,
                mode,
                statistics.median(r["bare"]),
                statistics.median(r["ns"]),
                (statistics.median(r["ratio"]) - 1) * 100,
                (lo - 1) * 100,
                (hi - 1) * 100,
            )
        )


if __name__ == "__main__":
    main()
