"""Writes internal/api/route_order.json: the reference's routes in the order
its router tries them, each path with the method of its first route. A
request whose path matches a route but not its method gets a 405 naming the
method of the first route the path matches (Starlette's rule), so zengo
needs that order, which is the reference's, not its own.

Start a reference server (see tests/compat/servers.py), then:

    .venv/bin/python tools/gen_route_order.py http://127.0.0.1:8237
"""

import json
import pathlib
import sys

import requests


def main():
    spec = requests.get(sys.argv[1] + "/openapi.json").json()
    # OpenAPI lists paths in registration order, and a path's methods in
    # the order of its routes.
    order = [[path, next(iter(methods)).upper()] for path, methods in spec["paths"].items()]
    out = pathlib.Path(__file__).resolve().parent.parent / "internal" / "api" / "route_order.json"
    out.write_text("[\n" + ",\n".join(json.dumps(o) for o in order) + "\n]\n")
    print(f"wrote {len(order)} routes to {out}")


if __name__ == "__main__":
    main()
