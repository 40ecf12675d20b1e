"""`zengo import` proved on a real ZenML 0.98.0 database.

The source is built once per module with the reference server and the real
client: real multi-step runs (one of them partly cached, one failed) of
pipelines with tags and a model (model versions linked to artifacts and
runs), run and model metadata, visualizations and a curated one, a named
snapshot, users (one with a password), a service account with API keys,
public and private secrets (with the reference's secrets-store key set, so
the importer has to decrypt them), a custom stack with its components, a
service connector, a code repository and a schedule. The reference's
answers to a list of read requests (every list with filters, sorts and
paging, every get hydrated and not, and the sub-resources: DAG, steps,
configurations, logs, visualizations, statistics) are recorded, and a
consistent copy of its SQLite file is taken.

Then, for each engine (SQLite always; PostgreSQL and MariaDB/MySQL when
ZENGO_TEST_POSTGRES_URL / ZENGO_TEST_MYSQL_URL name a server; each run uses
a fresh database of its own), `zengo import` copies the file into a fresh
zengo store, zengo starts on it, and the same requests must get the same
answers: the differential suite's normalisation, except that ids and
timestamps are kept (they are data here and must be equal). The same
password and the same API key log in on both servers.

ZENGO_IMPORT_SOURCE_CACHE=<dir> keeps the seeded reference database in <dir>
and reuses it on the next run (the answers are recorded again each time):
for working on the test; delete the folder when the seed changes.
"""

from __future__ import annotations

import concurrent.futures
import hashlib
import json
import os
import re
import shutil
import sqlite3
import subprocess
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from typing import Any, Callable, Optional
from urllib.parse import urlencode, urlsplit, urlunsplit

import pytest
import requests

import differential
import servers
from clientlib import client_env, run_python

SOURCE_SECRETS_KEY = "import-test-source-key-6d1f"  # the reference's secrets-store key
ZENGO_SECRETS_KEY = "import-test-zengo-key-93b0"  # zengo's, different: values are re-encrypted
ALICE_PASSWORD = "Alice-Pa55word"

SEED_SCRIPT = '''
import json
import sys
from typing import Annotated, Tuple

from zenml import ArtifactConfig, Model, log_metadata, pipeline, step
from zenml.types import HTMLString, MarkdownString


@step
def load_rows() -> Annotated[dict, ArtifactConfig(name="imp_rows", tags=["imp-data"])]:
    log_metadata(metadata={"rows": 3, "origin": "seed"})
    return {"values": [3, 5, 8]}


@step
def train(rows: dict) -> Tuple[Annotated[int, "imp_score"], Annotated[MarkdownString, "imp_report"]]:
    print("training on", rows)
    log_metadata(metadata={"accuracy": 0.93, "epochs": 4}, infer_model=True)
    return sum(rows["values"]), MarkdownString("# Report\\n\\nscore is fine")


@step(enable_cache=False)
def publish(score: int, report: MarkdownString) -> Annotated[HTMLString, "imp_page"]:
    print("publishing", score)
    return HTMLString(f"<h1>{score}</h1>")


@step(enable_cache=False)
def explode(rows: dict) -> int:
    raise RuntimeError("import seed boom")


@pipeline(enable_cache=True, tags=["imp-pipe", "imp-shared"],
          model=Model(name="imp_model", tags=["imp-model-tag"], description="the seed's model"))
def imp_training():
    score, report = train(load_rows())
    publish(score, report)


@pipeline(enable_cache=False, tags=["imp-shared"])
def imp_failing():
    explode(load_rows())


if __name__ == "__main__":
    imp_training()
    imp_training()  # load_rows and train come from the cache
    try:
        imp_failing()
    except Exception as e:
        print("FAILED AS EXPECTED", type(e).__name__)
    imp_training.create_snapshot(name="imp_snapshot")

    from zenml.client import Client
    from zenml.config.source import Source
    from zenml.enums import MetadataResourceTypes, StackComponentType, VisualizationResourceTypes
    from zenml.models import CodeRepositoryRequest, RunMetadataResource, ScheduleRequest

    c = Client()
    out = {}
    c.create_user("imp_alice", password="%(alice)s", is_admin=False)
    c.create_user("imp_bob", is_admin=True)
    sa = c.create_service_account("imp_robot", description="the seed's robot")
    out["api_key"] = c.create_api_key(sa.id, name="imp_key", description="a key").key
    c.create_api_key(sa.id, name="imp_other_key")
    c.create_secret("imp_public", values={"token": "pub-value", "user": "me"})
    c.create_secret("imp_private", values={"password": "priv-value"}, private=True)
    c.create_tag("imp-red", color="red")
    c.create_tag("imp-exclusive", exclusive=True, color="blue")
    c.create_stack_component("imp_orch", flavor="local", component_type=StackComponentType.ORCHESTRATOR,
                             configuration={}, labels={"team": "imp"})
    c.create_stack_component("imp_store", flavor="local", component_type=StackComponentType.ARTIFACT_STORE,
                             configuration={"path": sys.argv[1]})
    c.create_stack("imp_stack", components={StackComponentType.ORCHESTRATOR: "imp_orch",
                                            StackComponentType.ARTIFACT_STORE: "imp_store"},
                   labels={"env": "test"})
    c.create_service_connector("imp_docker", connector_type="docker", auth_method="password",
                               configuration={"username": "imp", "password": "docker-pass",
                                              "registry": "registry.example.com"},
                               verify=False)
    c.zen_store.create_code_repository(CodeRepositoryRequest(
        project=c.active_project.id, name="imp_repo", config={"url": "https://example.com/r.git"},
        source=Source(module="imp_repos", attribute="ImpRepo", type="user"), description="a repo"))
    pipe = c.get_pipeline("imp_training")
    orch = c.get_stack_component(StackComponentType.ORCHESTRATOR, "imp_orch")
    c.zen_store.create_schedule(ScheduleRequest(
        project=c.active_project.id, name="imp_schedule", active=True, cron_expression="*/5 * * * *",
        orchestrator_id=orch.id, pipeline_id=pipe.id))
    runs = c.list_pipeline_runs(sort_by="asc:created", size=10).items
    c.create_run_metadata(metadata={"reviewed": True, "reviewer": "imp_alice"},
                          resources=[RunMetadataResource(id=runs[0].id, type=MetadataResourceTypes.PIPELINE_RUN)])
    report_version = c.get_artifact_version("imp_report")
    vis = report_version.get_hydrated_version().visualizations or []
    c.create_curated_visualization(vis[0].id, resource_id=runs[0].id,
                                   resource_type=VisualizationResourceTypes.PIPELINE_RUN,
                                   display_name="the report")
    c.create_model_version("imp_model", name="handmade", description="by hand", tags=["imp-red"])
    print("SEED-RESULT " + json.dumps(out))
''' % {"alice": ALICE_PASSWORD}


# --------------------------------------------------------------------------
# Target databases: SQLite always, PostgreSQL and MySQL when CI names them.


@dataclass
class Target:
    engine: str
    url: str
    drop: Callable[[], None] = lambda: None


def _server_db(engine: str, base: str) -> Target:
    """A fresh database on the server named by base (dropped afterwards)."""
    parts = urlsplit(base)
    name = f"importtest_{uuid.uuid4().hex[:10]}"
    if engine == "postgres":
        env = dict(os.environ, PGPASSWORD=parts.password or "")
        args = ["-h", parts.hostname, "-p", str(parts.port or 5432), "-U", parts.username]
        subprocess.run(["createdb", *args, name], env=env, check=True, capture_output=True)

        def drop():
            subprocess.run(["dropdb", *args, "--if-exists", "--force", name], env=env, capture_output=True)

    else:
        import pymysql

        def admin():
            return pymysql.connect(host=parts.hostname, port=parts.port or 3306, user=parts.username,
                                   password=parts.password or "", autocommit=True)

        with admin() as conn, conn.cursor() as cur:
            cur.execute(f"CREATE DATABASE {name}")

        def drop():
            with admin() as conn, conn.cursor() as cur:
                cur.execute(f"DROP DATABASE IF EXISTS {name}")

    return Target(engine, urlunsplit(parts._replace(path="/" + name)), drop)


def new_target(engine: str, workdir: str) -> Target:
    if engine == "sqlite":
        path = os.path.join(workdir, f"target-{uuid.uuid4().hex[:8]}.db")
        return Target("sqlite", f"sqlite:///{path}")
    return _server_db(engine, os.environ[ENGINE_ENV[engine]])


ENGINE_ENV = {"postgres": "ZENGO_TEST_POSTGRES_URL", "mysql": "ZENGO_TEST_MYSQL_URL"}


def engine_params():
    out = [pytest.param("sqlite", id="sqlite")]
    for engine, var in ENGINE_ENV.items():
        mark = [] if os.environ.get(var) else [pytest.mark.skip(reason=f"{var} is not set")]
        out.append(pytest.param(engine, id=engine, marks=mark))
    return out


def run_import(args: list, *, env: Optional[dict] = None, timeout: float = 600) -> subprocess.CompletedProcess:
    """`zengo import ARGS` to completion (progress as plain lines)."""
    full_env = {k: v for k, v in os.environ.items() if not k.startswith(("ZENML_", "ZENGO_"))}
    full_env.update(env or {})
    return subprocess.run(
        [servers.zengo_binary(), "import", "--progress", "lines", *args],
        env=full_env, capture_output=True, text=True, timeout=timeout, stdin=subprocess.DEVNULL,
    )


def describe(proc: subprocess.CompletedProcess) -> str:
    return f"exit code {proc.returncode}\n--- stdout ---\n{proc.stdout[-6000:]}\n--- stderr ---\n{proc.stderr[-6000:]}"


def file_digest(path: str) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


# --------------------------------------------------------------------------
# The read requests: built from what the reference lists.

# (list path, item paths, extra list queries). Every list is also asked
# plain, hydrated and as a second page of two; every item path is asked
# for each id the plain list returns, hydrated (the default) and not.
COLLECTIONS = [
    ("/api/v1/users", ["/api/v1/users/{id}"],
     [{"sort_by": "asc:name"}, {"name": "contains:imp"}, {"active": "true"}, {"is_admin": "true"}]),
    ("/api/v1/service_accounts", ["/api/v1/service_accounts/{id}", "/api/v1/service_accounts/{id}/api_keys"],
     [{"sort_by": "desc:name"}, {"name": "imp_robot"}]),
    ("/api/v1/projects", ["/api/v1/projects/{id}", "/api/v1/projects/{id}/statistics"], [{"name": "default"}]),
    ("/api/v1/stacks", ["/api/v1/stacks/{id}"],
     [{"sort_by": "desc:name"}, {"name": "imp_stack"}, {"component_id": "@components:imp_orch"}]),
    ("/api/v1/components", ["/api/v1/components/{id}"],
     [{"type": "orchestrator"}, {"flavor": "local"}, {"sort_by": "asc:type"}, {"name": "startswith:imp_"}]),
    ("/api/v1/flavors", ["/api/v1/flavors/{id}"],
     [{"type": "orchestrator"}, {"sort_by": "asc:name", "size": 100}, {"name": "local"}]),
    ("/api/v1/service_connectors", ["/api/v1/service_connectors/{id}"],
     [{"connector_type": "docker"}, {"expand_secrets": "true"}]),
    ("/api/v1/secrets", ["/api/v1/secrets/{id}"], [{"private": "true"}, {"sort_by": "asc:name"}, {"name": "imp_public"}]),
    ("/api/v1/code_repositories", ["/api/v1/code_repositories/{id}"], [{"name": "imp_repo"}]),
    ("/api/v1/pipelines", ["/api/v1/pipelines/{id}"],
     [{"tag": "imp-pipe"}, {"sort_by": "asc:name"}, {"sort_by": "desc:latest_run"}, {"name": "contains:fail"}]),
    ("/api/v1/pipeline_snapshots",
     ["/api/v1/pipeline_snapshots/{id}", "/api/v1/pipeline_snapshots/{id}?include_config_schema=true"],
     [{"named_only": "true"}, {"sort_by": "desc:created"}, {"pipeline_id": "@pipelines:imp_training"}]),
    ("/api/v1/pipeline_builds", ["/api/v1/pipeline_builds/{id}"], []),
    ("/api/v1/schedules", ["/api/v1/schedules/{id}"], [{"name": "imp_schedule"}, {"active": "true"}]),
    ("/api/v1/runs",
     ["/api/v1/runs/{id}", "/api/v1/runs/{id}/dag", "/api/v1/runs/{id}/steps", "/api/v1/runs/{id}/pipeline-configuration",
      "/api/v1/runs/{id}?include_full_metadata=true"],
     [{"status": "completed"}, {"status": "failed"}, {"pipeline_name": "imp_training"}, {"tag": "imp-shared"},
      {"sort_by": "desc:created"}, {"model": "imp_model"}, {"stack_id": "@stacks:default"},
      {"pipeline_id": "@pipelines:imp_training", "sort_by": "desc:index"}]),
    ("/api/v1/steps",
     ["/api/v1/steps/{id}", "/api/v1/steps/{id}/step-configuration", "/api/v1/steps/{id}/status"],
     [{"status": "cached"}, {"sort_by": "asc:name"}, {"name": "train"}, {"pipeline_run_id": "@runs:0"},
      {"cache_key": "contains:a"}]),
    ("/api/v1/artifacts", ["/api/v1/artifacts/{id}"],
     [{"tag": "imp-data"}, {"has_custom_name": "true"}, {"sort_by": "asc:name"}, {"name": "contains:imp_"}]),
    ("/api/v1/artifact_versions",
     ["/api/v1/artifact_versions/{id}", "/api/v1/artifact_versions/{id}/visualize?index=0"],
     [{"artifact": "imp_rows"}, {"tag": "imp-data"}, {"sort_by": "desc:version"}, {"only_unused": "true"},
      {"type": "DataArtifact"}, {"model": "imp_model"}]),
    ("/api/v1/models", ["/api/v1/models/{id}", "/api/v1/models/{id}/model_versions"],
     [{"tag": "imp-model-tag"}, {"sort_by": "desc:created"}]),
    ("/api/v1/model_versions", ["/api/v1/model_versions/{id}"],
     [{"model": "imp_model"}, {"sort_by": "desc:number"}, {"tag": "imp-red"}, {"name": "handmade"}]),
    ("/api/v1/model_version_artifacts", [], [{"model_version_id": "@model_versions:0"}, {"only_data_artifacts": "true"}]),
    ("/api/v1/model_version_pipeline_runs", [], [{"model_version_id": "@model_versions:0"}]),
    ("/api/v1/tags", ["/api/v1/tags/{id}"],
     [{"resource_type": "pipeline_run"}, {"sort_by": "asc:name"}, {"color": "red"}, {"exclusive": "true"}]),
    # Kinds the seed does not fill: their (empty) lists must agree too.
    ("/api/v1/run_templates", ["/api/v1/run_templates/{id}"], []),
    ("/api/v1/triggers", ["/api/v1/triggers/{id}"], []),
    ("/api/v1/webhooks", ["/api/v1/webhooks/{id}"], []),
    ("/api/v1/services", ["/api/v1/services/{id}"], []),
    ("/api/v1/deployments", ["/api/v1/deployments/{id}"], []),
    ("/api/v1/hook_invocations", ["/api/v1/hook_invocations/{id}"], []),
    ("/api/v1/run_wait_conditions", ["/api/v1/run_wait_conditions/{id}"], []),
    ("/api/v1/devices", ["/api/v1/devices/{id}"], []),
]

SINGLES = [
    "/api/v1/info",
    "/api/v1/version",
    "/api/v1/current-user",
    "/api/v1/settings",
    "/api/v1/statistics",
    "/api/v1/onboarding_state",
    "/api/v1/component-types",
]

# Values that change by themselves on the reference between two identical
# requests, each with the reason (path globs of the differential runner).
IGNORED = {
    "/api/v1/settings": {
        "body.body.last_user_activity": "the reference stamps it on every authenticated request",
    },
    "/api/v1/info": {
        "body.last_user_activity": "the reference stamps it on every authenticated request",
        "body.database_type": "the target's engine (the reference runs on SQLite; zengo on each engine)",
    },
}


# Answers the reference gives in an order of its own making that changes
# between two processes of it: compared sorted.
UNORDERED = {
    "/api/v1/onboarding_state": "the reference answers its stored steps as list(set(...)): in the order "
                                "of the process's string hashes (PYTHONHASHSEED)",
}


def _ids(body: Any) -> list:
    return [x["id"] for x in body.get("items", [])] if isinstance(body, dict) else []


def build_requests(get: Callable[[str], Any]) -> list:
    """The request list, from the reference's own lists (get(path) returns
    the JSON body of the reference's answer)."""
    lists: dict = {}
    for path, _, _ in COLLECTIONS:
        lists[path.rsplit("/", 1)[1]] = get(path + "?size=1000&sort_by=asc:created")

    def resolve(value: str) -> str:
        # "@kind:name" is the id of the item named so, "@kind:N" the Nth
        if not isinstance(value, str) or not value.startswith("@"):
            return value
        kind, _, which = value[1:].partition(":")
        items = lists[kind]["items"]
        if which.isdigit():
            return items[int(which)]["id"]
        return next(x["id"] for x in items if x.get("name") == which)

    out = list(SINGLES)
    for path, item_paths, queries in COLLECTIONS:
        out += [path, path + "?hydrate=true"]
        if lists[path.rsplit("/", 1)[1]]["total"] > 2:
            out.append(path + "?size=2&page=2&sort_by=asc:created")
        for q in queries:
            out.append(path + "?" + urlencode({k: resolve(v) for k, v in q.items()}))
        for item_id in _ids(lists[path.rsplit("/", 1)[1]]):
            for item in item_paths:
                p = item.format(id=item_id)
                out.append(p)
                out.append(p + ("&" if "?" in p else "?") + "hydrate=false")
    # Items reached from others: the logs records of runs and steps (and
    # their entries, read from the artifact store), the curated
    # visualizations, the API keys by id.
    extra = []
    for kind in ("runs", "steps"):
        for item_id in _ids(lists[kind]):
            item = get(f"/api/v1/{kind}/{item_id}")
            resources = item.get("resources") or {}
            for vis in resources.get("visualizations") or []:
                extra.append(f"/api/v1/curated_visualizations/{vis['id']}")
            for logs in resources.get("log_collection") or []:
                extra.append(f"/api/v1/logs/{logs['id']}")
                out.append(f"/api/v1/logs/{logs['id']}/entries")
                out.append(f"/api/v1/{kind}/{item_id}/logs?" + urlencode({"source": logs["body"]["source"]}))
    for sa_id in _ids(lists["service_accounts"]):
        for key_id in _ids(get(f"/api/v1/service_accounts/{sa_id}/api_keys")):
            extra.append(f"/api/v1/service_accounts/{sa_id}/api_keys/{key_id}")
    for p in extra:
        out += [p, p + "?hydrate=false"]
    return out


@dataclass
class Answer:
    status: int
    body: Any
    content_type: str


def fetch_all(url: str, token: str, paths: list, workers: int = 4) -> dict:
    """GET every path (a few at a time); path -> Answer."""
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {token}"

    def one(path):
        r = session.get(url + path, timeout=60)
        try:
            body = r.json()
        except ValueError:
            body = r.text
        return path, Answer(r.status_code, body, r.headers.get("content-type", ""))

    with concurrent.futures.ThreadPoolExecutor(workers) as pool:
        return dict(pool.map(one, paths))


def compare_answers(ref: dict, zen: dict) -> list:
    """Differences between the two sides' answers: (request, [Difference])."""
    problems = []
    for path, a in ref.items():
        b = zen[path]
        nr = differential.Normalizer(keep_ids=True, keep_timestamps=True)
        nz = differential.Normalizer(keep_ids=True, keep_timestamps=True)
        for n in (nr, nz):
            n._mask_random_color = lambda raw, norm: None  # colours are data here too
        diffs: list = []
        if a.status != b.status:
            diffs.append(differential.Difference("status", a.status, b.status))
        ignore = [differential.glob_to_regex(p) for p in IGNORED.get(path.split("?")[0], {})]
        ref_body, zen_body = a.body, b.body
        if path.split("?")[0] in UNORDERED and isinstance(ref_body, list) and isinstance(zen_body, list):
            ref_body, zen_body = sorted(ref_body, key=repr), sorted(zen_body, key=repr)
        differential.diff_values(nr.value(ref_body), nz.value(zen_body), "body", diffs, ignore)
        if diffs:
            problems.append((path, diffs))
    return problems


def summarise(problems: list, total: int, engine: str) -> str:
    """The differences grouped by route and field (ids and list positions
    folded), then the first requests in full."""
    groups: dict = {}
    for path, diffs in problems:
        route = differential.UUID_RX.sub("{id}", path)
        for d in diffs:
            key = (route.split("?")[0], re.sub(r"\[\d+\]", "[*]", d.path))
            groups.setdefault(key, []).append(d)
    lines = [f"{len(problems)} of {total} requests answered differently (reference, then zengo on the "
             f"{engine} import); {len(groups)} kinds of difference:"]
    for (route, field_path), ds in sorted(groups.items()):
        lines.append(f"  GET {route}  {field_path}  x{len(ds)}  e.g. {ds[0].render().strip()[:300]}")
    lines.append("")
    for path, diffs in problems[:15]:
        lines.append(f"GET {path}")
        lines += [d.render() for d in diffs[:20]]
    return "\n".join(lines)


# --------------------------------------------------------------------------
# The source: built once per module (or taken from ZENGO_IMPORT_SOURCE_CACHE).


@dataclass
class Source:
    dir: str  # holds source.db (the copy to import) and cfg/ (artifact stores)
    db: str
    config_dir: str
    api_key: str
    requests: list
    answers: dict  # path -> Answer, the reference's
    build_seconds: float = 0.0
    extra: dict = field(default_factory=dict)


def _build_source(workdir: str) -> Source:
    """Seeds the reference (unless workdir holds a seeded database), records
    its answers and takes the copy to import."""
    t0 = time.monotonic()
    cfg = os.path.join(workdir, "cfg")
    live_db = os.path.join(workdir, "zenml.db")
    seed_file = os.path.join(workdir, "seed.json")
    if not os.path.exists(seed_file):
        for leftover in (live_db, cfg):  # of a seeding that failed half-way
            shutil.rmtree(leftover, ignore_errors=True) if os.path.isdir(leftover) else None
            if os.path.isfile(leftover):
                os.remove(leftover)
    ref = servers.start_reference(extra_env={
        "ZENML_STORE_URL": f"sqlite:///{live_db}",
        "ZENML_CONFIG_PATH": cfg,
        "ZENML_SECRETS_STORE_TYPE": "sql",
        "ZENML_SECRETS_STORE_ENCRYPTION_KEY": SOURCE_SECRETS_KEY,
        "ZENML_SERVER_ALLOW_LOCAL_FILE_ACCESS": "true",
    })
    try:
        if not os.path.exists(seed_file):
            script = os.path.join(workdir, "import_seed.py")
            with open(script, "w") as f:
                f.write(SEED_SCRIPT)
            env = client_env(ref, config_dir=cfg)
            seed = subprocess.run([servers.venv_bin("python"), script, os.path.join(workdir, "imp_store")],
                                  env=env, cwd=workdir, capture_output=True, text=True, timeout=600)
            marks = [ln for ln in seed.stdout.splitlines() if ln.startswith("SEED-RESULT ")]
            assert seed.returncode == 0 and marks and "FAILED AS EXPECTED" in seed.stdout, (
                f"seeding failed: exit {seed.returncode}\n{seed.stdout[-4000:]}\n{seed.stderr[-6000:]}")
            with open(seed_file, "w") as f:
                f.write(marks[-1][len("SEED-RESULT "):])
        with open(seed_file) as f:
            seeded = json.load(f)

        token = ref.token()
        hdr = {"Authorization": f"Bearer {token}"}

        def get(path):
            r = requests.get(ref.url + path, headers=hdr, timeout=60)
            r.raise_for_status()
            return r.json()

        paths = build_requests(get)
        answers = fetch_all(ref.url, token, paths)
        # The copy zengo imports: what the answers above describe (the
        # backup API gives a consistent snapshot of a live database).
        src_db = os.path.join(workdir, "source.db")
        with sqlite3.connect(live_db) as live, sqlite3.connect(src_db) as copy:
            live.backup(copy)
        # The same credentials log in on the reference (after the copy:
        # a login stamps the key's last_login).
        assert_logins(ref, seeded["api_key"])
    finally:
        ref.stop()
    return Source(workdir, src_db, cfg, seeded["api_key"], paths, answers, time.monotonic() - t0)


def assert_logins(server, api_key: str) -> None:
    """alice's password and the service account's API key log in."""
    r = requests.post(server.url + "/api/v1/login", data={"username": "imp_alice", "password": ALICE_PASSWORD},
                      timeout=30)
    assert r.status_code == 200, f"{server.kind}: alice's password login: {r.status_code} {r.text}"
    me = requests.get(server.url + "/api/v1/current-user",
                      headers={"Authorization": f"Bearer {r.json()['access_token']}"}, timeout=30).json()
    assert me["name"] == "imp_alice", me
    bad = requests.post(server.url + "/api/v1/login", data={"username": "imp_alice", "password": "wrong"}, timeout=30)
    assert bad.status_code == 401, f"{server.kind}: a wrong password got {bad.status_code}"
    r = requests.post(server.url + "/api/v1/login", data={"password": api_key}, timeout=30)
    assert r.status_code == 200, f"{server.kind}: API key login: {r.status_code} {r.text}"
    me = requests.get(server.url + "/api/v1/current-user",
                      headers={"Authorization": f"Bearer {r.json()['access_token']}"}, timeout=30).json()
    assert me["name"] == "imp_robot", me


@pytest.fixture(scope="module")
def source(zengo_binary):
    cache = os.environ.get("ZENGO_IMPORT_SOURCE_CACHE")
    workdir = cache or tempfile.mkdtemp(prefix="zengo-import-src-")
    os.makedirs(workdir, exist_ok=True)
    src = _build_source(workdir)
    if cache:  # the reference's answers, to read when working on the test
        with open(os.path.join(cache, "answers.json"), "w") as f:
            json.dump({p: [a.status, a.body] for p, a in src.answers.items()}, f, indent=1)
    print(f"\nimport source ready in {src.build_seconds:.0f}s: {len(src.requests)} requests")
    yield src
    if not cache:
        shutil.rmtree(workdir, ignore_errors=True)


# --------------------------------------------------------------------------
# The equality test


def start_imported_zengo(store_url: str, config_dir: str):
    return servers.start_zengo(extra_env={
        "ZENML_STORE_URL": store_url,
        "ZENML_SECRETS_STORE_ENCRYPTION_KEY": ZENGO_SECRETS_KEY,
        "ZENML_CONFIG_PATH": config_dir,
        "ZENML_SERVER_ALLOW_LOCAL_FILE_ACCESS": "true",
    })


@pytest.mark.parametrize("engine", engine_params())
def test_imported_store_answers_like_the_reference(source, engine, tmp_path):
    t0 = time.monotonic()
    digest = file_digest(source.db)
    target = new_target(engine, str(tmp_path))
    try:
        proc = run_import(
            ["--from", f"sqlite:///{source.db}", "--store", target.url, "--keep-server-identity",
             "--source-secrets-key", SOURCE_SECRETS_KEY],
            env={"ZENML_SECRETS_STORE_ENCRYPTION_KEY": ZENGO_SECRETS_KEY},
        )
        assert proc.returncode == 0, describe(proc)
        assert file_digest(source.db) == digest, "zengo import wrote to its source"
        t_import = time.monotonic() - t0
        zen = start_imported_zengo(target.url, source.config_dir)
        try:
            answers = fetch_all(zen.url, zen.token(), source.requests)
            problems = compare_answers(source.answers, answers)
            if problems:
                full = tmp_path / "differences.txt"
                full.write_text("\n\n".join(f"GET {p}\n" + "\n".join(d.render() for d in ds) for p, ds in problems))
                pytest.fail(summarise(problems, len(source.requests), engine) + f"\n\n(all of them: {full})",
                            pytrace=False)
            assert_logins(zen, source.api_key)
        finally:
            zen.stop()
    finally:
        target.drop()
    print(f"\n{engine}: import {t_import:.1f}s, all {time.monotonic() - t0:.1f}s, {len(source.requests)} requests")


# --------------------------------------------------------------------------
# Interrupted imports and bad input, on a generated source (bench's
# generator: ZenML's schema by its own migrations, rows in its shapes)
# large enough that an import takes a few seconds.

INTERRUPT_RUNS = int(os.environ.get("ZENGO_IMPORT_INTERRUPT_RUNS", "3000"))
# Tables whose rows the store makes for itself (its schema version, the
# import's own bookkeeping).
OWN_TABLES = {"zengo_schema", "import_progress", "import_rejects"}


@pytest.fixture(scope="module")
def generated_source(tmp_path_factory):
    import importlib.util

    spec = importlib.util.spec_from_file_location("zenml_source_gen", servers.REPO_ROOT / "bench" / "zenml_source_gen.py")
    gen = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(gen)
    path = str(tmp_path_factory.mktemp("gen") / "zenml.db")
    proc = subprocess.run([servers.venv_bin("python"), spec.origin, "--runs", str(INTERRUPT_RUNS), "--out", path],
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return path


def dump_store(path: str) -> dict:
    """Every row of every table of a zengo SQLite store, sorted."""
    out = {}
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as db:
        tables = [r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type='table' AND name NOT LIKE 'sqlite_%'")]
        for t in sorted(set(tables) - OWN_TABLES):
            out[t] = sorted(db.execute(f'SELECT * FROM "{t}"').fetchall(), key=repr)
    return out


def compare_dumps(got: dict, want: dict) -> list:
    problems = []
    for t in sorted(set(got) | set(want)):
        a, b = got.get(t, []), want.get(t, [])
        if a != b:
            missing = [r for r in b if r not in set(a)][:2]
            extra = [r for r in a if r not in set(b)][:2]
            problems.append(f"{t}: {len(a)} rows, uninterrupted import has {len(b)}; "
                            f"missing e.g. {missing!r:.300}; extra e.g. {extra!r:.300}")
    return problems


def import_args(src: str, target: str) -> list:
    # The JWT key is given (ZenML keeps it outside its database), else each
    # target would get a random one of its own.
    return ["--from", f"sqlite:///{src}", "--store", f"sqlite:///{target}", "--keep-server-identity",
            "--jwt-secret-key", "import-test-jwt-key", "--batch", "500"]


@pytest.fixture(scope="module")
def uninterrupted(generated_source, tmp_path_factory):
    """The generated source imported in one go: what every resumed import must equal."""
    target = str(tmp_path_factory.mktemp("whole") / "zengo.db")
    proc = run_import(import_args(generated_source, target))
    assert proc.returncode == 0, describe(proc)
    return dump_store(target)


def _start_import(args: list) -> subprocess.Popen:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ZENML_", "ZENGO_"))}
    return subprocess.Popen([servers.zengo_binary(), "import", "--progress", "lines", *args], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, stdin=subprocess.DEVNULL)


def _wait_for_progress(proc: subprocess.Popen, table: str, lines_wanted: int = 1) -> list:
    """Reads progress lines until `lines_wanted` lines show rows of `table`
    being written (not 0/N)."""
    seen, hits = [], 0
    for line in proc.stdout:
        seen.append(line)
        if line.startswith(table + ":") and not line.startswith(f"{table}: 0/"):
            hits += 1
            if hits >= lines_wanted:
                return seen
    raise AssertionError(f"the import ended (exit {proc.wait()}) before writing {table}:\n{''.join(seen)[-3000:]}")


def test_killed_import_resumes_to_the_same_store(generated_source, uninterrupted, tmp_path):
    target = str(tmp_path / "zengo.db")
    proc = _start_import(import_args(generated_source, target))
    try:
        seen = _wait_for_progress(proc, "step_run")
    finally:
        proc.kill()  # SIGKILL: no chance to tidy up
        proc.wait()
    assert proc.returncode == -9, "".join(seen)
    again = run_import(import_args(generated_source, target))
    assert again.returncode == 0, describe(again)
    problems = compare_dumps(dump_store(target), uninterrupted)
    assert not problems, "the resumed import differs from an uninterrupted one:\n" + "\n".join(problems)


def test_source_that_is_not_a_zenml_database(tmp_path):
    empty = tmp_path / "empty.db"
    sqlite3.connect(empty).close()
    target = str(tmp_path / "zengo.db")
    proc = run_import(["--from", f"sqlite:///{empty}", "--store", f"sqlite:///{target}"])
    assert proc.returncode != 0, describe(proc)
    assert "zenml" in (proc.stdout + proc.stderr).lower(), describe(proc)
    assert "panic" not in proc.stderr, describe(proc)
    # A zengo store is not a ZenML database either.
    other = str(tmp_path / "other.db")
    subprocess.run([servers.zengo_binary(), "migrate", "--store", f"sqlite:///{other}"], check=True,
                   capture_output=True, env={k: v for k, v in os.environ.items() if not k.startswith(("ZENML_", "ZENGO_"))})
    proc = run_import(["--from", f"sqlite:///{other}", "--store", f"sqlite:///{target}"])
    assert proc.returncode != 0, describe(proc)
    assert "zenml" in (proc.stdout + proc.stderr).lower() and "panic" not in proc.stderr, describe(proc)
    # A file that does not exist is not created.
    missing = tmp_path / "missing.db"
    proc = run_import(["--from", f"sqlite:///{missing}", "--store", f"sqlite:///{target}"])
    assert proc.returncode != 0 and not missing.exists(), describe(proc)


def test_source_of_another_zenml_version(generated_source, tmp_path):
    src = str(tmp_path / "older.db")
    shutil.copy(generated_source, src)
    with sqlite3.connect(src) as db:
        db.execute("UPDATE alembic_version SET version_num = '0.97.1'")
    target = str(tmp_path / "zengo.db")
    proc = run_import(import_args(src, target))
    text = proc.stdout + proc.stderr
    assert proc.returncode != 0, describe(proc)
    assert "0.97.1" in text and "0.98.0" in text, describe(proc)


def test_wrong_secrets_key(source, tmp_path):
    target = str(tmp_path / "zengo.db")
    args = ["--from", f"sqlite:///{source.db}", "--store", f"sqlite:///{target}"]
    for key_args in (["--source-secrets-key", "not-the-key"], []):
        proc = run_import(args + key_args, env={"ZENML_SECRETS_STORE_ENCRYPTION_KEY": ZENGO_SECRETS_KEY})
        assert proc.returncode != 0, describe(proc)
        assert "secret" in (proc.stdout + proc.stderr).lower() and "panic" not in proc.stderr, describe(proc)
    # Then the right key finishes the import into the same target.
    proc = run_import(args + ["--source-secrets-key", SOURCE_SECRETS_KEY],
                      env={"ZENML_SECRETS_STORE_ENCRYPTION_KEY": ZENGO_SECRETS_KEY})
    assert proc.returncode == 0, describe(proc)


def test_non_empty_target_needs_merge(generated_source, source, tmp_path):
    target = str(tmp_path / "zengo.db")
    proc = run_import(import_args(generated_source, target))
    assert proc.returncode == 0, describe(proc)
    before = dump_store(target)
    proc = run_import(["--from", f"sqlite:///{source.db}", "--store", f"sqlite:///{target}",
                       "--source-secrets-key", SOURCE_SECRETS_KEY])
    assert proc.returncode != 0, describe(proc)
    assert "--merge" in proc.stdout + proc.stderr, describe(proc)
    assert not compare_dumps(dump_store(target), before), "a refused import changed the target"


def test_source_truncated_midway_then_resumed(generated_source, uninterrupted, tmp_path):
    src = str(tmp_path / "zenml.db")
    shutil.copy(generated_source, src)
    target = str(tmp_path / "zengo.db")
    proc = _start_import(import_args(src, target))
    try:
        seen = _wait_for_progress(proc, "pipeline_run")
        with open(src, "r+b") as f:  # the disk under the source goes away
            f.truncate(os.path.getsize(src) // 3)
        rest = proc.stdout.read()
        code = proc.wait(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    out = "".join(seen) + rest
    assert code != 0, out[-4000:]
    assert "panic" not in out and "goroutine" not in out, out[-4000:]
    # With the source back, the same command finishes the job.
    shutil.copy(generated_source, src)
    again = run_import(import_args(src, target))
    assert again.returncode == 0, describe(again)
    problems = compare_dumps(dump_store(target), uninterrupted)
    assert not problems, "the resumed import differs from an uninterrupted one:\n" + "\n".join(problems)
