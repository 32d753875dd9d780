#!/usr/bin/env python3
"""A teamtune command member that works in real time: bench/command-team/worker.py.

Protocol (crates/teamtune-engine/src/member/command.rs): teamtune writes one JSON object on
stdin, {goal, role, member_id, team_id, state, previous_output, tool_budget, tools}, and reads
{"output": ..., "tool_calls": N, "tools_used": [...], "tool_call_seconds": [...]} from stdout
(the per-call latencies are optional; they let the twin tell tool time from think time); a non-zero exit fails the
turn with the tail of stderr as the reason.

What one turn does (Python 3 standard library only):
  1. "thinks": sleeps a random --think-ms LO,HI milliseconds;
  2. sometimes stalls (--stall-rate): sleeps --stall-s seconds, far longer than the team's
     timeout, which kills it;
  3. draws the tool calls it needs (Poisson with mean --calls-mean) and "calls its tools":
     sleeps a random --call-ms LO,HI milliseconds per call, up to its budget;
  4. fails when it needed more calls than its budget ("tool budget exhausted", exit 3, after
     spending the budget) or at random (--fail-rate, exit 1), with the reason on stderr;
  5. prints its result.

The budget: teamtune sends the member's remaining tool budget in the stdin object as
`tool_budget` (null when the member has none), so the YAML's `tool_budget:` is what caps
the calls. `--budget N` caps them further (for running the script by hand).

By hand:  echo '{"member_id": "w", "tool_budget": 3}' | python3 -S bench/command-team/worker.py
"""

import argparse
import json
import math
import random
import sys
import time

DEFAULT_TOOLS = ["search", "read", "grep"]


def pair(text):
    """`LO,HI` as two non-negative numbers with LO <= HI."""
    try:
        lo, hi = (float(v) for v in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(f"`{text}` is not LO,HI")
    if not (0 <= lo <= hi):
        raise argparse.ArgumentTypeError(f"`{text}` needs 0 <= LO <= HI")
    return lo, hi


def non_negative(text):
    try:
        v = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"`{text}` is not a number")
    if not (v >= 0 and math.isfinite(v)):
        raise argparse.ArgumentTypeError(f"`{text}` is not a finite number >= 0")
    return v


def whole(text):
    try:
        v = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"`{text}` is not a whole number")
    if v < 0:
        raise argparse.ArgumentTypeError(f"`{text}` is below 0")
    return v


def rate(text):
    try:
        v = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"`{text}` is not a number")
    if not 0 <= v <= 1:
        raise argparse.ArgumentTypeError(f"`{text}` is not between 0 and 1")
    return v


def poisson(rng, mean):
    """Knuth's method: fine for the small means used here."""
    limit, k, p = math.exp(-mean), 0, 1.0
    while True:
        p *= rng.random()
        if p <= limit:
            return k
        k += 1


def fail(code, message):
    print(message, file=sys.stderr)
    sys.exit(code)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--think-ms", type=pair, default=(50, 200))
    ap.add_argument("--call-ms", type=pair, default=(20, 50))
    ap.add_argument("--calls-mean", type=non_negative, default=3.0)
    ap.add_argument("--fail-rate", type=rate, default=0.02)
    ap.add_argument("--stall-rate", type=rate, default=0.015)
    ap.add_argument("--stall-s", type=non_negative, default=30.0)
    ap.add_argument("--budget", type=whole, default=None)
    ap.add_argument("--seed", type=int, default=None, help="for reproducible runs by hand")
    args = ap.parse_args()

    try:
        request = json.loads(sys.stdin.read() or "{}")
    except json.JSONDecodeError as e:
        fail(2, f"stdin is not JSON: {e}")
    if not isinstance(request, dict):
        fail(2, "stdin is not a JSON object")

    budget = request.get("tool_budget")
    if budget is not None and not (
        isinstance(budget, int) and not isinstance(budget, bool) and budget >= 0
    ):
        fail(2, f"tool_budget {budget!r} is not a whole number >= 0")
    if args.budget is not None:
        budget = args.budget if budget is None else min(budget, args.budget)
    tools = [t for t in request.get("tools") or [] if isinstance(t, str)] or DEFAULT_TOOLS
    member = request.get("member_id") or "worker"

    rng = random.Random(args.seed)
    time.sleep(rng.uniform(*args.think_ms) / 1000)
    if rng.random() < args.stall_rate:
        time.sleep(args.stall_s)
        fail(1, f"stalled for {args.stall_s:g} s")

    needed = poisson(rng, args.calls_mean)
    calls = needed if budget is None else min(needed, budget)
    used = []
    latencies = []
    for _ in range(calls):
        tool = rng.choice(tools)
        if tool not in used:
            used.append(tool)
        started = time.monotonic()
        time.sleep(rng.uniform(*args.call_ms) / 1000)
        latencies.append(round(time.monotonic() - started, 4))
    if calls < needed:
        fail(3, f"tool budget exhausted: needed {needed} tool calls, budget {budget}")
    if rng.random() < args.fail_rate:
        fail(1, f"{member} failed after {calls} tool calls (simulated error)")

    result = {
        "member_id": member,
        "role": request.get("role"),
        "result": f"{member} finished its share of: {request.get('goal') or 'the work'}",
    }
    print(json.dumps({"output": result, "tool_calls": calls, "tools_used": used,
                      "tool_call_seconds": latencies}))


if __name__ == "__main__":
    main()
