"""The real zenml 0.98.0 client and CLI against zengo: pipelines and their
tags, and one real pipeline run on the default stack.

The module has a zengo of its own, so that lists see only what these tests
create."""

from __future__ import annotations

import os
import tempfile
import textwrap

import pytest

import servers
from clientlib import TINY_PIPELINE_SCRIPT as PIPELINE_SCRIPT
from clientlib import client_env, parse_json_output, run_cli, run_python, run_script


@pytest.fixture(scope="module")
def pipelines_zengo(zengo_binary):
    srv = servers.start_target()
    yield srv
    srv.stop()


SETUP = """
from uuid import UUID
from zenml.client import Client
from zenml.models import PipelineRequest, PipelineUpdate
from zenml.enums import TaggableResourceTypes
from zenml.models import TagResource
c = Client()
project_id = c.active_project.id

def create(name, description=None, tags=None):
    return c.zen_store.create_pipeline(
        PipelineRequest(project=project_id, name=name, description=description, tags=tags)
    )

def names(page):
    return [p.name for p in page.items]

def error_of(f):
    try:
        f()
    except Exception as e:
        return type(e).__name__
    return None
"""


def _py(server, body: str):
    run = run_python(SETUP + textwrap.dedent(body), client_env(server))
    assert run.returncode == 0 and run.result is not None, run.describe()
    return run.result


def test_list_pipelines_filters_sorting_paging(pipelines_zengo):
    r = _py(
        pipelines_zengo,
        """
        for n in ["lp-charlie", "lp-alpha", "lp-bravo", "other-lp"]:
            create(n, tags=["lp-tag"] if n != "lp-bravo" else None)
        out = {}
        out["default_sort"] = names(c.list_pipelines(name="startswith:lp-"))
        out["desc_name"] = names(c.list_pipelines(name="startswith:lp-", sort_by="desc:name"))
        out["asc_name"] = names(c.list_pipelines(name="startswith:lp-", sort_by="asc:name"))
        out["contains"] = names(c.list_pipelines(name="contains:LP", sort_by="name"))
        out["equals"] = names(c.list_pipelines(name="lp-alpha"))
        out["tags"] = names(c.list_pipelines(tags=["lp-tag"], sort_by="name"))
        out["user"] = names(c.list_pipelines(user="default", name="startswith:lp-", sort_by="name"))
        p2 = c.list_pipelines(name="startswith:lp-", sort_by="name", size=2, page=2)
        out["page2"] = [p2.index, p2.max_size, p2.total_pages, p2.total, names(p2)]
        out["hydrated_description"] = c.list_pipelines(name="lp-alpha", hydrate=True).items[0].get_metadata().description
        out["desc_created"] = names(c.list_pipelines(name="startswith:lp-", sort_by="desc:created"))
        report(out)
        """,
    )
    assert r["default_sort"] == ["lp-charlie", "lp-alpha", "lp-bravo"]
    assert r["desc_name"] == ["lp-charlie", "lp-bravo", "lp-alpha"]
    assert r["asc_name"] == ["lp-alpha", "lp-bravo", "lp-charlie"]
    assert r["contains"] == ["lp-alpha", "lp-bravo", "lp-charlie", "other-lp"]
    assert r["equals"] == ["lp-alpha"]
    assert r["tags"] == ["lp-alpha", "lp-charlie", "other-lp"]
    assert r["user"] == ["lp-alpha", "lp-bravo", "lp-charlie"]
    assert r["page2"] == [2, 2, 2, 3, ["lp-charlie"]]
    assert r["hydrated_description"] is None
    assert r["desc_created"] == ["lp-bravo", "lp-alpha", "lp-charlie"]


def test_get_pipeline_by_name_id_and_prefix(pipelines_zengo):
    r = _py(
        pipelines_zengo,
        """
        p = create("gp-unique-name", description="about gp")
        other = create("gp-other")
        got = {}
        got["by_name"] = str(c.get_pipeline("gp-unique-name").id)
        got["by_id_str"] = c.get_pipeline(str(p.id)).name
        got["by_uuid"] = c.get_pipeline(p.id).name
        got["by_id_prefix"] = c.get_pipeline(str(p.id)[:8]).name
        got["by_name_prefix"] = c.get_pipeline("gp-uni").name
        got["description"] = c.get_pipeline(p.id).get_metadata().description
        got["missing"] = error_of(lambda: c.get_pipeline("gp-nothing-like-this"))
        got["ambiguous"] = error_of(lambda: c.get_pipeline("gp-"))
        got["id"] = str(p.id)
        report(got)
        """,
    )
    assert r["by_name"] == r["id"]
    assert r["by_id_str"] == r["by_uuid"] == r["by_id_prefix"] == r["by_name_prefix"] == "gp-unique-name"
    assert r["description"] == "about gp"
    assert r["missing"] == "KeyError"
    assert r["ambiguous"] == "ZenKeyError"


def test_update_pipeline_add_and_remove_tags(pipelines_zengo):
    r = _py(
        pipelines_zengo,
        """
        p = create("up-pipe", description="d1", tags=["up-t1", "up-t2"])
        out = {"created": sorted(t.name for t in p.tags)}
        u = c.zen_store.update_pipeline(p.id, PipelineUpdate(add_tags=["up-a1", "up-a2"], remove_tags=["up-t1"]))
        out["after_update"] = sorted(t.name for t in u.tags)
        u = c.zen_store.update_pipeline(p.id, PipelineUpdate(description="d2"))
        out["description"] = u.get_metadata().description
        out["after_desc"] = sorted(t.name for t in u.tags)
        g = c.get_pipeline(p.id)
        out["get"] = [g.get_metadata().description, sorted(t.name for t in g.tags)]
        report(out)
        """,
    )
    assert r["created"] == ["up-t1", "up-t2"]
    assert r["after_update"] == ["up-a1", "up-a2", "up-t2"]
    assert r["description"] == "d2"
    assert r["after_desc"] == ["up-a1", "up-a2", "up-t2"]
    assert r["get"] == ["d2", ["up-a1", "up-a2", "up-t2"]]


def test_attach_and_detach_tag(pipelines_zengo):
    r = _py(
        pipelines_zengo,
        """
        p = create("at-pipe", tags=["at-existing"])
        res = [TagResource(id=p.id, type=TaggableResourceTypes.PIPELINE)]
        c.attach_tag("at-new", resources=res)
        c.attach_tag("at-existing", resources=res)   # already attached: no error
        c.attach_tag("at-new", resources=res)        # again: no error
        out = {"attached": sorted(t.name for t in c.get_pipeline(p.id).tags)}
        c.detach_tag("at-new", resources=res)
        out["detached"] = sorted(t.name for t in c.get_pipeline(p.id).tags)
        tag = c.get_tag("at-new", hydrate=True)
        out["tag"] = [tag.name, tag.exclusive, tag.tagged_count]
        out["filtered"] = names(c.list_pipelines(tags=["at-existing"]))
        report(out)
        """,
    )
    assert r["attached"] == ["at-existing", "at-new"]
    assert r["detached"] == ["at-existing"]
    assert r["tag"] == ["at-new", False, 0]
    assert r["filtered"] == ["at-pipe"]


def test_delete_pipeline(pipelines_zengo):
    r = _py(
        pipelines_zengo,
        """
        p = create("del-pipe")
        keep = create("del-pipe-keep")
        c.delete_pipeline("del-pipe")
        out = {
            "after": error_of(lambda: c.get_pipeline(p.id)),
            "again": error_of(lambda: c.delete_pipeline("del-pipe-gone")),
            "kept": c.get_pipeline("del-pipe-keep").name,
        }
        c.delete_pipeline(str(keep.id))
        out["by_id"] = error_of(lambda: c.get_pipeline(keep.id))
        report(out)
        """,
    )
    assert r == {"after": "KeyError", "again": "KeyError", "kept": "del-pipe-keep", "by_id": "KeyError"}


def test_cli_pipeline_list_with_filters(pipelines_zengo):
    _py(
        pipelines_zengo,
        """
        for n in ["cli-one", "cli-two", "cli-three"]:
            create(n, tags=["cli-tag"] if n == "cli-two" else None)
        report(True)
        """,
    )
    env = client_env(pipelines_zengo)
    run = run_cli(["pipeline", "list", "--name", "startswith:cli-", "-o", "json"], env)
    assert run.returncode == 0, run.describe()
    rows = _items(parse_json_output(run.stdout))
    # The CLI sorts by creation time, newest first.
    assert [r["name"] for r in rows] == ["cli-three", "cli-two", "cli-one"]

    run = run_cli(["pipeline", "list", "--name", "contains:TWO", "-o", "json"], env)
    assert run.returncode == 0, run.describe()
    assert [r["name"] for r in _items(parse_json_output(run.stdout))] == ["cli-two"]

    run = run_cli(
        ["pipeline", "list", "--name", "startswith:cli-", "--sort_by", "asc:name", "--size", "2", "-o", "json"], env
    )
    assert run.returncode == 0, run.describe()
    assert [r["name"] for r in _items(parse_json_output(run.stdout))] == ["cli-one", "cli-three"]

    run = run_cli(["pipeline", "list", "--tags", "cli-tag"], env)
    assert run.returncode == 0, run.describe()
    assert "cli-two" in run.stdout and "cli-one" not in run.stdout, run.describe()


def _items(doc):
    if isinstance(doc, dict):
        for key in ("items", "pipelines", "data"):
            if key in doc:
                return doc[key]
    return doc


def test_cli_pipeline_delete(pipelines_zengo):
    _py(pipelines_zengo, 'create("cli-del-me"); report(True)')
    env = client_env(pipelines_zengo)
    run = run_cli(["pipeline", "delete", "cli-del-me", "-y"], env)
    assert run.returncode == 0, run.describe()
    run = run_cli(["pipeline", "list", "--name", "cli-del-me"], env)
    assert run.returncode == 0, run.describe()
    assert "No pipelines found" in run.stdout + run.stderr, run.describe()
    run = run_cli(["pipeline", "delete", "cli-del-me", "-y"], env)
    assert run.returncode != 0, run.describe()


def test_real_pipeline_run_on_the_default_stack(fresh_zengo):
    work = tempfile.mkdtemp(prefix="zenml-run-")
    script = os.path.join(work, "run_compat.py")
    with open(script, "w") as f:
        f.write(PIPELINE_SCRIPT)
    env = client_env(fresh_zengo, config_dir=os.path.join(work, "cfg"))
    run = run_script(script, env, cwd=work, timeout=300)
    assert run.returncode == 0, run.describe()
    assert "RUN" in run.stdout and "completed" in run.stdout, run.describe()
    assert "STEPS ['add_one', 'make_number']" in run.stdout, run.describe()
    assert "LOAD 42" in run.stdout, run.describe()

    assert "STATUSES [('add_one', 'completed'), ('make_number', 'completed')]" in run.stdout, run.describe()

    # The same pipeline again: both steps are cache hits, and the run still
    # completes and loads its output.
    again = run_script(script, env, cwd=work, timeout=300)
    assert again.returncode == 0, again.describe()
    assert "STATUSES [('add_one', 'cached'), ('make_number', 'cached')]" in again.stdout, again.describe()
    assert "LOAD 42" in again.stdout, again.describe()

    # The runs are visible through the client afterwards.
    check = run_python(
        """
        from zenml.client import Client
        c = Client()
        p = c.get_pipeline("compat_tiny_pipeline")
        runs = c.list_pipeline_runs(pipeline_id=p.id, sort_by="created")
        report([runs.total, [str(r.status) for r in runs.items], [r.index for r in runs.items],
                str(p.latest_run_status)])
        """,
        env,
    )
    assert check.returncode == 0, check.describe()
    assert check.result == [2, ["completed", "completed"], [1, 2], "completed"], check.result
