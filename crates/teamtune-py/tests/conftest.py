"""Shared fixtures: the repository's files, a scratch store, and a copy of a workflow."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Dict, List, Optional

import pytest

REPO = Path(__file__).resolve().parents[3]
FIXTURES = REPO / "crates" / "teamtune-metrics" / "tests" / "fixtures"
VICTOR_METRICS = FIXTURES / "victor-fixture-metrics.json"
VICTOR_EXPECTED = FIXTURES / "victor-fixture-expected-insights.json"
AUDIT = REPO / "examples" / "sequential-audit.yaml"


@pytest.fixture
def store(tmp_path: Path) -> str:
    return str(tmp_path / "teamtune.db")


@pytest.fixture
def audit(tmp_path: Path) -> Path:
    """A copy of the sequential audit team: the tests edit it in place."""
    path = tmp_path / "audit.yaml"
    shutil.copyfile(AUDIT, path)
    return path


def python(
    args: List[str], cwd: Path, env: Optional[Dict[str, str]] = None, timeout: float = 300
) -> subprocess.CompletedProcess:
    """Runs this Python (the one with teamtune installed) on `args`."""
    full = dict(os.environ)
    full.update(env or {})
    return subprocess.run(
        [sys.executable, *args],
        cwd=cwd,
        env=full,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def cli() -> Optional[Path]:
    """The `teamtune` binary CI built (TEAMTUNE_BIN), to compare messages with."""
    path = os.environ.get("TEAMTUNE_BIN")
    return Path(path) if path else None
