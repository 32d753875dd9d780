"""The seed's Python API, for real: Victor's ``victor.workflows.performance_autotuner``.

A program written against the reference runs unchanged after changing its import to
``from teamtune.performance_autotuner import ...`` (or ``from teamtune import ...``): the same
class and method names, arguments and defaults, result dataclasses with the same fields and
``to_dict()``. What differs is that the results are real:

- ``PerformanceAnalyzer.analyze_team_workflow`` runs teamtune's detectors (in Rust) on the
  loaded metrics, against Victor's fixed baselines by default, so the reference's insights
  come out to 1e-6. Without loaded metrics it reads teamtune's store.
- ``PerformanceAutotuner.suggest_optimizations`` runs teamtune's strategies (and, given the
  workflow file, the team's twin).
- ``apply_optimizations`` A/B tests the top suggestion by running the workflow (given as its
  file's path, or as the parsed workflow document) and, when it passes, writes it into the
  file with a history entry; ``rollback_optimization`` restores the file byte for byte;
  ``get_optimization_history`` reads the store's history.

``workflow_config``/``current_config`` may be the workflow file's path (the change is then
kept in that file), the parsed workflow document (a dict with ``workflows``: tested on a copy,
the dict is left as it is, as the reference leaves it), or a dict describing the team
(``formation``, ``member_count``...; suggestions only: there is nothing to run).
"""

from __future__ import annotations

import json
import logging
import os
import tempfile
import warnings
from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path
from typing import Any, Dict, List, Optional, Union

from . import _native
from ._calls import in_thread
from .autotuner import Autotuner
from .errors import HistoryError, NoRunsError
from .results import AnalysisReport, BenchmarkReport

logger = logging.getLogger("teamtune")

__all__ = [
    "PerformanceInsight",
    "OptimizationSuggestion",
    "OptimizationResult",
    "OptimizationType",
    "OptimizationPriority",
    "PerformanceAnalyzer",
    "PerformanceAutotuner",
    "analyze_team_performance",
    "suggest_team_optimizations",
]

PathLike = Union[str, "os.PathLike[str]"]


class OptimizationType(str, Enum):
    """Types of optimizations (Victor's six, and the twin's joint search)."""

    TEAM_SIZING = "team_sizing"
    FORMATION_SELECTION = "formation_selection"
    TOOL_BUDGET = "tool_budget"
    TIMEOUT_TUNING = "timeout_tuning"
    MEMBER_SELECTION = "member_selection"
    PARALLELIZATION = "parallelization"
    TWIN_SEARCH = "twin_search"


class OptimizationPriority(str, Enum):
    """Priority levels for optimizations."""

    CRITICAL = "critical"
    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"


@dataclass
class PerformanceInsight:
    """Insight from performance analysis (severity and impact_magnitude 0..1)."""

    bottleneck: str
    severity: float
    current_value: float
    baseline_value: float
    impact_magnitude: float
    recommendation: str
    affected_components: List[str] = field(default_factory=list)

    def to_dict(self) -> Dict[str, Any]:
        """Convert to dictionary."""
        return {
            "bottleneck": self.bottleneck,
            "severity": self.severity,
            "current_value": self.current_value,
            "baseline_value": self.baseline_value,
            "impact_magnitude": self.impact_magnitude,
            "recommendation": self.recommendation,
            "affected_components": list(self.affected_components),
        }


@dataclass
class OptimizationSuggestion:
    """Suggested optimization. ``id`` is teamtune's stable id for it (``apply`` and the
    CLI's ``--pick`` name suggestions by it); the configs are in the workflow file's keys."""

    type: OptimizationType
    priority: OptimizationPriority
    description: str
    current_config: Dict[str, Any]
    suggested_config: Dict[str, Any]
    expected_improvement: float
    confidence: float
    risk_level: float
    metadata: Dict[str, Any] = field(default_factory=dict)
    id: Optional[str] = None
    _raw: Optional[Dict[str, Any]] = field(default=None, repr=False, compare=False)

    def to_dict(self) -> Dict[str, Any]:
        """Convert to dictionary."""
        return {
            "type": self.type.value,
            "priority": self.priority.value,
            "description": self.description,
            "current_config": self.current_config,
            "suggested_config": self.suggested_config,
            "expected_improvement": self.expected_improvement,
            "confidence": self.confidence,
            "risk_level": self.risk_level,
            "metadata": self.metadata,
            "id": self.id,
        }

    @classmethod
    def _from_json(cls, d: Dict[str, Any]) -> "OptimizationSuggestion":
        return cls(
            type=OptimizationType(d["type"]),
            priority=OptimizationPriority(d["priority"]),
            description=d["description"],
            current_config=d["current_config"],
            suggested_config=d["suggested_config"],
            expected_improvement=d["expected_improvement"],
            confidence=d["confidence"],
            risk_level=d["risk_level"],
            metadata=d.get("metadata") or {},
            id=d.get("id"),
            _raw=d,
        )

    def _json(self) -> Dict[str, Any]:
        if self._raw is not None:
            return self._raw
        d = self.to_dict()
        if d["id"] is None:
            del d["id"]
        return d


@dataclass
class OptimizationResult:
    """Result from applying optimization. ``validation_status`` is the real A/B test's:
    ``passed``, ``failed``, ``inconclusive``, ``skipped`` or ``dry_run``; ``reason`` says
    why, and ``history_index`` names the kept change in the team's history."""

    success: bool
    team_id: str
    optimization: OptimizationSuggestion
    before_metrics: Dict[str, float]
    after_metrics: Optional[Dict[str, float]]
    improvement_percentage: Optional[float]
    validation_status: Optional[str]
    rollback_config: Dict[str, Any]
    error: Optional[str] = None
    reason: Optional[str] = None
    history_index: Optional[int] = None

    def to_dict(self) -> Dict[str, Any]:
        """Convert to dictionary."""
        return {
            "success": self.success,
            "team_id": self.team_id,
            "optimization": self.optimization.to_dict(),
            "before_metrics": self.before_metrics,
            "after_metrics": self.after_metrics,
            "improvement_percentage": self.improvement_percentage,
            "validation_status": self.validation_status,
            "rollback_config": self.rollback_config,
            "error": self.error,
            "reason": self.reason,
            "history_index": self.history_index,
        }


def _victor_baselines() -> Dict[str, float]:
    return json.loads(_native.victor_baselines())


class PerformanceAnalyzer:
    """Analyzes historical team execution metrics to identify bottlenecks.

    ``metrics_history``: records in Victor's shape (dicts); ``load_metrics_from_file`` adds
    a file's. ``baseline_metrics``: Victor's fixed figures by default. ``benchmark_data`` is
    accepted for compatibility and not used: teamtune's formation detector reads the team's
    own evidence instead of fixed millisecond benchmarks. ``store``: read when no metrics
    were loaded (default ``TEAMTUNE_STORE``, else ``.teamtune/teamtune.db``).

    >>> analyzer = PerformanceAnalyzer()                                # doctest: +SKIP
    >>> analyzer.load_metrics_from_file("metrics.json")
    >>> for insight in analyzer.analyze_team_workflow(team_id="my_team"):
    ...     print(f"{insight.bottleneck}: {insight.recommendation}")
    """

    def __init__(
        self,
        metrics_history: Optional[List[Dict[str, Any]]] = None,
        baseline_metrics: Optional[Dict[str, float]] = None,
        benchmark_data: Optional[Dict[str, Dict[str, float]]] = None,
        *,
        store: Optional[PathLike] = None,
    ) -> None:
        self.metrics_history: List[Dict[str, Any]] = list(metrics_history or [])
        self.baseline_metrics: Dict[str, float] = (
            dict(baseline_metrics) if baseline_metrics is not None else _victor_baselines()
        )
        if benchmark_data is not None:
            warnings.warn(
                "benchmark_data is not used: teamtune judges formations from the team's "
                "own runs, not fixed benchmarks",
                stacklevel=2,
            )
        self.benchmark_data = benchmark_data
        #: Metrics files loaded, in order.
        self.metrics_files: List[str] = []
        self.store = store

    def load_metrics_from_collector(self, collector: Any) -> None:
        """Reads the runs a ``TeamMetricsCollector`` recorded: its store."""
        self.store = collector.store

    def load_metrics_from_file(self, filepath: PathLike) -> None:
        """Loads metrics from a JSON file (an array, one object, or JSON lines). Every record
        is checked now: a bad one raises ``InputError`` naming the file, the record's index
        and the field."""
        path = os.fspath(filepath)
        _native.Tuner(None).count_records(path)
        self.metrics_files.append(path)

    def _sources(self) -> Optional[List[Any]]:
        sources: List[Any] = list(self.metrics_files)
        if self.metrics_history:
            sources.append(("metrics_history", json.dumps(self.metrics_history)))
        return sources or None

    def _tuner(self) -> Autotuner:
        return Autotuner(self.store, baselines=self.baseline_metrics)

    def analyze_team_workflow(self, team_id: Optional[str] = None) -> List[PerformanceInsight]:
        """Analyze team workflow performance: insights sorted by severity. ``team_id=None``
        analyses every loaded record together, as the reference does (the store keeps teams
        apart: name one there). No runs of the team logs a warning and returns an empty
        list, as the reference does."""
        sources = self._sources()
        tuner = self._tuner()
        try:
            if team_id is not None:
                report = tuner.analyze(team_id, metrics=sources)
            elif sources is not None:
                report = AnalysisReport.from_dict(
                    json.loads(tuner._native.analyze_every_record(sources))
                )
            else:
                raise TypeError(
                    "analyze_team_workflow(None) pools loaded metrics; runs in the store are "
                    "analysed one team at a time: pass team_id"
                )
        except NoRunsError as e:
            logger.warning("%s", e)
            return []
        return [
            PerformanceInsight(
                bottleneck=i.bottleneck,
                severity=i.severity,
                current_value=i.current_value,
                baseline_value=i.baseline_value,
                impact_magnitude=i.impact_magnitude,
                recommendation=i.recommendation,
                affected_components=list(i.affected_components),
            )
            for i in report.insights
        ]


def _is_workflow_document(config: Any) -> bool:
    return isinstance(config, dict) and "workflows" in config


class PerformanceAutotuner:
    """Auto-optimizes team configurations based on performance analysis: suggestions from
    teamtune's strategies, applied only after a real A/B test (``runs`` per side, trial runs
    seeded by ``seed``), kept in the workflow file, rolled back on demand.

    ``ab_test_threshold``: the minimum improvement (percent) a change must show.
    ``enable_auto_rollback``: kept changes are checked against the team's next runs and
    rolled back when they regress. ``strategies`` must be ``None``: teamtune's strategies run
    in Rust.
    """

    def __init__(
        self,
        analyzer: Optional[PerformanceAnalyzer] = None,
        strategies: Optional[List[Any]] = None,
        ab_test_threshold: float = 5.0,
        enable_auto_rollback: bool = True,
        *,
        store: Optional[PathLike] = None,
        runs: int = 10,
        seed: int = 0,
    ) -> None:
        if strategies is not None:
            raise TypeError(
                "custom strategies are not supported: teamtune's strategies (team sizing, "
                "formation selection, tool budget, timeout tuning, member selection, "
                "parallelization) run in Rust"
            )
        self.analyzer = analyzer or PerformanceAnalyzer(store=store)
        if store is not None:
            self.analyzer.store = store
        self.ab_test_threshold = ab_test_threshold
        self.enable_auto_rollback = enable_auto_rollback
        self.runs = runs
        self.seed = seed
        self._scratch: Optional[tempfile.TemporaryDirectory] = None

    @property
    def store(self) -> str:
        """The store the history and trial runs go to."""
        return self.analyzer._tuner().store

    def _config_path(self, team_id: str, config: Any) -> Optional[str]:
        """The workflow file for ``config``: its path, or a copy of a workflow document."""
        if isinstance(config, (str, os.PathLike)):
            return os.fspath(config)
        if _is_workflow_document(config):
            if self._scratch is None:
                self._scratch = tempfile.TemporaryDirectory(prefix="teamtune-")
            path = Path(self._scratch.name) / f"{team_id}.yaml"
            path.write_text(_native.workflow_yaml(json.dumps(config)), encoding="utf-8")
            return str(path)
        return None

    def suggest_optimizations(
        self,
        team_id: Optional[str] = None,
        current_config: Optional[Union[Dict[str, Any], PathLike]] = None,
    ) -> List[OptimizationSuggestion]:
        """Optimization suggestions, sorted by priority (critical first) then expected
        improvement x confidence. No runs of the team: an empty list and a warning."""
        if team_id is None:
            raise TypeError("suggest_optimizations needs a team_id")
        tuner = self.analyzer._tuner()
        path = self._config_path(team_id, current_config)
        try:
            if path is not None:
                report = tuner.suggest(team_id, path, metrics=self.analyzer._sources())
            else:
                report = tuner.suggest(
                    team_id, current_config or None, metrics=self.analyzer._sources()
                )
        except NoRunsError as e:
            logger.warning("%s", e)
            return []
        return [OptimizationSuggestion._from_json(s.to_dict()) for s in report.suggestions]

    async def apply_optimizations(
        self,
        team_id: str,
        optimizations: List[OptimizationSuggestion],
        workflow_config: Union[Dict[str, Any], PathLike],
        enable_ab_testing: bool = True,
        dry_run: bool = False,
    ) -> OptimizationResult:
        """Applies the top optimization: A/B tested by running the workflow (unless
        ``enable_ab_testing`` is false), then written into the workflow file when it passes.
        ``dry_run``: nothing is run or written."""
        if not optimizations:
            logger.warning("No optimizations to apply for team: %s", team_id)
            return OptimizationResult(
                success=False,
                team_id=team_id,
                optimization=OptimizationSuggestion(
                    type=OptimizationType.TEAM_SIZING,
                    priority=OptimizationPriority.LOW,
                    description="No optimizations",
                    current_config={},
                    suggested_config={},
                    expected_improvement=0.0,
                    confidence=0.0,
                    risk_level=0.0,
                ),
                before_metrics={},
                after_metrics=None,
                improvement_percentage=None,
                validation_status=None,
                rollback_config={},
                error="No optimizations provided",
            )
        path = self._config_path(team_id, workflow_config)
        if path is None:
            raise TypeError(
                "workflow_config must be the workflow file's path or the parsed workflow "
                "document: teamtune A/B tests a change by running the workflow"
            )
        top = optimizations[0]
        tuner = self.analyzer._tuner()
        results = await in_thread(
            tuner._native.apply,
            team_id,
            path,
            False,
            None,
            json.dumps([top._json()]),
            "optimizations",
            None,
            self.runs,
            self.seed,
            dry_run,
            enable_ab_testing,
            self.ab_test_threshold,
            1,
            self.enable_auto_rollback,
            None,
            None,
            True,
        )
        r = json.loads(results)[0]
        return OptimizationResult(
            success=r["success"],
            team_id=team_id,
            optimization=OptimizationSuggestion._from_json(r["optimization"]),
            before_metrics=r["before_metrics"] or {},
            after_metrics=r["after_metrics"],
            improvement_percentage=r["improvement_percentage"],
            validation_status=r["validation_status"],
            rollback_config=(
                workflow_config if isinstance(workflow_config, dict) else r["rollback_config"]
            ),
            error=r["error"] or (None if r["success"] else r["reason"]),
            reason=r["reason"],
            history_index=r["history_index"],
        )

    async def rollback_optimization(self, team_id: str, rollback_index: int = -1) -> bool:
        """Restores the workflow file to its state before history entry ``rollback_index``
        (-1: the latest). No history, or an index out of range: a warning and ``False``."""
        tuner = self.analyzer._tuner()
        try:
            await in_thread(tuner._native.rollback, team_id, rollback_index, False)
        except (HistoryError, NoRunsError) as e:
            logger.warning("%s", e)
            return False
        return True

    def get_optimization_history(self, team_id: Optional[str] = None) -> List[Dict[str, Any]]:
        """The change history (every team's when ``team_id`` is ``None``), oldest first: each
        entry as ``teamtune history --json`` lists it, plus the reference's ``team_id``,
        ``timestamp``, ``optimization``, ``validation_status``, ``improvement_percentage``."""
        tuner = self.analyzer._tuner()
        teams = [team_id] if team_id else tuner._native.team_ids()
        out: List[Dict[str, Any]] = []
        for team in teams:
            try:
                entries = tuner.history(team)
            except NoRunsError:
                continue
            for e in entries:
                d = e.to_dict()
                result = d.get("result") or {}
                d.update(
                    team_id=team,
                    timestamp=d["created_at"],
                    optimization=d.get("suggestion"),
                    validation_status=result.get("validation_status"),
                    improvement_percentage=result.get("improvement_percentage"),
                )
                out.append(d)
        return out

    def benchmark(
        self,
        before: PathLike,
        after: PathLike,
        team_id: Optional[str] = None,
        runs: int = 30,
        seed: int = 0,
    ) -> BenchmarkReport:
        """Compares the ``before`` and ``after`` workflow files (the reference's ``benchmark
        --before --after``) by running both, ``runs`` times each."""
        return self.analyzer._tuner().benchmark(before, after, team_id, runs, seed)


def analyze_team_performance(
    team_id: str, metrics_file: Optional[PathLike] = None
) -> List[PerformanceInsight]:
    """Analyze team performance and return insights."""
    analyzer = PerformanceAnalyzer()
    if metrics_file:
        analyzer.load_metrics_from_file(metrics_file)
    return analyzer.analyze_team_workflow(team_id)


def suggest_team_optimizations(
    team_id: str,
    current_config: Union[Dict[str, Any], PathLike],
    metrics_file: Optional[PathLike] = None,
) -> List[OptimizationSuggestion]:
    """Get optimization suggestions for a team."""
    analyzer = PerformanceAnalyzer()
    if metrics_file:
        analyzer.load_metrics_from_file(metrics_file)
    return PerformanceAutotuner(analyzer=analyzer).suggest_optimizations(team_id, current_config)
