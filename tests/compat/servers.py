"""Starting and stopping the servers the compat suites talk to.

Two kinds of server are managed here:

* zengo, the Go binary under test (built once per session unless
  ZENGO_BIN names a binary), started on a free port with a temporary data
  directory;
* the reference ZenML server from the pinned `zenml[server]` package in the
  virtualenv, started with uvicorn on a free port and a temporary SQLite file.

Both are started as child processes of the test session and stopped with
SIGTERM (then SIGKILL after a grace period) by their own process id.
"""

from __future__ import annotations

import atexit
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional

import requests

COMPAT_DIR = Path(__file__).resolve().parent
REPO_ROOT = COMPAT_DIR.parent.parent

# The admin password both servers are started with. Any non-empty value will
# do; the suites log in with it.
ADMIN_USER = "default"
ADMIN_PASSWORD = "compat-Pa55word"


def venv_dir() -> Path:
    """The virtualenv holding the pinned zenml client and server."""
    env = os.environ.get("ZENGO_VENV")
    if env:
        return Path(env)
    # The interpreter running pytest is normally the venv's own.
    exe = Path(sys.executable)
    if (exe.parent / "zenml").exists():
        return exe.parent.parent
    return REPO_ROOT / ".venv"


def dashboard_dir() -> str:
    """The dashboard build inside the pinned zenml package."""
    found = sorted((venv_dir() / "lib").glob("python3*/site-packages/zenml/zen_server/dashboard"))
    return str(found[0]) if found else ""


def venv_bin(name: str) -> str:
    return str(venv_dir() / "bin" / name)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


_build_lock = threading.Lock()
_built_binary: Optional[str] = None


def zengo_binary() -> str:
    """Path of the zengo binary: $ZENGO_BIN, or one built once per process."""
    global _built_binary
    env = os.environ.get("ZENGO_BIN")
    if env:
        if not os.access(env, os.X_OK):
            raise RuntimeError(f"ZENGO_BIN={env} is not an executable file")
        return env
    with _build_lock:
        if _built_binary and os.path.exists(_built_binary):
            return _built_binary
        out_dir = tempfile.mkdtemp(prefix="zengo-bin-")
        atexit.register(shutil.rmtree, out_dir, True)
        target = os.path.join(out_dir, "zengo")
        proc = subprocess.run(
            ["go", "build", "-o", target, "./cmd/zengo"],
            cwd=REPO_ROOT,
            capture_output=True,
            text=True,
        )
        if proc.returncode != 0:
            raise RuntimeError(f"go build failed:\n{proc.stdout}\n{proc.stderr}")
        _built_binary = target
        return target


@dataclass
class Server:
    """A running server process."""

    kind: str  # "zengo" or "reference"
    url: str
    proc: subprocess.Popen
    workdir: str
    log_path: str
    password: str = ADMIN_PASSWORD
    username: str = ADMIN_USER
    _keep_workdir: bool = field(default=False, repr=False)

    def log_tail(self, n: int = 40) -> str:
        try:
            with open(self.log_path, errors="replace") as f:
                return "".join(f.readlines()[-n:])
        except OSError:
            return ""

    def stop(self, timeout: float = 15.0) -> None:
        if self.proc.poll() is None:
            try:
                self.proc.send_signal(signal.SIGTERM)
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=5)
            except ProcessLookupError:
                pass
        if not self._keep_workdir:
            shutil.rmtree(self.workdir, ignore_errors=True)

    def token(self) -> str:
        """A fresh admin access token (password login)."""
        r = requests.post(
            self.url + "/api/v1/login",
            data={"username": self.username, "password": self.password},
            timeout=30,
        )
        r.raise_for_status()
        return r.json()["access_token"]


def _wait_healthy(url: str, proc: subprocess.Popen, timeout: float, log_path: str) -> None:
    deadline = time.monotonic() + timeout
    last_err = None
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            break
        try:
            r = requests.get(url + "/health", timeout=2)
            if r.status_code == 200:
                return
            last_err = f"status {r.status_code}"
        except requests.RequestException as e:  # not up yet
            last_err = str(e)
        time.sleep(0.2)
    tail = ""
    try:
        with open(log_path, errors="replace") as f:
            tail = f.read()[-4000:]
    except OSError:
        pass
    if proc.poll() is None:
        proc.kill()
        proc.wait()
    raise RuntimeError(
        f"server at {url} did not become healthy (exit={proc.poll()}, last error: {last_err})\n{tail}"
    )


def start_zengo(password: str = ADMIN_PASSWORD, extra_env: Optional[dict] = None) -> Server:
    """Start zengo on a free port with a fresh data directory."""
    binary = zengo_binary()
    workdir = tempfile.mkdtemp(prefix="zengo-srv-")
    data_dir = os.path.join(workdir, "data")
    log_path = os.path.join(workdir, "zengo.log")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ZENML_", "ZENGO_"))}
    env["ZENML_DEFAULT_USER_PASSWORD"] = password
    # The dashboard build of the pinned zenml, as the reference serves it.
    env["ZENML_SERVER_DASHBOARD_FILES_PATH"] = dashboard_dir()
    if extra_env:
        env.update(extra_env)
    log = open(log_path, "w")
    proc = subprocess.Popen(
        [binary, "serve", "--listen", "127.0.0.1:0", "--data-dir", data_dir],
        stdout=subprocess.PIPE,
        stderr=log,
        text=True,
        env=env,
    )
    log.close()
    # The first stdout line names the address it listens on.
    url = None
    deadline = time.monotonic() + 30
    lines = []
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line:
            break
        lines.append(line)
        m = re.search(r"listening on (http://\S+)", line)
        if m:
            url = m.group(1).rstrip("/")
            break
    if url is None:
        proc.kill()
        proc.wait()
        raise RuntimeError("zengo did not print its address:\n" + "".join(lines) + open(log_path).read())

    # Keep draining stdout so the child never blocks on a full pipe.
    def _drain(stream, path):
        with open(path, "a") as out:
            for ln in stream:
                out.write(ln)
                out.flush()

    threading.Thread(target=_drain, args=(proc.stdout, log_path), daemon=True).start()
    _wait_healthy(url, proc, 30, log_path)
    return Server("zengo", url, proc, workdir, log_path, password=password)


def start_reference(
    password: str = ADMIN_PASSWORD, timeout: float = 120, extra_env: Optional[dict] = None
) -> Server:
    """Start the reference ZenML server (uvicorn, SQLite) on a free port;
    extra_env adds to (or overrides) its environment."""
    workdir = tempfile.mkdtemp(prefix="zenml-ref-")
    log_path = os.path.join(workdir, "server.log")
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ZENML_", "ZENGO_"))}
    env.update(
        {
            "ZENML_CONFIG_PATH": os.path.join(workdir, "cfg"),
            "ZENML_SERVER": "true",
            "ZENML_STORE_URL": f"sqlite:///{workdir}/zenml.db",
            "ZENML_SERVER_AUTO_ACTIVATE": "true",
            "ZENML_ANALYTICS_OPT_IN": "false",
            "ZENML_DEFAULT_USER_PASSWORD": password,
            "ZENML_LOGGING_VERBOSITY": "WARNING",
        }
    )
    if extra_env:
        env.update(extra_env)
    log = open(log_path, "w")
    proc = subprocess.Popen(
        [
            venv_bin("uvicorn"),
            "zenml.zen_server.zen_server_api:app",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--log-level",
            "warning",
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
        cwd=workdir,
        env=env,
    )
    log.close()
    url = f"http://127.0.0.1:{port}"
    _wait_healthy(url, proc, timeout, log_path)
    return Server("reference", url, proc, workdir, log_path, password=password)


def target_kind() -> str:
    """'zengo', or 'reference' when ZENGO_COMPAT_TARGET=reference."""
    target = os.environ.get("ZENGO_COMPAT_TARGET", "zengo")
    if target not in ("zengo", "reference"):
        raise RuntimeError(f"ZENGO_COMPAT_TARGET must be 'zengo' or 'reference', not {target!r}")
    return target


def start_target(extra_env: Optional[dict] = None) -> Server:
    """The server the real-client tests run against: zengo, or the reference
    when ZENGO_COMPAT_TARGET=reference (to check the tests themselves);
    extra_env adds to (or overrides) its environment."""
    if target_kind() == "reference":
        return start_reference(extra_env=extra_env)
    return start_zengo(extra_env=extra_env)
