#!/usr/bin/env bash
# What an addition to every request costs: the pipelines list benchmark's
# throughput of zengo built at BASE (before the addition) and at TIP (with
# it), on the same seeded data, measured in alternating rounds on one
# machine.
#
#   bench/overhead.sh [BASE [TIP]]   (default: /metrics and X-Request-ID,
#                                     9120196^ and 9120196)
# Settings: OVERHEAD_PIPELINES (500), OVERHEAD_ROUNDS (3),
# OVERHEAD_DURATION (10s), OVERHEAD_CONCURRENCY (8).
set -euo pipefail
cd "$(dirname "$0")/.."
base=${1:-9120196^}
tip=${2:-9120196}
pipelines=${OVERHEAD_PIPELINES:-500}
rounds=${OVERHEAD_ROUNDS:-3}
duration=${OVERHEAD_DURATION:-10s}
conc=${OVERHEAD_CONCURRENCY:-8}
work=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$work"' EXIT

for side in base head; do
  rev=$base; [ $side = head ] && rev=$tip
  git worktree add -q --detach "$work/src-$side" "$rev"
  (cd "$work/src-$side" && go build -o "$work/zengo-$side" ./cmd/zengo)
  git worktree remove --force "$work/src-$side"
done
go build -o "$work/apiseed" ./bench/cmd/apiseed
go build -o "$work/loadgen" ./bench/cmd/loadgen

start() { # name port
  ZENML_DEFAULT_USER_PASSWORD=bench "$work/zengo-$1" serve --listen "127.0.0.1:$2" --data-dir "$work/data-$1" --log-level error >/dev/null 2>&1 &
  for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$2/health" >/dev/null && return; sleep 0.1; done
  echo "zengo-$1 did not start" >&2; exit 1
}
start base 18601
start head 18602
for p in 18601 18602; do "$work/apiseed" -url "http://127.0.0.1:$p" -password bench -pipelines "$pipelines" -runs 2 >/dev/null; done

list='list=GET /api/v1/pipelines?hydrate=true&sort_by=desc:latest_run&size=20&page=1'
measure() { # port
  "$work/loadgen" -url "http://127.0.0.1:$1" -login default:bench -c "$conc" -d "$duration" -req "$list" -json |
    python3 -c 'import json,sys; print(json.load(sys.stdin)["total"]["rps"])'
}
declare -a rb rh
for i in $(seq 1 "$rounds"); do
  rb+=("$(measure 18601)")
  rh+=("$(measure 18602)")
  echo "round $i: base ${rb[-1]} req/s, head ${rh[-1]} req/s"
done
python3 - "${rb[*]}" "${rh[*]}" "$(git rev-parse --short "$base")" "$(git rev-parse --short "$tip")" <<'PY'
import statistics, sys
b = [float(x) for x in sys.argv[1].split()]
h = [float(x) for x in sys.argv[2].split()]
mb, mh = statistics.median(b), statistics.median(h)
print(f"overhead summary: base {sys.argv[3]} {mb:.0f} req/s, head {sys.argv[4]} {mh:.0f} req/s, head/base {mh / mb:.3f}")
PY
