"""teamtune: run LLM-agent team workflows, record every team run, find the bottlenecks,
prove better configurations with real A/B tests, keep them in the workflow file and roll
them back. The Rust library, from Python.

Two ways in:

- ``teamtune.Autotuner(store=PATH)``: ``run``, ``analyze``, ``suggest``, ``whatif``,
  ``apply``, ``history``, ``rollback``, ``benchmark``, ``team_run``; typed results
  (``teamtune.results``) and exceptions (``teamtune.errors``).
- The seed's API, as Victor's ``performance_autotuner`` spells it: ``PerformanceAnalyzer``,
  ``PerformanceAutotuner`` and their dataclasses, and the ``TeamMetricsCollector``.

Teams that run in Python record their runs with ``teamtune.team_run(...)`` (a context
manager), into the same store the CLI reads.
"""

from . import errors, results
from ._native import __version__
from .autotuner import Autotuner
from .errors import (
    BadStoreError,
    HistoryError,
    InputError,
    NoRunsError,
    StoreError,
    TeamNotFoundError,
    TeamtuneError,
    WorkflowError,
)
from .performance_autotuner import (
    OptimizationPriority,
    OptimizationResult,
    OptimizationSuggestion,
    OptimizationType,
    PerformanceAnalyzer,
    PerformanceAutotuner,
    PerformanceInsight,
    analyze_team_performance,
    suggest_team_optimizations,
)
from .recording import MemberRun, TeamRun, team_run
from .team_metrics import (
    TeamMetricsCollector,
    get_team_metrics_collector,
    record_team_execution,
)

__all__ = [
    "__version__",
    "Autotuner",
    "team_run",
    "TeamRun",
    "MemberRun",
    "errors",
    "results",
    "TeamtuneError",
    "InputError",
    "WorkflowError",
    "NoRunsError",
    "TeamNotFoundError",
    "HistoryError",
    "StoreError",
    "BadStoreError",
    "PerformanceAnalyzer",
    "PerformanceAutotuner",
    "PerformanceInsight",
    "OptimizationSuggestion",
    "OptimizationResult",
    "OptimizationType",
    "OptimizationPriority",
    "analyze_team_performance",
    "suggest_team_optimizations",
    "TeamMetricsCollector",
    "get_team_metrics_collector",
    "record_team_execution",
]
