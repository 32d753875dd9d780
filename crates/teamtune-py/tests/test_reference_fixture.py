"""The reference fixture through the Python API: the reference's insights, to 1e-6."""

from __future__ import annotations

import json

import pytest

import teamtune
from conftest import VICTOR_EXPECTED, VICTOR_METRICS

EXPECTED = json.loads(VICTOR_EXPECTED.read_text())["teams"]
KEYS = ("severity", "current_value", "baseline_value", "impact_magnitude")


def _without_formation(insights):
    # The reference's formation rule compares milliseconds with seconds and always fires;
    # teamtune redesigned it (the fixture's note says so).
    return [i for i in insights if not i.bottleneck.startswith("suboptimal_formation")]


def _check(team, insights):
    want = EXPECTED[team]
    got = _without_formation(insights)
    assert [i.bottleneck for i in got] == [w["bottleneck"] for w in want]
    for g, w in zip(got, want):
        for k in KEYS:
            assert getattr(g, k) == pytest.approx(w[k], abs=1e-6), (team, g.bottleneck, k)


@pytest.mark.parametrize("team", sorted(EXPECTED))
def test_the_seed_analyzer_gives_the_reference_insights(team):
    analyzer = teamtune.PerformanceAnalyzer()
    analyzer.load_metrics_from_file(VICTOR_METRICS)
    insights = analyzer.analyze_team_workflow(team_id=team)
    assert all(isinstance(i, teamtune.PerformanceInsight) for i in insights)
    _check(team, insights)
    d = insights[0].to_dict()
    assert list(d) == [
        "bottleneck",
        "severity",
        "current_value",
        "baseline_value",
        "impact_magnitude",
        "recommendation",
        "affected_components",
    ]


def test_the_five_reference_insights_come_out():
    analyzer = teamtune.PerformanceAnalyzer()
    analyzer.load_metrics_from_file(str(VICTOR_METRICS))
    names = set()
    for team in EXPECTED:
        names |= {i.bottleneck for i in _without_formation(analyzer.analyze_team_workflow(team))}
    assert names == {
        "slow_execution",
        "high_latency_outliers",
        "low_success_rate",
        "excessive_tool_usage",
        "oversized_team",
    }


def test_records_held_in_memory_are_analysed_like_the_file():
    records = json.loads(VICTOR_METRICS.read_text())
    analyzer = teamtune.PerformanceAnalyzer(metrics_history=records)
    _check("test_team", analyzer.analyze_team_workflow("test_team"))


@pytest.mark.parametrize("team", sorted(EXPECTED))
def test_the_pythonic_autotuner_with_victor_baselines(team, store):
    tuner = teamtune.Autotuner(store=store, baselines="victor")
    report = tuner.analyze(team, metrics=VICTOR_METRICS)
    assert report.team_id == team and report.runs == len(
        [r for r in json.loads(VICTOR_METRICS.read_text()) if r["team_id"] == team]
    )
    _check(team, report.insights)
    assert report.to_dict()["baselines"]["source"] == "victor"


def test_without_a_team_every_loaded_record_is_analysed_together():
    analyzer = teamtune.PerformanceAnalyzer()
    analyzer.load_metrics_from_file(VICTOR_METRICS)
    insights = {i.bottleneck: i for i in analyzer.analyze_team_workflow()}
    durations = [r["duration_seconds"] for r in json.loads(VICTOR_METRICS.read_text())]
    assert insights["slow_execution"].current_value == pytest.approx(
        sum(durations) / len(durations)
    )
    with pytest.raises(TypeError, match="pass team_id"):
        teamtune.PerformanceAnalyzer(store="unused.db").analyze_team_workflow()
