"""The seed's team metrics collector (Victor's ``victor.workflows.team_metrics``), recording
into teamtune's store.

``record_team_start``, ``record_member_complete`` and ``record_team_complete`` take the
reference's arguments; each completed team run is written to the store (as ``team_run``
writes it), where ``analyze``, ``suggest`` and the CLI read it. The in-memory summaries of the
reference (``get_summary`` and the others) are kept too.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timezone
from enum import Enum
from typing import Any, Dict, List, Optional, Set, Union

from . import _native
from .recording import TeamRun

logger = logging.getLogger("teamtune")

__all__ = [
    "MemberExecutionMetrics",
    "TeamExecutionMetrics",
    "MetricPriority",
    "TeamMetricsCollector",
    "get_team_metrics_collector",
    "record_team_execution",
]


@dataclass
class MemberExecutionMetrics:
    """Metrics for a single team member execution."""

    member_id: str
    role: str = "assistant"
    success: bool = True
    duration_seconds: float = 0.0
    tool_calls_used: int = 0
    tools_used: Set[str] = field(default_factory=set)
    error_message: Optional[str] = None
    start_time: Optional[datetime] = None
    end_time: Optional[datetime] = None

    def to_dict(self) -> Dict[str, Any]:
        return {
            "member_id": self.member_id,
            "role": self.role,
            "success": self.success,
            "duration_seconds": self.duration_seconds,
            "tool_calls_used": self.tool_calls_used,
            "tools_used": sorted(self.tools_used),
            "error_message": self.error_message,
            "start_time": self.start_time.isoformat() if self.start_time else None,
            "end_time": self.end_time.isoformat() if self.end_time else None,
        }


@dataclass
class TeamExecutionMetrics:
    """Metrics for a complete team execution."""

    team_id: str
    formation: str = "sequential"
    member_count: int = 0
    recursion_depth: int = 0
    success: bool = True
    duration_seconds: float = 0.0
    member_metrics: Dict[str, MemberExecutionMetrics] = field(default_factory=dict)
    total_tool_calls: int = 0
    unique_tools_used: Set[str] = field(default_factory=set)
    start_time: Optional[datetime] = None
    end_time: Optional[datetime] = None
    consensus_achieved: Optional[bool] = None
    consensus_rounds: Optional[int] = None

    def to_dict(self) -> Dict[str, Any]:
        return {
            "team_id": self.team_id,
            "formation": self.formation,
            "member_count": self.member_count,
            "recursion_depth": self.recursion_depth,
            "success": self.success,
            "duration_seconds": self.duration_seconds,
            "member_metrics": {k: v.to_dict() for k, v in self.member_metrics.items()},
            "total_tool_calls": self.total_tool_calls,
            "unique_tools_used": sorted(self.unique_tools_used),
            "start_time": self.start_time.isoformat() if self.start_time else None,
            "end_time": self.end_time.isoformat() if self.end_time else None,
            "consensus_achieved": self.consensus_achieved,
            "consensus_rounds": self.consensus_rounds,
        }


class MetricPriority(str, Enum):
    """Priority levels for metrics collection (kept for compatibility)."""

    CRITICAL = "critical"
    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"


class TeamMetricsCollector:
    """Collects team executions and records each completed one in teamtune's store.

    ``store``: the store's path (default ``TEAMTUNE_STORE``, else ``.teamtune/teamtune.db``).
    Thread-safe; several processes may record into one store at once.
    """

    _instance: Optional["TeamMetricsCollector"] = None
    _instance_lock = threading.Lock()

    def __init__(
        self,
        enabled: bool = True,
        priority_threshold: MetricPriority = MetricPriority.MEDIUM,
        *,
        store: Union[str, "os.PathLike[str]", None] = None,
    ) -> None:
        self._enabled = enabled
        self._priority_threshold = priority_threshold
        self._store = store
        self._team_metrics: Dict[str, TeamExecutionMetrics] = {}
        self._active: Dict[str, TeamRun] = {}
        self._lock = threading.RLock()

    @property
    def store(self) -> str:
        """The store runs are recorded in."""
        return _native.Tuner(self._store).store

    @classmethod
    def get_instance(cls) -> "TeamMetricsCollector":
        """The process-wide collector (on the default store)."""
        with cls._instance_lock:
            if cls._instance is None:
                cls._instance = cls()
            return cls._instance

    def record_team_start(
        self, team_id: str, formation: str, member_count: int, recursion_depth: int = 0
    ) -> None:
        """Record the start of a team execution."""
        if not self._enabled:
            return
        with self._lock:
            self._active[team_id] = TeamRun(team_id, formation, store=self._store)
            self._team_metrics[team_id] = TeamExecutionMetrics(
                team_id=team_id,
                formation=formation,
                member_count=member_count,
                recursion_depth=recursion_depth,
                start_time=datetime.now(timezone.utc),
            )

    def record_member_complete(
        self,
        team_id: str,
        member_id: str,
        success: bool,
        duration_seconds: float,
        tool_calls_used: int,
        tools_used: Optional[Set[str]] = None,
        error_message: Optional[str] = None,
        role: str = "assistant",
    ) -> None:
        """Record the completion of a team member execution (the team must have started)."""
        if not self._enabled:
            return
        with self._lock:
            run = self._active.get(team_id)
            if run is None:
                logger.warning("Team '%s' not found in metrics (record_team_start first)", team_id)
                return
            run.member(
                member_id,
                duration_seconds=duration_seconds,
                success=success,
                tool_calls=tool_calls_used,
                role=role,
                tools_used=sorted(tools_used or ()),
                error=error_message if not success else None,
            )
            team = self._team_metrics[team_id]
            end = datetime.now(timezone.utc)
            team.member_metrics[member_id] = MemberExecutionMetrics(
                member_id=member_id,
                role=role,
                success=success,
                duration_seconds=duration_seconds,
                tool_calls_used=tool_calls_used,
                tools_used=set(tools_used or ()),
                error_message=error_message,
                start_time=datetime.fromtimestamp(end.timestamp() - duration_seconds, timezone.utc),
                end_time=end,
            )
            team.total_tool_calls += tool_calls_used
            team.unique_tools_used.update(tools_used or ())

    def record_team_complete(
        self,
        team_id: str,
        success: bool,
        duration_seconds: float,
        consensus_achieved: Optional[bool] = None,
        consensus_rounds: Optional[int] = None,
    ) -> None:
        """Record the completion of a team execution: the run is written to the store."""
        if not self._enabled:
            return
        with self._lock:
            run = self._active.pop(team_id, None)
            if run is None:
                logger.warning("Team '%s' not found in metrics (record_team_start first)", team_id)
                return
            if not success:
                failed = [m for m in run.members if not m["success"]]
                run.fail(
                    f"member {failed[0]['member_id']} failed: {failed[0]['error_message']}"
                    if failed
                    else "team failed"
                )
            else:
                run.success = True
            if consensus_rounds is not None:
                run.consensus(bool(consensus_achieved), consensus_rounds)
            run._start_unix = time.time() - duration_seconds
            run.finish(duration_seconds)
            team = self._team_metrics[team_id]
            team.success = success
            team.duration_seconds = duration_seconds
            team.end_time = datetime.now(timezone.utc)
            team.start_time = datetime.fromtimestamp(
                team.end_time.timestamp() - duration_seconds, timezone.utc
            )
            team.consensus_achieved = consensus_achieved
            team.consensus_rounds = consensus_rounds

    def get_team_metrics(self, team_id: str) -> Optional[TeamExecutionMetrics]:
        """The latest execution of the team in this process."""
        with self._lock:
            return self._team_metrics.get(team_id)

    def get_active_teams(self) -> Set[str]:
        with self._lock:
            return set(self._active)

    def get_summary(self) -> Dict[str, Any]:
        """Summary of this process's team executions (the store holds every run)."""
        with self._lock:
            teams = list(self._team_metrics.values())
            total = len(teams)
            ok = sum(1 for t in teams if t.success)
            formations: Dict[str, int] = defaultdict(int)
            for t in teams:
                formations[t.formation] += 1
            return {
                "total_teams_executed": total,
                "successful_teams": ok,
                "failed_teams": total - ok,
                "active_teams": len(self._active),
                "success_rate": ok / total if total else 0.0,
                "average_duration_seconds": (
                    sum(t.duration_seconds for t in teams) / total if total else 0.0
                ),
                "average_member_count": (
                    sum(t.member_count for t in teams) / total if total else 0.0
                ),
                "total_tool_calls": sum(t.total_tool_calls for t in teams),
                "formation_distribution": dict(formations),
            }

    def clear_metrics(self) -> None:
        """Forgets this process's executions (the store keeps what was recorded)."""
        with self._lock:
            self._team_metrics.clear()
            self._active.clear()

    def set_enabled(self, enabled: bool) -> None:
        self._enabled = enabled

    def is_enabled(self) -> bool:
        return self._enabled


def get_team_metrics_collector() -> TeamMetricsCollector:
    """The process-wide ``TeamMetricsCollector``."""
    return TeamMetricsCollector.get_instance()


def record_team_execution(
    team_id: str,
    formation: str,
    member_count: int,
    recursion_depth: int,
    duration_seconds: float,
    success: bool,
    member_results: Optional[Dict[str, Dict[str, Any]]] = None,
) -> None:
    """Records a complete team execution in one call (``member_results``: per member
    ``success``, ``duration``, ``tool_calls``, ``tools_used``, ``error``, ``role``)."""
    collector = get_team_metrics_collector()
    collector.record_team_start(team_id, formation, member_count, recursion_depth)
    for member_id, result in (member_results or {}).items():
        collector.record_member_complete(
            team_id=team_id,
            member_id=member_id,
            success=result.get("success", True),
            duration_seconds=result.get("duration", 0.0),
            tool_calls_used=result.get("tool_calls", 0),
            tools_used=result.get("tools_used"),
            error_message=result.get("error"),
            role=result.get("role", "assistant"),
        )
    collector.record_team_complete(team_id, success, duration_seconds)
