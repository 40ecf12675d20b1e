"""Writes internal/catalog/connector_types.json: the service connector types
a ZenML 0.98.0 server offers with the packages of the reference's own
virtualenv (no cloud SDKs: the Docker and OAuth2 connectors), exactly as
that server answers GET /api/v1/service_connector_types (keys in its
order, descriptions and config schemas included).

Start a reference server (see tests/compat/servers.py), then:

    .venv/bin/python tools/gen_connector_types.py http://127.0.0.1:8237 default <password>
"""

import json
import pathlib
import sys

import requests


def main():
    base, user, password = sys.argv[1:4]
    token = requests.post(f"{base}/api/v1/login", data={"username": user, "password": password}).json()["access_token"]
    resp = requests.get(f"{base}/api/v1/service_connector_types", headers={"Authorization": f"Bearer {token}"})
    resp.raise_for_status()
    types = resp.json()
    out = pathlib.Path(__file__).resolve().parent.parent / "internal" / "catalog" / "connector_types.json"
    out.write_text(json.dumps(types, indent=1) + "\n")
    print(f"wrote {len(types)} connector types to {out}")


if __name__ == "__main__":
    main()
