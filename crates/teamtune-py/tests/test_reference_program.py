"""A program written for the reference's API runs against teamtune, with real results."""

from __future__ import annotations

from pathlib import Path

import teamtune
from conftest import VICTOR_METRICS, python

PROGRAM = Path(__file__).parent / "programs" / "reference_program.py"


def test_a_reference_program_runs_unchanged(tmp_path, audit, store):
    original = audit.read_bytes()
    teamtune.Autotuner(store=store).run(audit, runs=30, seed=1)
    out = python(
        [str(PROGRAM), str(VICTOR_METRICS), str(audit)],
        cwd=tmp_path,
        env={"TEAMTUNE_STORE": store},
    )
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    assert "insight slow_execution 1.00" in lines
    assert "insight low_success_rate 0.21" in lines
    assert any(line.startswith("suggestion ") for line in lines)
    # The A/B test ran for real and the change was written, then rolled back.
    result = next(line for line in lines if line.startswith("result "))
    assert result.startswith("result True passed "), out.stdout
    assert float(result.split()[-1]) > 5.0
    assert sum(line.startswith("history ") for line in lines) == 1
    assert "rollback True" in lines
    assert "rollback of a team without history False" in lines
    assert audit.read_bytes() == original
    # The trial runs and the history are in the store, as the CLI would have them.
    kinds = [e.kind for e in teamtune.Autotuner(store=store).history("audit_team")]
    assert kinds == ["apply", "rollback"]
