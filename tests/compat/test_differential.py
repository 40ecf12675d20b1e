"""Differential conformance: scenarios/*.yaml against the reference server and
zengo. One test per scenario; see differential.py for the format and the
normalisation rules, known_differences.yaml for the accepted differences."""

from __future__ import annotations

import pytest

import differential

SCENARIOS = differential.load_scenarios()
KNOWN = differential.load_known_differences()


def _param(sc: differential.Scenario):
    marks = []
    if sc.pending:
        marks.append(
            pytest.mark.xfail(
                strict=True,
                reason=f"{sc.file}.yaml is pending: zengo does not match the reference yet "
                "(remove `pending: true` once this passes)",
            )
        )
    return pytest.param(sc, id=sc.full_id, marks=marks)


@pytest.mark.parametrize("scenario", [_param(s) for s in SCENARIOS])
def test_scenario(scenario, diff_sides, record_property):
    ref, zen = diff_sides
    result = differential.run_scenario(scenario, ref, zen, KNOWN)
    record_property("scenario", scenario.full_id)
    record_property("pending", scenario.pending)
    record_property(
        "known_differences",
        [
            {
                "scenario": scenario.full_id,
                "step": s.label,
                "path": d.path,
                "entry": d.known.as_dict(),
            }
            for s, d in result.known
        ],
    )
    if not result.ok:
        pytest.fail(result.failure_message(), pytrace=False)


def test_known_differences_file_is_valid():
    """Every entry names a scenario that exists and gives a reason."""
    ids = {s.full_id for s in SCENARIOS}
    for kd in KNOWN:
        assert kd.reason.strip(), kd
        assert any(kd._rx_scenario.fullmatch(i) for i in ids), (
            f"known difference for unknown scenario {kd.scenario!r}"
        )
