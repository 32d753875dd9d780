"""Recording team runs made in Python into teamtune's store.

A team that runs in Python (plain code, LangGraph, CrewAI, AutoGen, the OpenAI Agents SDK)
records each run with a context manager::

    with teamtune.team_run("review_team", formation="parallel") as run:
        with run.timed("security") as m:          # measured for you
            answer = call_model(...)
            m.turn(think_seconds=1.2, tool_call_seconds=[0.3, 0.4], tokens_in=900)
        run.member("style", duration_seconds=2.5, tool_calls=3)   # or measured by you

The run is written to the store when the block ends (also when it raises: then it is a
failed run, and the exception goes on). Runs go to the same SQLite store as ``teamtune run``,
so ``teamtune analyze``, ``suggest`` and ``report`` read them; several processes may record
into one store at once.

A run is recorded under its team's configuration: the ``config`` given (formation, members,
budgets, timeout; see ``Autotuner.suggest``), else the formation and the members it recorded.
``suggest`` reads the runs of the team's latest configuration, so change ``config`` when the
team's code changes.
"""

from __future__ import annotations

import json
import math
import os
import sys
import time
import uuid
from types import TracebackType
from typing import Any, Dict, Iterable, List, Optional, Sequence, Type, Union

from . import _native

__all__ = ["TeamRun", "MemberRun", "team_run", "STOP_CAUSES"]

#: Why a member or a turn stopped, as the store records it.
STOP_CAUSES = ("done", "budget_exhausted", "timeout", "error", "hang_killed")

Config = Dict[str, Any]


def _seconds(what: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(f"{what} must be a number of seconds, not {type(value).__name__}")
    if not (math.isfinite(value) and value >= 0):
        raise ValueError(f"{what} {value} must be a number of seconds >= 0")
    return float(value)


def _count(what: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{what} must be a whole number, not {type(value).__name__}")
    if value < 0:
        raise ValueError(f"{what} {value} must be >= 0")
    return value


def _cause(what: str, value: Optional[str]) -> Optional[str]:
    if value is not None and value not in STOP_CAUSES:
        raise ValueError(f"{what} `{value}`: valid causes are {', '.join(STOP_CAUSES)}")
    return value


def _turn(
    what: str,
    think_seconds: float,
    tool_call_seconds: Iterable[float] = (),
    tokens_in: Optional[int] = None,
    tokens_out: Optional[int] = None,
    stop_cause: Optional[str] = None,
) -> Dict[str, Any]:
    return {
        "think_seconds": _seconds(f"{what}: think_seconds", think_seconds),
        "tool_call_seconds": [
            _seconds(f"{what}: tool_call_seconds", s) for s in tool_call_seconds
        ],
        "tokens_in": None if tokens_in is None else _count(f"{what}: tokens_in", tokens_in),
        "tokens_out": None if tokens_out is None else _count(f"{what}: tokens_out", tokens_out),
        "stop_cause": _cause(f"{what}: stop_cause", stop_cause),
    }


class MemberRun:
    """A member being measured inside ``TeamRun.timed``: add its turns and tool calls."""

    def __init__(self, team: "TeamRun", member_id: str, role: str) -> None:
        self._team = team
        self.member_id = member_id
        self.role = role
        self.turns: List[Dict[str, Any]] = []
        self.tools_used: List[str] = []
        self.tool_calls = 0
        self.error: Optional[str] = None
        self.stop_cause: Optional[str] = None
        self._started = time.monotonic()

    def turn(
        self,
        think_seconds: float,
        tool_call_seconds: Sequence[float] = (),
        *,
        tokens_in: Optional[int] = None,
        tokens_out: Optional[int] = None,
        stop_cause: Optional[str] = None,
    ) -> None:
        """One turn: time not spent in tool calls (model time), each tool call's latency,
        and the tokens it used, when known. The twin (``whatif``, ``apply --auto``) is fitted
        from turns."""
        what = f"member `{self.member_id}`, turn {len(self.turns)}"
        self.turns.append(
            _turn(what, think_seconds, tool_call_seconds, tokens_in, tokens_out, stop_cause)
        )
        self.tool_calls += len(tool_call_seconds)

    def tool(self, name: str) -> None:
        """Notes that the member used tool ``name`` (Victor's ``tools_used``)."""
        if name not in self.tools_used:
            self.tools_used.append(name)

    def fail(self, error: str, stop_cause: Optional[str] = None) -> None:
        """Marks the member failed with ``error`` (a timeout or exhausted tool budget is
        recognised from the text, or give ``stop_cause``)."""
        self.error = str(error)
        self.stop_cause = _cause(f"member `{self.member_id}`: stop_cause", stop_cause)

    def __enter__(self) -> "MemberRun":
        self._started = time.monotonic()
        return self

    def __exit__(
        self,
        exc_type: Optional[Type[BaseException]],
        exc: Optional[BaseException],
        tb: Optional[TracebackType],
    ) -> None:
        if exc is not None and self.error is None:
            self.error = f"{type(exc).__name__}: {exc}"
        self._team._add(
            {
                "member_id": self.member_id,
                "role": self.role,
                "success": self.error is None,
                "duration_seconds": time.monotonic() - self._started,
                "tool_calls_used": self.tool_calls,
                "tools_used": list(self.tools_used),
                "error_message": self.error,
                "stop_cause": self.stop_cause,
                "end_unix": time.time(),
                "turns": self.turns,
            }
        )


class TeamRun:
    """One run of a team, recorded into the store when the ``with`` block ends.

    ``formation``: how the members ran (sequential, parallel, pipeline, hierarchical,
    consensus). ``config``: the team's configuration, as ``Autotuner.suggest`` takes it
    (default: the formation and the members recorded). ``store``: the store's path (default
    ``TEAMTUNE_STORE``, else ``.teamtune/teamtune.db``).
    """

    def __init__(
        self,
        team_id: str,
        formation: str = "sequential",
        *,
        config: Optional[Config] = None,
        store: Union[str, "os.PathLike[str]", None] = None,
    ) -> None:
        if not isinstance(team_id, str) or not team_id:
            raise ValueError("team_id must be a non-empty string")
        self.team_id = team_id
        self.formation = formation
        self.config = config
        self._tuner = _native.Tuner(store)
        self.members: List[Dict[str, Any]] = []
        self.success: Optional[bool] = None
        self.error: Optional[str] = None
        self.consensus_achieved: Optional[bool] = None
        self.consensus_rounds: Optional[int] = None
        self._start_unix = time.time()
        self._started = time.monotonic()
        self._duration: Optional[float] = None
        self.recorded = False

    @property
    def store(self) -> str:
        """The store the run is recorded in."""
        return self._tuner.store

    def member(
        self,
        member_id: str,
        *,
        duration_seconds: Optional[float] = None,
        success: bool = True,
        tool_calls: Optional[int] = None,
        role: str = "assistant",
        tools_used: Sequence[str] = (),
        error: Optional[str] = None,
        stop_cause: Optional[str] = None,
        turns: Optional[Sequence[Dict[str, Any]]] = None,
    ) -> None:
        """Records a member that has finished. ``turns``: dicts with ``think_seconds``,
        ``tool_call_seconds`` (a list), and optionally ``tokens_in``, ``tokens_out``,
        ``stop_cause``. Without ``duration_seconds`` the turns' time is used; without
        ``tool_calls``, the turns' tool calls."""
        what = f"member `{member_id}`"
        checked = [
            _turn(f"{what}, turn {i}", **t) for i, t in enumerate(turns or ())
        ]
        if duration_seconds is None:
            if not checked:
                raise ValueError(f"{what}: give duration_seconds or turns")
            duration_seconds = sum(
                t["think_seconds"] + sum(t["tool_call_seconds"]) for t in checked
            )
        if tool_calls is None:
            tool_calls = sum(len(t["tool_call_seconds"]) for t in checked)
        if error is not None:
            success = False
        self._add(
            {
                "member_id": member_id,
                "role": role,
                "success": bool(success),
                "duration_seconds": _seconds(f"{what}: duration_seconds", duration_seconds),
                "tool_calls_used": _count(f"{what}: tool_calls", tool_calls),
                "tools_used": list(tools_used),
                "error_message": error if error is not None or success else "failed",
                "stop_cause": _cause(f"{what}: stop_cause", stop_cause),
                "end_unix": None,
                "turns": checked,
            }
        )

    def timed(self, member_id: str, role: str = "assistant") -> MemberRun:
        """A context manager that measures a member: ``with run.timed("writer") as m:``.
        An exception inside marks the member failed (and goes on)."""
        return MemberRun(self, member_id, role)

    def fail(self, error: str) -> None:
        """Marks the whole run failed with ``error``."""
        self.success = False
        self.error = str(error)

    def consensus(self, achieved: bool, rounds: int) -> None:
        """For a consensus team: whether it agreed, and in how many rounds."""
        self.consensus_achieved = bool(achieved)
        self.consensus_rounds = _count("consensus rounds", rounds)

    def finish(self, duration_seconds: Optional[float] = None) -> Dict[str, Any]:
        """Ends the run (measured unless ``duration_seconds`` is given) and records it;
        ``with`` does this. Returns what was recorded."""
        if self.recorded:
            raise RuntimeError(f"team run of `{self.team_id}` is already recorded")
        duration = (
            time.monotonic() - self._started
            if duration_seconds is None
            else _seconds("duration_seconds", duration_seconds)
        )
        success = (
            self.success
            if self.success is not None
            else all(m["success"] for m in self.members)
        )
        error = self.error
        if not success and error is None:
            failed = [m for m in self.members if not m["success"]]
            error = (
                f"member {failed[0]['member_id']} failed: {failed[0]['error_message']}"
                if failed
                else "failed"
            )
        run = {
            "run_id": f"py-{uuid.uuid4().hex}",
            "team_id": self.team_id,
            "formation": self.formation,
            "config": self.config,
            "success": success,
            "start_unix": self._start_unix,
            "duration_seconds": duration,
            "error": error,
            "consensus_achieved": self.consensus_achieved,
            "consensus_rounds": self.consensus_rounds,
            "program": os.path.abspath(sys.argv[0]) if sys.argv and sys.argv[0] else "python",
            "members": self.members,
        }
        self._tuner.record(json.dumps([run]))
        self.recorded = True
        return run

    def _add(self, member: Dict[str, Any]) -> None:
        if any(m["member_id"] == member["member_id"] for m in self.members):
            raise ValueError(
                f"member `{member['member_id']}` is already recorded in this run of "
                f"`{self.team_id}`"
            )
        self.members.append(member)

    def __enter__(self) -> "TeamRun":
        self._start_unix = time.time()
        self._started = time.monotonic()
        return self

    def __exit__(
        self,
        exc_type: Optional[Type[BaseException]],
        exc: Optional[BaseException],
        tb: Optional[TracebackType],
    ) -> None:
        if exc is not None and self.error is None:
            if isinstance(exc, KeyboardInterrupt):
                return  # the run was abandoned, not finished: nothing to record
            self.fail(f"{type(exc).__name__}: {exc}")
        if not self.recorded:
            self.finish()


def team_run(
    team_id: str,
    formation: str = "sequential",
    *,
    config: Optional[Config] = None,
    store: Union[str, "os.PathLike[str]", None] = None,
) -> TeamRun:
    """A context manager that records one run of team ``team_id`` (see ``TeamRun``)."""
    return TeamRun(team_id, formation, config=config, store=store)
