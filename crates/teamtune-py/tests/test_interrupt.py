"""Ctrl-C stops a long call: the finished runs are recorded, KeyboardInterrupt is raised,
and the program can go on."""

from __future__ import annotations

import asyncio
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

import teamtune

WORKFLOW = """
workflows:
  slow:
    nodes:
      - id: slow_team
        type: team
        team_formation: sequential
        members:
          - id: sleeper
            command: ["{python}", "-c", "import time; time.sleep(0.2); print('done')"]
"""

SCRIPT = """
import sys, time, teamtune
tuner = teamtune.Autotuner(store=sys.argv[2])
print("started", flush=True)
started = time.monotonic()
try:
    tuner.run(sys.argv[1], runs=1000, seed=1)
    print("finished", flush=True)
except KeyboardInterrupt:
    print(f"interrupted after {time.monotonic() - started:.1f}s", flush=True)
# The stop request was cleared: the program goes on and runs again.
again = tuner.run(sys.argv[1], runs=1, seed=2)
print(f"again {again.succeeded}", flush=True)
print(f"recorded {tuner.analyze('slow_team').runs}", flush=True)
"""


def test_ctrl_c_stops_a_long_run_and_keeps_the_finished_runs(tmp_path: Path):
    workflow = tmp_path / "slow.yaml"
    workflow.write_text(WORKFLOW.replace("{python}", sys.executable))
    script = tmp_path / "long_run.py"
    script.write_text(SCRIPT)
    store = tmp_path / "s.db"
    proc = subprocess.Popen(
        [sys.executable, str(script), str(workflow), str(store)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    assert proc.stdout.readline().strip() == "started"
    time.sleep(2.0)  # some runs finish (each takes about 0.2 s)
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err
    lines = out.splitlines()
    assert lines[0].startswith("interrupted after "), out
    assert float(lines[0].split()[-1].rstrip("s")) < 30
    assert lines[1] == "again 1"
    recorded = int(lines[2].split()[1])
    assert 2 <= recorded < 1000, out
    # Every run that finished was recorded, the interrupted one was not half-written.
    assert teamtune.Autotuner(store=str(store)).analyze("slow_team").runs == recorded


def test_cancelling_a_seed_coroutine_stops_its_runs(tmp_path: Path):
    from teamtune._calls import in_thread

    workflow = tmp_path / "slow.yaml"
    workflow.write_text(WORKFLOW.replace("{python}", sys.executable))
    tuner = teamtune.Autotuner(store=str(tmp_path / "s.db"))

    async def cancel_after_a_while() -> None:
        task = asyncio.ensure_future(
            in_thread(tuner._native.run, str(workflow), 1000, 1, None, None, True)
        )
        await asyncio.sleep(1.5)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task

    started = time.monotonic()
    asyncio.run(cancel_after_a_while())
    assert time.monotonic() - started < 30
    recorded = tuner.analyze("slow_team").runs
    assert 1 <= recorded < 1000
    assert tuner.run(workflow, runs=1, seed=2).succeeded == 1  # the stop was cleared
