"""Bad input raises the right exception, with the CLI's message naming the file and field."""

from __future__ import annotations

import json
import subprocess

import pytest

import teamtune
from conftest import cli


def _bad_metrics(tmp_path):
    path = tmp_path / "bad.json"
    path.write_text(
        json.dumps(
            [
                {"team_id": "t", "duration_seconds": 5},
                {"team_id": "t", "success": "false"},
            ]
        )
    )
    return path


def test_a_bad_record_names_the_file_the_index_and_the_field(tmp_path, store):
    path = _bad_metrics(tmp_path)
    analyzer = teamtune.PerformanceAnalyzer()
    with pytest.raises(teamtune.InputError) as e:
        analyzer.load_metrics_from_file(path)
    assert e.value.path == str(path)
    assert str(path) in str(e.value) and 'record 1: field "success"' in str(e.value)
    assert isinstance(e.value, ValueError) and e.value.exit_code == 2
    with pytest.raises(teamtune.InputError, match='record 1: field "success"'):
        teamtune.Autotuner(store=store).analyze("t", metrics=path)
    bad = teamtune.PerformanceAnalyzer(metrics_history=[{"team_id": "t", "duration_seconds": -1}])
    with pytest.raises(teamtune.InputError, match='metrics_history: .*record 0: field "duration_seconds"'):
        bad.analyze_team_workflow("t")


def test_a_bad_workflow_names_file_line_and_column(tmp_path, store):
    path = tmp_path / "wf.yaml"
    path.write_text(
        "workflows:\n  w:\n    nodes:\n      - id: t\n        type: team\n"
        "        team_formation: sideways\n        members: [{id: a}]\n"
    )
    with pytest.raises(teamtune.WorkflowError) as e:
        teamtune.Autotuner(store=store).run(path)
    assert f"{path}:6:" in str(e.value) and "sideways" in str(e.value)
    assert e.value.path == str(path)


def test_no_store_no_runs_and_unknown_teams(tmp_path, store, audit):
    tuner = teamtune.Autotuner(store=store)
    with pytest.raises(teamtune.NoRunsError, match="no store at .*\n  hint: record runs"):
        tuner.analyze("audit_team")
    tuner.run(audit, runs=3, seed=1)
    with pytest.raises(teamtune.NoRunsError, match=r"teams recorded: audit_team"):
        tuner.analyze("nobody")
    with pytest.raises(teamtune.TeamNotFoundError, match="nobody"):
        tuner.suggest("nobody", audit)
    with pytest.raises(LookupError):
        tuner.analyze("nobody")
    # The seed's API returns nothing for a team without runs, as the reference does.
    assert teamtune.PerformanceAnalyzer(store=store).analyze_team_workflow("nobody") == []


def test_history_errors(store, audit):
    tuner = teamtune.Autotuner(store=store)
    tuner.run(audit, runs=3, seed=1)
    with pytest.raises(teamtune.HistoryError, match="has no history to roll back"):
        tuner.rollback("audit_team")


def test_arguments_python_checks(store, audit):
    tuner = teamtune.Autotuner(store=store)
    with pytest.raises(ValueError, match="runs must be at least 1"):
        tuner.run(audit, runs=0)
    with pytest.raises(teamtune.InputError, match="pick one"):
        tuner.apply("audit_team", audit)
    with pytest.raises(teamtune.InputError, match="objective `fast`"):
        tuner.apply("audit_team", audit, auto=True, objective="fast")
    with pytest.raises(teamtune.InputError, match="unknown field `colour`"):
        tuner.suggest("t", {"formation": "parallel", "member_count": 2, "colour": "red"})
    with pytest.raises(teamtune.InputError, match="unknown team_formation `sideways`"):
        tuner.suggest("t", {"formation": "sideways", "member_count": 2})
    with pytest.raises(teamtune.InputError, match="baselines"):
        teamtune.Autotuner(store=store, baselines={"avg_duration_seconds": -1})
    with pytest.raises(TypeError):
        teamtune.PerformanceAutotuner(strategies=[object()])


@pytest.mark.skipif(cli() is None, reason="TEAMTUNE_BIN (the CLI binary) is not set")
def test_messages_are_the_clis(tmp_path, store, audit):
    path = _bad_metrics(tmp_path)
    out = subprocess.run(
        [str(cli()), "analyze", "--team-id", "t", "--metrics", str(path)],
        capture_output=True,
        text=True,
    )
    assert out.returncode == 2
    with pytest.raises(teamtune.InputError) as e:
        teamtune.Autotuner(store=store).analyze("t", metrics=path)
    assert out.stderr.strip() == f"teamtune: {e.value}"
    out = subprocess.run(
        [str(cli()), "rollback", "--team-id", "audit_team", "--store", store],
        capture_output=True,
        text=True,
    )
    with pytest.raises(teamtune.TeamtuneError) as e:
        teamtune.Autotuner(store=store).rollback("audit_team")
    assert out.stderr.strip() == f"teamtune: {e.value}"
    assert out.returncode == e.value.exit_code
