"""`make bench-import`: zengo import of a generated ZenML 0.98.0 source.

Writes (or reuses) a source with BENCH_IMPORT_RUNS runs (default 1000000)
with zenml_source_gen.py, imports it into a fresh SQLite store with
`zengo import --progress lines`, and reports the rows per second overall
and per table (from the progress lines), the wall time and the importer's
peak RSS (from the kernel's rusage of the child), with the machine and its
load, in bench/results/import-DATE.md.

Environment: ZENGO_BIN (the binary), BENCH_IMPORT_RUNS, BENCH_IMPORT_DIR
(where the source and the target go; default a folder under /tmp, kept
so that the source is reused), BENCH_IMPORT_BATCH (--batch).
"""

from __future__ import annotations

import datetime as dt
import os
import platform
import re
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def machine() -> str:
    cpu = "unknown CPU"
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = ""
    try:
        kb = int(re.search(r"MemTotal:\s+(\d+)", open("/proc/meminfo").read()).group(1))
        mem = f", {kb / 1024 / 1024:.1f} GiB"
    except (OSError, AttributeError):
        pass
    return f"{cpu}, {os.cpu_count()} cores{mem}, Linux {platform.release()}"


def loadavg() -> str:
    try:
        return " ".join(open("/proc/loadavg").read().split()[:3])
    except OSError:
        return "?"


def source_rows(path: str) -> dict:
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as db:
        tables = [r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type='table'")]
        return {t: db.execute(f'SELECT COUNT(*) FROM "{t}"').fetchone()[0] for t in tables}


def main() -> int:
    runs = int(os.environ.get("BENCH_IMPORT_RUNS", "1000000"))
    binary = os.environ.get("ZENGO_BIN") or str(HERE.parent / "bin" / "zengo")
    work = Path(os.environ.get("BENCH_IMPORT_DIR", f"/tmp/zengo-bench-import-{runs}"))
    work.mkdir(parents=True, exist_ok=True)
    src = work / "zenml.db"
    stamp = work / "zenml.db.complete"
    if not stamp.exists():
        print(f"writing a ZenML 0.98.0 source with {runs} runs to {src}", flush=True)
        t0 = time.monotonic()
        subprocess.run([sys.executable, str(HERE / "zenml_source_gen.py"), "--runs", str(runs), "--out", str(src)],
                       check=True)
        stamp.write_text(f"{time.monotonic() - t0:.0f}\n")
    gen_seconds = stamp.read_text().strip()
    counts = source_rows(str(src))
    total = sum(v for k, v in counts.items() if k != "alembic_version")
    target = work / "zengo.db"
    for suffix in ("", "-wal", "-shm"):
        Path(str(target) + suffix).unlink(missing_ok=True)

    cmd = [binary, "import", "--from", f"sqlite:///{src}", "--store", f"sqlite:///{target}", "--progress", "lines"]
    if os.environ.get("BENCH_IMPORT_BATCH"):
        cmd += ["--batch", os.environ["BENCH_IMPORT_BATCH"]]
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ZENML_", "ZENGO_"))}
    load_before = loadavg()
    print(f"importing {total} rows: {' '.join(cmd)}", flush=True)
    t0 = time.monotonic()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env)
    first_seen: dict = {}
    last_seen: dict = {}
    tail = []
    for line in proc.stdout:
        now = time.monotonic() - t0
        m = re.match(r"^(\w+): (\d+)/(\d+) rows", line)
        if m:
            table, done = m.group(1), int(m.group(2))
            first_seen.setdefault(table, now)
            last_seen[table] = (now, done)
            if done and (done % 200000 == 0):
                print(f"  {now:7.1f}s {line.strip()}", flush=True)
        else:
            tail.append(line)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.monotonic() - t0
    code = os.waitstatus_to_exitcode(status)
    load_after = loadavg()
    rss_mib = usage.ru_maxrss / 1024
    rate = total / wall if wall else 0
    print("".join(tail[-60:]))
    print(f"exit {code}: {total} rows in {wall:.1f}s = {rate:.0f} rows/s; peak RSS {rss_mib:.0f} MiB; "
          f"CPU user {usage.ru_utime:.0f}s sys {usage.ru_stime:.0f}s; load {load_before} -> {load_after}")

    day = dt.date.today().isoformat()
    out = HERE / "results" / f"import-{day}.md"
    lines = [
        f"# zengo import of a ZenML 0.98.0 source, {day}",
        "",
        f"Machine: {machine()}. Load average (1, 5, 15 min) {load_before} at the start, {load_after} at the end "
        "(other sessions share the machine: figures are noisy, a floor rather than a measure).",
        "",
        f"Source: `bench/zenml_source_gen.py --runs {runs}` (written in {gen_seconds}s; "
        f"{os.path.getsize(src) / 2**20:.0f} MiB), {total} rows. Target: a fresh SQLite store "
        f"({os.path.getsize(target) / 2**20 if target.exists() else 0:.0f} MiB after). Command: `{' '.join(cmd[1:])}`.",
        "",
        f"**{rate:.0f} rows/s** overall ({total} rows in {wall:.1f} s, exit {code}); importer peak RSS "
        f"**{rss_mib:.0f} MiB**; CPU user {usage.ru_utime:.0f} s, sys {usage.ru_stime:.0f} s.",
        "",
        "| source table | rows | seconds | rows/s |",
        "|---|---|---|---|",
    ]
    for table, start in first_seen.items():
        end, done = last_seen[table]
        secs = end - start
        if done:
            lines.append(f"| {table} | {done} | {secs:.1f} | {done / secs if secs > 0 else 0:.0f} |")
    lines += ["", "The importer's last lines:", "", "```", "".join(tail[-45:]).rstrip(), "```", ""]
    out.write_text("\n".join(lines))
    print(f"written {out}")
    return code


if __name__ == "__main__":
    sys.exit(main())
