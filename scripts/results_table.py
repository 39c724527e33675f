#!/usr/bin/env python3
"""Markdown tables (mean ± sd over seeds) from JSON-lines result records.

Usage: scripts/results_table.py [--include-smoke] [--protocol P] RECORDS.jsonl [MORE.jsonl ...]

Three kinds of record, told apart by their fields:
- Table rows, as scripts/table2.sh writes to results/table2.jsonl: "table", "row", "seed",
  "protocol", "valid_error" and "test_error" (fractions). For every table, one Markdown row per
  (row, protocol): the paper's figure, the number of seeds, validation and test error in percent
  as mean ± sample standard deviation (n − 1) over the seeds, and the test error of each seed.
  Rows of Table 2 come in the paper's order, each followed by its "-validated" twin (the row with
  the configuration chosen on validation rows; same paper figure), others after them in the order
  first seen. Records
  with "smoke": true (scripts/table2.sh's TABLE2_SMOKE check) are left out unless
  --include-smoke is given.
- Larochelle cells, as scripts/larochelle-tables.sh writes: "set", "model", "valid_error",
  "test_error", "train_seconds", and "protocol" (absent: "pretrain-on all", the records made before
  --pretrain-on existed) and "seed" (absent: 1). Per protocol: Table 3 (sets × the four basic
  models), Table 4 (the sigmoid variants, where present) and Table 5 (per seed, sigmoid or
  sigmoid factored, whichever has the lower validation error; the mean ± sd of the chosen test
  errors). --protocol keeps one protocol's cells.

- Validation sweeps, as scripts/table2_validation.sh writes to results/table2-validation.jsonl:
  "table": "2-validation", "row", "variant", "seed", "valid_error" (no test error: the sweep never
  reads a test image), "overrides", "kept_epoch". Per row, one Markdown row per variant in the order
  first seen: its settings, the seeds, the validation error as mean ± sd over them, per seed, and
  the kept epochs; the variant with the lowest mean is in bold.

A line that is not a JSON object with those fields, or two records of the same (table, row,
protocol, seed) or (set, model, protocol, seed), is an error naming the file and line: the table
never silently drops or averages a record. Standard library only (no numpy), so that CI can run it
on fixtures (crates/potential-cli/tests/results_table.rs).
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
VALIDATED = "-validated"
REQUIRED = ("table", "row", "seed", "protocol", "valid_error", "test_error")
SWEEP_REQUIRED = ("table", "row", "variant", "seed", "valid_error")
SWEEP = "2-validation"
CELL_REQUIRED = ("set", "model", "valid_error", "test_error", "train_seconds")

# The paper's Table 3 (linear, modulus, sigmoid, sigmoid factored) and Table 5 (CSAE) test errors %.
LAROCHELLE = {
    "rectangles": (0.84, 4.82, 2.72, 0.84, 0.84),
    "rectangles-image": (25.3, 24.9, 21.45, 22.76, 21.45),
    "convex": (36.34, 23.18, 21.52, 22.12, 21.52),
    "mnist-basic": (3.91, 5.17, 3.18, 3.62, 2.61),
    "mnist-rot": (16.19, 13.22, 13.11, 14.46, 11.25),
    "mnist-back-rand": (17.96, 17.08, 19.52, 12.64, 12.64),
    "mnist-back-image": (22.37, 23.38, 21.87, 22.77, 20.15),
    "mnist-rot-back-image": (56.15, 52.88, 54.79, 47.14, 47.14),
}
BASIC = ["linear", "modulus", "sigmoid", "sigmoid-factored"]
# The paper's Table 4 (energies, normalize only, no pretraining, CSAE) test errors %.
TABLE4 = {
    "mnist-basic": (3.39, 3.66, 5.53, 3.38),
    "mnist-rot": (14.32, 20.85, 19.95, 13.77),
    "convex": (44.36, 33.9, 24.02, 21.52),
}
VARIANTS = ["sigmoid-energies", "sigmoid-normalize-only", "sigmoid-no-pretrain", "sigmoid", "sigmoid-hinge"]


def fail(msg):
    print(f"results_table.py: {msg}", file=sys.stderr)
    sys.exit(1)


def read(paths, include_smoke, protocol=None):
    records, cells, sweeps = [], [], []
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
            cell = "table" not in r and "set" in r
            sweep = r.get("table") == SWEEP
            if cell:
                r = dict(r)
                r.setdefault("protocol", "pretrain-on all")
                r.setdefault("seed", 1)
            missing = [k for k in (CELL_REQUIRED if cell else SWEEP_REQUIRED if sweep else REQUIRED) if k not in r]
            if missing:
                fail(f"{where}: no {', '.join(missing)}")
            for k in ("valid_error",) if sweep else ("valid_error", "test_error"):
                v = r[k]
                if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v) or not 0 <= v <= 1:
                    fail(f"{where}: {k} {v!r} is not a fraction in [0, 1]")
            if isinstance(r["seed"], bool) or not isinstance(r["seed"], int):
                fail(f"{where}: seed {r['seed']!r} is not an integer")
            if r.get("smoke") and not include_smoke:
                continue
            if protocol is not None and r.get("protocol") != protocol:
                continue
            if sweep:
                key = (SWEEP, r["row"], r["variant"], r["seed"])
                name = f"the sweep's row {key[1]}, variant {key[2]}, seed {key[3]}"
            elif cell:
                key = ("cell", r["set"], r["model"], r["protocol"], r["seed"])
                name = f"set {key[1]}, model {key[2]}, {key[3]}, seed {key[4]}"
            else:
                key = (str(r["table"]), r["row"], r["protocol"], r["seed"])
                name = f"table {key[0]}, row {key[1]}, {key[2]}, seed {key[3]}"
            if key in seen:
                fail(f"{where}: a second record of {name} (first at {seen[key]})")
            seen[key] = where
            (sweeps if sweep else cells if cell else records).append(r)
    return records, cells, sweeps


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
        # A "-validated" row (its configuration chosen on validation rows: RESULTS.md, "How the
        # Table 2 configurations were found") follows its row and shares its paper figure.
        seen = list(dict.fromkeys(r["row"] for r in rows))
        order = [x for k in paper for x in (k, k + VALIDATED)]
        order += [k for k in seen if k not in order]
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
                p = paper.get(row.removesuffix(VALIDATED))
                out.append(
                    f"| {row} | {'—' if p is None else p} | {protocol} | {len(rs)} ({seeds}) | "
                    f"{pm([r['valid_error'] for r in rs])} | **{pm([r['test_error'] for r in rs])}** | {per_seed} |"
                )
        out.append("")
    return "\n".join(out)


def sweep_tables(sweeps):
    out = []
    for row in dict.fromkeys(r["row"] for r in sweeps):
        groups = {}
        for r in sweeps:
            if r["row"] == row:
                groups.setdefault(r["variant"], []).append(r)
        best = min(groups, key=lambda v: mean_sd([r["valid_error"] for r in groups[v]])[0])
        out.append(f"Validation sweep, row {row}: validation error % (mean ± sd over seeds); no test image read\n")
        out.append("| variant | settings changed | seeds | validation | per seed | kept epochs |")
        out.append("|---|---|---|---|---|---|")
        for v, rs in groups.items():
            rs = sorted(rs, key=lambda r: r["seed"])
            seeds = ", ".join(str(r["seed"]) for r in rs)
            per_seed = ", ".join(f"{100 * r['valid_error']:.2f}" for r in rs)
            epochs = ", ".join(str(r.get("kept_epoch", "?")) for r in rs)
            val = pm([r["valid_error"] for r in rs])
            name, val = (f"**{v}**", f"**{val}**") if v == best else (v, val)
            out.append(f"| {name} | {rs[0].get('overrides') or '—'} | {len(rs)} ({seeds}) | {val} | {per_seed} | {epochs} |")
        out.append("")
    return "\n".join(out)


def cell_text(rs):
    """One Larochelle cell: test error mean ± sd (validation mean, minutes per run, seeds)."""
    if not rs:
        return "—"
    mins = sum(r["train_seconds"] for r in rs) / len(rs) / 60
    seeds = f"{len(rs)} seed{'s' if len(rs) > 1 else ''}"
    return f"{pm([r['test_error'] for r in rs])} (val {pm([r['valid_error'] for r in rs])}, {mins:.1f} min, {seeds})"


def larochelle(cells):
    out = []
    for protocol in dict.fromkeys(r["protocol"] for r in cells):
        rs = [r for r in cells if r["protocol"] == protocol]
        by = {}
        for r in rs:
            by.setdefault((r["set"], r["model"]), []).append(r)
        for v in by.values():
            v.sort(key=lambda r: r["seed"])
        sets = [x for x in LAROCHELLE if any(r["set"] == x for r in rs)]
        sets += [x for x in dict.fromkeys(r["set"] for r in rs) if x not in LAROCHELLE]
        none = ("—",) * 5

        def grid_row(x, paper, models):
            cells = " | ".join(f"{paper[i]} → {cell_text(by.get((x, m), []))}" for i, m in enumerate(models))
            return f"| {x} | {cells} |"

        if any(r["model"] in BASIC for r in rs):
            out.append(f"Table 3 ({protocol}): test error %, paper → ours (mean ± sd over seeds; validation, minutes per run)\n")
            out.append("| set | " + " | ".join(BASIC) + " |")
            out.append("|---|" + "---|" * len(BASIC))
            for x in sets:
                p = LAROCHELLE.get(x, none)
                out.append(grid_row(x, p, BASIC))
            out.append("")
        t4 = [x for x in sets if any((x, m) in by for m in VARIANTS[:3])]
        if t4:
            out.append(f"Table 4 ({protocol}): variants of the sigmoid CSAE, test error %, paper → ours\n")
            out.append("| set | energies | normalize only | no pretraining | CSAE (log-loss) | hinge |")
            out.append("|---|---|---|---|---|---|")
            for x in t4:
                p = TABLE4.get(x, ("—",) * 4) + ("—",)
                out.append(grid_row(x, p, VARIANTS))
            out.append("")
        t5 = []
        for x in sets:
            sig = {r["seed"]: r for r in by.get((x, "sigmoid"), [])}
            fac = {r["seed"]: r for r in by.get((x, "sigmoid-factored"), [])}
            chosen = {k: min(sig[k], fac[k], key=lambda r: r["valid_error"]) for k in sorted(set(sig) & set(fac))}
            if chosen:
                which = ", ".join(f"{k}: {'factored' if r['model'] == 'sigmoid-factored' else 'sigmoid'}" for k, r in chosen.items())
                per_seed = ", ".join(f"{100 * r['test_error']:.2f}" for r in chosen.values())
                t5.append(
                    f"| {x} | {LAROCHELLE.get(x, none)[4]} | {len(chosen)} | **{pm([r['test_error'] for r in chosen.values()])}** "
                    f"| {per_seed} | {which} |"
                )
        if t5:
            out.append(f"Table 5 ({protocol}): CSAE = sigmoid or sigmoid factored, chosen per seed by validation error\n")
            out.append("| set | paper | seeds | **test** | test per seed | chosen (seed: model) |")
            out.append("|---|---|---|---|---|---|")
            out.extend(t5)
            out.append("")
    return "\n".join(out)


def main(argv):
    include_smoke = "--include-smoke" in argv
    args = [a for a in argv if a != "--include-smoke"]
    protocol = None
    if "--protocol" in args:
        i = args.index("--protocol")
        if i + 1 >= len(args):
            fail("--protocol needs a value, e.g. --protocol 'pretrain-on train'")
        protocol = args[i + 1]
        del args[i : i + 2]
    paths = args
    if not paths or any(a.startswith("-") for a in paths):
        fail("usage: results_table.py [--include-smoke] [--protocol P] RECORDS.jsonl [MORE.jsonl ...]")
    records, cells, sweeps = read(paths, include_smoke, protocol)
    if not records and not cells and not sweeps:
        fail(f"no records in {', '.join(paths)}" + (f" of protocol {protocol!r}" if protocol else ""))
    text = tables(records) if records else ""
    if cells:
        text += ("\n" if text else "") + larochelle(cells)
    if sweeps:
        text += ("\n" if text else "") + sweep_tables(sweeps)
    sys.stdout.write(text)


if __name__ == "__main__":
    main(sys.argv[1:])
