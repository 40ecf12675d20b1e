"""Running the real zenml client and CLI against a server, in subprocesses.

The zenml client keeps process-wide singletons (GlobalConfiguration, Client,
the REST store session), so every client interaction runs in a fresh Python
process with its own configuration directory. A snippet reports back by
calling `report(value)`, which prints one JSON line that `run_python` parses.
"""

from __future__ import annotations

import json
import os
import subprocess
import tempfile
import textwrap
from dataclasses import dataclass
from typing import Any, Optional

import servers

RESULT_MARK = "@@COMPAT-RESULT@@"

PRELUDE = f"""
import json as _json
def report(value):
    print({RESULT_MARK!r} + _json.dumps(value, default=str), flush=True)
"""


@dataclass
class Run:
    returncode: int
    stdout: str
    stderr: str
    result: Any = None

    def describe(self) -> str:
        return (
            f"exit code {self.returncode}\n--- stdout ---\n{self.stdout[-6000:]}\n"
            f"--- stderr ---\n{self.stderr[-6000:]}"
        )


def client_env(
    server,
    *,
    config_dir: Optional[str] = None,
    username: Optional[str] = servers.ADMIN_USER,
    password: Optional[str] = None,
    api_key: Optional[str] = None,
) -> dict:
    """Environment for a client process: env-var login, fresh config dir."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ZENML_", "ZENGO_"))}
    env.update(
        {
            "ZENML_STORE_URL": server.url,
            "ZENML_CONFIG_PATH": config_dir or tempfile.mkdtemp(prefix="zenml-client-"),
            "ZENML_ANALYTICS_OPT_IN": "false",
            "ZENML_DISABLE_CLIENT_SERVER_MISMATCH_WARNING": "true",
            "ZENML_ENABLE_RICH_TRACEBACK": "false",
            "ZENML_LOGGING_COLORS_DISABLED": "true",
            "AUTO_OPEN_DASHBOARD": "false",
            "TERM": "dumb",
            "COLUMNS": "250",
        }
    )
    if api_key is not None:
        env["ZENML_STORE_API_KEY"] = api_key
    else:
        if username is not None:
            env["ZENML_STORE_USERNAME"] = username
        env["ZENML_STORE_PASSWORD"] = server.password if password is None else password
    return env


def run_python(code: str, env: dict, *, cwd: Optional[str] = None, timeout: float = 180) -> Run:
    """Run a snippet with the venv's interpreter; `report(x)` returns x."""
    script = PRELUDE + textwrap.dedent(code)
    cwd = cwd or tempfile.mkdtemp(prefix="zenml-cwd-")
    # A file, not `-c`: the client needs a main module with a file to find
    # its source root (loading an artifact does).
    fd, path = tempfile.mkstemp(prefix="snippet_", suffix=".py", dir=cwd)
    with os.fdopen(fd, "w") as f:
        f.write(script)
    proc = subprocess.run(
        [servers.venv_bin("python"), path],
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    result = None
    for line in proc.stdout.splitlines():
        if line.startswith(RESULT_MARK):
            result = json.loads(line[len(RESULT_MARK):])
    return Run(proc.returncode, proc.stdout, proc.stderr, result)


def run_script(path: str, env: dict, *, cwd: str, timeout: float = 300) -> Run:
    proc = subprocess.run(
        [servers.venv_bin("python"), path],
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    return Run(proc.returncode, proc.stdout, proc.stderr)


def run_cli(args: list, env: dict, *, cwd: Optional[str] = None, timeout: float = 180) -> Run:
    cwd = cwd or tempfile.mkdtemp(prefix="zenml-cwd-")
    proc = subprocess.run(
        [servers.venv_bin("zenml"), *args],
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=timeout,
        stdin=subprocess.DEVNULL,
    )
    return Run(proc.returncode, proc.stdout, proc.stderr)


def parse_json_output(text: str) -> Any:
    """The CLI's `-o json` output, ignoring any log lines around it."""
    start = min([i for i in (text.find("{"), text.find("[")) if i >= 0], default=-1)
    if start < 0:
        raise ValueError(f"no JSON in output:\n{text}")
    return json.JSONDecoder().raw_decode(text[start:])[0]


# A two-step pipeline run as a script: it prints its run's status, steps
# and the output it loads, for the real-run tests to check.
TINY_PIPELINE_SCRIPT = """
from zenml import pipeline, step


@step
def make_number() -> int:
    return 41


@step
def add_one(x: int) -> int:
    return x + 1


@pipeline
def compat_tiny_pipeline():
    add_one(make_number())


if __name__ == "__main__":
    run = compat_tiny_pipeline()
    print("RUN", run.id, run.status)
    run = run.get_hydrated_version() if hasattr(run, "get_hydrated_version") else run
    print("STEPS", sorted(run.steps))
    print("STATUSES", sorted((n, str(s.status)) for n, s in run.steps.items()))
    print("LOAD", run.steps["add_one"].output.load())
"""
