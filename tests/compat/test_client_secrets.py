"""The real zenml 0.98.0 client and CLI against the target server: secrets
created, read, updated, renamed, listed and deleted with `zenml secret`,
private secrets kept from other users, the Python client's secret calls,
and a `{{secret.key}}` reference in a stack component's configuration,
shown as written by `describe` and resolved by the client.

The module has a server of its own, so that lists see only what these tests
create."""

from __future__ import annotations

import textwrap

import pytest
import requests

import servers
from clientlib import client_env, parse_json_output, run_cli, run_python


@pytest.fixture(scope="module")
def secrets_server(zengo_binary):
    srv = servers.start_target()
    yield srv
    srv.stop()


def _cli(server, *args, env=None):
    run = run_cli(list(args), env or client_env(server))
    assert run.returncode == 0, run.describe()
    return run.stdout + run.stderr


def _json(server, *args, env=None):
    run = run_cli(list(args) + ["-o", "json"], env or client_env(server))
    assert run.returncode == 0, run.describe()
    return parse_json_output(run.stdout)


def _py(server, body: str, env=None):
    run = run_python("from zenml.client import Client\nc = Client()\n" + textwrap.dedent(body), env or client_env(server))
    assert run.returncode == 0 and run.result is not None, run.describe()
    return run.result


def test_cli_secret_lifecycle(secrets_server):
    env = client_env(secrets_server)
    out = _cli(secrets_server, "secret", "create", "cli-db", "--user=alice", "--password=p4ss", env=env)
    assert "Secret 'cli-db' successfully created." in out
    _cli(secrets_server, "secret", "create", "cli-token", "--private", "--token=t0k", env=env)

    out = _cli(secrets_server, "secret", "get", "cli-db", env=env)
    assert "alice" in out and "p4ss" in out, out
    # A private secret is found with --private, as the CLI looks it up.
    out = _cli(secrets_server, "secret", "get", "cli-token", "--private", "true", env=env)
    assert "t0k" in out, out

    out = _cli(secrets_server, "secret", "update", "cli-db", "--password=n3w", "-r", "user", env=env)
    assert "successfully updated" in out, out
    out = _cli(secrets_server, "secret", "get", "cli-db", env=env)
    assert "n3w" in out and "alice" not in out, out

    listed = _json(secrets_server, "secret", "list", "--name", "startswith:cli-", env=env)
    assert sorted(i["name"] for i in listed["items"]) == ["cli-db", "cli-token"]

    _cli(secrets_server, "secret", "rename", "cli-db", "--new-name", "cli-database", env=env)
    out = _cli(secrets_server, "secret", "get", "cli-database", env=env)
    assert "n3w" in out, out

    _cli(secrets_server, "secret", "delete", "cli-database", "-y", env=env)
    run = run_cli(["secret", "get", "cli-database"], env)
    assert run.returncode != 0 and "Could not find a secret" in run.stdout + run.stderr, run.describe()


def test_python_client_secrets(secrets_server):
    r = _py(
        secrets_server,
        """
        out = {}
        s = c.create_secret("py-s", values={"b": "2", "a": "1"})
        out["created"] = s.secret_values
        s = c.update_secret("py-s", add_or_update_values={"c": "3", "a": "10"}, remove_values=["b"])
        out["updated"] = list(s.secret_values.items())
        out["got"] = c.get_secret("py-s").secret_values
        listed = c.list_secrets(name="py-s")
        out["list_values"] = [dict(i.body.values) for i in listed.items]
        c.create_secret("py-s", values={"p": "x"}, private=True)
        out["public"] = c.get_secret("py-s", private=False).secret_values
        out["private"] = c.get_secret("py-s", private=True).secret_values
        try:
            c.create_secret("py-s", values={})
        except Exception as e:
            out["dup"] = type(e).__name__ + ": " + str(e)
        c.delete_secret("py-s", private=True)
        out["after_delete"] = [i.name for i in c.list_secrets(name="py-s").items]
        report(out)
        """,
    )
    assert r["created"] == {"b": "2", "a": "1"}
    assert r["updated"] == [["a", "10"], ["c", "3"]]
    assert r["got"] == {"a": "10", "c": "3"}
    assert r["list_values"] == [{}]
    assert r["public"] == {"a": "10", "c": "3"} and r["private"] == {"p": "x"}
    assert r["dup"].startswith("EntityExistsError") and "Found an existing public secret with the same 'py-s' name" in r["dup"], r["dup"]
    assert r["after_delete"] == ["py-s"]


def test_private_secrets_are_the_owners(secrets_server):
    _py(
        secrets_server,
        """
        from zenml.models import UserRequest
        c.zen_store.create_user(UserRequest(name="sec-carol", password="Pw-carol-1", is_admin=False, active=True))
        c.create_secret("own-private", values={"k": "admin"}, private=True)
        c.create_secret("own-public", values={"k": "admin"})
        report(True)
        """,
    )
    carol = client_env(secrets_server, username="sec-carol", password="Pw-carol-1")
    r = _py(
        secrets_server,
        """
        out = {}
        out["listed"] = sorted(i.name for i in c.list_secrets(name="startswith:own-").items)
        out["public"] = c.get_secret("own-public").secret_values
        try:
            c.get_secret("own-private", private=True)
        except Exception as e:
            out["private"] = type(e).__name__
        c.create_secret("own-private", values={"k": "carol"}, private=True)
        out["hers"] = c.get_secret("own-private", private=True).secret_values
        report(out)
        """,
        env=carol,
    )
    assert r == {"listed": ["own-public"], "public": {"k": "admin"}, "private": "KeyError", "hers": {"k": "carol"}}
    listed = _json(secrets_server, "secret", "list", "--name", "startswith:own-", env=carol)
    assert sorted(i["name"] for i in listed["items"]) == ["own-private", "own-public"]


def test_component_with_secret_reference(secrets_server):
    tok = requests.post(f"{secrets_server.url}/api/v1/login", data={"username": servers.ADMIN_USER, "password": secrets_server.password}).json()
    probe = requests.post(f"{secrets_server.url}/api/v1/components", json={}, headers={"Authorization": f"Bearer {tok['access_token']}"})
    if probe.status_code == 405:
        pytest.skip("this server does not register stack components yet (POST /api/v1/components)")
    env = client_env(secrets_server)
    _cli(secrets_server, "secret", "create", "dd-keys", "--api=a-p-i", "--app=a-p-p", env=env)
    _cli(
        secrets_server, "log-store", "register", "dd-logs", "--flavor=datadog",
        "--api_key={{dd-keys.api}}", "--application_key={{dd-keys.app}}", env=env,
    )
    out = _cli(secrets_server, "log-store", "describe", "dd-logs", env=env)
    assert "{{dd-keys.api}}" in out and "a-p-i" not in out, out
    r = _py(
        secrets_server,
        """
        from zenml.stack import StackComponent
        comp = StackComponent.from_model(c.get_stack_component("log_store", "dd-logs"))
        plain = lambda v: v.get_secret_value() if hasattr(v, "get_secret_value") else v
        report([plain(comp.config.api_key), plain(comp.config.application_key)])
        """,
    )
    assert r == ["a-p-i", "a-p-p"]
