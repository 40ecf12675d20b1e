"""`zenml login <url>`: the real CLI's web login (the OAuth2 device
authorization grant) against the server, approved through the API as the
dashboard's page would, then used by the CLI and the client."""

from __future__ import annotations

import platform
import re
import subprocess
import tempfile
import threading
import time

import requests

import servers
from clientlib import client_env, run_cli, run_python

VERIFY_URL = re.compile(r"\S*/devices/verify\?device_id=([0-9a-f-]{36})&user_code=([0-9a-f]{32})")


def _login_env(server) -> dict:
    """A client with no server configured and no credentials: only `zenml
    login` connects it. No browser opens (BROWSER names a command that does
    nothing), so the CLI prints the verification URL."""
    env = client_env(server, config_dir=tempfile.mkdtemp(prefix="zenml-login-"))
    for name in ("ZENML_STORE_URL", "ZENML_STORE_USERNAME", "ZENML_STORE_PASSWORD", "ZENML_STORE_API_KEY"):
        env.pop(name, None)
    env["BROWSER"] = "true"
    return env


class _Output:
    """Collects a process's output while it runs."""

    def __init__(self, stream) -> None:
        self.text = ""
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._read, args=(stream,), daemon=True)
        self._thread.start()

    def _read(self, stream) -> None:
        for line in stream:
            with self._lock:
                self.text += line

    def wait_for(self, rx: re.Pattern, proc: subprocess.Popen, timeout: float):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self._lock:
                m = rx.search(self.text)
            if m or proc.poll() is not None:
                return m
            time.sleep(0.1)
        return None

    def join(self) -> str:
        self._thread.join(timeout=10)
        return self.text


def test_zenml_login_with_device_approval(zengo):
    env = _login_env(zengo)
    proc = subprocess.Popen(
        [servers.venv_bin("zenml"), "login", zengo.url],
        env=env,
        cwd=tempfile.mkdtemp(prefix="zenml-cwd-"),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        out = _Output(proc.stdout)
        m = out.wait_for(VERIFY_URL, proc, timeout=120)
        assert m, f"the CLI printed no verification URL (exit {proc.poll()}):\n{out.text}"
        assert m.group(0).startswith(zengo.url + "/devices/verify?"), m.group(0)
        device_id, user_code = m.group(1), m.group(2)

        # The dashboard's approval page: the signed-in user reads the
        # pending device with its user code, then approves it.
        admin = {"Authorization": f"Bearer {zengo.token()}"}
        r = requests.get(f"{zengo.url}/api/v1/devices/{device_id}", params={"user_code": user_code}, headers=admin, timeout=30)
        assert r.status_code == 200, r.text
        assert r.json()["body"]["status"] == "pending"
        assert r.json()["body"]["hostname"] == platform.node()
        r = requests.put(
            f"{zengo.url}/api/v1/devices/{device_id}/verify",
            json={"user_code": user_code, "trusted_device": False},
            headers=admin,
            timeout=30,
        )
        assert r.status_code == 200, r.text
        assert r.json()["body"]["status"] == "verified"

        proc.wait(timeout=120)
        text = out.join()
        assert proc.returncode == 0, text
        assert f"Successfully logged in to {zengo.url}" in text, text
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()

    # The device is active and the CLI's configuration holds its token.
    r = requests.get(f"{zengo.url}/api/v1/devices", params={"hydrate": True}, headers=admin, timeout=30)
    assert r.status_code == 200, r.text
    devices = {d["id"]: d for d in r.json()["items"]}
    assert devices[device_id]["body"]["status"] == "active", devices
    assert devices[device_id]["metadata"]["last_login"] is not None, devices

    status = run_cli(["status"], env)
    assert status.returncode == 0, status.describe()
    assert zengo.url in status.stdout + status.stderr, status.describe()

    who = run_python(
        """
from zenml.client import Client
c = Client()
report({"url": c.zen_store.url, "user": c.active_user.name, "project": c.active_project.name})
""",
        env,
    )
    assert who.returncode == 0, who.describe()
    assert who.result == {"url": zengo.url, "user": zengo.username, "project": "default"}, who.result

    # Deleting the device ends the token the CLI keeps.
    r = requests.delete(f"{zengo.url}/api/v1/devices/{device_id}", headers=admin, timeout=30)
    assert r.status_code == 200, r.text
    token = run_python(
        """
from zenml.login.credentials_store import get_credentials_store
import os
report(get_credentials_store().get_token(os.environ["SERVER_URL"]).access_token)
""",
        {**env, "SERVER_URL": zengo.url},
    )
    assert token.returncode == 0, token.describe()
    r = requests.get(f"{zengo.url}/api/v1/current-user", headers={"Authorization": f"Bearer {token.result}"}, timeout=30)
    assert r.status_code == 401, r.text
    assert "error retrieving token device" in r.text, r.text
