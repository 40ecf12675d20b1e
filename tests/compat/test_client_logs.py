"""Log files written by the real client, read back by zengo and by the
reference: both servers may read local files
(ZENML_SERVER_ALLOW_LOCAL_FILE_ACCESS) and share the client's local stores
directory (ZENML_LOCAL_STORES_PATH), so the default stack's artifact store
has the same root on the server as on the client. The same two-step
pipeline runs on each; the run's and the steps' logs, and the entries of
each logs record, are compared after replacing ids, times and durations.
A record whose file lies outside the store (by `..` or by a symlink) is
refused by both."""

from __future__ import annotations

import os
import re
import shutil
import tempfile

import requests

import servers
from clientlib import client_env, run_script

SCRIPT = """
import logging, sys
from zenml import pipeline, step
from zenml.logger import get_logger

logger = get_logger(__name__)


@step
def produce() -> int:
    print("hello from produce")
    print("line one\\nline two\\nline three")
    logger.warning("careful: this is a warning")
    logging.getLogger("userlib").error("an error-level message")
    print("to stderr", file=sys.stderr)
    return 41


@step
def consume(x: int) -> int:
    print(f"got {x}")
    logger.warning("second warning\\nwith a second line")
    print("X" * 6000)
    print("\\x1b[31mred text\\x1b[0m")
    return x + 1


@pipeline(enable_cache=False)
def logs_pipe():
    consume(produce())


if __name__ == "__main__":
    logs_pipe()
"""

UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
DURATION = re.compile(r"`[0-9.]+s`")
URL = re.compile(r"http://127\.0\.0\.1:\d+")


def normalise(value, work: str):
    """Ids become <id:N> in order of appearance; times, durations, the
    server's address and the test's directory placeholders."""
    seen: dict = {}

    def text(s: str) -> str:
        s = s.replace(work, "<work>")
        s = DURATION.sub("<duration>", URL.sub("<url>", s))
        return UUID.sub(lambda m: seen.setdefault(m.group(0), f"<id:{len(seen) + 1}>"), s)

    def walk(v):
        if isinstance(v, dict):
            return {k: ("<ts>" if k == "timestamp" and x else walk(x)) for k, x in v.items()}
        if isinstance(v, list):
            return [walk(x) for x in v]
        if isinstance(v, str):
            return text(v)
        return v

    return walk(value)


def answers_of(server, local_stores: str) -> list:
    """Every log route on the run, its steps and their records, plus the
    records the test adds: a missing file, a remote uri, escapes."""
    h = {"Authorization": f"Bearer {server.token()}"}

    def get(path, **params):
        r = requests.get(server.url + path, params=params, headers=h, timeout=60)
        try:
            body = r.json()
        except ValueError:
            body = r.text
        return [path, params, r.status_code, body]

    runs = requests.get(f"{server.url}/api/v1/runs", params={"pipeline_name": "logs_pipe", "hydrate": True}, headers=h, timeout=60).json()["items"]
    assert len(runs) == 1, runs
    run = runs[0]
    run_logs = run["resources"]["log_collection"]
    steps = requests.get(f"{server.url}/api/v1/steps", params={"pipeline_run_id": run["id"], "hydrate": True, "sort_by": "asc:created"}, headers=h, timeout=60).json()["items"]
    assert [s["name"] for s in steps] == ["produce", "consume"], [s["name"] for s in steps]

    out = [get(f"/api/v1/runs/{run['id']}/logs", source="client")]
    # The steps' output artifacts: their visualizations, read from the same
    # local store (out of range, and every index a version has).
    for st in steps:
        for outputs in st["resources"]["outputs"].values():
            for av in outputs:
                version = requests.get(f"{server.url}/api/v1/artifact_versions/{av['id']}", headers=h, timeout=60).json()
                for index in range(len(version["metadata"]["visualizations"]) + 1):
                    out.append(get(f"/api/v1/artifact_versions/{av['id']}/visualize", index=index))
    for record in run_logs:
        out.append(get(f"/api/v1/runs/{run['id']}/logs", logs_id=record["id"]))
        out.append(get(f"/api/v1/logs/{record['id']}/entries"))
    for st in steps:
        for record in st["resources"]["log_collection"]:
            out.append(get(f"/api/v1/steps/{st['id']}/logs", source=record["body"]["source"]))
            out.append(get(f"/api/v1/steps/{st['id']}/logs", logs_id=record["id"]))
            out.append(get(f"/api/v1/logs/{record['id']}/entries"))
            out.append(get(f"/api/v1/logs/{record['id']}/entries", limit=2))
            out.append(get(f"/api/v1/logs/{record['id']}/entries", limit=1, start="oldest"))

    # Records of the test's own, on the run's artifact store.
    store_id = run_logs[0]["body"]["artifact_store_id"]
    root = os.path.join(local_stores, store_id)
    secret_dir = os.path.join(os.path.dirname(local_stores), "secret")
    os.makedirs(secret_dir)
    secret = os.path.join(secret_dir, "secret.log")
    with open(secret, "w") as f:
        f.write('{"message":"secret"}\n')
    os.symlink(secret, os.path.join(root, "logs", "link.log"))
    os.symlink(os.path.dirname(secret), os.path.join(root, "logs", "linkdir"))
    uris = {
        "missing": f"{root}/logs/nope.log",
        "remote": "s3://bucket/logs/x.log",
        "dotdot": f"{root}/logs/../../../{os.path.basename(local_stores)}-elsewhere/x.log",
        "symlink": f"{root}/logs/link.log",
        "symlinkdir": f"{root}/logs/linkdir/secret.log",
    }
    for name, uri in uris.items():
        r = requests.post(
            f"{server.url}/api/v1/logs",
            json={"project": run["body"]["project_id"], "uri": uri, "source": f"src_{name}", "artifact_store_id": store_id, "pipeline_run_id": run["id"]},
            headers=h,
            timeout=60,
        )
        assert r.status_code == 200, r.text
        out.append([f"entries {name}", *get(f"/api/v1/logs/{r.json()['id']}/entries")[1:]])
        out.append([f"run logs {name}", *get(f"/api/v1/runs/{run['id']}/logs", source=f"src_{name}")[1:]])
    return out


def run_and_read(kind: str) -> tuple:
    work = tempfile.mkdtemp(prefix=f"zenml-logs-{kind}-")
    local_stores = os.path.join(work, "local_stores")
    extra = {"ZENML_SERVER_ALLOW_LOCAL_FILE_ACCESS": "true", "ZENML_LOCAL_STORES_PATH": local_stores}
    server = servers.start_reference(extra_env=extra) if kind == "reference" else servers.start_zengo(extra_env=extra)
    try:
        env = client_env(server, config_dir=os.path.join(work, "cfg"))
        env["ZENML_LOCAL_STORES_PATH"] = local_stores
        script = os.path.join(work, "logs_pipe.py")
        with open(script, "w") as f:
            f.write(SCRIPT)
        run = run_script(script, env, cwd=work, timeout=120)
        assert run.returncode == 0, run.describe()
        return answers_of(server, local_stores), work
    finally:
        server.stop()
        shutil.rmtree(work, ignore_errors=True)


def test_logs_of_a_real_run_match_the_reference(zengo_binary):
    ref, ref_work = run_and_read("reference")
    zg, zg_work = run_and_read("zengo")
    ref, zg = normalise(ref, ref_work), normalise(zg, zg_work)
    assert len(ref) == len(zg)
    for r, z in zip(ref, zg):
        assert z == r, f"answers differ:\nreference: {r}\nzengo:     {z}"
    # The files were read, not refused: the step's own lines are there, in order.
    step_logs = [a for a in zg if a[0].endswith("/logs") and a[1] == {"source": "step"}]
    messages = [[e["message"] for e in a[3]] for a in step_logs]
    assert messages[0] == ["hello from produce", "line one\nline two\nline three", "careful: this is a warning", "an error-level message", "to stderr"], messages[0]
    assert messages[1][:2] == ["got 41", "second warning\nwith a second line"] and messages[1][-1] == "red text", messages[1]
    # Visualizations were read too: the int outputs show as JSON.
    shown = [a[3] for a in zg if a[0].endswith("/visualize") and a[2] == 200]
    assert {"type": "json", "value": "41"} in shown and {"type": "json", "value": "42"} in shown, shown
    # Nothing outside the store was served.
    for a in zg:
        if a[0] in ("entries symlink", "entries symlinkdir", "entries dotdot"):
            assert a[2] == 500 and "is outside of artifact store bounds" in a[3]["detail"][1], a
