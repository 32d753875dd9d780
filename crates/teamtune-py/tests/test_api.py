"""The package's shape: names, docs, typed results, stubs."""

from __future__ import annotations

import dataclasses
import pydoc
from pathlib import Path

import teamtune
from conftest import VICTOR_METRICS


def test_help_is_useful():
    text = pydoc.render_doc(teamtune.PerformanceAutotuner, renderer=pydoc.plaintext)
    for needle in ("apply_optimizations", "A/B test", "rollback_optimization", "benchmark"):
        assert needle in text
    text = pydoc.render_doc(teamtune.Autotuner, renderer=pydoc.plaintext)
    for name in ("run", "analyze", "suggest", "whatif", "apply", "history", "rollback", "team_run"):
        assert f"{name}(" in text


def test_results_are_typed_and_round_trip_the_cli_json(store):
    report = teamtune.Autotuner(store=store, baselines="victor").analyze(
        "test_team", metrics=VICTOR_METRICS
    )
    assert dataclasses.is_dataclass(report) and dataclasses.is_dataclass(report.insights[0])
    assert isinstance(report.insights[0], teamtune.results.Insight)
    d = report.to_dict()
    assert set(d) >= {"team_id", "timestamp", "runs", "scope", "baselines", "insights"}
    assert d["insights"][0]["bottleneck"] == report.insights[0].bottleneck


def test_the_stubs_ship_with_the_package():
    root = Path(teamtune.__file__).parent
    assert (root / "_native.pyi").is_file() and (root / "py.typed").is_file()


def test_exceptions():
    assert issubclass(teamtune.InputError, teamtune.TeamtuneError)
    assert issubclass(teamtune.InputError, ValueError)
    assert issubclass(teamtune.NoRunsError, LookupError)
    assert teamtune.InputError("x").exit_code == 2
    assert teamtune.TeamtuneError("x").exit_code == 1


def test_whatif_from_python(audit, store):
    tuner = teamtune.Autotuner(store=store)
    tuner.run(audit, runs=30, seed=1)
    report = tuner.whatif("audit_team", audit, team_formation="parallel", runs=500)
    assert report.config["team_formation"] == "parallel"
    assert report.predicted["mean_duration_seconds"] < report.current["mean_duration_seconds"]
    assert report.fit["ok"]


def test_benchmark_two_files(audit, store, tmp_path):
    after = tmp_path / "after.yaml"
    after.write_text(audit.read_text().replace("team_formation: sequential", "team_formation: parallel"))
    report = teamtune.PerformanceAutotuner(store=store).benchmark(audit, after, runs=10)
    assert report.status == "passed" and report.improvement_percentage > 40
