"""A code-review team written in plain Python, recorded with teamtune and then tuned.

Three reviewers look at a change one after another (a sequential team). Each is a small agent
loop: the model thinks, asks for tool calls, and answers. The model here is a seeded
stand-in (``StandInModel``) so the example runs offline in a few seconds; replace it with
your client (OpenAI, Anthropic, a local model) and nothing else changes.

Every run is recorded with ``teamtune.Autotuner.team_run`` (per-turn think time, tool-call
latencies and tokens included), into the same store the ``teamtune`` CLI reads. Then
``suggest`` reads the team's runs and proposes changes::

    python examples/python_team.py --runs 20 --store /tmp/review.db
    teamtune analyze --team-id review_team --store /tmp/review.db     # the CLI reads them too
"""

from __future__ import annotations

import argparse
import random
import time
from typing import Dict, List

import teamtune

#: The team's configuration: what its runs are recorded under, and what suggestions change.
TEAM = {
    "team_formation": "sequential",
    "members": [
        {"id": "security", "role": "reviewer"},
        {"id": "style", "role": "reviewer"},
        {"id": "tests", "role": "reviewer"},
    ],
}


class StandInModel:
    """Stands in for an LLM client: seeded latency, tool requests and token counts."""

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)

    def complete(self, prompt: str) -> Dict[str, object]:
        time.sleep(self.rng.uniform(0.010, 0.030))  # the model's latency
        wants = self.rng.choice([[], ["grep"], ["grep", "read_file"]])
        return {
            "text": f"looked at {prompt}",
            "tool_calls": wants,
            "tokens_in": 300 + len(prompt),
            "tokens_out": self.rng.randint(40, 120),
        }


def run_tool(name: str) -> float:
    """Runs a tool; returns its latency."""
    started = time.monotonic()
    time.sleep(0.004)
    return time.monotonic() - started


def reviewer(model: StandInModel, member: teamtune.MemberRun, change: str) -> str:
    """One reviewer's agent loop: at most three turns, until the model needs no tool."""
    answer = ""
    for _ in range(3):
        started = time.monotonic()
        reply = model.complete(f"{member.member_id} reviews {change}")
        think = time.monotonic() - started
        calls: List[float] = []
        for name in reply["tool_calls"]:  # type: ignore[union-attr]
            calls.append(run_tool(name))
            member.tool(name)
        member.turn(
            think, calls, tokens_in=reply["tokens_in"], tokens_out=reply["tokens_out"]
        )
        answer = str(reply["text"])
        if not calls:
            break
    return answer


def review(tuner: teamtune.Autotuner, model: StandInModel, change: str) -> List[str]:
    """One run of the team, recorded when the block ends."""
    answers = []
    with tuner.team_run("review_team", formation="sequential", config=TEAM) as run:
        for m in TEAM["members"]:
            with run.timed(m["id"], role=m["role"]) as member:
                answers.append(reviewer(model, member, change))
    return answers


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--store", default=None, help="the store (default: TEAMTUNE_STORE)")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()

    tuner = teamtune.Autotuner(store=args.store)
    model = StandInModel(args.seed)
    for i in range(args.runs):
        review(tuner, model, f"change #{i}")
    print(f"recorded {args.runs} runs of review_team in {tuner.store}")

    for insight in tuner.analyze("review_team").insights:
        print(f"insight: {insight.bottleneck}: {insight.recommendation}")
    report = tuner.suggest("review_team", TEAM)
    print(f"{len(report.suggestions)} suggestions from {report.runs} runs:")
    for s in report.suggestions:
        print(f"  {s.id}  {s.priority:8} {s.description}  (+{s.expected_improvement:.0f}% expected)")


if __name__ == "__main__":
    main()
