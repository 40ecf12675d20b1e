"""The real zenml 0.98.0 CLI against zengo: registering, changing and
deleting stack components and stacks, then a real pipeline run on a newly
registered local stack (its own local orchestrator and an artifact store
with its own path).

The module has a server of its own, so that lists see only what these
tests create. Every CLI call runs in a fresh process; calls share a
configuration directory only where the CLI keeps state in it (the active
stack)."""

from __future__ import annotations

import os
import tempfile

import pytest

import servers
from clientlib import TINY_PIPELINE_SCRIPT, client_env, parse_json_output, run_cli, run_python, run_script


@pytest.fixture(scope="module")
def stacks_server(zengo_binary):
    srv = servers.start_target()
    yield srv
    srv.stop()


def _cli(env, *args, ok=True):
    run = run_cli(list(args), env)
    if ok:
        assert run.returncode == 0, run.describe()
    else:
        assert run.returncode != 0, run.describe()
    return run


def _components(env, kind):
    run = _cli(env, kind, "list", "-o", "json")
    return {c["name"]: c for c in parse_json_output(run.stdout)["items"]}


def test_components_register_update_delete(stacks_server):
    env = client_env(stacks_server)
    _cli(env, "orchestrator", "register", "cs-orch", "--flavor=local")
    _cli(env, "orchestrator", "register", "cs-orch", "--flavor=local", ok=False)
    _cli(env, "orchestrator", "update", "cs-orch", "--label", "team=ml", "--env", "A=1")
    _cli(env, "orchestrator", "rename", "cs-orch", "cs-orch2")
    assert "cs-orch2" in _components(env, "orchestrator")

    path = tempfile.mkdtemp(prefix="cs-art-")
    _cli(env, "artifact-store", "register", "cs-art", "--flavor=local", f"--path={path}")
    _cli(env, "artifact-store", "register", "cs-bad", "--flavor=local", "--bogus=1", ok=False)
    newpath = tempfile.mkdtemp(prefix="cs-art2-")
    _cli(env, "artifact-store", "update", "cs-art", f"--path={newpath}")
    check = run_python(
        """
        from zenml.client import Client
        from zenml.enums import StackComponentType
        c = Client()
        o = c.get_stack_component(StackComponentType.ORCHESTRATOR, "cs-orch2")
        a = c.get_stack_component(StackComponentType.ARTIFACT_STORE, "cs-art")
        report([o.labels, o.environment, a.configuration])
        """,
        env,
    )
    assert check.returncode == 0, check.describe()
    assert check.result == [{"team": "ml"}, {"A": "1"}, {"path": newpath}], check.result

    # The default components stay as they are.
    _cli(env, "orchestrator", "delete", "default", ok=False)
    _cli(env, "orchestrator", "delete", "cs-orch2")
    _cli(env, "artifact-store", "delete", "cs-art")
    assert "cs-orch2" not in _components(env, "orchestrator")


def test_stacks_register_describe_update_rename_delete(stacks_server):
    env = client_env(stacks_server)
    path = tempfile.mkdtemp(prefix="st-art-")
    _cli(env, "orchestrator", "register", "st-orch", "--flavor=local")
    _cli(env, "orchestrator", "register", "st-orch-b", "--flavor=local")
    _cli(env, "artifact-store", "register", "st-art", "--flavor=local", f"--path={path}")
    _cli(env, "stack", "register", "st-stack", "-o", "st-orch", "-a", "st-art")
    _cli(env, "stack", "register", "st-stack", "-o", "st-orch", "-a", "st-art", ok=False)

    listed = _cli(env, "stack", "list", "-o", "json")
    names = sorted(s["name"] for s in parse_json_output(listed.stdout)["items"])
    assert names == ["default", "st-stack"], names
    described = _cli(env, "stack", "describe", "st-stack")
    out = described.stdout + described.stderr
    assert "st-orch" in out and "st-art" in out, described.describe()

    _cli(env, "stack", "update", "st-stack", "-o", "st-orch-b")
    _cli(env, "stack", "rename", "st-stack", "st-renamed")
    check = run_python(
        """
        from zenml.client import Client
        s = Client().get_stack("st-renamed")
        report({str(t): [c.name for c in cs] for t, cs in s.components.items()})
        """,
        env,
    )
    assert check.returncode == 0, check.describe()
    assert check.result == {"orchestrator": ["st-orch-b"], "artifact_store": ["st-art"]}, check.result

    # A component in a stack cannot go; the default stack cannot change.
    _cli(env, "orchestrator", "delete", "st-orch-b", ok=False)
    _cli(env, "stack", "rename", "default", "not-default", ok=False)
    _cli(env, "stack", "delete", "default", "-y", ok=False)

    _cli(env, "stack", "delete", "st-renamed", "-y")
    listed = _cli(env, "stack", "list", "-o", "json")
    assert [s["name"] for s in parse_json_output(listed.stdout)["items"]] == ["default"]
    for name in ("st-orch", "st-orch-b"):
        _cli(env, "orchestrator", "delete", name)
    _cli(env, "artifact-store", "delete", "st-art")


# The tiny pipeline, also printing the stack it ran on and where its
# output went.
PIPELINE_SCRIPT = TINY_PIPELINE_SCRIPT + """\
    print("STACK", run.stack.name)
    print("URI", run.steps["add_one"].output.uri)
"""


def test_pipeline_runs_on_a_new_local_stack(stacks_server):
    work = tempfile.mkdtemp(prefix="zenml-stack-run-")
    store_path = os.path.join(work, "artifacts")
    os.makedirs(store_path)
    # One configuration directory: `stack set` keeps the active stack there.
    env = client_env(stacks_server, config_dir=os.path.join(work, "cfg"))
    _cli(env, "orchestrator", "register", "run-orch", "--flavor=local")
    _cli(env, "artifact-store", "register", "run-art", "--flavor=local", f"--path={store_path}")
    _cli(env, "stack", "register", "run-stack", "-o", "run-orch", "-a", "run-art")
    _cli(env, "stack", "set", "run-stack")
    active = _cli(env, "stack", "describe")
    assert "run-stack" in active.stdout + active.stderr, active.describe()

    script = os.path.join(work, "run_stack.py")
    with open(script, "w") as f:
        f.write(PIPELINE_SCRIPT)
    run = run_script(script, env, cwd=work, timeout=300)
    assert run.returncode == 0, run.describe()
    assert "RUN" in run.stdout and "completed" in run.stdout, run.describe()
    assert "STACK run-stack" in run.stdout, run.describe()
    assert "LOAD 42" in run.stdout, run.describe()
    assert f"URI {store_path}" in run.stdout, run.describe()

    # The stack the runs were made on can still go.
    _cli(env, "stack", "set", "default")
    _cli(env, "stack", "delete", "run-stack", "-y")
