"""The package's example: a Python team recorded with team_run, then tuned with suggest."""

from __future__ import annotations

from pathlib import Path

from conftest import python

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "python_team.py"


def test_the_python_team_example_records_and_gets_a_suggestion(tmp_path):
    store = tmp_path / "review.db"
    out = python([str(EXAMPLE), "--runs", "12", "--store", str(store)], cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    assert f"recorded 12 runs of review_team in {store}" in out.stdout
    # Independent reviewers one after another: the runs show they could run concurrently.
    assert "sequential -> parallel" in out.stdout, out.stdout
