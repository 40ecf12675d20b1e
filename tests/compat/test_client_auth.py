"""The real zenml 0.98.0 client and CLI against zengo: connecting, logging in
with a password or an API key, and failing to log in."""

from __future__ import annotations

import os
import tempfile

import requests

from clientlib import client_env, run_cli, run_python

ACTIVE_OBJECTS = """
from zenml.client import Client
c = Client()
u = c.active_user
p = c.active_project
s = c.active_stack_model
report({
    "user": u.name, "user_id": str(u.id), "is_admin": u.is_admin,
    "is_service_account": u.is_service_account,
    "project": p.name, "project_id": str(p.id),
    "stack": s.name, "stack_id": str(s.id),
    "components": sorted(s.components.keys()),
})
"""


def _admin_headers(server) -> dict:
    return {"Authorization": f"Bearer {server.token()}"}


def test_env_login_active_user_project_and_stack(zengo):
    cfg = tempfile.mkdtemp(prefix="zenml-client-")
    env = client_env(zengo, config_dir=cfg)
    run = run_python(ACTIVE_OBJECTS, env)
    assert run.returncode == 0, run.describe()
    r = run.result
    assert r["user"] == "default" and r["is_admin"] is True and r["is_service_account"] is False
    assert r["project"] == "default"
    assert r["stack"] == "default"
    assert r["components"] == ["artifact_store", "deployer", "orchestrator"]

    # A second process with the same configuration directory resolves the
    # cached project and stack ids (GET /projects/{id}, GET /stacks/{id}).
    again = run_python(ACTIVE_OBJECTS, env)
    assert again.returncode == 0, again.describe()
    assert again.result == r


def test_zenml_status_cli(zengo):
    run = run_cli(["status"], client_env(zengo))
    assert run.returncode == 0, run.describe()
    out = run.stdout + run.stderr
    assert zengo.url in out, out
    assert "default" in out, out


def test_api_key_login_principal_is_the_service_account(zengo):
    hdr = _admin_headers(zengo)
    r = requests.post(
        zengo.url + "/api/v1/service_accounts",
        json={"name": "client-sa-rest", "full_name": "Client SA", "description": "", "active": True},
        headers=hdr,
        timeout=30,
    )
    assert r.status_code == 200, r.text
    sa_id = r.json()["id"]
    r = requests.post(
        f"{zengo.url}/api/v1/service_accounts/{sa_id}/api_keys",
        json={"name": "default", "description": "compat"},
        headers=hdr,
        timeout=30,
    )
    assert r.status_code == 200, r.text
    key = r.json()["body"]["key"]
    assert key.startswith("ZENKEY_")

    run = run_python(ACTIVE_OBJECTS, client_env(zengo, api_key=key))
    assert run.returncode == 0, run.describe()
    res = run.result
    assert res["user"] == "client-sa-rest"
    assert res["user_id"] == sa_id
    assert res["is_service_account"] is True and res["is_admin"] is False
    assert res["project"] == "default" and res["stack"] == "default"


def test_service_account_created_with_the_cli(zengo):
    work = tempfile.mkdtemp(prefix="zenml-sa-")
    key_file = os.path.join(work, "key.txt")
    run = run_cli(
        ["service-account", "create", "client-sa-cli", "--output-file", key_file],
        client_env(zengo),
        cwd=work,
    )
    assert run.returncode == 0, run.describe()
    key = open(key_file).read().strip()
    assert key.startswith("ZENKEY_"), key

    status = run_cli(["status"], client_env(zengo, api_key=key), cwd=work)
    assert status.returncode == 0, status.describe()
    who = run_python(
        """
        from zenml.client import Client
        u = Client().active_user
        report([u.name, u.is_service_account])
        """,
        client_env(zengo, api_key=key),
    )
    assert who.returncode == 0, who.describe()
    assert who.result == ["client-sa-cli", True]


CREDENTIALS_ERROR = """
from zenml.client import Client
from zenml.exceptions import CredentialsNotValid
try:
    Client().active_user
except CredentialsNotValid as e:
    report({"class": type(e).__module__ + "." + type(e).__name__, "message": str(e)})
except Exception as e:
    report({"class": type(e).__module__ + "." + type(e).__name__, "message": str(e), "unexpected": True})
else:
    report({"class": None})
"""


def test_wrong_password_raises_credentials_not_valid(zengo):
    run = run_python(CREDENTIALS_ERROR, client_env(zengo, password="not-the-password"))
    assert run.result is not None, run.describe()
    assert run.result["class"] == "zenml.exceptions.CredentialsNotValid", run.result
    assert "invalid username or password" in run.result["message"], run.result


def test_invalid_api_key_raises_credentials_not_valid(zengo):
    run = run_python(CREDENTIALS_ERROR, client_env(zengo, api_key="ZENKEY_bm90LWEta2V5"))
    assert run.result is not None, run.describe()
    assert run.result["class"] == "zenml.exceptions.CredentialsNotValid", run.result
    assert "error decoding API key" in run.result["message"], run.result


def test_wrong_password_cli_exits_non_zero(zengo):
    run = run_cli(["pipeline", "list"], client_env(zengo, password="not-the-password"))
    assert run.returncode != 0, run.describe()
    assert "invalid username or password" in (run.stdout + run.stderr), run.describe()
