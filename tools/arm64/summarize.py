#!/usr/bin/env python3
"""Summarise the ARM64 test run: the ISA the run saw, tests per class, golden max-abs-diff figures.
Reads the JSON lines the runner's TestResultRecorder writes (class, name, outcome, output per test).

usage: summarize.py RESULTS LOG             full summary; exit 1 if there are no results, no passed test, or a golden
                                            suite printed no figure (e.g. the shared data was not found)
       summarize.py --partial RESULTS LOG   the same for a filtered run: golden suites may be absent
       summarize.py --counts-only RESULTS   one closing line: "arm64: N passed, N failed, N skipped"
"""
import json
import os
import re
import sys

GOLDEN = {"GoldenMiniLmTests": "MiniLM golden", "GoldenTinyEncoderTests": "tiny encoder golden", "GoldenTinyHeadsTests": "tiny heads golden"}
FIGURE = re.compile(r"^\s*(?P<what>.+?): max abs diff (?P<diff>\S+)(?: over (?P<n>\d+) values)? \(tolerance (?P<tol>\S+)\)\s*$")


def load(path):
    if not os.path.exists(path):
        return None
    rows = [json.loads(line) for line in open(path, encoding="utf-8") if line.strip()]
    return [(r["class"], r["name"], r["outcome"], r["output"]) for r in rows]


def counts(results):
    passed = sum(1 for r in results if r[2] == "passed")
    skipped = sum(1 for r in results if r[2] == "skipped")
    return passed, len(results) - passed - skipped, skipped


def main(argv):
    if argv[0] == "--counts-only":
        results = load(argv[1])
        if results is None:
            print("arm64: no test report (the run did not finish)")
            return 1
        p, f, s = counts(results)
        print(f"arm64: {p} passed, {f} failed, {s} skipped")
        return 0

    partial = argv[0] == "--partial"               # a filtered run: golden suites may be left out
    if partial:
        argv = argv[1:]
    results_path, log = argv
    isa = next((l.strip() for l in open(log, errors="replace") if l.startswith("ISA:")), "ISA: (not printed: the runner did not start)")
    print(f"arm64: {isa}")
    results = load(results_path)
    if results is None:
        print("arm64: no results file " + results_path)
        return 1
    per_class = {}
    for cls, _, outcome, _ in results:
        c = per_class.setdefault(cls, [0, 0, 0])
        c[0 if outcome == "passed" else 2 if outcome == "skipped" else 1] += 1
    p, f, s = counts(results)
    print(f"arm64: {len(results)} tests run under emulation: {p} passed, {f} failed, {s} skipped; by class (passed/failed/skipped):")
    items = [f"{cls} {c[0]}/{c[1]}/{c[2]}" for cls, c in sorted(per_class.items())]
    for i in range(0, len(items), 4):
        print("    " + ", ".join(items[i:i + 4]))

    missing_figures = False
    for cls, title in GOLDEN.items():
        worst = {}
        for rcls, _, _, out in results:
            if rcls != cls:
                continue
            for line in out.splitlines():
                m = FIGURE.match(line)
                if not m:
                    continue
                what = m["what"].split(" ")[-1]             # "case tensor" / "model/case tensor" / "tensor" -> tensor
                diff, tol = float(m["diff"]), float(m["tol"])
                w = worst.setdefault(what, [0.0, tol, 0])
                w[0] = max(w[0], diff); w[1] = tol; w[2] += 1
        if not worst:
            print(f"arm64: {title}: no figures (suite absent or shared data missing)")
            missing_figures = not partial
            continue
        overall = max(worst.values(), key=lambda w: w[0] / w[1])
        print(f"arm64: {title}: max abs diff per tensor over all cases (worst {overall[0]:.3g} = {overall[0] / overall[1]:.1%} of its tolerance):")
        for what, (diff, tol, n) in sorted(worst.items()):
            print(f"    {what:<22} {diff:9.3e}  (tolerance {tol:.0e}, {n} cases)")
    return 0 if p > 0 and not missing_figures else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
