"""Writes internal/catalog/flavors.json: the stack component flavors a
ZenML 0.98.0 server registers on its first start, exactly as that server
answers them (display names and schemas included, keys in its order).

Start a reference server (see tests/compat/servers.py), then:

    .venv/bin/python tools/gen_flavors.py http://127.0.0.1:8237 default <password>
"""

import json
import pathlib
import sys

import requests

FIELDS_FROM_BODY = ("type", "display_name", "integration", "source", "logo_url")
FIELDS_FROM_METADATA = ("config_schema", "connector_type", "connector_resource_type",
                        "connector_resource_id_attr", "docs_url", "sdk_docs_url")


def main():
    base, user, password = sys.argv[1:4]
    token = requests.post(f"{base}/api/v1/login", data={"username": user, "password": password}).json()["access_token"]
    page = requests.get(f"{base}/api/v1/flavors", params={"size": 1000, "hydrate": "true", "sort_by": "created"},
                        headers={"Authorization": f"Bearer {token}"}).json()
    flavors = []
    for item in page["items"]:
        entry = {"name": item["name"]}
        entry.update({k: item["body"][k] for k in FIELDS_FROM_BODY})
        entry.update({k: item["metadata"][k] for k in FIELDS_FROM_METADATA})
        flavors.append(entry)
    out = pathlib.Path(__file__).resolve().parent.parent / "internal" / "catalog" / "flavors.json"
    out.write_text(json.dumps(flavors, indent=1) + "\n")
    print(f"wrote {len(flavors)} flavors to {out}")


if __name__ == "__main__":
    main()
