"""The client-model mapping of the differential suite (no servers needed)."""

from __future__ import annotations

import re

import pytest
from pydantic import BaseModel

import differential
import response_models as rm

UUID = "0f0e0d0c-0b0a-4909-8807-060504030201"


def _expected_2xx(step: dict) -> bool:
    st = step.get("status")
    allowed = st if isinstance(st, list) else [st]
    return any(isinstance(s, int) and 200 <= s < 300 for s in allowed)


def test_every_2xx_route_of_the_scenarios_is_mapped():
    """Each route a scenario expects a 2xx answer from has a mapping entry
    (the runner also fails on a 2xx JSON answer from an unmapped route)."""
    unmapped = set()
    for sc in differential.load_scenarios():
        for step in sc.steps:
            if not _expected_2xx(step):
                continue
            path = re.sub(r"\$\{[^}]*\}", UUID, step["path"])
            if rm.route_for(step["method"], path) is None:
                unmapped.add(f"{step['method'].upper()} {step['path']}  ({sc.full_id})")
    assert not unmapped, "routes without a client response model:\n" + "\n".join(sorted(unmapped))


@pytest.mark.parametrize("route", rm.ROUTES, ids=lambda r: r.label)
def test_route_types_build(route):
    if route.type is not rm.UNPARSED:
        rm._adapter(route.type)


def test_first_match_wins_for_special_routes():
    assert rm.route_for("POST", "/api/v1/runs").type is rm.RUN_GET_OR_CREATE
    assert rm.route_for("GET", f"/api/v1/runs/{UUID}/status").type_name == "ExecutionStatus"
    assert rm.route_for("GET", "/api/v1/users?name=x").type_name == "Page[UserResponse]"
    assert rm.route_for("PUT", f"/api/v1/service_accounts/{UUID}/api_keys/k/rotate").type_name == "APIKeyResponse"
    assert rm.route_for("GET", "/api/v1/nosuch") is None


def test_check_answer_reports_what_the_model_refuses():
    assert rm.check_answer("GET", "/api/v1/users/x", 404, {"detail": "x"}, True) is None
    assert rm.check_answer("DELETE", "/api/v1/users/x", 200, None, True) is None
    msg = rm.check_answer("GET", "/api/v1/users/x", 200, {"id": "not-an-id", "name": "u"}, True)
    assert msg.startswith("GET /api/v1/users/{id} -> UserResponse: ") and "id:" in msg
    assert "no client response model" in rm.check_answer("GET", "/api/v1/nosuch", 200, {}, True)


def test_models_come_from_zenml():
    for r in rm.ROUTES:
        if isinstance(r.type, type) and issubclass(r.type, BaseModel):
            assert r.type.__module__.startswith("zenml."), r.label
