#!/usr/bin/env python3
"""Prints the latest `cargo bench --bench codec` results as Markdown tables.

Reads <target>/criterion/{decode,encode}_<message>/<function>/new/estimates.json (criterion
writes group `decode/<message>` to directory `decode_<message>`): the median time per
operation, and the ratios the targets are stated in.

    python3 benches/criterion_table.py [target-dir]
"""
import json
import os
import subprocess
import sys

MESSAGES = ["close_sub_session", "client_hello", "subscribe_4x3", "data_change_3",
            "error_response", "batch_64"]


def target_dir():
    if len(sys.argv) > 1:
        return sys.argv[1]
    meta = subprocess.run(["cargo", "metadata", "--format-version", "1", "--no-deps"],
                          capture_output=True, text=True, check=True).stdout
    return json.loads(meta)["target_directory"]


def median_ns(root, group, function):
    path = os.path.join(root, "criterion", group, function, "new", "estimates.json")
    try:
        with open(path) as f:
            return json.load(f)["median"]["point_estimate"]
    except FileNotFoundError:
        return None


def fmt(ns):
    return "–" if ns is None else (f"{ns:.0f}" if ns >= 100 else f"{ns:.1f}")


def ratio(a, b):
    return "–" if a is None or b is None else f"{a / b:.2f}"


root = target_dir()
print("| message | decode xentara-ws | minicbor skip | xentara / skip | ciborium "
      "| ciborium / xentara | encode xentara-ws | encode ciborium |")
print("|---|--:|--:|--:|--:|--:|--:|--:|")
for m in MESSAGES:
    dx, ds, dc = (median_ns(root, f"decode_{m}", f) for f in
                  ("xentara-ws", "minicbor-skip", "ciborium"))
    ex, ec = (median_ns(root, f"encode_{m}", f) for f in ("xentara-ws", "ciborium"))
    print(f"| {m} | {fmt(dx)} | {fmt(ds)} | {ratio(dx, ds)} | {fmt(dc)} | {ratio(dc, dx)} "
          f"| {fmt(ex)} | {fmt(ec)} |")

seed = "close_sub_session"
dx, dh, db = (median_ns(root, f"decode_{seed}", f) for f in
              ("xentara-ws", "minicbor-hand", "bytes"))
ex, eh = (median_ns(root, f"encode_{seed}", f) for f in ("xentara-ws", "minicbor-hand"))
print()
print("| seed close_sub_session | xentara-ws | hand-written minicbor | ratio "
      "| plain byte reader | ratio |")
print("|---|--:|--:|--:|--:|--:|")
print(f"| decode | {fmt(dx)} | {fmt(dh)} | {ratio(dx, dh)} | {fmt(db)} | {ratio(dx, db)} |")
print(f"| encode | {fmt(ex)} | {fmt(eh)} | {ratio(ex, eh)} | | |")

scaling = [(n, median_ns(root, "decode-scaling", os.path.join("xentara-ws", f"batch_{n}")))
           for n in (8, 64, 512)]
if all(t is not None for _, t in scaling):
    print()
    print("batch decode per packet (ns): " + ", ".join(f"{n}: {t / n:.1f}" for n, t in scaling))
