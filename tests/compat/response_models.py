"""What the real zenml client parses each successful answer with.

``zenml/zen_stores/rest_zen_store.py`` turns every answer into a pydantic
model: ``UserResponse.model_validate(body)`` for a single user,
``Page[UserResponse]`` for a list, a ``[PipelineRunResponse, bool]`` pair for
the run get-or-create, a plain ``str`` for ``/api_token``. An answer that
fails that validation breaks the client even when it looks close to the
reference's. ``ROUTES`` maps each (method, path pattern) the scenarios call to
that type; the differential runner validates every 2xx JSON answer of both
sides with it (the reference's answers are the control for the mapping).

A few routes are not read by the client (the dashboard calls them); for those
the type is the return type the reference server's endpoint declares, marked
"server" below. ``UNPARSED`` routes answer something nobody parses (deletes,
logout). A 2xx JSON answer from a route missing here fails the scenario, so
no answer goes unchecked by accident.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from typing import Any, Dict, List, Optional, Tuple

from pydantic import StrictBool, StrictStr, TypeAdapter, ValidationError
from zenml import models as zm
from zenml.config.pipeline_configurations import PipelineConfiguration
from zenml.config.step_configurations import StepConfiguration
from zenml.enums import ExecutionStatus, RunWaitConditionStatus
from zenml.models.v2.misc.log_models import LogEntry, LogsEntriesResponse

V1 = "/api/v1"
UNPARSED = object()  # the answer is not parsed with a model


@dataclass(frozen=True)
class Route:
    method: str
    pattern: str  # e.g. /api/v1/users/{id}; {name} matches one path segment
    type: Any  # a pydantic model or type annotation, or UNPARSED

    @property
    def label(self) -> str:
        return f"{self.method} {self.pattern}"

    @property
    def type_name(self) -> str:
        return _type_name(self.type)

    def matches(self, method: str, path: str) -> bool:
        return method == self.method and _pattern_rx(self.pattern).fullmatch(path) is not None

    def validate(self, body: Any) -> Optional[str]:
        """None when the body validates, else a summary of pydantic's errors."""
        if self.type is UNPARSED:
            return None
        try:
            _adapter(self.type).validate_python(body)
        except ValidationError as e:
            return summarize(e)
        return None


@functools.cache
def _pattern_rx(pattern: str) -> re.Pattern:
    parts = re.split(r"(\{[^}/]+\})", pattern)
    return re.compile("".join("[^/]+" if p.startswith("{") else re.escape(p) for p in parts))


@functools.cache
def _adapter(tp: Any) -> TypeAdapter:
    return TypeAdapter(tp)


def _type_name(tp: Any) -> str:
    if tp is UNPARSED:
        return "<not parsed>"
    if isinstance(tp, type):
        return tp.__name__
    name = re.sub(r"\b(?:[a-z_][\w]*\.)+", "", str(tp).replace("typing.", ""))
    return re.sub(r"Annotated\[(\w+), Strict\(strict=True\)\]", lambda m: "Strict" + m[1].capitalize(), name)


def summarize(err: ValidationError, limit: int = 6) -> str:
    errors = err.errors(include_url=False)
    lines = [f"{len(errors)} validation error(s)"]
    for e in errors[:limit]:
        loc = ".".join(str(x) for x in e["loc"]) or "<root>"
        got = repr(e.get("input"))
        got = got if len(got) <= 80 else got[:77] + "..."
        lines.append(f"{loc}: {e['msg']} [{e['type']}] (got {got})")
    if len(errors) > limit:
        lines.append(f"... and {len(errors) - limit} more")
    return "; ".join(lines)


def _resource(base: str, model: Any, item: str = "{id}") -> List[Route]:
    """The client's create / get / list / update / delete of one resource."""
    return [
        Route("POST", base, model),
        Route("GET", base, zm.Page[model]),
        Route("GET", f"{base}/{item}", model),
        Route("PUT", f"{base}/{item}", model),
        Route("DELETE", f"{base}/{item}", UNPARSED),
    ]


RUN_GET_OR_CREATE = Tuple[zm.PipelineRunResponse, StrictBool]

# First match wins: special routes come before the generic resource routes.
ROUTES: List[Route] = [
    # server
    Route("GET", f"{V1}/info", zm.ServerModel),
    Route("GET", f"{V1}/settings", zm.ServerSettingsResponse),
    Route("PUT", f"{V1}/settings", zm.ServerSettingsResponse),
    Route("PUT", f"{V1}/activate", Optional[zm.UserResponse]),  # server
    Route("GET", f"{V1}/version", StrictStr),  # server
    Route("GET", f"{V1}/statistics", zm.ServerStatistics),  # server
    Route("GET", f"{V1}/onboarding_state", List[StrictStr]),  # server
    Route("GET", f"{V1}/component-types", List[StrictStr]),  # server
    Route("GET", f"{V1}/load-info", zm.ServerLoadInfo),  # server
    Route("GET", f"{V1}/supported-events", List[Dict[str, Optional[StrictStr]]]),  # server
    Route("PUT", f"{V1}/users/{{id}}/email-opt-in", zm.UserResponse),  # server
    Route("GET", f"{V1}/stack-deployment/info", zm.StackDeploymentInfo),
    Route("GET", f"{V1}/stack-deployment/config", zm.StackDeploymentConfig),
    Route("GET", f"{V1}/stack-deployment/stack", Optional[zm.DeployedStack]),
    Route("GET", f"{V1}/workspaces/{{id}}/code_repositories", zm.Page[zm.CodeRepositoryResponse]),
    Route("GET", "/health", StrictStr),  # server
    Route("GET", "/ready", StrictStr),  # server
    Route("HEAD", "/health", UNPARSED),  # no body
    Route("HEAD", "/ready", UNPARSED),  # no body
    Route("OPTIONS", "/health", UNPARSED),  # answered as GET
    Route("OPTIONS", f"{V1}/{{route}}", UNPARSED),  # CORS preflight, answered by the middleware
    # authentication
    Route("POST", f"{V1}/login", zm.OAuthTokenResponse),
    Route("GET", f"{V1}/logout", UNPARSED),
    Route("POST", f"{V1}/logout", UNPARSED),
    Route("GET", f"{V1}/api_token", StrictStr),
    Route("POST", f"{V1}/device_authorization", zm.OAuthDeviceAuthorizationResponse),
    Route("GET", "/devices/verify", UNPARSED),  # the dashboard's approval page (HTML)
    Route("PUT", f"{V1}/devices/{{id}}/verify", zm.OAuthDeviceResponse),
    *_resource(f"{V1}/devices", zm.OAuthDeviceResponse),
    # users and service accounts
    Route("GET", f"{V1}/current-user", zm.UserResponse),
    Route("PUT", f"{V1}/current-user", zm.UserResponse),  # server
    Route("PUT", f"{V1}/users/{{id}}/activate", zm.UserResponse),  # server
    Route("PUT", f"{V1}/users/{{id}}/deactivate", zm.UserResponse),
    *_resource(f"{V1}/users", zm.UserResponse),
    Route("PUT", f"{V1}/service_accounts/{{sa}}/api_keys/{{key}}/rotate", zm.APIKeyResponse),
    *_resource(f"{V1}/service_accounts/{{sa}}/api_keys", zm.APIKeyResponse),
    *_resource(f"{V1}/service_accounts", zm.ServiceAccountResponse),
    # projects, also under the deprecated /workspaces prefix
    Route("GET", f"{V1}/projects/{{id}}/statistics", zm.ProjectStatistics),  # server
    Route("GET", f"{V1}/workspaces/{{id}}/statistics", zm.ProjectStatistics),  # server
    Route("GET", f"{V1}/workspaces/{{id}}/pipelines", zm.Page[zm.PipelineResponse]),
    Route("POST", f"{V1}/workspaces/{{id}}/pipelines", zm.PipelineResponse),
    Route("GET", f"{V1}/workspaces/{{id}}/runs", zm.Page[zm.PipelineRunResponse]),
    Route("POST", f"{V1}/workspaces/{{id}}/runs", RUN_GET_OR_CREATE),
    *_resource(f"{V1}/projects", zm.ProjectResponse),
    *_resource(f"{V1}/workspaces", zm.ProjectResponse),
    # stacks
    Route("PATCH", f"{V1}/flavors/sync", UNPARSED),
    Route("GET", f"{V1}/workspaces/{{id}}/stacks", zm.Page[zm.StackResponse]),
    Route("POST", f"{V1}/workspaces/{{id}}/stacks", zm.StackResponse),
    Route("GET", f"{V1}/workspaces/{{id}}/components", zm.Page[zm.ComponentResponse]),
    Route("POST", f"{V1}/workspaces/{{id}}/components", zm.ComponentResponse),
    *_resource(f"{V1}/stacks", zm.StackResponse),
    *_resource(f"{V1}/components", zm.ComponentResponse),
    *_resource(f"{V1}/flavors", zm.FlavorResponse),
    # pipelines and runs
    *_resource(f"{V1}/pipelines", zm.PipelineResponse),
    *_resource(f"{V1}/pipeline_snapshots", zm.PipelineSnapshotResponse),
    *_resource(f"{V1}/pipeline_deployments", zm.PipelineSnapshotResponse),  # server: snapshots' old name
    Route("GET", f"{V1}/workspaces/{{id}}/pipeline_deployments", zm.Page[zm.PipelineSnapshotResponse]),  # server
    Route("POST", f"{V1}/workspaces/{{id}}/pipeline_deployments", zm.PipelineSnapshotResponse),  # server
    *_resource(f"{V1}/run_templates", zm.RunTemplateResponse),
    Route("GET", f"{V1}/workspaces/{{id}}/run_templates", zm.Page[zm.RunTemplateResponse]),
    Route("POST", f"{V1}/workspaces/{{id}}/run_templates", zm.RunTemplateResponse),
    *_resource(f"{V1}/deployments", zm.DeploymentResponse),
    Route("POST", f"{V1}/runs/statistics", zm.RunStatisticsResponse),  # before any runs/{id} pattern
    Route("POST", f"{V1}/runs", RUN_GET_OR_CREATE),
    Route("GET", f"{V1}/runs/{{id}}/status", ExecutionStatus),  # server
    *_resource(f"{V1}/runs", zm.PipelineRunResponse),
    *_resource(f"{V1}/pipeline_builds", zm.PipelineBuildResponse),
    *_resource(f"{V1}/schedules", zm.ScheduleResponse),
    # Triggers: the client parses the union of the three trigger types.
    Route("PUT", f"{V1}/triggers/{{id}}/pipeline_snapshots/{{id}}", UNPARSED),
    Route("DELETE", f"{V1}/triggers/{{id}}/pipeline_snapshots/{{id}}", UNPARSED),
    Route("DELETE", f"{V1}/triggers/{{id}}/dispatch_state", UNPARSED),
    Route("GET", f"{V1}/supported-events", List[Any]),  # server
    *_resource(f"{V1}/triggers", zm.TRIGGER_RETURN_TYPE_UNION),
    # Webhooks: create answers the generated secret once.
    Route("POST", f"{V1}/webhooks", zm.WebhookCreateResponse),
    Route("PUT", f"{V1}/webhooks/{{id}}/secret", zm.WebhookSecretResponse),
    Route("GET", f"{V1}/webhooks/{{id}}/events/raw", dict),
    Route("POST", f"{V1}/webhooks/{{type}}/{{id}}/events", UNPARSED),
    *_resource(f"{V1}/webhooks", zm.WebhookResponse),
    *_resource(f"{V1}/code_repositories", zm.CodeRepositoryResponse),
    Route("GET", f"{V1}/workspaces/{{id}}/code_repositories", zm.Page[zm.CodeRepositoryResponse]),
    Route("POST", f"{V1}/workspaces/{{id}}/code_repositories", zm.CodeRepositoryResponse),
    Route("GET", f"{V1}/service_connector_types", List[zm.ServiceConnectorTypeModel]),
    Route("GET", f"{V1}/service_connector_types/{{id}}", zm.ServiceConnectorTypeModel),
    Route("POST", f"{V1}/service_connectors/verify", zm.ServiceConnectorResourcesModel),
    Route("GET", f"{V1}/service_connectors/resources", List[zm.ServiceConnectorResourcesModel]),
    Route("POST", f"{V1}/service_connectors/full_stack_resources", zm.ServiceConnectorResourcesInfo),
    *_resource(f"{V1}/service_connectors", zm.ServiceConnectorResponse),
    Route("PUT", f"{V1}/service_connectors/{{id}}/verify", zm.ServiceConnectorResourcesModel),
    Route("GET", f"{V1}/service_connectors/{{id}}/client", zm.ServiceConnectorResponse),
    Route("GET", f"{V1}/workspaces/{{id}}/service_connectors", zm.Page[zm.ServiceConnectorResponse]),
    Route("POST", f"{V1}/workspaces/{{id}}/service_connectors", zm.ServiceConnectorResponse),
    Route("GET", f"{V1}/workspaces/{{id}}/resources", List[zm.ServiceConnectorResourcesModel]),
    *_resource(f"{V1}/secrets", zm.SecretResponse),
    Route("POST", f"{V1}/workspaces/{{id}}/secrets", zm.SecretResponse),
    Route("PUT", f"{V1}/secrets_operations/backup", UNPARSED),
    Route("PUT", f"{V1}/secrets_operations/restore", UNPARSED),
    Route("GET", f"{V1}/workspaces/{{id}}/schedules", zm.Page[zm.ScheduleResponse]),
    Route("POST", f"{V1}/workspaces/{{id}}/schedules", zm.ScheduleResponse),
    *_resource(f"{V1}/services", zm.ServiceResponse),
    Route("POST", f"{V1}/workspaces/{{id}}/services", zm.ServiceResponse),
    Route("GET", f"{V1}/workspaces/{{id}}/pipeline_builds", zm.Page[zm.PipelineBuildResponse]),
    Route("POST", f"{V1}/workspaces/{{id}}/pipeline_builds", zm.PipelineBuildResponse),
    Route("POST", f"{V1}/pipeline_snapshots/prune", UNPARSED),
    Route("GET", f"{V1}/pipeline_snapshots/{{id}}/download-token", StrictStr),
    Route("GET", f"{V1}/runs/{{id}}/steps", zm.Page[zm.StepRunResponse]),
    Route("GET", f"{V1}/runs/{{id}}/dag", zm.PipelineRunDAG),
    Route("GET", f"{V1}/runs/{{id}}/pipeline-configuration", PipelineConfiguration),
    Route("GET", f"{V1}/runs/{{id}}/logs", List[LogEntry]),
    Route("GET", f"{V1}/logs/{{id}}/entries", LogsEntriesResponse),
    Route("PUT", f"{V1}/runs/{{id}}/disable_heartbeat", UNPARSED),
    Route("POST", f"{V1}/runs/{{id}}/refresh", UNPARSED),
    Route("POST", f"{V1}/runs/{{id}}/stop", UNPARSED),
    Route("GET", f"{V1}/steps/{{id}}/step-configuration", StepConfiguration),
    Route("PUT", f"{V1}/steps/{{id}}/heartbeat", zm.StepHeartbeatResponse),
    Route("GET", f"{V1}/steps/{{id}}/logs", List[LogEntry]),
    Route("POST", f"{V1}/run-metadata", UNPARSED),
    Route("POST", f"{V1}/workspaces/{{id}}/run-metadata", UNPARSED),
    Route("GET", f"{V1}/steps/{{id}}/status", ExecutionStatus),  # server
    *_resource(f"{V1}/steps", zm.StepRunResponse),
    *_resource(f"{V1}/logs", zm.LogsResponse),
    *_resource(f"{V1}/hook_invocations", zm.HookInvocationResponse),
    Route("PUT", f"{V1}/run_wait_conditions/{{id}}/resolve", zm.RunWaitConditionResponse),
    Route("PUT", f"{V1}/run_wait_conditions/{{id}}", RunWaitConditionStatus),
    Route("POST", f"{V1}/run_wait_conditions", zm.RunWaitConditionResponse),
    Route("GET", f"{V1}/run_wait_conditions", zm.Page[zm.RunWaitConditionResponse]),
    Route("GET", f"{V1}/run_wait_conditions/{{id}}", zm.RunWaitConditionResponse),
    Route("GET", f"{V1}/resource_requests", zm.Page[zm.ResourceRequestResponse]),
    Route("GET", f"{V1}/resource_requests/{{id}}", zm.ResourceRequestResponse),
    Route("POST", f"{V1}/resource_requests/{{id}}/release", zm.ResourceRequestResponse),
    Route("POST", f"{V1}/resource_requests/{{id}}/renew", zm.ResourceRequestResponse),
    Route("POST", f"{V1}/artifact_versions/batch", List[zm.ArtifactVersionResponse]),
    Route("DELETE", f"{V1}/artifact_versions", UNPARSED),
    Route("GET", f"{V1}/artifact_versions/{{id}}/visualize", zm.LoadedVisualization),
    Route("GET", f"{V1}/artifact_versions/{{id}}/download-token", StrictStr),
    *_resource(f"{V1}/artifact_versions", zm.ArtifactVersionResponse),
    *_resource(f"{V1}/artifacts", zm.ArtifactResponse),
    *_resource(f"{V1}/models", zm.ModelResponse),
    Route("GET", f"{V1}/models/{{id}}/model_versions", zm.Page[zm.ModelVersionResponse]),
    Route("DELETE", f"{V1}/model_versions/{{id}}/artifacts", UNPARSED),
    Route("DELETE", f"{V1}/model_versions/{{id}}/artifacts/{{link}}", UNPARSED),
    Route("DELETE", f"{V1}/model_versions/{{id}}/runs/{{link}}", UNPARSED),
    *_resource(f"{V1}/model_versions", zm.ModelVersionResponse),
    Route("POST", f"{V1}/model_version_artifacts", zm.ModelVersionArtifactResponse),
    Route("GET", f"{V1}/model_version_artifacts", zm.Page[zm.ModelVersionArtifactResponse]),
    Route("POST", f"{V1}/model_version_pipeline_runs", zm.ModelVersionPipelineRunResponse),
    Route("GET", f"{V1}/model_version_pipeline_runs", zm.Page[zm.ModelVersionPipelineRunResponse]),
    Route("POST", f"{V1}/workspaces/{{id}}/models", zm.ModelResponse),
    Route("POST", f"{V1}/workspaces/{{id}}/models/{{model}}/model_versions", zm.ModelVersionResponse),
    *_resource(f"{V1}/curated_visualizations", zm.CuratedVisualizationResponse),
    # tags
    *_resource(f"{V1}/tags", zm.TagResponse),
    Route("POST", f"{V1}/tag_resources", zm.TagResourceResponse),
    Route("POST", f"{V1}/tag_resources/batch", List[zm.TagResourceResponse]),
    Route("DELETE", f"{V1}/tag_resources", UNPARSED),
    Route("DELETE", f"{V1}/tag_resources/batch", UNPARSED),
]


def route_for(method: str, path: str) -> Optional[Route]:
    """The route entry for a request (``path`` may carry a query string)."""
    method = method.upper()
    path = path.split("?", 1)[0]
    return next((r for r in ROUTES if r.matches(method, path)), None)


def check_answer(method: str, path: str, status: int, body: Any, is_json: bool) -> Optional[str]:
    """Validate a 2xx JSON answer the way the client would parse it.

    Returns None when it validates (or is not a 2xx JSON answer), else a
    message naming the route, the model and pydantic's errors."""
    if not (200 <= status < 300 and is_json):
        return None
    route = route_for(method, path)
    if route is None:
        return (
            f"no client response model is mapped for {method.upper()} {path.split('?', 1)[0]} "
            f"(answered {status} with JSON); add the route to tests/compat/response_models.py"
        )
    error = route.validate(body)
    if error is None:
        return None
    return f"{route.label} -> {route.type_name}: {error}"
