"""Writes internal/catalog/stack_deployments.json: what a ZenML 0.98.0
server answers on /api/v1/stack-deployment/info and /config for each cloud
provider, taken from that release's stack deployment classes.

The configurations are rendered with marker values for the stack name, the
location, the server URL, the API token and the random resource name; zengo
puts the real values in their place. Each provider is rendered with and
without Terraform and with and without a location, since the text differs.

    .venv/bin/python tools/gen_stack_deployments.py
"""

import json
import pathlib
from unittest import mock

from zenml.enums import StackDeploymentProvider
from zenml.stack_deployments import aws_stack_deployment, gcp_stack_deployment, azure_stack_deployment
from zenml.stack_deployments.utils import get_stack_deployment_class

MARKS = {"stack_name": "\u27e8stack_name\u27e9", "location": "\u27e8location\u27e9",
         "server_url": "\u27e8server_url\u27e9", "api_token": "\u27e8api_token\u27e9",
         "resource_suffix": "\u27e8resource_suffix\u27e9"}


def main():
    out = {}
    for provider in StackDeploymentProvider:
        cls = get_stack_deployment_class(provider)
        entry = {"info": json.loads(cls.get_deployment_info().model_dump_json()), "configs": {}}
        for terraform in (False, True):
            for located in (False, True):
                with mock.patch.object(aws_stack_deployment, "random_str", lambda n: MARKS["resource_suffix"]):
                    config = cls(terraform=terraform, stack_name=MARKS["stack_name"],
                                 location=MARKS["location"] if located else None,
                                 zenml_server_url=MARKS["server_url"],
                                 zenml_server_api_token=MARKS["api_token"]).get_deployment_config()
                key = f"terraform={str(terraform).lower()},location={'set' if located else 'unset'}"
                entry["configs"][key] = json.loads(config.model_dump_json())
        out[provider.value] = entry
    path = pathlib.Path(__file__).resolve().parent.parent / "internal" / "catalog" / "stack_deployments.json"
    path.write_text(json.dumps(out, indent=1, ensure_ascii=False) + "\n")
    print(f"wrote {len(out)} providers to {path}")


if __name__ == "__main__":
    main()
