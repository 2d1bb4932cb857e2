#!/usr/bin/env python3
"""Writes the seed corpus (stress/fuzz/corpus/<target>/) in the input format
of ops.hpp: 3 bytes per operation (kind [+ 12 * thread], key, value); the
concurrent target's inputs start with one byte that picks 2 or 3 threads.
Deterministic: rerunning it rewrites the same files."""
import os
import random

KINDS = ["load", "contains", "store", "load_or_store", "load_and_delete", "erase", "swap",
         "compare_and_swap", "compare_and_delete", "clear", "range", "size"]
K = {name: i for i, name in enumerate(KINDS)}
here = os.path.dirname(os.path.abspath(__file__))


def op(kind, key, value=0, thread=0):
    return bytes([K[kind] + 12 * thread, key, value])


def seeds():
    out = {}
    # Every kind on one key, in state order: absent, value, deleted, expunged.
    out["every_kind_one_key"] = b"".join(op(k, 1, 3) for k in KINDS if k != "clear")
    # Fresh keys stored and erased; misses promote; new keys rebuild dirty.
    out["churn_promote_rebuild"] = b"".join(
        op("store", k, k % 8) + op("load", (k + 7) % 16) + op("erase", k) + op("store", (k + 1) % 16, 1)
        for k in range(16)) + op("range", 0) + op("size", 0)
    # Expunged keys revived by each writing kind.
    s = b"".join(op("store", k, 2) for k in range(8)) + op("range", 0)
    s += b"".join(op("erase", k) for k in range(4)) + op("store", 9, 1)
    for k, kind in zip(range(4), ["store", "swap", "load_or_store", "compare_and_swap"]):
        s += op(kind, k, 2) + op("load", k)
    out["revive_expunged"] = s + op("clear", 0) + op("range", 0)
    # Compare-and-* matching and not.
    out["compare"] = b"".join(op("store", 2, 4) + op("compare_and_swap", 2, 4) + op("compare_and_swap", 2, 4) +
                              op("compare_and_delete", 2, 6) + op("compare_and_delete", 2, 6) for _ in range(4))
    rng = random.Random(20261121)
    for i in range(4):
        out["random_%d" % i] = bytes(rng.randrange(256) for _ in range(3 * 200))
    return out


def main():
    base = seeds()
    for target in ("fuzz_sequential", "fuzz_concurrent"):
        d = os.path.join(here, "corpus", target)
        os.makedirs(d, exist_ok=True)
        for name, data in base.items():
            if target == "fuzz_concurrent":
                # Spread the operations over the threads: operation i to thread i % 3.
                ops = [data[j:j + 3] for j in range(0, len(data) - 2, 3)]
                spread = b"".join(bytes([o[0] % 12 + 12 * (i % 3), o[1], o[2]]) for i, o in enumerate(ops))
                for threads in (2, 3):
                    with open(os.path.join(d, "%s_%dt" % (name, threads)), "wb") as f:
                        f.write(bytes([threads - 2]) + spread)
            else:
                with open(os.path.join(d, name), "wb") as f:
                    f.write(data)


if __name__ == "__main__":
    main()
