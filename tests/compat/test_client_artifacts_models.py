"""The real client and CLI on artifacts and models: a pipeline with a model
and custom-named artifacts run twice, then what a user does with them."""

from __future__ import annotations

import os
import tempfile

import pytest

from clientlib import client_env, parse_json_output, run_cli, run_python, run_script

PIPELINE_SCRIPT = """
from typing import Annotated
from zenml import ArtifactConfig, Model, pipeline, step


@step
def make_number() -> Annotated[int, ArtifactConfig(name="compat_number", tags=["art-tag"])]:
    return 41


@step
def add_one(x: int) -> Annotated[int, "compat_result"]:
    return x + 1


@pipeline(model=Model(name="compat_model", tags=["model-tag"], description="a model"))
def compat_model_pipeline():
    add_one(make_number())


if __name__ == "__main__":
    run = compat_model_pipeline()
    print("RUN", run.id, run.status)
"""


@pytest.fixture(scope="module")
def world(zengo_binary):
    """A fresh server where the pipeline ran twice (the second run cached)."""
    import servers

    server = servers.start_target()
    work = tempfile.mkdtemp(prefix="zenml-art-")
    script = os.path.join(work, "run_models.py")
    with open(script, "w") as f:
        f.write(PIPELINE_SCRIPT)
    env = client_env(server, config_dir=os.path.join(work, "cfg"))
    for _ in range(2):
        run = run_script(script, env, cwd=work, timeout=300)
        assert run.returncode == 0 and "completed" in run.stdout, run.describe()
    yield server, env
    server.stop()


def test_artifacts_through_the_client(world):
    _, env = world
    check = run_python(
        """
        from zenml.client import Client
        c = Client()
        arts = c.list_artifacts(name="startswith:compat_", sort_by="asc:name")
        av = c.get_artifact_version("compat_result")
        av1 = c.get_artifact_version("compat_number", version="1")
        versions = c.list_artifact_versions(artifact="compat_number", sort_by="asc:version_number")
        tagged = c.list_artifact_versions(tags=["art-tag"])
        report({
            "artifacts": [a.name for a in arts.items],
            "latest": [a.latest_version_name for a in arts.items],
            "result_version": av.version,
            "result_load": av.load(),
            "producer_ok": av.producer_step_run_id is not None and av.producer_pipeline_run_id is not None,
            "number_v1_load": av1.load(),
            "versions": [v.version for v in versions.items],
            "tagged": sorted({v.artifact.name for v in tagged.items}),
            "custom": [a.has_custom_name for a in c.list_artifacts(name="startswith:compat_", sort_by="asc:name", hydrate=True).items],
        })
        """,
        env,
    )
    assert check.returncode == 0, check.describe()
    r = check.result
    assert r["artifacts"] == ["compat_number", "compat_result"], r
    # The second run is cached: its outputs are the first run's versions.
    assert r["latest"] == ["1", "1"], r
    assert r["result_version"] == "1" and r["result_load"] == 42 and r["producer_ok"], r
    assert r["number_v1_load"] == 41 and r["versions"] == ["1"], r
    assert r["tagged"] == ["compat_number"], r
    assert r["custom"] == [True, True], r


def test_models_through_the_client(world):
    _, env = world
    check = run_python(
        """
        from zenml.client import Client
        from zenml.enums import ModelStages
        c = Client()
        m = c.get_model("compat_model")
        versions = c.list_model_versions("compat_model", sort_by="asc:number")
        latest = c.get_model_version("compat_model")
        c.update_model_version("compat_model", "1", stage="production")
        prod = c.get_model_version("compat_model", ModelStages.PRODUCTION)
        try:
            c.update_model_version("compat_model", "2", stage="production")
            conflict = None
        except Exception as e:
            conflict = str(e)
        c.update_model_version("compat_model", "2", stage="production", force=True)
        after = [(v.number, str(v.stage)) for v in c.list_model_versions("compat_model", sort_by="asc:number").items]
        links = c.list_model_version_artifact_links(model_version_id=latest.id)
        runs = c.list_model_version_pipeline_run_links(model_version_id=latest.id)
        report({
            "model": [m.name, m.description, sorted(t.name for t in m.tags), m.latest_version_name],
            "numbers": [v.number for v in versions.items],
            "names": [v.name for v in versions.items],
            "version_tags": sorted(t.name for t in latest.tags),
            "latest": latest.number,
            "prod": prod.number,
            "conflict": conflict,
            "after": after,
            "links": sorted(l.artifact_version.artifact.name for l in links.items),
            "runs": runs.total,
        })
        """,
        env,
    )
    assert check.returncode == 0, check.describe()
    r = check.result
    assert r["model"] == ["compat_model", "a model", [], "2"], r
    assert r["numbers"] == [1, 2] and r["names"] == ["1", "2"], r
    assert r["version_tags"] == ["model-tag"] and r["latest"] == 2 and r["prod"] == 1, r
    assert r["conflict"] and "force" in r["conflict"], r
    assert r["after"] == [[1, "archived"], [2, "production"]], r
    assert r["links"] == ["compat_number", "compat_result"] and r["runs"] == 1, r


def test_cli_lists_and_prune(world):
    _, env = world
    for args in (["artifact", "list"], ["artifact", "version", "list"], ["model", "list"], ["model", "version", "list"]):
        run = run_cli(args, env)
        assert run.returncode == 0, run.describe()
    assert "compat_number" in run_cli(["artifact", "list"], env).stdout
    assert "compat_model" in run_cli(["model", "list"], env).stdout
    run = run_cli(["model", "version", "update", "compat_model", "1", "--stage", "staging"], env)
    assert run.returncode == 0, run.describe()
    # An unused manual version, then prune: only it goes.
    made = run_python(
        """
        from zenml import save_artifact
        from zenml.client import Client
        save_artifact(7, name="compat_unused")
        report(Client().list_artifact_versions(artifact="compat_unused").total)
        """,
        env,
    )
    assert made.returncode == 0 and made.result == 1, made.describe()
    run = run_cli(["artifact", "prune", "-y"], env)
    assert run.returncode == 0, run.describe()
    left = run_python(
        """
        from zenml.client import Client
        c = Client()
        report([c.list_artifact_versions(artifact="compat_unused").total,
                c.list_artifact_versions(artifact="compat_number").total])
        """,
        env,
    )
    assert left.returncode == 0 and left.result == [0, 1], left.describe()


def test_delete_model_and_artifact(world):
    _, env = world
    check = run_python(
        """
        from zenml.client import Client
        c = Client()
        c.delete_model("compat_model")
        art = c.get_artifact("compat_result")
        c.delete_artifact(art.id)
        report([c.list_models(name="compat_model").total, c.list_artifacts(name="compat_result").total,
                c.list_artifacts(name="compat_number").total])
        """,
        env,
    )
    assert check.returncode == 0, check.describe()
    assert check.result == [0, 0, 1], check.result
