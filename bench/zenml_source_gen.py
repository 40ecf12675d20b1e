"""Writes a ZenML 0.98.0 database with N pipeline runs, for `zengo import`.

The schema is ZenML's own: the reference's SQL store creates it on an empty
SQLite file with its alembic migrations (with its default user, project,
stack and flavors). The rows are then written straight with sqlite3 in
the shapes the reference writes them (ids as 32 hex digits, naive UTC
timestamps with microseconds, JSON columns as the reference serialises
them), so that a 1M-run source takes minutes instead of the days the
reference's store code would need.

Per run: the run, two step runs (load -> train, the second with the first
as parent and its output as input), one artifact version per step (each
step its own artifact, versions numbered per artifact), the output and
input links, one run-metadata entry on the run and its resource link, one
tag on the run and one logs record. Per pipeline (BENCH_PIPELINES or
--pipelines): the pipeline, a snapshot with its two step configurations,
two artifacts. Five tags in all.

Run it with the virtualenv that holds zenml (make bench-import does):

    .venv/bin/python bench/zenml_source_gen.py --runs 1000000 --out /tmp/zenml-1M.db
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import os
import random
import sqlite3
import sys
import tempfile
import time

ROWS_PER_RUN = 13  # run, 2 steps, 2 artifact versions, 2 outputs, 1 input, 1 parent, metadata + resource, tag link, logs


def create_schema(path: str) -> None:
    """The reference's schema and first-start rows, made by its own code."""
    os.environ.setdefault("ZENML_ANALYTICS_OPT_IN", "false")
    os.environ.setdefault("ZENML_LOGGING_VERBOSITY", "ERROR")
    os.environ["ZENML_CONFIG_PATH"] = tempfile.mkdtemp(prefix="zenml-gen-cfg-")
    from zenml.zen_stores.sql_zen_store import SqlZenStore, SqlZenStoreConfiguration

    SqlZenStore(config=SqlZenStoreConfiguration(url=f"sqlite:///{path}"))


class Ids:
    """Random version-4 UUIDs as the reference stores them (32 hex digits),
    from a seeded generator so that a given N gives the same database."""

    def __init__(self, seed: int) -> None:
        self.rnd = random.Random(seed)

    def __call__(self) -> str:
        v = self.rnd.getrandbits(128)
        v = (v & ~(0xF << 76)) | (0x4 << 76)  # version 4
        v = (v & ~(0x3 << 62)) | (0x2 << 62)  # RFC 4122 variant
        return "%032x" % v


def ts(t: dt.datetime) -> str:
    return t.strftime("%Y-%m-%d %H:%M:%S.%f")


def dashed(hex32: str) -> str:
    return f"{hex32[:8]}-{hex32[8:12]}-{hex32[12:16]}-{hex32[16:20]}-{hex32[20:]}"


def compact(obj) -> str:
    return json.dumps(obj, separators=(",", ":"))


CACHE_POLICY = {
    "include_step_code": True, "include_step_parameters": True, "include_artifact_values": True,
    "include_artifact_ids": True, "ignored_inputs": None, "file_dependencies": None,
    "source_dependencies": None, "cache_func": None, "expires_after": None,
}


def step_config(module: str, name: str, upstream: list, inputs: dict, output: str) -> str:
    """A step_configuration row's JSON, as the reference writes it."""
    spec = {
        "source": {"module": module, "attribute": name, "type": "user"},
        "upstream_steps": upstream,
        "inputs": {k: {"step_name": v[0], "output_name": v[1], "chunk_index": None, "chunk_size": None}
                   for k, v in inputs.items()},
        "invocation_id": name, "enable_heartbeat": False, "parameter_spec": {},
    }
    overrides = {
        "enable_cache": None, "enable_artifact_metadata": None, "enable_artifact_visualization": None,
        "enable_step_logs": None, "step_operator": None, "experiment_tracker": None, "parameters": {},
        "settings": {}, "environment": {}, "secrets": [], "extra": {}, "failure_hook_source": None,
        "success_hook_source": None, "start_hook_source": None, "end_hook_source": None, "model": None,
        "retry": None, "substitutions": {}, "cache_policy": CACHE_POLICY, "runtime": None,
        "heartbeat_healthy_threshold": 30, "group": None,
        "outputs": {output: {
            "materializer_source": [{"module": "zenml.materializers.built_in_materializer",
                                     "attribute": "BuiltInMaterializer", "type": "internal"}],
            "default_materializer_source": None,
            "artifact_config": {"name": output, "version": None, "tags": None, "run_metadata": None,
                                "artifact_type": None}}},
        "name": name, "step_type": None, "template": None,
        "caching_parameters": {"step_source": hashlib.sha256(f"{module}.{name}".encode()).hexdigest()},
        "external_input_artifacts": {}, "model_artifacts_or_metadata": {}, "client_lazy_loaders": {},
        "command": None,
    }
    return compact({"spec": spec, "step_config_overrides": overrides})


def pipeline_configuration(name: str, tags: list) -> str:
    return compact({
        "enable_cache": False, "enable_artifact_metadata": None, "enable_artifact_visualization": None,
        "enable_step_logs": None, "enable_heartbeat": None, "environment": {}, "secrets": [],
        "enable_pipeline_logs": None, "execution_mode": "continue_on_failure", "settings": {}, "tags": tags,
        "extra": {}, "failure_hook_source": None, "success_hook_source": None, "start_hook_source": None,
        "end_hook_source": None, "pause_hook_source": None, "resume_hook_source": None,
        "init_hook_source": None, "init_hook_kwargs": None, "cleanup_hook_source": None, "model": None,
        "parameters": {}, "retry": None, "substitutions": {}, "cache_policy": None, "name": name,
        "steps_to_skip": [], "skip_successful_steps": False, "step_input_overrides": {},
        "step_default_input_overrides": {},
    })


def pipeline_spec(module: str, name: str) -> str:
    # The reference stores the spec with sorted keys (json.dumps(sort_keys=True)).
    steps = [
        {"enable_heartbeat": False, "inputs": {}, "invocation_id": "load", "parameter_spec": {},
         "source": {"attribute": "load", "module": module, "type": "user"}, "upstream_steps": []},
        {"enable_heartbeat": False,
         "inputs": {"data": {"chunk_index": None, "chunk_size": None, "output_name": "output", "step_name": "load"}},
         "invocation_id": "train", "parameter_spec": {},
         "source": {"attribute": "train", "module": module, "type": "user"}, "upstream_steps": ["load"]},
    ]
    return json.dumps({
        "input_schema": {"additionalProperties": False, "properties": {}, "title": "PipelineInput", "type": "object"},
        "output_schema": {"properties": {}, "title": "PipelineOutput", "type": "object"},
        "outputs": [], "parameters": {}, "source": {"attribute": name, "module": module, "type": "user"},
        "steps": steps, "version": "0.5",
    }, sort_keys=True)


CLIENT_ENV = json.dumps({
    "environment": "native", "os": "linux", "linux_distro": "debian", "linux_distro_like": "",
    "linux_distro_version": "12", "python_version": "3.11.7", "zenml_version": "0.98.0",
})
ORCH_ENV = CLIENT_ENV
MATERIALIZER = compact({"module": "zenml.materializers.built_in_materializer", "attribute": "BuiltInMaterializer",
                        "type": "internal"})
DATA_TYPE = compact({"module": "builtins", "attribute": "int", "type": "builtin"})


def generate(path: str, runs: int, pipelines: int, seed: int = 16, progress=print) -> dict:
    """Fills the database at path (schema already there); returns row counts."""
    ids = Ids(seed)
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("PRAGMA journal_mode=OFF")
    db.execute("PRAGMA synchronous=OFF")
    db.execute("PRAGMA cache_size=-262144")
    user_id = db.execute("SELECT id FROM user WHERE name='default'").fetchone()[0]
    project_id = db.execute("SELECT id FROM project WHERE name='default'").fetchone()[0]
    stack_id = db.execute("SELECT id FROM stack WHERE name='default'").fetchone()[0]
    store_id = db.execute("SELECT id FROM stack_component WHERE type='artifact_store'").fetchone()[0]
    store_root = f"/var/lib/zenml/local_stores/{dashed(store_id)}"
    start = dt.datetime(2025, 1, 1)
    counts: dict = {}

    def insert(table: str, columns: str, rows: list) -> None:
        if not rows:
            return
        marks = ",".join("?" * (columns.count(",") + 1))
        db.executemany(f'INSERT INTO {table} ({columns}) VALUES ({marks})', rows)
        counts[table] = counts.get(table, 0) + len(rows)

    db.execute("BEGIN")
    tag_ids = []
    tags = []
    for i, color in enumerate(["red", "blue", "green", "yellow", "purple"]):
        tid = ids()
        tag_ids.append(tid)
        t = ts(start)
        tags.append((tid, t, t, f"gen-tag-{i}", user_id, color, 0))
    insert("tag", "id, created, updated, name, user_id, color, \"exclusive\"", tags)

    # Pipelines, their snapshots and artifacts.
    per_pipeline = [runs // pipelines + (1 if i < runs % pipelines else 0) for i in range(pipelines)]
    pipes = []
    for i in range(pipelines):
        name = f"gen_pipeline_{i:05d}"
        module = "gen_pipelines"
        pid, sid, a_load, a_train = ids(), ids(), ids(), ids()
        t = ts(start + dt.timedelta(seconds=i))
        insert("pipeline", "id, created, updated, name, description, project_id, user_id, run_count",
               [(pid, t, t, name, None, project_id, user_id, per_pipeline[i])])
        insert("pipeline_snapshot",
               "id, created, updated, name, description, is_dynamic, pipeline_configuration, client_environment, "
               "run_name_template, client_version, server_version, pipeline_version_hash, pipeline_spec, "
               "source_code, code_path, user_id, project_id, stack_id, pipeline_id, schedule_id, build_id, "
               "code_reference_id, source_snapshot_id, template_id, step_count",
               [(sid, t, t, None, None, 0, pipeline_configuration(name, ["gen"]), CLIENT_ENV,
                 name + "-{date}-{time}", "0.98.0", "0.98.0", "%032x" % ids.rnd.getrandbits(128),
                 pipeline_spec(module, name), None, None, user_id, project_id, stack_id, pid, None, None,
                 None, None, None, 2)])
        insert("step_configuration", "id, created, updated, \"index\", name, config, snapshot_id, step_run_id",
               [(ids(), t, t, 0, "load", step_config(module, "load", [], {}, "output"), sid, None),
                (ids(), t, t, 1, "train", step_config(module, "train", ["load"], {"data": ("load", "output")}, "output"),
                 sid, None)])
        insert("artifact", "id, created, updated, name, has_custom_name, project_id, user_id",
               [(a_load, t, t, f"{name}::load::output", 0, project_id, user_id),
                (a_train, t, t, f"{name}::train::output", 0, project_id, user_id)])
        pipes.append((pid, sid, a_load, a_train, name))

    # Runs, round-robin over the pipelines, one second apart.
    batch = 20000
    run_index = [0] * pipelines
    t0 = time.monotonic()
    for lo in range(0, runs, batch):
        rows: dict = {k: [] for k in ("run", "step", "av", "out", "inp", "par", "md", "mdr", "tr", "logs")}
        for n in range(lo, min(runs, lo + batch)):
            p = n % pipelines
            pid, sid, a_load, a_train, name = pipes[p]
            run_index[p] += 1
            idx = run_index[p]
            begin = start + dt.timedelta(seconds=3600 + n)
            rid, s1, s2, v1, v2, mid = ids(), ids(), ids(), ids(), ids(), ids()
            b, e = ts(begin), ts(begin + dt.timedelta(milliseconds=900))
            failed = n % 50 == 49
            status = "failed" if failed else "completed"
            run_name = f"{name}-{begin:%Y_%m_%d-%H_%M_%S_%f}"
            rows["run"].append((rid, b, e, run_name, dashed(ids()), b, e, 0, status, None, ORCH_ENV, idx, 1,
                                None, None, sid, user_id, project_id, pid, None, None, None, stack_id, None,
                                None, None, None, None, None, None))
            m1, m2 = ts(begin + dt.timedelta(milliseconds=100)), ts(begin + dt.timedelta(milliseconds=400))
            m3 = ts(begin + dt.timedelta(milliseconds=800))
            rows["step"].append((s1, b, m2, "load", b, m2, None, "completed", None, "%032x" % ids.rnd.getrandbits(128),
                                 None, "@step\ndef load() -> int:\n    return 1\n", "%032x" % (n & 0xFFFF), 1, 0,
                                 None, None, None, sid, rid, user_id, project_id, None, None, None))
            rows["step"].append((s2, m2, m3, "train", m2, m3, None, status, None, "%032x" % ids.rnd.getrandbits(128),
                                 None, "@step\ndef train(data: int) -> int:\n    return data + 1\n", "%032x" % 7, 1, 0,
                                 compact({"message": "boom", "traceback": "Traceback ..."}) if failed else None,
                                 None, None, sid, rid, user_id, project_id, None, None, None))
            for vid, aid, step_id, step_name, when in ((v1, a_load, s1, "load", m1), (v2, a_train, s2, "train", m3)):
                if failed and step_name == "train":
                    continue
                rows["av"].append((vid, when, when, str(idx), idx, "DataArtifact",
                                   f"{store_root}/{step_name}/output/{dashed(step_id)}/{vid[:8]}", MATERIALIZER,
                                   DATA_TYPE, "step_output", "%032x" % ids.rnd.getrandbits(128), None, aid, store_id,
                                   user_id, project_id))
                rows["out"].append(("output", step_id, vid))
            rows["inp"].append(("data", "step_output", 0, None, None, s2, v1))
            rows["par"].append((s1, s2))
            rows["md"].append((mid, e, e, None, user_id, project_id, "score", str(n % 997), "int", None))
            rows["mdr"].append((ids(), rid, "pipeline_run", mid))
            rows["tr"].append((ids(), b, b, tag_ids[n % len(tag_ids)], rid, "pipeline_run"))
            lid = ids()
            rows["logs"].append((lid, b, b, f"{store_root}/logs/{dashed(lid)}.log", "client", project_id, user_id,
                                 rid, None, store_id, None, None))
        insert("pipeline_run",
               'id, created, updated, name, orchestrator_run_id, start_time, end_time, in_progress, status, '
               'status_reason, orchestrator_environment, "index", enable_heartbeat, exception_info, child_key, '
               'snapshot_id, user_id, project_id, pipeline_id, model_version_id, pipeline_configuration, '
               'client_environment, stack_id, build_id, schedule_id, original_run_id, parent_run_id, root_run_id, '
               'triggered_by, triggered_by_type', rows["run"])
        insert("step_run",
               "id, created, updated, name, start_time, end_time, latest_heartbeat, status, docstring, cache_key, "
               "cache_expires_at, source_code, code_hash, version, is_retriable, exception_info, heartbeat_threshold, "
               "original_step_run_id, snapshot_id, pipeline_run_id, user_id, project_id, model_version_id, "
               "resource_request_id, step_configuration", rows["step"])
        insert("artifact_version",
               "id, created, updated, version, version_number, type, uri, materializer, data_type, save_type, "
               "content_hash, item_count, artifact_id, artifact_store_id, user_id, project_id", rows["av"])
        insert("step_run_output_artifact", "name, step_id, artifact_id", rows["out"])
        insert("step_run_input_artifact", "name, type, input_index, chunk_index, chunk_size, step_id, artifact_id",
               rows["inp"])
        insert("step_run_parents", "parent_id, child_id", rows["par"])
        insert("run_metadata", 'id, created, updated, stack_component_id, user_id, project_id, "key", value, type, '
               "publisher_step_id", rows["md"])
        insert("run_metadata_resource", "id, resource_id, resource_type, run_metadata_id", rows["mdr"])
        insert("tag_resource", "id, created, updated, tag_id, resource_id, resource_type", rows["tr"])
        insert("logs", "id, created, updated, uri, source, project_id, user_id, pipeline_run_id, step_run_id, "
               "artifact_store_id, log_store_id, hook_invocation_id", rows["logs"])
        done = min(runs, lo + batch)
        if progress and (done % 100000 == 0 or done == runs):
            el = time.monotonic() - t0
            progress(f"  {done} runs written ({done / el:.0f} runs/s)")
    db.execute("COMMIT")
    db.close()
    return counts


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--runs", type=int, default=int(os.environ.get("BENCH_IMPORT_RUNS", "1000000")))
    ap.add_argument("--pipelines", type=int, default=int(os.environ.get("BENCH_PIPELINES", "0")) or None,
                    help="default: one per 1000 runs, at least 1")
    ap.add_argument("--out", required=True, help="the SQLite file to write (replaced)")
    ap.add_argument("--seed", type=int, default=16)
    args = ap.parse_args(argv)
    pipelines = args.pipelines or max(1, args.runs // 1000)
    for suffix in ("", "-wal", "-shm", "-journal"):
        if os.path.exists(args.out + suffix):
            os.remove(args.out + suffix)
    t0 = time.monotonic()
    create_schema(args.out)
    t1 = time.monotonic()
    print(f"schema of ZenML 0.98.0 created by its own migrations in {t1 - t0:.1f}s", flush=True)
    counts = generate(args.out, args.runs, pipelines, args.seed, progress=lambda s: print(s, flush=True))
    total = sum(counts.values())
    print(f"{args.runs} runs of {pipelines} pipelines: {total} rows in {time.monotonic() - t1:.1f}s "
          f"({os.path.getsize(args.out) / 1e6:.0f} MB)", flush=True)
    print(json.dumps(counts, sort_keys=True))
    return 0


if __name__ == "__main__":
    sys.exit(main())
