"""Recording team runs from Python: team_run, the seed's collector, several processes."""

from __future__ import annotations

import json
import multiprocessing
import sqlite3

import pytest

import teamtune

CONFIG = {"team_formation": "parallel", "members": ["a", "b"]}


def _record(store: str, worker: int, runs: int) -> None:
    tuner = teamtune.Autotuner(store=store)
    for i in range(runs):
        with tuner.team_run("crowd", formation="parallel", config=CONFIG) as run:
            run.member("a", duration_seconds=1.0 + worker, tool_calls=2)
            run.member(
                "b",
                turns=[{"think_seconds": 0.5, "tool_call_seconds": [0.1, 0.2]}],
                success=i % 5 != 0,
            )


def test_several_processes_record_into_one_store_and_lose_nothing(store):
    processes, runs = 6, 40
    ctx = multiprocessing.get_context("spawn")
    workers = [ctx.Process(target=_record, args=(store, w, runs)) for w in range(processes)]
    for w in workers:
        w.start()
    for w in workers:
        w.join(120)
        assert w.exitcode == 0
    report = teamtune.Autotuner(store=store).analyze("crowd")
    assert report.runs == processes * runs
    with sqlite3.connect(store) as db:
        ids = [r[0] for r in db.execute("SELECT run_id FROM workflow_runs")]
    assert len(ids) == len(set(ids)) == processes * runs


def test_a_run_with_turns_is_read_back(store):
    tuner = teamtune.Autotuner(store=store)
    for _ in range(5):
        with tuner.team_run("solo", formation="sequential") as run:
            with run.timed("writer", role="writer") as m:
                m.turn(0.2, [0.05, 0.07], tokens_in=900, tokens_out=120)
                m.turn(0.1, [], tokens_in=950, tokens_out=60)
                m.tool("search")
    report = tuner.suggest("solo")
    assert report.runs == 5
    assert report.current_config["team_formation"] == "sequential"
    assert [m["id"] for m in report.current_config["members"]] == ["writer"]
    with sqlite3.connect(store) as db:
        records = [json.loads(r[0]) for r in db.execute("SELECT record_json FROM team_runs")]
    assert len(records) == 5
    writer = records[0]["member_metrics"]["writer"]
    assert writer["tools_used"] == ["search"] and writer["tool_calls_used"] == 2
    assert [t["tool_call_seconds"] for t in writer["turns"]] == [[0.05, 0.07], []]
    assert [t["tokens_in"] for t in writer["turns"]] == [900, 950]
    assert writer["turns"][0]["seconds"] == pytest.approx(0.32)
    assert records[0]["config_hash"] == report.config_hash


def test_an_exception_records_a_failed_run_and_goes_on(store):
    tuner = teamtune.Autotuner(store=store)
    with pytest.raises(RuntimeError, match="model down"):
        with tuner.team_run("flaky") as run:
            run.member("a", duration_seconds=1.0)
            raise RuntimeError("model down")
    with tuner.team_run("flaky") as run:
        run.member("a", duration_seconds=1.0)
    assert teamtune.Autotuner(store=store, baselines="victor").analyze("flaky").runs == 2
    analyzer = teamtune.PerformanceAnalyzer(store=store)
    names = [i.bottleneck for i in analyzer.analyze_team_workflow("flaky")]
    assert "low_success_rate" in names


def test_bad_member_figures_fail_where_they_are_given(store):
    run = teamtune.team_run("t", store=store)
    with pytest.raises(ValueError, match="duration_seconds -1"):
        run.member("a", duration_seconds=-1)
    with pytest.raises(TypeError, match="tool_calls must be a whole number"):
        run.member("a", duration_seconds=1, tool_calls=1.5)
    with pytest.raises(ValueError, match="give duration_seconds or turns"):
        run.member("a")
    run.member("a", duration_seconds=1)
    with pytest.raises(ValueError, match="already recorded"):
        run.member("a", duration_seconds=1)
    with pytest.raises(teamtune.InputError, match="formation `parallel` differs from the configuration's `sequential`"):
        with teamtune.team_run("t", formation="Parallel", config={"members": ["a"]}, store=store) as bad:
            bad.member("a", duration_seconds=1)
    with teamtune.team_run("t", formation="Parallel", store=store) as fine:
        fine.member("a", duration_seconds=1)
    with pytest.raises(teamtune.InputError, match="unknown team_formation `sideways`"):
        with teamtune.team_run("t", formation="sideways", store=store) as bad:
            bad.member("a", duration_seconds=1)


def test_the_seed_collector_records_into_the_store(store):
    collector = teamtune.TeamMetricsCollector(store=store)
    for i in range(4):
        collector.record_team_start("review_team", "parallel", 3, 1)
        for member in ("security", "style", "tests"):
            collector.record_member_complete(
                team_id="review_team",
                member_id=member,
                success=True,
                duration_seconds=5.0 + i,
                tool_calls_used=8,
                tools_used={"grep"},
            )
        collector.record_team_complete(team_id="review_team", success=True, duration_seconds=15.3)
    assert collector.get_summary()["total_teams_executed"] == 1
    analyzer = teamtune.PerformanceAnalyzer()
    analyzer.load_metrics_from_collector(collector)
    insights = analyzer.analyze_team_workflow("review_team")
    assert isinstance(insights, list)
    report = teamtune.Autotuner(store=store).analyze("review_team")
    assert report.runs == 4
