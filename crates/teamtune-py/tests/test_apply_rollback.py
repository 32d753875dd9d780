"""apply edits the workflow file in place; rollback restores it byte for byte."""

from __future__ import annotations

import asyncio

import pytest

import teamtune


def test_apply_auto_then_rollback_restores_the_file(audit, store):
    original = audit.read_bytes()
    tuner = teamtune.Autotuner(store=store)
    tuner.run(audit, runs=30, seed=1)
    results = tuner.apply("audit_team", audit, auto=True, seed=1)
    kept = [r for r in results if r.success]
    assert kept, [r.reason for r in results]
    assert kept[0].validation_status == "passed"
    assert kept[0].history_index == 0
    assert kept[0].trial_runs > 0
    edited = audit.read_text()
    assert edited != original.decode()
    assert "# each auditor waits for the previous one" in edited  # comments kept
    history = tuner.history("audit_team")
    assert [e.index for e in history] == list(range(len(kept)))
    assert all(e.kind == "apply" and e.status == "kept" for e in history)
    report = tuner.rollback("audit_team", index=0)
    assert report.restored_before_index == 0
    assert audit.read_bytes() == original
    assert tuner.history("audit_team")[-1].kind == "rollback"


def test_apply_a_suggest_report_and_roll_back_the_latest(audit, store):
    original = audit.read_bytes()
    tuner = teamtune.Autotuner(store=store)
    tuner.run(audit, runs=30, seed=1)
    report = tuner.suggest("audit_team", audit)
    top = report.suggestions[0]
    results = tuner.apply("audit_team", audit, suggestion=report, pick=top.id, runs=10, seed=3)
    assert len(results) == 1 and results[0].optimization.id == top.id
    assert results[0].success, results[0].reason
    assert audit.read_bytes() != original
    tuner.rollback("audit_team")  # -1: the latest entry
    assert audit.read_bytes() == original


def test_dry_run_writes_nothing(audit, store):
    original = audit.read_bytes()
    tuner = teamtune.Autotuner(store=store)
    tuner.run(audit, runs=30, seed=1)
    report = tuner.suggest("audit_team", audit)
    results = tuner.apply("audit_team", audit, suggestion=report.suggestions[:1], dry_run=True)
    assert results[0].validation_status == "dry_run"
    assert audit.read_bytes() == original
    assert tuner.history("audit_team") == []


def test_the_seed_api_applies_and_rolls_back_from_asyncio(audit, store):
    original = audit.read_bytes()
    teamtune.Autotuner(store=store).run(audit, runs=30, seed=1)
    autotuner = teamtune.PerformanceAutotuner(store=store)
    suggestions = autotuner.suggest_optimizations("audit_team", str(audit))
    assert isinstance(suggestions[0], teamtune.OptimizationSuggestion)
    assert isinstance(suggestions[0].type, teamtune.OptimizationType)

    async def tune():
        result = await autotuner.apply_optimizations("audit_team", suggestions, audit)
        assert result.success and result.validation_status == "passed", result.reason
        assert audit.read_bytes() != original
        assert len(autotuner.get_optimization_history("audit_team")) == 1
        assert await autotuner.rollback_optimization("audit_team") is True
        assert await autotuner.rollback_optimization("audit_team", rollback_index=5) is False

    asyncio.run(tune())
    assert audit.read_bytes() == original


def test_a_workflow_document_is_tested_on_a_copy(audit, store):
    # The reference's CLI passes the parsed workflow file (yaml.safe_load's dict).
    document = {
        "workflows": {
            "audit": {
                "nodes": [
                    {
                        "id": "audit_team",
                        "type": "team",
                        "team_formation": "sequential",
                        "sim": {"work_calls": 40, "think_s": 10, "failure_rate": 0},
                        "members": [{"id": m} for m in "abcd"],
                    }
                ]
            }
        }
    }
    autotuner = teamtune.PerformanceAutotuner(store=store)
    before = repr(document)
    result = asyncio.run(
        autotuner.apply_optimizations(
            "audit_team",
            [
                teamtune.OptimizationSuggestion(
                    type=teamtune.OptimizationType.FORMATION_SELECTION,
                    priority=teamtune.OptimizationPriority.CRITICAL,
                    description="Switch formation from sequential to parallel",
                    current_config={"team_formation": "sequential"},
                    suggested_config={"team_formation": "parallel"},
                    expected_improvement=50.0,
                    confidence=0.75,
                    risk_level=0.4,
                )
            ],
            document,
        )
    )
    assert result.success and result.validation_status == "passed"
    assert result.improvement_percentage > 50
    assert result.rollback_config is document and repr(document) == before


def test_a_described_team_cannot_be_applied(store):
    autotuner = teamtune.PerformanceAutotuner(store=store)
    s = teamtune.OptimizationSuggestion(
        type=teamtune.OptimizationType.TEAM_SIZING,
        priority=teamtune.OptimizationPriority.HIGH,
        description="x",
        current_config={},
        suggested_config={},
        expected_improvement=1.0,
        confidence=1.0,
        risk_level=0.0,
    )
    with pytest.raises(TypeError, match="workflow file's path"):
        asyncio.run(autotuner.apply_optimizations("t", [s], {"formation": "parallel"}))
