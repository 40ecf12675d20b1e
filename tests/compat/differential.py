"""Differential runner: the same scripted requests to the reference ZenML
server and to zengo, answers compared after normalisation.

Scenarios are data (``scenarios/*.yaml``); this module loads them, runs them
against two servers side by side, normalises generated values by position
and reports every difference that ``known_differences.yaml`` does not list.

Scenario file format
--------------------

.. code-block:: yaml

    pending: false            # true: the file's scenarios are xfail(strict) (zengo
                              # does not match yet); flip once they pass
    scenarios:
      - id: create-and-get    # unique within the file; the test id is <file>/<id>
        pending: false        # optional: overrides the file's value
        steps:
          - name: create      # optional; lets later steps say ${steps.create.body.id}
            method: POST
            path: /api/v1/users
            query: {hydrate: true}          # dict, or a list of [key, value] pairs
            headers: {X-Custom: value}
            json: {name: u1, is_admin: false}   # or form: {...}, or data: "raw" + content_type
            auth: admin       # admin (default) | none | {bearer: T} | {header: H} | {cookie: T}
            status: 200       # optional: what the reference must answer (guards the script)
            capture: {u1: body.id}          # named values for later ${u1}
                                            # ("body.uri ~ id=([^&]+)": the regex's group 1 of the value)
            compare: true     # false: send, capture, but do not compare
            ignore: [body.x]  # paths whose values are nondeterministic on the reference itself
            compare_headers: [x-request-id] # extra response headers to compare
            align_to_second: true # wait for the start of a wall-clock second first
            unordered: [body]     # lists the reference leaves unordered: compare sorted
            sign: {header: X-Zenml-Signature-256, secret: "${s}", prefix: "sha256="}
                  # adds header = prefix + hex HMAC-SHA256(secret, the exact
                  # body bytes sent); with timestamp_header (Slack's
                  # scheme) the signed text is "v0:<now>:<body>" and the
                  # current Unix time is sent in that header too

Templates: any string in path, query, headers, json, form, data and auth may
contain ``${expr}``. ``expr`` is a captured name, a builtin (``password``,
``admin_token``, ``admin_id``, ``server_id``, ``default_project_id``,
``default_stack_id``), or ``steps.<name>.<path>`` into an earlier response
(``status``, ``headers.<lower-case name>``, ``body...``). A string that is
exactly ``${expr}`` is replaced by the value itself (keeping its JSON type).
Each side resolves templates with its own values, so "the id created in step
3" is that side's id.

Normalisation
-------------

Generated values are replaced by placeholders numbered in order of first
appearance within a scenario, separately for each side, so that equal
placeholders mean "the same value at the same position":

* UUIDs (ids, server id; also inside strings)      -> ``<id:N>``
* JWT access tokens                               -> ``<jwt:N claims=...>``
* ``ZENKEY_`` API keys (also inside strings)      -> ``<apikey:N>``
* 64-hex activation tokens                        -> ``<hex64:N>``
* random tag colours (tags created without a colour) -> ``<random-color>``
* timestamps (naive ISO, the reference's format)  -> ``<ts>``
* ``request_id`` of the 500 fallback body         -> ``<request-id:N>``
* ``csrf_token`` of a cross-site login            -> ``<csrf:N>``
* ``user_code`` of a device authorization (32 hex; also as the
  ``user_code=`` parameter of its verification URL) -> ``<user-code:N>``
  (its ``device_code`` is a 64-hex value)

Timestamps keep only their format: the reference reads the clock separately
for each field (``created`` and ``updated`` of a new row differ by a few
microseconds), so equality between timestamps is clock noise, not behaviour.

Validation texts (422) are cut before the reference's traceback suffix
(``\\n  File "<install path>/zenml/zen_server/utils.py", line N, in f ...``),
and pydantic's ``input`` reprs (``'input': ...`` / ``input_value=...``) are
replaced by ``<input>``: they echo the raw request in Python syntax, which the
client never reads.

A JWT placeholder carries the token's claim names in order, so a missing or
extra claim (``key_gen``, ``session_id``, ``exp``) shows as a difference.

Everything else must be equal: status code, the JSON body (including key
order of objects), and the headers ``content-type``, ``www-authenticate``,
``allow`` (as a set) and ``set-cookie`` (attributes compared sorted and
case-folded, as RFC 6265 treats them).

Client models
-------------

Besides the comparison, every 2xx JSON answer of either side is validated with
the pydantic model the real client parses it with (``response_models.py``,
e.g. ``Page[UserResponse]`` for ``GET /api/v1/users``). An answer the model
refuses fails the scenario whatever ``known_differences.yaml`` says; a refused
answer of the reference means the mapping is wrong. So does a 2xx JSON answer
from a route the mapping does not know.

Command line: ``python tests/compat/differential.py 'users/*' 'auth/login-*'``
starts both servers, runs the matching scenarios and prints every difference.
"""

from __future__ import annotations

import base64
import copy
import json
import re
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Optional

import requests
import yaml

import response_models

COMPAT_DIR = Path(__file__).resolve().parent
SCENARIO_DIR = COMPAT_DIR / "scenarios"
KNOWN_DIFFERENCES_FILE = COMPAT_DIR / "known_differences.yaml"

DEFAULT_COMPARED_HEADERS = ("content-type", "www-authenticate", "allow", "set-cookie")
TAG_COLORS = {
    "grey", "purple", "red", "green", "yellow", "orange",
    "lime", "teal", "turquoise", "magenta", "blue",
}

# --------------------------------------------------------------------------
# Scenario loading


@dataclass
class Scenario:
    file: str  # file stem, e.g. "users"
    id: str
    steps: list
    pending: bool = False
    description: str = ""

    @property
    def full_id(self) -> str:
        return f"{self.file}/{self.id}"


def load_scenarios(directory: Path = SCENARIO_DIR) -> list[Scenario]:
    out: list[Scenario] = []
    for path in sorted(directory.glob("*.yaml")):
        doc = yaml.safe_load(path.read_text()) or {}
        file_pending = bool(doc.get("pending", False))
        seen = set()
        for sc in doc.get("scenarios", []):
            sid = sc["id"]
            if sid in seen:
                raise ValueError(f"{path.name}: duplicate scenario id {sid!r}")
            seen.add(sid)
            steps = sc.get("steps") or []
            for i, st in enumerate(steps):
                if "method" not in st or "path" not in st:
                    raise ValueError(f"{path.name}/{sid} step {i}: method and path are required")
            out.append(
                Scenario(
                    file=path.stem,
                    id=sid,
                    steps=steps,
                    pending=bool(sc.get("pending", file_pending)),
                    description=sc.get("description", ""),
                )
            )
    return out


# --------------------------------------------------------------------------
# Known differences


class _Unset:
    def __repr__(self):
        return "<unset>"


_UNSET = _Unset()


class _Absent:
    def __repr__(self):
        return "<absent>"


_ABSENT = _Absent()


@dataclass
class KnownDifference:
    scenario: str
    path: str
    reason: str
    step: Any = "*"  # a glob or a list of globs
    # Optional: the normalised values the difference must have (JSON values;
    # the string "<absent>" for a missing key/header).
    reference: Any = _UNSET
    zengo: Any = _UNSET
    _rx_scenario: Any = None
    _rx_step: Any = None
    _rx_path: Any = None

    def matches(self, scenario_id: str, step_label: str, step_index: int, diff: "Difference") -> bool:
        if not self._rx_scenario.fullmatch(scenario_id):
            return False
        if not any(rx.fullmatch(step_label) or rx.fullmatch(str(step_index)) for rx in self._rx_step):
            return False
        if not self._rx_path.fullmatch(diff.path):
            return False
        for want, got in ((self.reference, diff.reference), (self.zengo, diff.zengo)):
            if want is _UNSET:
                continue
            if got is _ABSENT:
                got = "<absent>"
            if want != got:
                return False
        return True

    def as_dict(self) -> dict:
        d = {"scenario": self.scenario, "step": self.step, "path": self.path, "reason": self.reason}
        for k in ("reference", "zengo"):
            if getattr(self, k) is not _UNSET:
                d[k] = getattr(self, k)
        return d


def glob_to_regex(pattern: str, segment_sep: str = ".") -> re.Pattern:
    """'*' matches within one path segment, '**' matches anything."""
    out = []
    i = 0
    while i < len(pattern):
        if pattern.startswith("**", i):
            out.append(".*")
            i += 2
        elif pattern[i] == "*":
            out.append(f"[^{re.escape(segment_sep)}]*")
            i += 1
        else:
            out.append(re.escape(pattern[i]))
            i += 1
    return re.compile("".join(out))


def load_known_differences(path: Path = KNOWN_DIFFERENCES_FILE) -> list[KnownDifference]:
    if not path.exists():
        return []
    doc = yaml.safe_load(path.read_text()) or {}
    entries = doc.get("differences", []) if isinstance(doc, dict) else doc
    out = []
    for i, e in enumerate(entries or []):
        for key in ("scenario", "path", "reason"):
            if not e.get(key):
                raise ValueError(f"known_differences.yaml entry {i}: '{key}' is required")
        kd = KnownDifference(
            scenario=e["scenario"],
            path=e["path"],
            reason=e["reason"].strip(),
            step=e.get("step", "*"),
            reference=e.get("reference", _UNSET),
            zengo=e.get("zengo", _UNSET),
        )
        kd._rx_scenario = glob_to_regex(kd.scenario, "/")
        steps = kd.step if isinstance(kd.step, list) else [kd.step]
        kd._rx_step = [glob_to_regex(str(x), "/") for x in steps]
        kd._rx_path = glob_to_regex(kd.path)
        out.append(kd)
    return out


# --------------------------------------------------------------------------
# Paths into JSON values

_PATH_TOKEN = re.compile(r"([^.\[\]]+)|\[(-?\d+)\]")


def get_path(obj: Any, path: str) -> Any:
    cur = obj
    for m in _PATH_TOKEN.finditer(path):
        key, idx = m.group(1), m.group(2)
        if idx is not None:
            cur = cur[int(idx)]
        elif isinstance(cur, dict):
            cur = cur[key]
        elif isinstance(cur, list) and key.lstrip("-").isdigit():
            cur = cur[int(key)]
        else:
            raise KeyError(f"cannot follow {key!r} in {path!r}")
    return cur


def capture_value(record: dict, spec: str) -> Any:
    """The value a capture names: a path, optionally followed by
    ``~ regex`` to take the regex's first group out of the (text) value."""
    path, sep, rx = spec.partition(" ~ ")
    value = get_path(record, path.strip())
    if sep:
        value = re.search(rx.strip(), str(value)).group(1)
    return value


def join_path(base: str, key: Any) -> str:
    if isinstance(key, int):
        return f"{base}[{key}]"
    return f"{base}.{key}" if base else str(key)


# --------------------------------------------------------------------------
# Normalisation

UUID_RX = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
JWT_RX = re.compile(r"eyJ[A-Za-z0-9_-]+\.eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*")
APIKEY_RX = re.compile(r"ZENKEY_[A-Za-z0-9+/=_-]+")
HEX64_RX = re.compile(r"^[0-9a-f]{64}$")
USER_CODE_RX = re.compile(r"^[0-9a-f]{32}$")
USER_CODE_PARAM_RX = re.compile(r"(user_code=)([0-9a-f]{32})(?![0-9a-f])")
TS_RX = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,6})?$")
COOKIE_DATE_RX = re.compile(r"(expires=)[^;]+", re.IGNORECASE)
# The reference's validation texts end with the wrapper's source location.
TRACEBACK_RX = re.compile(r"\n  File \".*\Z", re.DOTALL)
VALIDATION_HEAD_RX = re.compile(r"^\d+ validation errors?:\n")
INPUT_VALUE_RX = re.compile(r"input_value=.*?, input_type=", re.DOTALL)


def _jwt_claims(token: str) -> str:
    try:
        payload = token.split(".")[1]
        payload += "=" * (-len(payload) % 4)
        claims = json.loads(base64.urlsafe_b64decode(payload))
        return ",".join(claims.keys())
    except Exception:
        return "?"


def _strip_validation_inputs(text: str) -> str:
    """Replace pydantic `'input': <repr>` parts of a 422 text by <input>."""
    lines = text.split("\n")
    out = []
    for line in lines:
        if line.startswith("  {'type': ") and "'input': " in line:
            start = line.index("'input': ") + len("'input': ")
            ctx = line.rfind(", 'ctx': ")
            end = ctx if ctx > start else len(line) - 1
            line = line[:start] + "<input>" + line[end:]
        out.append(line)
    return "\n".join(out)


class Normalizer:
    """Maps one side's generated values to positional placeholders."""

    def __init__(self, keep_ids: bool = False, keep_timestamps: bool = False) -> None:
        self.maps: dict[str, dict[str, str]] = {}
        self.explicit_color_ids: set[str] = set()
        # The import test compares a server with its imported copy: there
        # ids and timestamps are data that must be equal, not noise.
        self.keep_ids = keep_ids
        self.keep_timestamps = keep_timestamps

    def _ph(self, kind: str, value: str, extra: str = "") -> str:
        m = self.maps.setdefault(kind, {})
        if value not in m:
            m[value] = f"<{kind}:{len(m) + 1}{extra}>"
        return m[value]

    def placeholder_for(self, value: str) -> Optional[str]:
        for m in self.maps.values():
            if value in m:
                return m[value]
        return None

    def text(self, s: str) -> str:
        if TS_RX.match(s):
            return s if self.keep_timestamps else "<ts>"
        if HEX64_RX.match(s):
            return self._ph("hex64", s)
        if VALIDATION_HEAD_RX.match(s) or "\n  File \"" in s:
            s = TRACEBACK_RX.sub("", s)
            s = _strip_validation_inputs(s)
        if "input_value=" in s:
            s = INPUT_VALUE_RX.sub("input_value=<input>, input_type=", s)
        s = JWT_RX.sub(lambda m: self._ph("jwt", m.group(0), " claims=" + _jwt_claims(m.group(0))), s)
        s = APIKEY_RX.sub(lambda m: self._ph("apikey", m.group(0)), s)
        s = USER_CODE_PARAM_RX.sub(lambda m: m.group(1) + self._ph("user-code", m.group(2)), s)
        if not self.keep_ids:
            s = UUID_RX.sub(lambda m: self._ph("id", m.group(0)), s)
        return s

    def value(self, v: Any) -> Any:
        if isinstance(v, str):
            return self.text(v)
        if isinstance(v, list):
            return [self.value(x) for x in v]
        if isinstance(v, dict):
            # Walk keys in sorted order so that placeholder numbering does not
            # depend on the key order (which is compared separately).
            normalised = {k: None for k in v}
            for k in sorted(v):
                if k == "request_id" and isinstance(v[k], str):
                    # the 500 fallback's random request id
                    normalised[k] = self._ph("request-id", v[k])
                elif k == "csrf_token" and isinstance(v[k], str):
                    # signed random session id of a cross-site login
                    normalised[k] = self._ph("csrf", v[k])
                elif k == "user_code" and isinstance(v[k], str) and USER_CODE_RX.match(v[k]):
                    # random user code of a device authorization
                    normalised[k] = self._ph("user-code", v[k])
                else:
                    normalised[k] = self.value(v[k])
            self._mask_random_color(v, normalised)
            return normalised
        return v

    def _mask_random_color(self, raw: dict, norm: dict) -> None:
        body = raw.get("body")
        if (
            isinstance(body, dict)
            and "color" in body
            and "exclusive" in body
            and body.get("color") in TAG_COLORS
            and raw.get("id") not in self.explicit_color_ids
        ):
            norm["body"]["color"] = "<random-color>"


def _canonical_cookie(v: str) -> str:
    """Cookie attributes are case-insensitive and unordered (RFC 6265):
    compare them sorted and lower-cased, the name=value pair as sent."""
    parts = [p.strip() for p in v.split(";")]
    attrs = []
    for a in parts[1:]:
        if not a:
            continue
        k, eq, val = a.partition("=")
        k = k.strip().lower()
        val = val.strip()
        if k in ("samesite",):
            val = val.lower()
        attrs.append(k + (eq + val if eq else ""))
    return "; ".join([parts[0]] + sorted(attrs))


def normalise_headers(h: dict, names, norm: Normalizer) -> dict:
    out = {}
    for name in names:
        if name not in h:
            continue
        v = h[name]
        if name == "allow":
            out[name] = sorted(x.strip() for x in v.split(",") if x.strip())
        elif name == "content-type":
            out[name] = v.lower().replace(" ", "")
        elif name == "set-cookie":
            out[name] = norm.text(_canonical_cookie(COOKIE_DATE_RX.sub(r"\1<date>", v)))
        else:
            out[name] = norm.text(v)
    return out


# --------------------------------------------------------------------------
# Comparison


@dataclass
class Difference:
    path: str
    reference: Any
    zengo: Any
    known: Optional[KnownDifference] = None

    def render(self) -> str:
        def short(x):
            if x is _ABSENT:
                return "<absent>"
            s = json.dumps(x, ensure_ascii=False)
            return s if len(s) <= 300 else s[:297] + "..."

        if isinstance(self.reference, str) and isinstance(self.zengo, str) and (
            len(self.reference) > 120 or len(self.zengo) > 120
        ):
            # Long texts: show where they part.
            a, b = self.reference, self.zengo
            i = 0
            while i < min(len(a), len(b)) and a[i] == b[i]:
                i += 1
            start = max(0, i - 60)
            pre = "..." if start else ""
            tag = f"  [known: {self.known.reason.splitlines()[0][:80]}]" if self.known else ""
            return (
                f"    {self.path}: texts differ from character {i}:\n"
                f"      reference: {pre}{json.dumps(a[start:i + 160], ensure_ascii=False)}\n"
                f"      zengo:     {pre}{json.dumps(b[start:i + 160], ensure_ascii=False)}{tag}"
            )

        tag = f"  [known: {self.known.reason.splitlines()[0][:80]}]" if self.known else ""
        return f"    {self.path}: reference={short(self.reference)} zengo={short(self.zengo)}{tag}"


def diff_values(a: Any, b: Any, path: str, out: list, ignore_rx: list) -> None:
    if any(rx.fullmatch(path) for rx in ignore_rx):
        return
    if isinstance(a, dict) and isinstance(b, dict):
        for k in a:
            p = join_path(path, k)
            if k in b:
                diff_values(a[k], b[k], p, out, ignore_rx)
            elif not any(rx.fullmatch(p) for rx in ignore_rx):
                out.append(Difference(p, a[k], _ABSENT))
        for k in b:
            if k not in a:
                p = join_path(path, k)
                if not any(rx.fullmatch(p) for rx in ignore_rx):
                    out.append(Difference(p, _ABSENT, b[k]))
        if set(a) == set(b) and list(a) != list(b):
            out.append(Difference(f"{path}<key order>", list(a), list(b)))
        return
    if isinstance(a, list) and isinstance(b, list):
        for i in range(min(len(a), len(b))):
            diff_values(a[i], b[i], join_path(path, i), out, ignore_rx)
        for i in range(len(b), len(a)):
            out.append(Difference(join_path(path, i), a[i], _ABSENT))
        for i in range(len(a), len(b)):
            out.append(Difference(join_path(path, i), _ABSENT, b[i]))
        return
    if type(a) is not type(b) or a != b:
        # bool vs int must not compare equal
        out.append(Difference(path, a, b))


# --------------------------------------------------------------------------
# Running


class ScenarioError(Exception):
    """The scenario itself is broken (bad template, reference answered
    something other than the script expects)."""


@dataclass
class Response:
    status: int
    headers: dict
    body: Any
    is_json: bool

    def record(self) -> dict:
        return {"status": self.status, "headers": self.headers, "body": self.body}


@dataclass
class Side:
    """One server as seen by the runner: its URL and per-session builtins."""

    name: str  # "reference" or "zengo"
    url: str
    password: str
    builtins: dict = field(default_factory=dict)
    session: requests.Session = field(default_factory=requests.Session)

    def init(self, username: str = "default") -> None:
        r = self.session.post(
            self.url + "/api/v1/login", data={"username": username, "password": self.password}, timeout=60
        )
        r.raise_for_status()
        token = r.json()["access_token"]
        hdr = {"Authorization": f"Bearer {token}"}
        info = self.session.get(self.url + "/api/v1/info", timeout=30).json()
        me = self.session.get(self.url + "/api/v1/current-user", headers=hdr, timeout=30).json()
        proj = self.session.get(self.url + "/api/v1/projects/default", headers=hdr, timeout=30).json()
        stacks = self.session.get(
            self.url + "/api/v1/stacks", params={"name": "default"}, headers=hdr, timeout=30
        ).json()
        self.builtins = {
            "password": self.password,
            "admin_token": token,
            "admin_id": me["id"],
            "server_id": info["id"],
            "default_project_id": proj["id"],
            "default_stack_id": stacks["items"][0]["id"] if stacks.get("items") else None,
        }
        # Keep-alive connections make the run faster; cookies must never
        # leak from one request into the next.
        self.session.cookies.clear()


class SideState:
    def __init__(self, side: Side) -> None:
        self.side = side
        self.vars: dict = {}
        self.steps: dict = {}
        self.norm = Normalizer()

    def resolve(self, expr: str) -> Any:
        expr = expr.strip()
        if expr in self.vars:
            return self.vars[expr]
        if expr in self.side.builtins:
            return self.side.builtins[expr]
        if expr.startswith("steps."):
            rest = expr[len("steps."):]
            name, _, path = rest.partition(".")
            if name not in self.steps:
                raise ScenarioError(f"unknown step {name!r} in ${{{expr}}}")
            try:
                return get_path(self.steps[name], path) if path else self.steps[name]
            except (KeyError, IndexError, TypeError) as e:
                raise ScenarioError(f"{self.side.name}: cannot resolve ${{{expr}}}: {e}") from None
        raise ScenarioError(f"unknown template variable ${{{expr}}}")

    _TPL = re.compile(r"\$\{([^}]+)\}")

    def render(self, v: Any) -> Any:
        if isinstance(v, str):
            m = self._TPL.fullmatch(v)
            if m:
                return self.resolve(m.group(1))
            return self._TPL.sub(lambda mm: _to_text(self.resolve(mm.group(1))), v)
        if isinstance(v, list):
            return [self.render(x) for x in v]
        if isinstance(v, dict):
            return {self.render(k): self.render(x) for k, x in v.items()}
        return v


def _to_text(v: Any) -> str:
    if isinstance(v, str):
        return v
    if isinstance(v, bool):
        return "true" if v else "false"
    if v is None:
        return ""
    if isinstance(v, (dict, list)):
        return json.dumps(v)
    return str(v)


def _query_pairs(q: Any) -> list:
    if q is None:
        return []
    if isinstance(q, dict):
        items = q.items()
    else:
        items = [tuple(x) for x in q]
    out = []
    for k, v in items:
        if isinstance(v, list):
            out.extend((k, _to_text(x)) for x in v)
        else:
            out.append((k, _to_text(v)))
    return out


def _sign(spec: dict, headers: dict, body: bytes) -> None:
    """Signs a webhook delivery as its provider would (the ``sign:`` key)."""
    import hashlib
    import hmac

    signed = body
    if spec.get("timestamp_header"):
        ts = str(int(time.time()))
        headers[spec["timestamp_header"]] = ts
        signed = f"v0:{ts}:".encode() + body
    digest = hmac.new(_to_text(spec["secret"]).encode(), signed, hashlib.sha256).hexdigest()
    headers[spec["header"]] = spec.get("prefix", "") + digest


def send(state: SideState, step: dict) -> tuple[Response, dict]:
    """Send one step to one side; returns the response and a description of
    the request as sent (for failure messages)."""
    side = state.side
    method = step["method"].upper()
    path = state.render(step["path"])
    headers = {k: _to_text(v) for k, v in state.render(step.get("headers") or {}).items()}
    auth = step.get("auth", "admin")
    if auth == "admin":
        headers.setdefault("Authorization", f"Bearer {side.builtins['admin_token']}")
    elif auth == "none" or auth is None:
        pass
    elif isinstance(auth, dict):
        a = state.render(auth)
        if "bearer" in a:
            headers["Authorization"] = f"Bearer {_to_text(a['bearer'])}"
        if "header" in a:
            headers["Authorization"] = _to_text(a["header"])
        if "cookie" in a:
            headers["Cookie"] = f"zenml-server-{side.builtins['server_id']}={_to_text(a['cookie'])}"
    else:
        raise ScenarioError(f"bad auth spec {auth!r}")
    kwargs: dict = {"headers": headers, "timeout": 60, "allow_redirects": False}
    params = _query_pairs(state.render(step.get("query")))
    if params:
        kwargs["params"] = params
    body_desc = None
    if "json" in step:
        body = state.render(step["json"])
        kwargs["data"] = json.dumps(body).encode()
        headers.setdefault("Content-Type", "application/json")
        body_desc = body
    elif "form" in step:
        form = state.render(step["form"])
        kwargs["data"] = _query_pairs(form)
        body_desc = {"form": form}
    elif "data" in step:
        raw = state.render(step["data"])
        kwargs["data"] = raw.encode() if isinstance(raw, str) else raw
        body_desc = {"raw": raw}
    if "content_type" in step:
        headers["Content-Type"] = step["content_type"]
    if "sign" in step:
        _sign(state.render(step["sign"]), headers, kwargs.get("data") or b"")
    r = side.session.request(method, side.url + path, **kwargs)
    side.session.cookies.clear()
    text = r.text
    is_json = False
    body: Any = text
    if text:
        try:
            body = json.loads(text)
            is_json = True
        except ValueError:
            pass
    hdrs = {k.lower(): v for k, v in r.headers.items()}
    req_desc = {"method": method, "url": r.request.url[len(side.url):], "body": body_desc}
    return Response(r.status_code, hdrs, body, is_json), req_desc


@dataclass
class StepResult:
    index: int
    label: str
    request: dict  # as sent to the reference (raw)
    request_zengo: dict
    reference: Optional[dict]  # normalised record
    zengo: Optional[dict]
    differences: list
    # 2xx JSON answers the client's response model refuses ("<side>: <error>")
    model_errors: list = field(default_factory=list)


@dataclass
class ScenarioResult:
    scenario: Scenario
    steps: list = field(default_factory=list)
    error: Optional[str] = None

    @property
    def unknown(self) -> list:
        return [(s, d) for s in self.steps for d in s.differences if d.known is None]

    @property
    def known(self) -> list:
        return [(s, d) for s in self.steps for d in s.differences if d.known is not None]

    @property
    def model_errors(self) -> list:
        return [(s, e) for s in self.steps for e in s.model_errors]

    @property
    def ok(self) -> bool:
        return self.error is None and not self.unknown and not self.model_errors

    def failure_message(self, max_steps: int = 8) -> str:
        sc = self.scenario
        lines = [f"differential scenario {sc.full_id} failed"]
        if sc.description:
            lines.append(f"  ({sc.description.strip()})")
        if self.error:
            lines.append(f"  error: {self.error}")
        failing = [s for s in self.steps if s.model_errors or any(d.known is None for d in s.differences)]
        for s in failing[:max_steps]:
            req = s.request
            lines.append("")
            lines.append(f"  step {s.index} '{s.label}': {req['method']} {req['url']}")
            if req.get("body") is not None:
                lines.append("    request body: " + _clip(json.dumps(req["body"], ensure_ascii=False), 500))
            if s.model_errors:
                lines.append("    refused by the client's response model:")
                lines.extend(f"      {e}" for e in s.model_errors)
            if s.differences:
                lines.append("    differing paths:")
            for d in s.differences:
                lines.append(d.render())
            lines.append("    reference answer: " + _render_record(s.reference))
            lines.append("    zengo answer:     " + _render_record(s.zengo))
        if len(failing) > max_steps:
            lines.append(f"\n  ... and {len(failing) - max_steps} more failing steps")
        return "\n".join(lines)


def _clip(s: str, n: int) -> str:
    return s if len(s) <= n else s[: n - 3] + "..."


def _render_record(rec: Optional[dict]) -> str:
    if rec is None:
        return "<none>"
    hdrs = rec.get("headers") or {}
    h = " ".join(f"{k}={json.dumps(v)}" for k, v in hdrs.items())
    return f"{rec['status']} [{h}] " + _clip(json.dumps(rec["body"], ensure_ascii=False), 1500)


def _step_label(step: dict, index: int) -> str:
    return str(step.get("name") or index)


def _track_explicit_colors(state: SideState, step: dict, req_body: Any, resp: Response) -> None:
    """Tags given an explicit colour are compared exactly; others are random."""
    path = step["path"]
    if not isinstance(req_body, dict) or "color" not in req_body or resp.status != 200:
        return
    if not isinstance(resp.body, dict) or "id" not in resp.body:
        return
    if re.search(r"/api/v1/tags(/[^/?]+)?$", state.render(path).split("?")[0]):
        state.norm.explicit_color_ids.add(resp.body["id"])


def run_scenario(
    scenario: Scenario, ref: Side, zen: Side, known: list[KnownDifference]
) -> ScenarioResult:
    result = ScenarioResult(scenario)
    rs, zs = SideState(ref), SideState(zen)
    for index, step in enumerate(scenario.steps):
        label = _step_label(step, index)
        if step.get("align_to_second"):
            # Start at the beginning of a wall-clock second, so that this
            # step and the next ones fall within one second (for checks of
            # second-granularity timestamps, e.g. token iat vs. password change).
            now = time.time()
            time.sleep(1.0 - (now - int(now)) + 0.005)
        try:
            (r_ref, req_ref), (r_zen, req_zen) = _send_both(rs, zs, step)
        except ScenarioError as e:
            result.error = f"step {index} '{label}': {e}"
            return result
        except requests.RequestException as e:
            result.error = f"step {index} '{label}': transport error: {e}"
            return result

        expect = step.get("status")
        if expect is not None:
            allowed = expect if isinstance(expect, list) else [expect]
            if r_ref.status not in allowed:
                result.error = (
                    f"step {index} '{label}' ({req_ref['method']} {req_ref['url']}): the reference answered "
                    f"{r_ref.status}, the scenario expects {expect}: {_clip(json.dumps(r_ref.body), 800)}"
                )
                return result

        for st, resp, req in ((rs, r_ref, req_ref), (zs, r_zen, req_zen)):
            _track_explicit_colors(st, step, (req.get("body") if isinstance(req.get("body"), dict) else None), resp)
            if step.get("name"):
                st.steps[step["name"]] = resp.record()
            for var, p in (step.get("capture") or {}).items():
                try:
                    st.vars[var] = capture_value(resp.record(), p)
                except (KeyError, IndexError, TypeError, AttributeError):
                    # A side that answered differently may lack the value; the
                    # difference is reported, later uses of it fail there.
                    st.vars[var] = f"<capture {var} missing on {st.side.name}>"

        header_names = list(DEFAULT_COMPARED_HEADERS) + [h.lower() for h in step.get("compare_headers", [])]
        n_ref = {
            "status": r_ref.status,
            "headers": normalise_headers(r_ref.headers, header_names, rs.norm),
            "body": rs.norm.value(r_ref.body),
        }
        n_zen = {
            "status": r_zen.status,
            "headers": normalise_headers(r_zen.headers, header_names, zs.norm),
            "body": zs.norm.value(r_zen.body),
        }
        for p in step.get("unordered", []):
            # Lists whose order the reference does not define (e.g. built
            # from a Python set) are compared as multisets.
            for rec in (n_ref, n_zen):
                try:
                    parent_path, _, last = p.rpartition(".")
                    holder = get_path(rec, parent_path) if parent_path else rec
                    if isinstance(holder.get(last), list):
                        holder[last] = sorted(holder[last], key=lambda x: json.dumps(x, sort_keys=True))
                except (KeyError, IndexError, TypeError, AttributeError):
                    pass
        diffs: list[Difference] = []
        if step.get("compare", True):
            ignore_rx = [glob_to_regex(p) for p in step.get("ignore", [])]
            if n_ref["status"] != n_zen["status"]:
                diffs.append(Difference("status", n_ref["status"], n_zen["status"]))
            for name in header_names:
                a = n_ref["headers"].get(name, _ABSENT)
                b = n_zen["headers"].get(name, _ABSENT)
                if a != b and not any(rx.fullmatch(f"headers.{name}") for rx in ignore_rx):
                    diffs.append(Difference(f"headers.{name}", a, b))
            if r_ref.is_json != r_zen.is_json:
                diffs.append(Difference("body<json>", r_ref.is_json, r_zen.is_json))
            diff_values(n_ref["body"], n_zen["body"], "body", diffs, ignore_rx)
            for d in diffs:
                for kd in known:
                    if kd.matches(scenario.full_id, label, index, d):
                        d.known = kd
                        break
        model_errors = [
            f"{side}: {err}"
            for side, resp, req in (("reference", r_ref, req_ref), ("zengo", r_zen, req_zen))
            if (err := response_models.check_answer(req["method"], req["url"], resp.status, resp.body, resp.is_json))
        ]
        result.steps.append(StepResult(index, label, req_ref, req_zen, n_ref, n_zen, diffs, model_errors))
    return result


def _send_both(rs: SideState, zs: SideState, step: dict):
    """Send a step to both sides concurrently (the answers do not depend on
    each other, and the reference is the slow one)."""
    out: dict = {}

    def run(key, st):
        try:
            out[key] = send(st, step)
        except Exception as e:  # re-raised in the caller's thread
            out[key] = e

    t = threading.Thread(target=run, args=("z", zs))
    t.start()
    run("r", rs)
    t.join()
    for key in ("r", "z"):
        if isinstance(out[key], Exception):
            raise out[key]
    return out["r"], out["z"]


# --------------------------------------------------------------------------
# Command line: run some scenarios and print every difference.


def main(argv: Optional[list] = None) -> int:
    """python tests/compat/differential.py [GLOB ...]

    Starts a reference server and zengo ($ZENGO_BIN or a fresh build), runs
    the scenarios whose "<file>/<id>" matches one of the globs (all when none
    is given) and prints every difference, known ones included."""
    import argparse

    import servers

    ap = argparse.ArgumentParser(description=main.__doc__)
    ap.add_argument("globs", nargs="*", help="scenario globs, e.g. 'users/*' or 'auth/login-*'")
    ap.add_argument("--all-steps", action="store_true", help="also print steps whose differences are all known")
    args = ap.parse_args(argv)

    rx = [glob_to_regex(g, "/") for g in args.globs] or [re.compile(".*")]
    chosen = [s for s in load_scenarios() if any(r.fullmatch(s.full_id) for r in rx)]
    if not chosen:
        print("no scenario matches")
        return 2
    known = load_known_differences()
    ref = servers.start_reference()
    zen = None
    try:
        zen = servers.start_zengo()
        rs, zs = Side("reference", ref.url, ref.password), Side("zengo", zen.url, zen.password)
        rs.init()
        zs.init()
        bad = 0
        for sc in chosen:
            res = run_scenario(sc, rs, zs, known)
            status = "ok" if res.ok else ("FAIL" if not sc.pending else "FAIL (pending)")
            print(f"{sc.full_id}: {status}")
            if not res.ok:
                bad += 1
                print(res.failure_message(max_steps=1000))
            elif args.all_steps:
                for s, d in res.known:
                    print(f"  step {s.index} '{s.label}':\n{d.render()}")
        print(f"{len(chosen) - bad} ok, {bad} failing")
        return 1 if bad else 0
    finally:
        ref.stop()
        if zen:
            zen.stop()


if __name__ == "__main__":
    import sys

    sys.path.insert(0, str(COMPAT_DIR))
    raise SystemExit(main())
