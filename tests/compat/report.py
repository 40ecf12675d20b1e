#!/usr/bin/env python3
"""Compat report: the known differences with their reasons, what failed, and
one summary line.

    python tests/compat/report.py                 # run the compat suites, then report
    python tests/compat/report.py --from FILE     # report on an existing results file
    python tests/compat/report.py -- -k users     # extra arguments for pytest
    python tests/compat/report.py --strict        # exit 1 when a test failed

Run with the virtualenv's interpreter (the one with the pinned zenml); set
ZENGO_BIN to use an existing zengo binary. The last line always has the form

    compat: N passed, M failed, K known differences

where N and M count differential scenarios and real-client tests together
(a pending scenario or an xfail-marked client test counts as failed: zengo
does not match the reference there yet) and K is the number of entries in
known_differences.yaml.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from collections import defaultdict
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import differential  # noqa: E402

COUNTED_KINDS = ("differential", "client")
FAILED_OUTCOMES = ("failed", "error", "xfailed", "xpassed")


def run_suites(results_path: str, pytest_args: list) -> int:
    cmd = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(HERE),
           f"--compat-results={results_path}", *pytest_args]
    print("$ " + " ".join(cmd), flush=True)
    return subprocess.call(cmd, cwd=HERE.parent.parent)


def _summary(text: str, width: int = 110) -> str:
    """The first failing step and its first differing path, or the first
    line of the failure."""
    lines = [ln for ln in text.splitlines() if ln.strip()]
    picked = []
    for i, ln in enumerate(lines):
        s = ln.strip()
        if s.startswith("error:") or s.startswith("step "):
            picked.append(s)
            if s.startswith("step "):
                for nxt in lines[i + 1:]:
                    n = nxt.strip()
                    if n and not n.startswith(("request body", "differing paths")):
                        picked.append(n)
                        break
            break
    if not picked and lines:
        picked = [lines[-1].strip()]
    out = " | ".join(picked)
    return out if len(out) <= width else out[: width - 3] + "..."


def report(doc: dict) -> int:
    tests = [t for t in doc.get("tests", []) if t.get("outcome")]
    counted = [t for t in tests if t.get("kind") in COUNTED_KINDS]
    passed = [t for t in counted if t["outcome"] == "passed"]
    failed = [t for t in counted if t["outcome"] in FAILED_OUTCOMES]
    pending = [t for t in failed if t["outcome"] == "xfailed"]
    hard = [t for t in tests if t["outcome"] in ("failed", "error", "xpassed")]

    known = differential.load_known_differences()
    seen: dict = defaultdict(lambda: defaultdict(int))
    for t in tests:
        for kd in t.get("known_differences") or []:
            e = kd["entry"]
            key = (e["scenario"], json.dumps(e.get("step", "*")), e["path"])
            seen[key][kd["scenario"]] += 1

    print()
    print(f"== Known differences ({len(known)} entries in known_differences.yaml)")
    for i, kd in enumerate(known, 1):
        key = (kd.scenario, json.dumps(kd.step), kd.path)
        hits = seen.get(key, {})
        where = ", ".join(f"{s} x{n}" for s, n in sorted(hits.items())) or "not seen in this run"
        step = "" if kd.step == "*" else f" step {kd.step}"
        print(f"{i:3}. {kd.scenario}{step} :: {kd.path}")
        print(f"     seen: {where}")
        for line in _wrap(kd.reason, 92):
            print(f"     {line}")

    if pending:
        print()
        print(f"== Pending ({len(pending)}; xfail until zengo matches, then drop the mark)")
        for t in sorted(pending, key=lambda t: t["nodeid"]):
            print(f"  - {t.get('scenario') or t['nodeid']}")

    if hard:
        print()
        print(f"== Failures ({len(hard)})")
        for t in sorted(hard, key=lambda t: t["nodeid"]):
            name = t.get("scenario") or t["nodeid"]
            print(f"  - {name} [{t['outcome']}]")
            print(f"      {_summary(t.get('message', ''))}")

    dur = doc.get("duration")
    meta = doc.get("meta") or {}
    extra = f"; reference server started in {meta['reference_startup_seconds']} s" if "reference_startup_seconds" in meta else ""
    n_diff = sum(1 for t in counted if t["kind"] == "differential")
    n_client = sum(1 for t in counted if t["kind"] == "client")
    print()
    print(f"{n_diff} differential scenarios, {n_client} real-client tests; {len(pending)} of the "
          f"failures are pending (xfail); suite time {dur} s{extra}")
    print(f"compat: {len(passed)} passed, {len(failed)} failed, {len(known)} known differences")
    return 1 if hard else 0


def _wrap(text: str, width: int) -> list:
    words = " ".join(text.split()).split(" ")
    lines, cur = [], ""
    for w in words:
        if cur and len(cur) + 1 + len(w) > width:
            lines.append(cur)
            cur = w
        else:
            cur = f"{cur} {w}" if cur else w
    if cur:
        lines.append(cur)
    return lines


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--from", dest="from_file", help="read this results file instead of running the suites")
    ap.add_argument("--results", help="where the run writes its results (default: a temporary file)")
    ap.add_argument("--strict", action="store_true", help="exit 1 when a test failed (default: 0 once the report is printed)")
    ap.add_argument("pytest_args", nargs="*", help="extra pytest arguments (after --)")
    args = ap.parse_args()

    if args.from_file:
        path = args.from_file
    else:
        path = args.results or os.path.join(tempfile.mkdtemp(prefix="compat-report-"), "results.json")
        run_suites(path, args.pytest_args)
    try:
        with open(path) as f:
            doc = json.load(f)
    except (OSError, ValueError) as e:
        print(f"cannot read results {path}: {e}")
        print(f"compat: 0 passed, 0 failed, {len(differential.load_known_differences())} known differences")
        return 1
    status = report(doc)
    return status if args.strict else 0


if __name__ == "__main__":
    sys.exit(main())
