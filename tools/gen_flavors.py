"""Writes internal/catalog/flavors.json: the stack component flavors that a
ZenML 0.98.0 server registers on its first start (built-in ones first, then
those of every integration), as data that zengo embeds.

Run with the pinned zenml installed:  .venv/bin/python tools/gen_flavors.py
"""

import json
import pathlib

from zenml.integrations.registry import integration_registry
from zenml.stack.flavor_registry import FlavorRegistry


def describe(flavor_cls, integration):
    request = flavor_cls().to_model(integration=integration, is_custom=False)
    data = request.model_dump(mode="json")
    return {
        key: data.get(key)
        for key in (
            "name", "type", "display_name", "integration", "source",
            "logo_url", "config_schema", "connector_type",
            "connector_resource_type", "connector_resource_id_attr",
            "docs_url", "sdk_docs_url",
        )
    }


def main():
    flavors = [describe(f, "built-in") for f in FlavorRegistry().builtin_flavors]
    for name, integration in integration_registry.integrations.items():
        try:
            for flavor_cls in integration.flavors():
                flavors.append(describe(flavor_cls, name))
        except Exception as exc:  # an integration that cannot load is skipped, as on the reference
            print(f"skipped {name}: {exc}")
    out = pathlib.Path(__file__).resolve().parent.parent / "internal" / "catalog" / "flavors.json"
    out.write_text(json.dumps(flavors, indent=1, sort_keys=True) + "\n")
    print(f"wrote {len(flavors)} flavors to {out}")


if __name__ == "__main__":
    main()
