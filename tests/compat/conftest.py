"""Fixtures and the results recorder of the compat suites.

Fixtures:
  zengo_binary   path of the binary under test ($ZENGO_BIN, or built once)
  zengo          a zengo server shared by the whole session
  fresh_zengo    a zengo server of its own for one test (starts in < 1 s)
                 (ZENGO_COMPAT_TARGET=reference runs the real-client tests
                 against the reference server instead, to check the tests)
  diff_sides     the reference ZenML server and a zengo of their own, side by
                 side, for the differential scenarios (started only when a
                 differential test is selected)

Results: every run writes a JSON summary (outcome of each test, known
differences met) to $ZENGO_COMPAT_RESULTS or tests/compat/.results.json;
report.py reads it.
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

import servers  # noqa: E402

RESULTS_DEFAULT = Path(__file__).resolve().parent / ".results.json"


def pytest_addoption(parser):
    parser.addoption(
        "--compat-results",
        default=os.environ.get("ZENGO_COMPAT_RESULTS", str(RESULTS_DEFAULT)),
        help="where to write the compat results summary (JSON)",
    )


@pytest.fixture(scope="session")
def zengo_binary() -> str:
    return servers.zengo_binary()


@pytest.fixture(scope="session")
def zengo(zengo_binary):
    srv = servers.start_target()
    yield srv
    srv.stop()


@pytest.fixture
def fresh_zengo(zengo_binary):
    srv = servers.start_target()
    yield srv
    _check_alive(srv)
    srv.stop()


def _check_alive(srv) -> None:
    code = srv.proc.poll()
    if code is not None:
        pytest.fail(
            f"the {srv.kind} server exited with code {code} during the test; log tail:\n{srv.log_tail()}",
            pytrace=False,
        )


@pytest.fixture(autouse=True)
def _servers_stay_up(request):
    """A server that died under a test makes that test fail, with its log."""
    yield
    for name in ("zengo", "pipelines_zengo"):
        if name in request.fixturenames:
            _check_alive(request.getfixturevalue(name))


@pytest.fixture(scope="session")
def diff_sides(zengo_binary):
    import differential

    t0 = time.monotonic()
    ref = servers.start_reference()
    try:
        zen = servers.start_zengo()
    except Exception:
        ref.stop()
        raise
    startup = time.monotonic() - t0
    try:
        ref_side = differential.Side("reference", ref.url, ref.password)
        zen_side = differential.Side("zengo", zen.url, zen.password)
        ref_side.init()
        zen_side.init()
        yield ref_side, zen_side
    finally:
        _RECORDER.meta["reference_startup_seconds"] = round(startup, 1)
        ref.stop()
        zen.stop()


# --------------------------------------------------------------------------
# Results recorder


class _Recorder:
    def __init__(self) -> None:
        self.tests: dict = {}
        self.meta: dict = {}
        self.started = time.time()

    def record(self, report) -> None:
        entry = self.tests.setdefault(
            report.nodeid,
            {"nodeid": report.nodeid, "kind": _kind(report.nodeid), "outcome": None, "duration": 0.0},
        )
        entry["duration"] = round(entry["duration"] + report.duration, 3)
        props = dict(report.user_properties)
        if "known_differences" in props:
            entry["known_differences"] = props["known_differences"]
        if "scenario" in props:
            entry["scenario"] = props["scenario"]
        if "pending" in props:
            entry["pending"] = props["pending"]

        wasxfail = hasattr(report, "wasxfail")
        if report.when == "call":
            if report.passed:
                entry["outcome"] = "xpassed" if wasxfail else "passed"
            elif report.skipped:
                entry["outcome"] = "xfailed" if wasxfail else "skipped"
                if wasxfail:
                    entry["message"] = _short_longrepr(report)
            else:
                entry["outcome"] = "failed"
                entry["message"] = _short_longrepr(report)
        elif report.failed:  # setup or teardown error
            entry["outcome"] = "error"
            entry["message"] = _short_longrepr(report)
        elif report.skipped and entry["outcome"] is None:
            entry["outcome"] = "xfailed" if wasxfail else "skipped"

    def write(self, path: str, exitstatus: int) -> None:
        doc = {
            "started": self.started,
            "duration": round(time.time() - self.started, 1),
            "exitstatus": int(exitstatus),
            "meta": self.meta,
            "tests": list(self.tests.values()),
        }
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        tmp = path + ".tmp"
        with open(tmp, "w") as f:
            json.dump(doc, f, indent=1)
        os.replace(tmp, path)


def _kind(nodeid: str) -> str:
    name = nodeid.split("::")[0].rsplit("/", 1)[-1]
    if name.startswith("test_differential") and "::test_scenario[" in nodeid:
        return "differential"
    if name.startswith("test_client"):
        return "client"
    return "other"


def _short_longrepr(report) -> str:
    text = str(report.longrepr) if report.longrepr is not None else ""
    return text[:4000]


_RECORDER = _Recorder()


def pytest_runtest_logreport(report):
    _RECORDER.record(report)


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    out = getattr(config, "zengo_browser_output", None)
    if out:
        terminalreporter.write_line(f"browser screenshots: {out}")


def pytest_sessionfinish(session, exitstatus):
    if hasattr(session.config, "workerinput"):
        return
    path = session.config.getoption("--compat-results")
    if path:
        _RECORDER.write(path, exitstatus)
