#!/usr/bin/env python3
"""Markdown tables (mean ± sd over seeds) from JSON-lines result records.

Usage: scripts/results_table.py [--include-smoke] RECORDS.jsonl [MORE.jsonl ...]

Reads records such as scripts/table2.sh writes to results/table2.jsonl — one JSON object a line
with at least "table", "row", "seed", "protocol", "valid_error" and "test_error" (fractions) —
and prints, for every table, one Markdown row per (row, protocol): the paper's figure, the number
of seeds, validation and test error in percent as mean ± sample standard deviation (n − 1) over
the seeds, and the test error of each seed. Rows of Table 2 come in the paper's order, others
after them in the order first seen. Records with "smoke": true (scripts/table2.sh's TABLE2_SMOKE
check) are left out unless --include-smoke is given.

A line that is not a JSON object with those fields, or two records of the same (table, row,
protocol, seed), is an error naming the file and line: the table never silently drops or averages
a record. Standard library only (no numpy), so that CI can run it on a fixture
(crates/potential-cli/tests/results_table.rs).
"""

import json
import math
import sys

# Table 2 of the paper (test error %, MNIST): the rows scripts/table2.sh runs, in its order.
PAPER = {
    "2": {
        "sigmoid": 1.27,
        "modulus": 1.76,
        "linear": 1.99,
        "tanh-factored": 2.02,
        "modulus-factored": 2.04,
        "relu-factored": 2.35,
        "square-factored": 2.5,
    }
}
REQUIRED = ("table", "row", "seed", "protocol", "valid_error", "test_error")


def fail(msg):
    print(f"results_table.py: {msg}", file=sys.stderr)
    sys.exit(1)


def read(paths, include_smoke):
    records = []
    seen = {}
    for path in paths:
        try:
            lines = open(path, encoding="utf-8").read().splitlines()
        except OSError as e:
            fail(f"{path}: {e.strerror}")
        for i, line in enumerate(lines, 1):
            if not line.strip():
                continue
            where = f"{path}:{i}"
            try:
                r = json.loads(line)
            except json.JSONDecodeError as e:
                fail(f"{where}: not JSON ({e.msg})")
            if not isinstance(r, dict):
                fail(f"{where}: not a JSON object")
            missing = [k for k in REQUIRED if k not in r]
            if missing:
                fail(f"{where}: no {', '.join(missing)}")
            for k in ("valid_error", "test_error"):
                v = r[k]
                if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v) or not 0 <= v <= 1:
                    fail(f"{where}: {k} {v!r} is not a fraction in [0, 1]")
            if isinstance(r["seed"], bool) or not isinstance(r["seed"], int):
                fail(f"{where}: seed {r['seed']!r} is not an integer")
            if r.get("smoke") and not include_smoke:
                continue
            key = (str(r["table"]), r["row"], r["protocol"], r["seed"])
            if key in seen:
                fail(f"{where}: a second record of table {key[0]}, row {key[1]}, {key[2]}, seed {key[3]} (first at {seen[key]})")
            seen[key] = where
            records.append(r)
    return records


def mean_sd(xs):
    m = sum(xs) / len(xs)
    if len(xs) < 2:
        return m, None
    return m, math.sqrt(sum((x - m) ** 2 for x in xs) / (len(xs) - 1))


def pm(xs):
    m, sd = mean_sd([100 * x for x in xs])
    return f"{m:.2f}" if sd is None else f"{m:.2f} ± {sd:.2f}"


def tables(records):
    out = []
    for table in dict.fromkeys(str(r["table"]) for r in records):
        rows = [r for r in records if str(r["table"]) == table]
        paper = PAPER.get(table, {})
        order = list(paper) + [k for k in dict.fromkeys(r["row"] for r in rows) if k not in paper]
        groups = {}
        for r in rows:
            groups.setdefault((r["row"], r["protocol"]), []).append(r)
        out.append(f"Table {table}: error % (mean ± sd over seeds)\n")
        out.append("| row | paper | protocol | seeds | validation | **test** | test per seed |")
        out.append("|---|---|---|---|---|---|---|")
        for row in order:
            for (g_row, protocol), rs in groups.items():
                if g_row != row:
                    continue
                rs = sorted(rs, key=lambda r: r["seed"])
                seeds = ", ".join(str(r["seed"]) for r in rs)
                per_seed = ", ".join(f"{100 * r['test_error']:.2f}" for r in rs)
                p = paper.get(row)
                out.append(
                    f"| {row} | {'—' if p is None else p} | {protocol} | {len(rs)} ({seeds}) | "
                    f"{pm([r['valid_error'] for r in rs])} | **{pm([r['test_error'] for r in rs])}** | {per_seed} |"
                )
        out.append("")
    return "\n".join(out)


def main(argv):
    include_smoke = "--include-smoke" in argv
    paths = [a for a in argv if a != "--include-smoke"]
    if not paths or any(a.startswith("-") for a in paths):
        fail("usage: results_table.py [--include-smoke] RECORDS.jsonl [MORE.jsonl ...]")
    records = read(paths, include_smoke)
    if not records:
        fail(f"no records in {', '.join(paths)}")
    sys.stdout.write(tables(records))


if __name__ == "__main__":
    main(sys.argv[1:])
