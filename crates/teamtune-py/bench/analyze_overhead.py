"""The overhead of calling teamtune from Python: ``analyze`` of one team in a large metrics
file, in-process from Python against the ``teamtune`` CLI on the same file.

    cargo run --release -p teamtune-metrics --example metrics_speed    # writes the 1M-record file
    cargo build --release -p teamtune-cli
    (cd crates/teamtune-py && maturin build --release -o dist) && pip install crates/teamtune-py/dist/*.whl
    python crates/teamtune-py/bench/analyze_overhead.py --metrics $TMPDIR/teamtune-metrics-1000000.json \\
        --cli target/release/teamtune

Then the fixed cost of one call, on a metrics file of a few records (``--small``).

Prints, for each way, the best and the median wall time of ``--repeat`` rounds (after one
warm-up round, so the file is in the page cache for every way alike) and checks that all
ways found the same insights.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import time
from typing import Callable, Dict, List

import teamtune


def timed(call: Callable[[], object], repeat: int) -> List[float]:
    call()
    out = []
    for _ in range(repeat):
        started = time.perf_counter()
        call()
        out.append(time.perf_counter() - started)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--metrics", required=True, help="a Victor-shaped metrics file")
    parser.add_argument("--cli", required=True, help="the teamtune binary (release)")
    parser.add_argument("--team-id", default="team_0")
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument(
        "--small",
        default="crates/teamtune-metrics/tests/fixtures/victor-fixture-metrics.json",
        help="a small metrics file: the fixed cost of one call",
    )
    parser.add_argument("--small-team-id", default="test_team")
    args = parser.parse_args()

    cli = [args.cli, "analyze", "--team-id", args.team_id, "--metrics", args.metrics]
    cli += ["--baselines", "victor", "--json"]
    tuner = teamtune.Autotuner(baselines="victor")
    results: Dict[str, object] = {}

    def via_cli() -> None:
        out = subprocess.run(cli, capture_output=True, text=True, check=True)
        results["cli"] = [i["bottleneck"] for i in json.loads(out.stdout)["insights"]]

    def via_autotuner() -> None:
        report = tuner.analyze(args.team_id, metrics=args.metrics)
        results["autotuner"] = [i.bottleneck for i in report.insights]

    def via_seed_api() -> None:
        analyzer = teamtune.PerformanceAnalyzer()
        analyzer.load_metrics_from_file(args.metrics)  # reads (and checks) the file once more
        results["seed"] = [i.bottleneck for i in analyzer.analyze_team_workflow(args.team_id)]

    ways = [
        ("teamtune CLI (a process per call)", via_cli),
        ("teamtune.Autotuner.analyze (in-process)", via_autotuner),
        ("PerformanceAnalyzer: load_metrics_from_file + analyze_team_workflow", via_seed_api),
    ]
    print(f"analyze --team-id {args.team_id} on {args.metrics}, {args.repeat} rounds each")
    for name, call in ways:
        t = timed(call, args.repeat)
        print(f"  {name}: best {min(t):.3f} s, median {statistics.median(t):.3f} s")
    if not (results["cli"] == results["autotuner"] == results["seed"]):
        raise SystemExit(f"the ways disagree: {results}")
    print(f"  same insights every way: {', '.join(results['cli'])}")  # type: ignore[arg-type]

    # The fixed cost of a call: the same on a file of a few records, many rounds.
    small = [args.cli, "analyze", "--team-id", args.small_team_id, "--metrics", args.small]
    small += ["--baselines", "victor", "--json"]
    rounds = 50
    cli_t = timed(lambda: subprocess.run(small, capture_output=True, check=True), rounds)
    py_t = timed(lambda: tuner.analyze(args.small_team_id, metrics=args.small), rounds)
    print(f"analyze --team-id {args.small_team_id} on {args.small}, {rounds} rounds each")
    print(f"  teamtune CLI: median {statistics.median(cli_t) * 1e3:.2f} ms")
    print(f"  teamtune.Autotuner.analyze: median {statistics.median(py_t) * 1e3:.2f} ms")


if __name__ == "__main__":
    main()
