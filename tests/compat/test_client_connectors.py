"""The real zenml 0.98.0 CLI and client against the target server: a Docker
service connector (a type the reference offers without cloud SDKs)
registered, listed, described, updated and deleted with
`zenml service-connector`, its secret values kept out of the secrets list,
a component that uses it, and code repositories through the Python client.

The module has a server of its own, so that lists see only what these tests
create."""

from __future__ import annotations

import textwrap

import pytest

import servers
from clientlib import client_env, run_cli, run_python


@pytest.fixture(scope="module")
def server(zengo_binary):
    srv = servers.start_target()
    yield srv
    srv.stop()


def _cli(server, *args):
    run = run_cli(list(args), client_env(server))
    assert run.returncode == 0, run.describe()
    return run.stdout + run.stderr


def _py(server, body: str):
    run = run_python("from zenml.client import Client\nc = Client()\n" + textwrap.dedent(body), client_env(server))
    assert run.returncode == 0 and run.result is not None, run.describe()
    return run.result


def test_cli_service_connector_lifecycle(server):
    out = _cli(server, "service-connector", "register", "cli-docker", "--type", "docker", "--auth-method", "password",
               "--username=u", "--password=s3cret", "--registry=reg.example.com", "--label", "team=ml", "--no-verify")
    assert "Successfully registered service connector `cli-docker`" in out, out

    out = _cli(server, "service-connector", "list")
    assert "cli-docker" in out and "1 items found" in out, out

    out = _cli(server, "service-connector", "describe", "cli-docker", "--show-secrets")
    assert "reg.example.com" in out and "s3cret" in out and "team" in out, out
    out = _cli(server, "service-connector", "describe", "cli-docker")
    assert "s3cret" not in out, out

    # The connector's secret values live in a secret the secrets API hides.
    out = _cli(server, "secret", "list")
    assert "connector-" not in out, out

    out = _cli(server, "service-connector", "update", "cli-docker", "--description", "the registry", "--password=n3w", "--no-verify")
    assert "Successfully updated service connector `cli-docker`" in out, out
    out = _cli(server, "service-connector", "describe", "cli-docker", "--show-secrets")
    assert "n3w" in out and "s3cret" not in out, out

    types = _cli(server, "service-connector", "list-types")
    assert "Docker Service Connector" in types and "OAuth2 Service Connector" in types, types

    _cli(server, "service-connector", "delete", "cli-docker")
    run = run_cli(["service-connector", "describe", "cli-docker"], client_env(server))
    assert run.returncode != 0, run.describe()


def test_python_client_connector_in_use(server):
    r = _py(
        server,
        """
        from zenml.enums import StackComponentType
        out = {}
        conn, _ = c.create_service_connector(name="py-oauth", connector_type="oauth2", auth_method="token",
            resource_type="oauth2-api", configuration={"api_url": "http://api", "access_token": "tok"}, verify=False)
        out["type"] = conn.type
        out["config"] = dict(c.get_service_connector("py-oauth", expand_secrets=True).configuration.plain)
        comp = c.create_stack_component(name="py-cr", flavor="default", component_type=StackComponentType.CONTAINER_REGISTRY,
            configuration={"uri": "reg.io/x"})
        comp = c.update_stack_component(name_id_or_prefix="py-cr", component_type=StackComponentType.CONTAINER_REGISTRY,
            connector_id=conn.id, connector_resource_id="http://api")
        out["component_connector"] = str(comp.connector.id) == str(conn.id)
        try:
            c.delete_service_connector("py-oauth")
            out["delete"] = "deleted"
        except Exception as e:
            out["delete"] = type(e).__name__
        c.update_stack_component(name_id_or_prefix="py-cr", component_type=StackComponentType.CONTAINER_REGISTRY, disconnect=True)
        c.delete_service_connector("py-oauth")
        out["left"] = [x.name for x in c.list_service_connectors(name="py-oauth").items]
        report(out)
        """,
    )
    assert r["type"] == "oauth2"
    assert r["config"] == {"api_url": "http://api", "access_token": "tok"}
    assert r["component_connector"] is True
    assert r["delete"] == "IllegalOperationError"
    assert r["left"] == []


def test_python_client_code_repositories(server):
    """Code repositories by the client's store calls; `zenml code-repository
    register` imports the repository class and its SDK, which the pinned
    environment does not have."""
    r = _py(
        server,
        """
        from zenml.config.source import Source
        from zenml.models import CodeRepositoryRequest
        out = {}
        # The client would import the class (and its SDK) first; the store
        # call sends what it would send.
        repo = c.zen_store.create_code_repository(CodeRepositoryRequest(project=c.active_project.id, name="py-repo",
            config={"owner": "o", "repository": "r"}, description="d",
            source=Source.from_import_path("zenml.integrations.github.code_repositories.github_code_repository.GitHubCodeRepository")))
        out["name"] = repo.name
        out["listed"] = [x.name for x in c.list_code_repositories().items]
        c.update_code_repository("py-repo", name="py-repo-2", description="e")
        out["desc"] = c.get_code_repository("py-repo-2").description
        c.delete_code_repository("py-repo-2")
        out["left"] = [x.name for x in c.list_code_repositories().items]
        report(out)
        """,
    )
    assert r == {"name": "py-repo", "listed": ["py-repo"], "desc": "e", "left": []}, r
