"""zengo's OpenAPI document and its routes against the reference's.

* zengo's /openapi.json (made from its own route table) is a valid
  OpenAPI 3.1 document.
* Its set of (method, path) equals the reference's /openapi.json, fetched
  from a reference server the test starts, except the entries of
  openapi_allowlist.yaml, each with its reason.
* Every route of the reference's document exists on zengo: a request with
  an admin token and dummy ids never meets a 405 or the unknown-route 404
  ({"detail": "Not Found"}) there.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import requests
import yaml
from openapi_spec_validator import validate

import servers

ALLOWLIST = Path(__file__).resolve().parent / "openapi_allowlist.yaml"
DUMMY = "0f0e0d0c-0b0a-4909-8807-060504030201"


def routes(doc: dict) -> set:
    out = set()
    for path, ops in doc["paths"].items():
        for method in ops:
            out.add((method.upper(), re.sub(r"\{[^}]*\}", "{}", path)))
    return out


def allowlist() -> dict:
    entries = yaml.safe_load(ALLOWLIST.read_text()) or {}
    out = {}
    for side in ("only_reference", "only_zengo"):
        for e in entries.get(side) or []:
            assert e.get("reason"), f"{e} has no reason"
            out[(side, e["method"], re.sub(r"\{[^}]*\}", "{}", e["path"]))] = e["reason"]
    return out


@pytest.fixture(scope="module")
def documents(zengo_binary):
    ref = servers.start_reference()
    zg = servers.start_zengo()
    try:
        yield ref, zg, requests.get(ref.url + "/openapi.json", timeout=60).json(), requests.get(zg.url + "/openapi.json", timeout=60).json()
    finally:
        ref.stop()
        zg.stop()


def test_openapi_document_is_valid(documents):
    _, _, _, doc = documents
    validate(doc)
    assert doc["openapi"].startswith("3.1")


def test_routes_are_the_references(documents):
    _, _, ref_doc, zg_doc = documents
    ref, zg = routes(ref_doc), routes(zg_doc)
    allowed = allowlist()
    only_ref = sorted(r for r in ref - zg if ("only_reference",) + r not in allowed)
    only_zg = sorted(r for r in zg - ref if ("only_zengo",) + r not in allowed)
    stale = sorted(k for k in allowed if (k[0] == "only_reference" and (k[1], k[2]) not in ref - zg)
                   or (k[0] == "only_zengo" and (k[1], k[2]) not in zg - ref))
    assert not only_ref and not only_zg and not stale, (
        f"routes only the reference has: {only_ref}\nroutes only zengo has: {only_zg}\n"
        f"allow-list entries that no longer apply: {stale}")


def test_every_reference_route_exists_on_zengo(documents):
    ref, zg, ref_doc, _ = documents
    tokens = {ref.url: ref.token(), zg.url: zg.token()}
    allowed = allowlist()

    def probe(server, method, path):
        r = requests.request(method, server.url + path.replace("{}", DUMMY), headers={"Authorization": f"Bearer {tokens[server.url]}"},
                             json={} if method in ("POST", "PUT", "PATCH") else None, timeout=60)
        body = r.json() if r.headers.get("content-type", "").startswith("application/json") else r.text
        return r.status_code, body

    missing = []
    for method, path in sorted(routes(ref_doc)):
        if ("only_reference", method, path) in allowed:
            continue
        status, body = probe(zg, method, path)
        if status == 405 or (status == 404 and body == {"detail": "Not Found"}):
            # Unless the reference answers the same: a route may say "Not
            # Found" for what it does not know (e.g. a webhook provider).
            if probe(ref, method, path) != (status, body):
                missing.append(f"{method} {path}: {status} {str(body)[:100]}")
    assert not missing, "reference routes zengo does not serve:\n" + "\n".join(missing)
