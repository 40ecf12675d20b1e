"""The real client and CLI on pipeline runs: a three-step run on the default
local stack whose steps print and log, then what a user does with it (get
the run and its steps, list runs and snapshots, read step logs, schedules,
stop a finished and a running run, delete the run)."""

from __future__ import annotations

import os
import subprocess
import tempfile
import time

import pytest

import servers
from clientlib import Run, client_env, parse_json_output, run_cli, run_python

PIPELINE_SCRIPT = """
import logging
import os
import sys
import time

from zenml import get_step_context, pipeline, step
from zenml.logger import get_logger

logger = get_logger(__name__)


@step
def produce() -> int:
    print("PRINTED-LINE-produce")
    logger.info("LOGGED-LINE-produce")
    return 3


@step
def consume(x: int) -> int:
    print("PRINTED-LINE-consume")
    logging.getLogger("user").warning("LOGGED-LINE-consume")
    return x * 2


@step
def summarise(y: int) -> None:
    print("PRINTED-LINE-summarise")


@pipeline(enable_cache=False)
def runs_pipe():
    summarise(consume(produce()))


@step
def first() -> int:
    return 1


@step
def waiter(x: int) -> int:
    print("WAITER-STARTED", get_step_context().pipeline_run.id, flush=True)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and not os.path.exists(os.environ["RELEASE_FILE"]):
        time.sleep(0.2)
    print("WAITER-RELEASED", flush=True)
    return x


@step
def last(x: int) -> None:
    print("LAST-RAN")


@pipeline(enable_cache=False)
def sleepy_pipe():
    last(waiter(first()))


if __name__ == "__main__":
    mode = sys.argv[1]
    if mode == "run":
        run = runs_pipe()
        print("RUN", run.id, run.status)
    elif mode == "schedule":
        from zenml.config.schedule import Schedule

        try:
            out = runs_pipe.with_options(schedule=Schedule(cron_expression="*/5 * * * *"))()
            print("SCHEDULE-RETURNED", out)
        except Exception as e:
            print("SCHEDULE-RAISED", type(e).__name__, e)
    elif mode == "sleepy":
        try:
            run = sleepy_pipe()
            print("SLEEPY-RETURNED", run.status, flush=True)
        except Exception as e:
            print("SLEEPY-RAISED", type(e).__name__, e, flush=True)
"""


@pytest.fixture(scope="module")
def runs_world(zengo_binary):
    """A fresh server where `runs_pipe` ran once; yields (server, env, work, run id)."""
    server = servers.start_target()
    work = tempfile.mkdtemp(prefix="zenml-runs-")
    script = os.path.join(work, "runs_pipe.py")
    with open(script, "w") as f:
        f.write(PIPELINE_SCRIPT)
    env = client_env(server, config_dir=os.path.join(work, "cfg"))
    try:
        run = _script(script, ["run"], env, work)
        assert run.returncode == 0, run.describe()
        lines = [ln.split() for ln in run.stdout.splitlines() if ln.startswith("RUN ")]
        assert lines and lines[-1][2] == "completed", run.describe()
        for text in ("PRINTED-LINE-produce", "LOGGED-LINE-produce", "PRINTED-LINE-consume", "LOGGED-LINE-consume"):
            assert text in run.stdout + run.stderr, run.describe()
        yield server, env, work, lines[-1][1]
    finally:
        server.stop()


@pytest.fixture(autouse=True)
def _runs_server_stays_up(request):
    yield
    if "runs_world" in request.fixturenames:
        srv = request.getfixturevalue("runs_world")[0]
        code = srv.proc.poll()
        if code is not None:
            pytest.fail(
                f"the {srv.kind} server exited with code {code} during the test; log tail:\n{srv.log_tail()}",
                pytrace=False,
            )


def _script(script, args, env, work, timeout=300):
    """run_script with arguments (the script reads its mode from argv)."""
    proc = subprocess.run(
        [servers.venv_bin("python"), script, *args],
        env=env,
        cwd=work,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    return Run(proc.returncode, proc.stdout, proc.stderr)


def _ok(run):
    assert run.returncode == 0, run.describe()
    return run.result


def test_run_and_its_steps_through_the_client(runs_world):
    _, env, _, run_id = runs_world
    r = _ok(
        run_python(
            f"""
            from zenml.client import Client
            c = Client()
            run = c.get_pipeline_run("{run_id}")
            by_prefix = c.get_pipeline_run("{run_id}"[:8])
            by_name = c.get_pipeline_run(run.name)
            steps = run.steps
            report({{
                "same": [by_prefix.id == run.id, by_name.id == run.id],
                "status": str(run.status),
                "pipeline": run.pipeline.name,
                "stack": run.stack.name,
                "name_prefix": run.name.startswith("runs_pipe-"),
                "orchestrator_run_id": run.orchestrator_run_id is not None,
                "snapshot": str(run.snapshot.id) if run.snapshot else None,
                "times": [run.start_time is not None, run.end_time is not None],
                "steps": list(steps),
                "step_status": [str(s.status) for s in steps.values()],
                "step_run_ids": [str(s.pipeline_run_id) == "{run_id}" for s in steps.values()],
                "consume_out": steps["consume"].output.load(),
                "consume_in": steps["consume"].inputs["x"][0].load() if isinstance(steps["consume"].inputs["x"], list) else steps["consume"].inputs["x"].load(),
                "runs": c.list_pipeline_runs(pipeline_name="runs_pipe").total,
                "run_steps": c.list_run_steps(pipeline_run_id=run.id).total,
                "step_by_id": c.get_run_step(steps["produce"].id).name,
            }})
            """,
            env,
        )
    )
    assert r["same"] == [True, True], r
    assert r["status"] == "completed" and r["pipeline"] == "runs_pipe" and r["stack"] == "default", r
    assert r["name_prefix"] and r["orchestrator_run_id"] and r["snapshot"] and r["times"] == [True, True], r
    assert r["steps"] == ["produce", "consume", "summarise"], r
    assert r["step_status"] == ["completed"] * 3 and r["step_run_ids"] == [True] * 3, r
    assert r["consume_out"] == 6 and r["consume_in"] == 3, r
    assert r["runs"] == 1 and r["run_steps"] == 3 and r["step_by_id"] == "produce", r


def test_cli_runs_list(runs_world):
    _, env, _, run_id = runs_world
    run = run_cli(["pipeline", "runs", "list", "-o", "json"], env)
    assert run.returncode == 0, run.describe()
    rows = parse_json_output(run.stdout)["items"]
    mine = [row for row in rows if row["id"] == run_id]
    assert len(mine) == 1, run.describe()
    assert mine[0]["pipeline"] == "runs_pipe" and mine[0]["status"] == "completed", mine
    assert mine[0]["index"] == 1 and mine[0]["stack"] == "default" and mine[0]["owner"] == "default", mine
    # A table too, filtered on the pipeline.
    run = run_cli(["pipeline", "runs", "list", "--pipeline_name", "runs_pipe", "--columns", "id,status"], env)
    assert run.returncode == 0 and run_id in run.stdout, run.describe()
    assert "1 items found" in run.stdout + run.stderr, run.describe()
    # 0.98.0 has no `runs describe`: the command is refused by click itself.
    run = run_cli(["pipeline", "runs", "describe", run_id], env)
    assert run.returncode == 2 and "No such command" in run.stderr, run.describe()


def test_snapshots_of_the_run(runs_world):
    _, env, _, run_id = runs_world
    snap = _ok(
        run_python(
            f"""
            from zenml.client import Client
            c = Client()
            run = c.get_pipeline_run("{run_id}")
            s = c.get_snapshot(run.snapshot.id)
            report({{
                "id": str(s.id),
                "name": s.name,
                "pipeline": s.pipeline.name,
                "steps": list(s.step_configurations),
                "unnamed": [str(x.id) for x in c.list_snapshots(named_only=False).items],
                "named": c.list_snapshots(named_only=True).total,
            }})
            """,
            env,
        )
    )
    assert snap["name"] is None and snap["pipeline"] == "runs_pipe", snap
    assert snap["steps"] == ["produce", "consume", "summarise"], snap
    assert snap["unnamed"] == [snap["id"]] and snap["named"] == 0, snap
    # The CLI lists named snapshots by default: the run's snapshot has no name.
    run = run_cli(["pipeline", "snapshot", "list"], env)
    assert run.returncode == 0 and "No pipeline snapshots found" in run.stdout + run.stderr, run.describe()
    run = run_cli(["pipeline", "snapshot", "list", "--named_only", "false", "-o", "json"], env)
    assert run.returncode == 0, run.describe()
    rows = parse_json_output(run.stdout)["items"]
    assert [(r["id"], r["name"], r["pipeline"]) for r in rows] == [(snap["id"], None, "runs_pipe")], rows
    assert rows[0]["runnable"] is False and rows[0]["deployable"] is False and rows[0]["is_dynamic"] is False, rows


def test_step_logs_through_the_client(runs_world):
    _, env, _, run_id = runs_world
    r = _ok(
        run_python(
            f"""
            from zenml.client import Client
            from zenml.exceptions import IllegalOperationError
            c = Client()
            run = c.get_pipeline_run("{run_id}")
            stack = c.active_stack
            store_id = stack.artifact_store.id
            root = stack.artifact_store.path
            log_store = stack.log_store
            out = {{"log_store": type(log_store).__name__, "steps": {{}}}}
            for name, s in run.steps.items():
                recs = []
                for l in sorted(s.log_collection, key=lambda l: l.source):
                    again = c.zen_store.get_logs(l.id)
                    recs.append({{
                        "source": l.source,
                        "uri_in_store": l.uri.startswith(root) and l.uri.endswith(".log"),
                        "artifact_store": l.artifact_store_id == store_id,
                        "log_store_id": l.log_store_id,
                        "step_run_id": l.step_run_id == s.id,
                        "pipeline_run_id": l.pipeline_run_id,
                        "get_same": [again.uri == l.uri, again.source == l.source],
                        "messages": [e.message for e in log_store.fetch(logs_model=l).items],
                    }})
                out["steps"][name] = recs
            run_logs = run.log_collection
            out["run"] = [
                {{"source": l.source, "artifact_store": l.artifact_store_id == store_id,
                  "step_run_id": l.step_run_id,
                  "messages": [e.message for e in log_store.fetch(logs_model=l).items]}}
                for l in run_logs
            ]
            # The entries route reads the log store on the server side.
            try:
                c.zen_store.get(f"/logs/{{s.log_collection[0].id}}/entries")
                out["entries"] = "no error"
            except Exception as e:
                out["entries"] = [type(e).__name__, str(e)]
            report(out)
            """,
            env,
        )
    )
    assert r["log_store"] == "ArtifactLogStore", r
    assert list(r["steps"]) == ["produce", "consume", "summarise"], r
    for name, recs in r["steps"].items():
        assert [x["source"] for x in recs] == ["prepare_step", "step"], (name, recs)
        for x in recs:
            assert x["uri_in_store"] and x["artifact_store"] and x["step_run_id"], (name, x)
            assert x["log_store_id"] is None and x["pipeline_run_id"] is None, (name, x)
            assert x["get_same"] == [True, True], (name, x)
        prepare, own = recs
        assert prepare["messages"][0] == f"Step `{name}` has started.", (name, prepare)
        assert prepare["messages"][-1].startswith(f"Step `{name}` has finished in"), (name, prepare)
        assert f"PRINTED-LINE-{name}" in own["messages"], (name, own)
    assert "LOGGED-LINE-produce" in r["steps"]["produce"][1]["messages"], r
    assert "LOGGED-LINE-consume" in r["steps"]["consume"][1]["messages"], r
    assert [(x["source"], x["artifact_store"], x["step_run_id"]) for x in r["run"]] == [("client", True, None)], r
    assert any(m.startswith("Pipeline run has finished") for m in r["run"][0]["messages"]), r
    # The server cannot read a local artifact store.
    assert r["entries"] == [
        "IllegalOperationError",
        "Files in a local artifact store cannot be accessed from the server.",
    ], r


def test_schedules(runs_world):
    _, env, work, run_id = runs_world
    # The local orchestrator refuses schedules before anything is created.
    run = _script(os.path.join(work, "runs_pipe.py"), ["schedule"], env, work)
    assert run.returncode == 0, run.describe()
    assert "SCHEDULE-RAISED ValueError Stack default does not support scheduling." in run.stdout, run.describe()
    # What a schedulable orchestrator's run would have registered: the same
    # ScheduleRequest, through the client's store.
    made = _ok(
        run_python(
            """
            from zenml.client import Client
            from zenml.enums import StackComponentType
            from zenml.models import ScheduleRequest
            c = Client()
            before = [c.list_schedules(is_archived=None).total, c.list_pipeline_runs().total,
                      c.list_snapshots(named_only=False).total]
            orch = c.active_stack_model.components[StackComponentType.ORCHESTRATOR][0]
            s = c.zen_store.create_schedule(ScheduleRequest(
                project=c.active_project.id, pipeline_id=c.get_pipeline("runs_pipe").id,
                orchestrator_id=orch.id, name="runs-sched", active=True,
                cron_expression="*/5 * * * *"))
            got = c.get_schedule("runs-sched")
            listed = c.list_schedules()
            report({
                "before": before, "id": str(s.id),
                "got": [got.name, got.cron_expression, got.active, got.is_archived, got.catchup,
                        got.orchestrator_id == orch.id, got.pipeline_id == c.get_pipeline("runs_pipe").id],
                "listed": [x.name for x in listed.items],
                "by_pipeline": c.list_schedules(pipeline_id=c.get_pipeline("runs_pipe").id).total,
                "by_cron": c.list_schedules(cron_expression="*/5 * * * *").total,
            })
            """,
            env,
        )
    )
    assert made["before"] == [0, 1, 1], made
    assert made["got"] == ["runs-sched", "*/5 * * * *", True, False, False, True, True], made
    assert made["listed"] == ["runs-sched"] and made["by_pipeline"] == 1 and made["by_cron"] == 1, made

    run = run_cli(["pipeline", "schedule", "list", "-o", "json"], env)
    assert run.returncode == 0, run.describe()
    rows = parse_json_output(run.stdout)["items"]
    assert rows == [
        {"id": made["id"], "name": "runs-sched", "pipeline": "runs_pipe", "cron_expression": "*/5 * * * *",
         "active": True, "is_archived": False}
    ], rows
    # The local orchestrator cannot update schedules: the client skips it.
    run = run_cli(["pipeline", "schedule", "update", "runs-sched", "-c", "0 * * * *"], env)
    assert run.returncode == 0 and "does not support schedule updates" in run.stdout + run.stderr, run.describe()
    # CLI delete archives (soft delete) and renames the schedule.
    run = run_cli(["pipeline", "schedule", "delete", "runs-sched", "-y"], env)
    assert run.returncode == 0 and "Deleted schedule 'runs-sched'" in run.stdout + run.stderr, run.describe()
    run = run_cli(["pipeline", "schedule", "list", "-o", "json"], env)
    assert run.returncode == 0 and "No schedules found" in run.stdout + run.stderr, run.describe()
    run = run_cli(["pipeline", "schedule", "list", "--is-archived", "both", "-o", "json"], env)
    assert run.returncode == 0, run.describe()
    rows = parse_json_output(run.stdout)["items"]
    assert len(rows) == 1 and rows[0]["id"] == made["id"], rows
    assert rows[0]["name"].startswith("runs-sched_") and rows[0]["name"] != "runs-sched", rows
    assert rows[0]["active"] is False and rows[0]["is_archived"] is True, rows
    # The client hard-deletes it.
    gone = _ok(
        run_python(
            f"""
            from zenml.client import Client
            c = Client()
            c.delete_schedule("{made['id']}", soft=False)
            try:
                c.get_schedule("{made['id']}")
                missing = False
            except KeyError:
                missing = True
            report([c.list_schedules(is_archived=None).total, missing])
            """,
            env,
        )
    )
    assert gone == [0, True], gone


def test_stop_a_finished_run(runs_world):
    _, env, _, run_id = runs_world
    for extra in ([], ["--graceful"]):
        run = run_cli(["pipeline", "runs", "stop", run_id, "-y", *extra], env)
        assert run.returncode == 1, run.describe()
        assert "Failed to stop pipeline run: Cannot stop a run that is already completed." in run.stderr, run.describe()
    status = _ok(run_python(f'from zenml.client import Client\nreport(str(Client().get_pipeline_run("{run_id}").status))', env))
    assert status == "completed", status


def _wait_for(path, marker, proc, timeout):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with open(path, errors="replace") as f:
            for line in f:
                if line.startswith(marker):
                    return line.split()
        if proc.poll() is not None:
            break
        time.sleep(0.3)
    return None


def test_stop_a_running_run(runs_world):
    _, env, work, _ = runs_world
    release = os.path.join(work, "release-waiter")
    out_path = os.path.join(work, "sleepy.out")
    penv = dict(env, RELEASE_FILE=release, PYTHONUNBUFFERED="1")
    with open(out_path, "w") as out:
        proc = subprocess.Popen(
            [servers.venv_bin("python"), os.path.join(work, "runs_pipe.py"), "sleepy"],
            env=penv, cwd=work, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
        )
    try:
        started = _wait_for(out_path, "WAITER-STARTED", proc, 120)
        assert started, open(out_path).read()[-6000:]
        sleepy_id = started[1]
        # A forceful stop (the default): the run goes to `stopping`, then the
        # local orchestrator says it cannot force-stop.
        stop = run_cli(["pipeline", "runs", "stop", sleepy_id, "-y"], env)
        assert stop.returncode == 1, stop.describe()
        assert "does not support forcefully stopping runs" in stop.stderr, stop.describe()
        during = _ok(
            run_python(
                f"""
                from zenml.client import Client
                run = Client().get_pipeline_run("{sleepy_id}")
                report([str(run.status), {{n: str(s.status) for n, s in run.steps.items()}}])
                """,
                env,
            )
        )
        assert during == ["stopping", {"first": "completed", "waiter": "running"}], during
        again = run_cli(["pipeline", "runs", "stop", sleepy_id, "-y", "--graceful"], env)
        assert again.returncode == 1 and "Run is already being stopped." in again.stderr, again.describe()
    finally:
        open(release, "w").close()
        try:
            proc.wait(timeout=120)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    text = open(out_path, errors="replace").read()
    # The waiting step finishes; the next one is refused by the server.
    assert "WAITER-RELEASED" in text and "LAST-RAN" not in text, text[-6000:]
    assert "Cannot create step 'last' for pipeline in stopped state" in text, text[-6000:]
    assert "SLEEPY-RAISED RuntimeError Pipeline run has failed due to failure in step(s): last" in text, text[-6000:]
    after = _ok(
        run_python(
            f"""
            from zenml.client import Client
            run = Client().get_pipeline_run("{sleepy_id}")
            report([str(run.status), {{n: str(s.status) for n, s in run.steps.items()}}, run.end_time is not None])
            """,
            env,
        )
    )
    assert after == ["stopped", {"first": "completed", "waiter": "completed"}, True], after
    stop = run_cli(["pipeline", "runs", "stop", sleepy_id, "-y"], env)
    assert stop.returncode == 1 and "Run is already stopped." in stop.stderr, stop.describe()


def test_cli_delete_run(runs_world):
    _, env, _, run_id = runs_world
    run = run_cli(["pipeline", "runs", "delete", run_id, "-y"], env)
    assert run.returncode == 0 and f"Deleted pipeline run '{run_id}'" in run.stdout + run.stderr, run.describe()
    gone = _ok(
        run_python(
            f"""
            from zenml.client import Client
            c = Client()
            try:
                c.get_pipeline_run("{run_id}")
                missing = False
            except KeyError:
                missing = True
            report([missing, c.list_pipeline_runs(pipeline_name="runs_pipe").total,
                    c.list_run_steps(pipeline_run_id="{run_id}").total])
            """,
            env,
        )
    )
    assert gone == [True, 0, 0], gone
    run = run_cli(["pipeline", "runs", "list", "-o", "json"], env)
    assert run.returncode == 0 and run_id not in run.stdout, run.describe()
