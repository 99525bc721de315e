#!/usr/bin/env python3
"""Residents per unit from a `fifteen coverage` output folder, against an official count.

Usage:
    scripts/estimate_check.py OUT_DIR CENSUS.csv [--level subdistrict]

OUT_DIR is a folder `fifteen coverage` wrote (its `indicators.csv` is read); CENSUS.csv has
columns `name,residents` (see tests/data/census/). Prints one row per census unit: the
estimate, the official count and their ratio; then the totals and the median |ln ratio| over
the units found in both (0 = exact, 0.69 = off by a factor of two either way).
Python 3 standard library only.
"""

import argparse
import csv
import math
import statistics
import sys
from pathlib import Path


def estimate_per_unit(out_dir: Path, level: str) -> dict[str, float]:
    """Residents per unit name at `level`, from the first category's rows of indicators.csv."""
    rows = list(csv.DictReader(open(out_dir / "indicators.csv", encoding="utf-8-sig")))
    if not rows:
        sys.exit(f"{out_dir}/indicators.csv has no rows")
    category = rows[0]["category"]
    return {
        r["unit_name"]: float(r["residents"] or 0)
        for r in rows
        if r["level"] == level and r["category"] == category and r["unit_id"] != "outside"
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out_dir", type=Path)
    parser.add_argument("census", type=Path)
    parser.add_argument("--level", default="subdistrict", help="unit level in indicators.csv")
    args = parser.parse_args()

    estimate = estimate_per_unit(args.out_dir, args.level)
    census = {
        r["name"]: float(r["residents"])
        for r in csv.DictReader(open(args.census, encoding="utf-8-sig"))
    }
    print(f"| unit | estimate | official | ratio |\n|---|---:|---:|---:|")
    log_ratios, est_total, off_total = [], 0.0, 0.0
    for name in sorted(census):
        official = census[name]
        if name not in estimate:
            print(f"| {name} | (no unit) | {official:,.0f} | |")
            continue
        est = estimate[name]
        est_total += est
        off_total += official
        ratio = est / official
        if est > 0:
            log_ratios.append(abs(math.log(ratio)))
        print(f"| {name} | {est:,.0f} | {official:,.0f} | {ratio:.2f} |")
    ratio = est_total / off_total if off_total else float("nan")
    print(f"| **total (units found)** | {est_total:,.0f} | {off_total:,.0f} | {ratio:.2f} |")
    if log_ratios:
        print(
            f"\nmedian |ln ratio| over {len(log_ratios)} units: "
            f"{statistics.median(log_ratios):.3f} (factor {math.exp(statistics.median(log_ratios)):.2f})"
        )
    missing = sorted(set(estimate) - set(census))
    if missing:
        print(f"units without an official count: {', '.join(missing)}")


if __name__ == "__main__":
    main()
