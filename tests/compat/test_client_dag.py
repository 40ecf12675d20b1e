"""The run page's DAG of real runs, on zengo and on the reference: the same
pipelines run with the real client on both servers (a fan-out and fan-in
run, its fully cached rerun, a run whose middle step fails, and a dynamic
pipeline whose steps configure themselves as they run), and the
DAGs compared node by node and edge by edge after replacing ids and times
by placeholders."""

from __future__ import annotations

import os
import re
import tempfile

import requests

import servers
from clientlib import client_env, run_script

SCRIPT = """
from typing import Annotated
from zenml import pipeline, step


@step
def a() -> int:
    return 1


@step
def b(x: int) -> int:
    return x + 1


@step
def c(x: int) -> Annotated[int, "c_out"]:
    return x * 2


@step
def d(y: int, z: int) -> None:
    print(y + z)


@step
def boom(x: int) -> int:
    raise RuntimeError("boom")


@step
def after(x: int) -> None:
    print(x)


@pipeline(enable_cache=True)
def dag_fan():
    x = a()
    d(b(x), c(x))


@pipeline(enable_cache=False)
def dag_fail():
    after(boom(a()))


@pipeline(dynamic=True, enable_cache=False)
def dag_dynamic():
    x = a()
    if x.load() > 0:
        y = b(x)
        d(b(y), c(x))


"""

MAINS = {
    "fan": 'if __name__ == "__main__":\n    dag_fan()\n',
    "dyn": 'if __name__ == "__main__":\n    dag_dynamic()\n',
    "fail": 'if __name__ == "__main__":\n    try:\n        dag_fail()\n    except Exception as e:\n        print("FAILED AS EXPECTED", type(e).__name__)\n',
}

UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def normalise(dag: dict) -> dict:
    """Ids become <id:N> in order of appearance; times and durations go."""
    seen: dict = {}

    def ids(text: str) -> str:
        return UUID.sub(lambda m: seen.setdefault(m.group(0), f"<id:{len(seen) + 1}>"), text)

    def walk(v):
        if isinstance(v, dict):
            out = {}
            for k, x in v.items():
                if k in ("start_time", "end_time"):
                    out[k] = "<time>"
                elif k == "duration":
                    out[k] = "<duration>"
                else:
                    out[k] = walk(x)
            return out
        if isinstance(v, list):
            return [walk(x) for x in v]
        if isinstance(v, str):
            return ids(v)
        return v

    return walk(dag)


def dags_of(server, pipelines):
    token = server.token()
    h = {"Authorization": f"Bearer {token}"}
    out = []
    for name in pipelines:
        runs = requests.get(f"{server.url}/api/v1/runs", params={"pipeline_name": name, "sort_by": "asc:created"}, headers=h, timeout=60)
        runs.raise_for_status()
        for run in runs.json()["items"]:
            dag = requests.get(f"{server.url}/api/v1/runs/{run['id']}/dag", headers=h, timeout=60)
            dag.raise_for_status()
            out.append(normalise(dag.json()))
    return out


def test_dag_of_real_runs_matches_the_reference(zengo_binary):
    results = {}
    for kind in ("reference", "zengo"):
        server = servers.start_reference() if kind == "reference" else servers.start_zengo()
        try:
            work = tempfile.mkdtemp(prefix=f"zenml-dag-{kind}-")
            env = client_env(server, config_dir=os.path.join(work, "cfg"))
            for which in ("fan", "fan", "fail", "dyn"):
                script = os.path.join(work, f"dag_{which}.py")
                with open(script, "w") as f:
                    f.write(SCRIPT + MAINS[which])
                run = run_script(script, env, cwd=work, timeout=300)
                assert run.returncode == 0, run.describe()
            results[kind] = dags_of(server, ["dag_fan", "dag_fail", "dag_dynamic"])
        finally:
            server.stop()
    ref, zg = results["reference"], results["zengo"]
    assert len(ref) == 4 and len(zg) == 4, (len(ref), len(zg))
    statuses = [[n["metadata"].get("status") for n in d["nodes"] if n["type"] == "step"] for d in zg]
    assert statuses == [["completed"] * 4, ["cached"] * 4, ["completed", "failed", None], ["completed"] * 5], statuses
    for i, (r, z) in enumerate(zip(ref, zg)):
        assert z == r, f"DAG {i} differs:\nreference: {r}\nzengo:     {z}"
