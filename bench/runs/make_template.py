"""Turn the recorded exchanges of a real pipeline run into bench/runs/sequence.json.

Input (bench/runs/recorded/, see bench/README.md "Recording the sequence"):
  client-run.jsonl      what the zenml client sent to start a run (run3m.py,
                        in-process orchestrator, through cmd/recordproxy)
  step-processes.jsonl  what each step sent when run in a process of its own,
                        as a pod-per-step orchestrator runs it (snap.py, then
                        step_entry.py once per step)

Output: the request template the replay (bench/cmd/benchruns) sends, with the
ids, names and times of the recording replaced by ${placeholders}:
  "${name}" inside a string is the variable's text (JSON-escaped in bodies);
  a whole string "${json:name}" is replaced by the variable's JSON value.

Run: python3 bench/runs/make_template.py > bench/runs/sequence.json
"""

import json
import re
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
REC = HERE / "recorded"


def load(name):
    return [json.loads(line) for line in open(REC / name) if line.strip()]


client = load("client-run.jsonl")
steps = load("step-processes.jsonl")

# Ids of the recording, found from the exchanges themselves.
snap_post = next(e for e in steps if e["method"] == "POST" and e["path"] == "/api/v1/pipeline_snapshots")
snap_body = json.loads(snap_post["req_body"])
project = snap_body["project"]
stack = snap_body["stack"]
snapshot_id = snap_post["resp_id"]
pipeline_id = snap_body["pipeline"]
pipeline_name = snap_body["pipeline_configuration"]["name"]
log_body = json.loads(next(e for e in steps if e["path"] == "/api/v1/logs")["req_body"])
artifact_store = log_body["artifact_store_id"]
store_root = log_body["uri"].split("/local_stores/")[0]

# One step in the middle of the chain ("transform"): it has an upstream step,
# an input, logs metadata, and produces an output.
STEP = "transform"
PREV = "load_data"
first_entry = [i for i, e in enumerate(steps) if e["path"] == "/api/v1/info"]
# Each step process starts with GET /info; its block runs to the next one.
blocks = []
for k, i in enumerate(first_entry):
    end = first_entry[k + 1] if k + 1 < len(first_entry) else len(steps)
    blocks.append(steps[i:end])
block = next(b for b in blocks if any(STEP in e["path"] for e in b))
prev_block = next(b for b in blocks if any(PREV in e["path"] and "step_configuration_filter" in e["path"] for e in b))


def find(b, method, path_start):
    return next(e for e in b if e["method"] == method and e["path"].startswith(path_start))


step_post = find(block, "POST", "/api/v1/steps")
step_id = step_post["resp_id"]
step_req = json.loads(step_post["req_body"])
prev_step_id = find(prev_block, "POST", "/api/v1/steps")["resp_id"]
prev_output = find(prev_block, "POST", "/api/v1/artifact_versions/batch")["resp_id"]
output = find(block, "POST", "/api/v1/artifact_versions/batch")["resp_id"]
run_post = find(block, "POST", "/api/v1/runs")
run_id = run_post["resp_id"]
run_req = json.loads(run_post["req_body"])
prep_log = json.loads(find(block, "POST", "/api/v1/logs")["req_body"])["id"]
step_log = [json.loads(e["req_body"])["id"] for e in block if e["path"] == "/api/v1/logs"][1]
av = json.loads(find(block, "POST", "/api/v1/artifact_versions/batch")["req_body"])[0]
short = av["uri"].rsplit("/", 1)[1]

subst = [
    (store_root, "/home/zenml/.config/zenml"),
    (project, "${project}"), (stack, "${stack}"), (snapshot_id, "${snapshot}"), (pipeline_id, "${pipeline}"),
    (artifact_store, "${artifact_store}"), (run_id, "${run}"), (step_id, "${step_id}"),
    (prev_step_id, "${prev_step_id}"), (prev_output, "${prev_output}"), (output, "${output}"),
    (prep_log, "${prepare_log}"), (step_log, "${step_log}"), (step_req["cache_key"], "${cache_key}"),
    (av["content_hash"], "${content_hash}"), ("/" + short, "/${short}"),
    (run_req["name"], "${run_name}"), (run_req["orchestrator_run_id"], "${orchestrator_run_id}"),
]
TIME = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}")


def templ(s):
    for a, b in subst:
        s = s.replace(a, b)
    s = TIME.sub("${now}", s)
    # names last: step names and the pipeline name are words in longer texts
    s = re.sub(r"\b%s\b" % pipeline_name, "${pipeline_name}", s)
    s = s.replace('"name": "%s"' % STEP, '"name": "${step}"')
    s = s.replace("::%s::" % STEP, "::${step}::").replace("/%s/output/" % STEP, "/${step}/output/")
    s = s.replace("step_configuration_filter=%s" % STEP, "step_configuration_filter=${step}")
    s = s.replace("%%5B%%22%s%%22%%5D" % PREV, "%5B%22${prev}%22%5D")
    return s


def request(kind, e, **extra):
    r = {"kind": kind, "method": e["method"], "path": templ(e["path"])}
    if e["req_body"]:
        r["body"] = json.loads(templ(e["req_body"]))
    r.update(extra)
    return r


KINDS = {
    ("GET", "/api/v1/info"): "info",
    ("GET", "/api/v1/projects/"): "project_get",
    ("GET", "/api/v1/stacks/"): "stack_get",
    ("GET", "/api/v1/pipeline_snapshots/"): "snapshot_get",
    ("GET", "/api/v1/components"): "components_list",
    ("POST", "/api/v1/runs"): "run_get_or_create",
    ("GET", "/api/v1/steps?hydrate=False"): "upstream_steps",
    ("GET", "/api/v1/steps?hydrate=True"): "cache_lookup",
    ("POST", "/api/v1/steps"): "step_create",
    ("POST", "/api/v1/run-metadata"): "run_metadata",
    ("POST", "/api/v1/artifact_versions/batch"): "artifact_batch",
    ("PUT", "/api/v1/steps/"): "step_update",
}


def kind_of(e):
    if e["path"] == "/api/v1/logs":
        src = json.loads(e["req_body"])["source"]
        return "logs_" + src
    for (m, p), k in KINDS.items():
        if e["method"] == m and e["path"].startswith(p):
            return k
    raise SystemExit("no kind for %s %s" % (e["method"], e["path"]))


step_seq = []
seen_info = False
for e in block:
    if e["status"] == 401 or e["path"] == "/api/v1/login":
        continue  # the recording logged in with a password; step pods hold a workload token
    if e["path"] == "/api/v1/info":
        if seen_info:
            continue  # asked again after the login only
        seen_info = True
    k = kind_of(e)
    extra = {}
    if k == "upstream_steps":
        extra["not_first"] = True
    if k == "run_get_or_create":
        extra["capture"] = {"run": "0.id"}
    if k == "step_create":
        extra["capture"] = {"step_id": "id"}
        extra["body"] = None
    if k == "artifact_batch":
        extra["capture"] = {"output": "0.id"}
    r = request(k, e)
    for key, v in extra.items():
        if v is not None:
            r[key] = v
    if k == "step_create":
        r["body"]["inputs"] = "${json:inputs}"
    step_seq.append(r)

# The client's part, from the in-process recording: from its log entry to the
# workload token (it runs the steps in process afterwards; the template uses
# the step processes' sequence instead).
c_store = json.loads(next(e for e in client if e["path"] == "/api/v1/logs")["req_body"])
c_snap = next(e for e in client if e["path"] == "/api/v1/pipeline_snapshots")
c_run = next(e for e in client if e["method"] == "POST" and e["path"] == "/api/v1/runs")
c_run_req = json.loads(c_run["req_body"])
c_pipe = json.loads(c_snap["req_body"])["pipeline_configuration"]["name"]
c_subst = [
    (c_store["uri"].split("/local_stores/")[0], "/home/zenml/.config/zenml"), (c_store["id"], "${client_log}"),
    (c_store["project"], "${project}"), (c_store["artifact_store_id"], "${artifact_store}"),
    (c_run["resp_id"], "${run}"), (c_run_req["name"], "${run_name}"), (c_run_req["snapshot"], "${snapshot}"),
]
run_seq = []
started = False
for e in client:
    if e["path"] == "/api/v1/logs" and e["method"] == "POST":
        started = True
    if not started:
        continue
    if e["path"].startswith("/api/v1/stacks/"):
        break  # the in-process orchestrator begins its steps here
    path, body = e["path"], e["req_body"]
    for a, b in c_subst:
        path, body = path.replace(a, b), body.replace(a, b)
    path = re.sub(r"\b%s\b" % c_pipe, "${pipeline_name}", path)
    body = TIME.sub("${now}", re.sub(r"\b%s\b" % c_pipe, "${pipeline_name}", body))
    r = {"method": e["method"], "path": path}
    if e["method"] == "POST" and path == "/api/v1/pipeline_snapshots":
        r["kind"] = "snapshot_create"
        r["body"] = "${json:snapshot_body}"
        r["capture"] = {"snapshot": "id"}
    elif body:
        r["body"] = json.loads(body)
    if r.get("kind") == "snapshot_create":
        pass
    elif path.startswith("/api/v1/pipelines?"):
        r["kind"], r["capture"] = "pipeline_lookup", {"pipeline": "items.0.id?"}
    elif e["method"] == "POST" and path == "/api/v1/pipelines":
        r["kind"], r["capture"], r["unless"] = "pipeline_create", {"pipeline": "id"}, "pipeline"
    elif e["method"] == "POST" and path == "/api/v1/runs":
        r["kind"], r["capture"] = "run_placeholder", {"run": "0.id"}
    elif e["path"] == "/api/v1/logs":
        r["kind"] = "logs_client"
    elif e["method"] == "PUT" and path.startswith("/api/v1/logs/"):
        r["kind"] = "logs_link_run"
    elif path.startswith("/api/v1/api_token"):
        r["kind"] = "workload_token"
    elif path.startswith("/api/v1/code_repositories"):
        r["kind"] = "code_repositories"
    elif path.startswith("/api/v1/current-user"):
        r["kind"] = "current_user"
    else:
        raise SystemExit("no kind for client request %s %s" % (e["method"], path))
    run_seq.append(r)

# The snapshot: the recorded one with its steps replaced by S of "transform".
snap = json.loads(templ(snap_post["req_body"]))
snap["name"] = None
step_cfg = snap["step_configurations"][STEP]
spec_step = next(s for s in snap["pipeline_spec"]["steps"] if s["invocation_id"] == STEP)
snap["step_configurations"] = "${json:step_configurations}"
snap["pipeline_spec"]["steps"] = "${json:spec_steps}"
snap["pipeline"] = "${pipeline}"


def step_templ(x):
    s = json.dumps(x)
    s = s.replace('"%s"' % STEP, '"${step}"').replace('"%s"' % PREV, '"${prev}"')
    return json.loads(s)


out = {
    "about": (
        "The requests of one pipeline run of the zenml 0.98.0 client, recorded against the reference "
        "server through bench/cmd/recordproxy and turned into a template by bench/runs/make_template.py; "
        "see bench/README.md. 'run' is sent once per run, 'step' once per step (a step in a process of "
        "its own, as pod-per-step orchestrators run them; the recording's password login is left out)."
    ),
    "run": run_seq,
    "step": step_seq,
    "snapshot_body": snap,
    "step_configuration": step_templ(step_cfg),
    "spec_step": step_templ(spec_step),
}
json.dump(out, sys.stdout, indent=1)
sys.stdout.write("\n")
