"""Typed results of ``teamtune.Autotuner``.

Each class is a frozen dataclass over the JSON the ``teamtune`` command line prints with
``--json`` for the same command (the same serialized Rust types): its fields are that
contract's principal keys, and ``to_dict()`` returns the whole object exactly as the CLI
prints it, including keys not promoted to fields.
"""

from __future__ import annotations

import copy
import dataclasses
from dataclasses import dataclass
from typing import Any, ClassVar, Dict, List, Optional, Type, TypeVar

__all__ = [
    "Insight",
    "AnalysisReport",
    "Suggestion",
    "SuggestionReport",
    "ApplyResult",
    "WhatIfReport",
    "HistoryEntry",
    "RollbackReport",
    "BenchmarkReport",
    "RunReport",
]

R = TypeVar("R", bound="_Result")


class _Result:
    """From a JSON object: known keys become fields (nested results built by ``_nested``)."""

    _nested: ClassVar[Dict[str, Type["_Result"]]] = {}

    @classmethod
    def from_dict(cls: Type[R], data: Dict[str, Any]) -> R:
        kwargs = {}
        for f in dataclasses.fields(cls):  # type: ignore[arg-type]
            value = data.get(f.name)
            kind = cls._nested.get(f.name)
            if kind is not None and value is not None:
                value = (
                    [kind.from_dict(v) for v in value]
                    if isinstance(value, list)
                    else kind.from_dict(value)
                )
            kwargs[f.name] = value
        result = cls(**kwargs)
        object.__setattr__(result, "_raw", data)
        return result

    def to_dict(self) -> Dict[str, Any]:
        """The whole result as the CLI's ``--json`` prints it."""
        return copy.deepcopy(getattr(self, "_raw"))


@dataclass(frozen=True)
class Insight(_Result):
    """A bottleneck found in a team's runs (the seed's ``PerformanceInsight``)."""

    bottleneck: str
    severity: float
    current_value: float
    baseline_value: float
    impact_magnitude: float
    recommendation: str
    affected_components: List[str]


@dataclass(frozen=True)
class AnalysisReport(_Result):
    """``analyze``: the team's bottlenecks, most severe first, and what was read."""

    team_id: str
    timestamp: str
    runs: int
    #: Which of the team's runs were read (its current configuration by default).
    scope: Dict[str, Any]
    #: What the team was compared with.
    baselines: Dict[str, Any]
    insights: List[Insight]
    _nested: ClassVar[Dict[str, Type[_Result]]] = {"insights": Insight}


@dataclass(frozen=True)
class Suggestion(_Result):
    """One proposed change, in the workflow file's keys, with a stable ``id``."""

    id: str
    type: str
    priority: str
    description: str
    current_config: Dict[str, Any]
    suggested_config: Dict[str, Any]
    #: Percent, 0..100.
    expected_improvement: float
    confidence: float
    risk_level: float
    metadata: Dict[str, Any]
    #: What an A/B test of it judges: ``duration`` or ``success_rate``.
    ab_metric: str


@dataclass(frozen=True)
class SuggestionReport(_Result):
    """``suggest``: ranked suggestions for the team's current configuration.

    Pass the report itself to ``Autotuner.apply(suggestion=...)``: it records the
    configuration the suggestions were made for, so a stale one is refused.
    """

    team_id: str
    timestamp: str
    runs: int
    scope: Dict[str, Any]
    current_config: Dict[str, Any]
    config_hash: str
    suggestions: List[Suggestion]
    _nested: ClassVar[Dict[str, Type[_Result]]] = {"suggestions": Suggestion}


@dataclass(frozen=True)
class ApplyResult(_Result):
    """One change ``apply`` tried: its A/B test and whether it was kept."""

    success: bool
    team_id: str
    optimization: Suggestion
    before_metrics: Optional[Dict[str, Any]]
    after_metrics: Optional[Dict[str, Any]]
    improvement_percentage: Optional[float]
    #: ``passed``, ``failed``, ``inconclusive``, ``skipped`` or ``dry_run``.
    validation_status: str
    reason: str
    #: The history index of the kept change (``None`` when not kept).
    history_index: Optional[int]
    #: Team runs the test spent (both sides).
    trial_runs: int
    #: The members were simulated: the figures describe the simulator.
    simulated: bool
    rollback_config: Dict[str, Any]
    suggested_config: Dict[str, Any]
    error: Optional[str]
    _nested: ClassVar[Dict[str, Type[_Result]]] = {"optimization": Suggestion}


@dataclass(frozen=True)
class WhatIfReport(_Result):
    """``whatif``: the team's twin's prediction for a configuration; nothing is run."""

    team_id: str
    config: Dict[str, Any]
    objective: str
    predicted: Dict[str, Any]
    current: Dict[str, Any]
    fit: Dict[str, Any]
    simulated: bool


@dataclass(frozen=True)
class HistoryEntry(_Result):
    """One entry of a team's change history, named by its ``index``."""

    index: int
    created_at: str
    #: ``apply`` or ``rollback``.
    kind: str
    file: str
    suggestion: Optional[Dict[str, Any]]
    result: Optional[Dict[str, Any]]
    #: ``pending``, ``kept``, ``verified``, ``rolled_back``, ``rejected`` or ``abandoned``.
    status: str
    note: Optional[str]


@dataclass(frozen=True)
class RollbackReport(_Result):
    """``rollback``: the file as it was before entry ``restored_before_index``."""

    team_id: str
    file: str
    restored_before_index: int
    undone: List[int]
    history_index: int
    automatic: bool


@dataclass(frozen=True)
class BenchmarkReport(_Result):
    """``benchmark``: two workflow files A/B tested against each other."""

    team_id: str
    before_file: str
    after_file: str
    runs: int
    virtual_time: bool
    status: str
    reason: str
    improvement_percentage: float
    significant: bool
    before: Dict[str, Any]
    after: Dict[str, Any]


@dataclass(frozen=True)
class RunReport(_Result):
    """``run``: how many runs there were and how many succeeded, with every run's record."""

    #: The base seed (``run(seed=...)`` repeats the runs).
    seed: int
    runs: int
    succeeded: int
    #: The members were simulated: the runs took virtual time.
    virtual_time: bool
    #: Where the runs were recorded (``None`` with ``record=False``).
    store: Optional[str]
    records: List[Dict[str, Any]]
    warnings: List[str]
