"""``teamtune.Autotuner``: the Rust library's ``Autotuner`` for Python.

Every method calls the Rust library (nothing is reimplemented here), with the GIL released
(other threads run meanwhile) and Ctrl-C stopping long calls as it stops the CLI: runs in
flight are cancelled, finished ones recorded, then ``KeyboardInterrupt`` is raised. Results
are typed objects (``teamtune.results``) whose ``to_dict()`` is the CLI's ``--json``; bad
input raises ``teamtune.errors.InputError`` (or a subclass) with the CLI's message.
"""

from __future__ import annotations

import json
import os
import random
from typing import Any, Dict, List, Mapping, Optional, Sequence, Union

from . import _native
from .recording import TeamRun
from .results import (
    AnalysisReport,
    ApplyResult,
    BenchmarkReport,
    HistoryEntry,
    RollbackReport,
    RunReport,
    Suggestion,
    SuggestionReport,
    WhatIfReport,
)

__all__ = ["Autotuner"]

PathLike = Union[str, "os.PathLike[str]"]
#: A metrics file, or several (read in order as one history).
Metrics = Union[PathLike, Sequence[PathLike]]


def _metrics(metrics: Optional[Metrics]) -> Optional[List[Any]]:
    if metrics is None:
        return None
    if isinstance(metrics, (str, os.PathLike)):
        return [os.fspath(metrics)]
    # (name, json_text) pairs are records held in memory (the seed's metrics_history).
    return [m if isinstance(m, tuple) else os.fspath(m) for m in metrics]


def _suggestion_json(suggestion: Any) -> Optional[str]:
    """Suggestions held by the caller as the JSON of a suggestion file."""
    if isinstance(suggestion, SuggestionReport):
        return json.dumps(suggestion.to_dict())
    if isinstance(suggestion, Suggestion):
        return json.dumps(suggestion.to_dict())
    if isinstance(suggestion, (list, tuple)) and all(
        isinstance(s, Suggestion) for s in suggestion
    ):
        return json.dumps([s.to_dict() for s in suggestion])
    return None


class Autotuner:
    """Runs team workflows, records every run in a store, analyses a team's runs, suggests
    changes, proves them with real A/B tests before writing them into the workflow file, and
    rolls them back.

    ``store``: the SQLite store (default: ``TEAMTUNE_STORE``, else ``.teamtune/teamtune.db``
    under the current directory), opened for each call, so several processes can share it.
    ``baselines``: what ``analyze`` compares a team with: ``None`` (its own runs in its other
    configurations), ``"victor"`` (Victor's fixed figures, as the Python reference), a
    baselines JSON file, or a dict of figures (``avg_duration_seconds``, ``success_rate``,
    ``avg_tool_calls``, ``p95_duration_seconds``).

    >>> tuner = teamtune.Autotuner(store="runs.db")               # doctest: +SKIP
    >>> tuner.run("examples/sequential-audit.yaml", runs=30, seed=1)
    >>> tuner.suggest("audit_team", "examples/sequential-audit.yaml").suggestions[0]
    """

    def __init__(
        self,
        store: Optional[PathLike] = None,
        *,
        baselines: Union[None, str, PathLike, Mapping[str, float]] = None,
    ) -> None:
        if isinstance(baselines, Mapping):
            self._native = _native.Tuner(store, None, json.dumps(dict(baselines)))
        else:
            self._native = _native.Tuner(
                store, None if baselines is None else os.fspath(baselines), None
            )
        self._store_arg = store

    @property
    def store(self) -> str:
        """The store's path."""
        return self._native.store

    def __repr__(self) -> str:
        return f"Autotuner(store={self.store!r})"

    def run(
        self,
        file: PathLike,
        runs: int = 1,
        seed: Optional[int] = None,
        inputs: Optional[Mapping[str, Any]] = None,
        *,
        workflow: Optional[str] = None,
        record: bool = True,
    ) -> RunReport:
        """Runs the workflow of ``file`` (``workflow`` names one of several) ``runs`` times
        and records every team run in the store (``record=False``: not). ``seed`` makes
        simulated runs repeatable (default: drawn at random, and given in the report).
        ``inputs``: the workflow's inputs, any JSON
        values. Ctrl-C stops the batch; the finished runs are recorded."""
        _positive("runs", runs)
        text = None if inputs is None else json.dumps(dict(inputs))
        if seed is None:
            seed = random.SystemRandom().getrandbits(63)
        out = self._native.run(os.fspath(file), runs, seed, text, workflow, record)
        return RunReport.from_dict(json.loads(out))

    def analyze(
        self,
        team_id: str,
        *,
        metrics: Optional[Metrics] = None,
        config: Optional[PathLike] = None,
        all_configs: bool = False,
        include_trials: bool = False,
    ) -> AnalysisReport:
        """The team's bottlenecks, most severe first. Reads the team's own runs of its
        current configuration in the store (the team in ``config``'s workflow file, else its
        latest run's), or ``metrics`` files in Victor's shape. ``all_configs`` and
        ``include_trials`` widen the selection, as the CLI's flags do."""
        out = self._native.analyze(
            team_id,
            _metrics(metrics),
            None if config is None else os.fspath(config),
            all_configs,
            include_trials,
        )
        return AnalysisReport.from_dict(json.loads(out))

    def suggest(
        self,
        team_id: str,
        config: Union[None, PathLike, Mapping[str, Any]] = None,
        *,
        metrics: Optional[Metrics] = None,
        all_configs: bool = False,
        include_trials: bool = False,
    ) -> SuggestionReport:
        """Ranked configuration changes for the team.

        ``config``: the workflow file that holds the team (the twin's joint change first,
        then the rule strategies'); or, for a team that runs in Python and has no workflow
        file, a dict describing it: ``team_formation`` (or ``formation``), ``members`` (ids,
        or dicts with ``id``, ``role``, ``tool_budget``, ``timeout_seconds``) or
        ``member_count``, ``tool_budget``, ``timeout_seconds``, ``max_iterations``; or
        ``None``: the configuration of the team's latest recorded runs."""
        if config is None or isinstance(config, Mapping):
            described = None if config is None else json.dumps(dict(config))
            out = self._native.suggest(
                team_id, None, described, _metrics(metrics), all_configs, include_trials
            )
        else:
            out = self._native.suggest(
                team_id,
                os.fspath(config),
                None,
                _metrics(metrics),
                all_configs,
                include_trials,
            )
        return SuggestionReport.from_dict(json.loads(out))

    def whatif(
        self,
        team_id: str,
        config: PathLike,
        settings: Optional[Mapping[str, Any]] = None,
        *,
        runs: int = 2000,
        seed: int = 0,
        **more_settings: Any,
    ) -> WhatIfReport:
        """What the team's twin predicts for its configuration in ``config`` with settings
        changed; nothing is run or written. Settings as keywords (``team_formation="parallel",
        tool_budget=15, members=3, timeout_seconds=60, max_iterations=2``) or, for keys with
        dots (``members.ID.tool_budget``), in the ``settings`` dict."""
        pairs = dict(settings or {})
        pairs.update(more_settings)
        if not pairs:
            raise TypeError("whatif needs at least one setting, e.g. team_formation='parallel'")
        out = self._native.whatif(
            team_id,
            os.fspath(config),
            [f"{k}={_setting(v)}" for k, v in pairs.items()],
            runs,
            seed,
        )
        return WhatIfReport.from_dict(json.loads(out))

    def apply(
        self,
        team_id: str,
        config: PathLike,
        auto: bool = False,
        suggestion: Any = None,
        pick: Optional[str] = None,
        runs: Optional[int] = None,
        seed: Optional[int] = None,
        dry_run: bool = False,
        *,
        ab_test: bool = True,
        threshold: Optional[float] = None,
        max_changes: Optional[int] = None,
        auto_rollback: bool = True,
        objective: Optional[str] = None,
        max_trial_runs: Optional[int] = None,
        twin: bool = True,
    ) -> List[ApplyResult]:
        """Tries changes to the team in the workflow file ``config``, A/B tests each for real
        (``runs`` per side, default 10; ``seed`` for the trial runs) and writes each one that
        passes into the file in place (comments kept; a history entry holds the previous
        file). ``auto=True``: the twin's search and a sequential test, then the rule
        strategies. ``suggestion``: a ``suggest()`` report, a ``Suggestion`` or a list of
        them, or a suggestion file's path (``pick``: one suggestion's id). ``dry_run``:
        nothing run or written. ``objective`` (what ``auto`` minimises per successful run):
        ``"seconds"`` (the default), ``"calls"`` or ``"tokens"``. Returns one result per
        change tried."""
        held = _suggestion_json(suggestion)
        file = None if suggestion is None or held is not None else os.fspath(suggestion)
        out = self._native.apply(
            team_id,
            os.fspath(config),
            auto,
            file,
            held,
            "suggestions" if held is not None else None,
            pick,
            runs,
            seed,
            dry_run,
            ab_test,
            threshold,
            max_changes,
            auto_rollback,
            objective,
            max_trial_runs,
            twin,
        )
        return [ApplyResult.from_dict(r) for r in json.loads(out)]

    def history(self, team_id: str) -> List[HistoryEntry]:
        """The team's change history, oldest first, each entry named by its ``index``."""
        return [HistoryEntry.from_dict(e) for e in json.loads(self._native.history(team_id))]

    def rollback(self, team_id: str, index: int = -1, force: bool = False) -> RollbackReport:
        """Restores the workflow file, byte for byte, to its state before history entry
        ``index`` (negative counts from the newest: -1 undoes the latest entry), undoing every
        change from there on. A file edited by hand since is refused unless ``force``."""
        return RollbackReport.from_dict(
            json.loads(self._native.rollback(team_id, index, force))
        )

    def benchmark(
        self,
        before: PathLike,
        after: PathLike,
        team_id: Optional[str] = None,
        runs: int = 30,
        seed: int = 0,
    ) -> BenchmarkReport:
        """A/B tests the team of workflow file ``after`` against ``before`` (``runs`` per
        side); ``team_id`` names the team when the files have several."""
        _positive("runs", runs)
        out = self._native.benchmark(os.fspath(before), os.fspath(after), team_id, runs, seed)
        return BenchmarkReport.from_dict(json.loads(out))

    def team_run(
        self,
        team_id: str,
        formation: str = "sequential",
        *,
        config: Optional[Mapping[str, Any]] = None,
    ) -> TeamRun:
        """A context manager recording one run of a team that runs in Python into this
        autotuner's store (see ``teamtune.recording``)."""
        return TeamRun(
            team_id,
            formation,
            config=None if config is None else dict(config),
            store=self.store,
        )


def _positive(name: str, value: Any) -> None:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{name} must be a whole number, not {type(value).__name__}")
    if value < 1:
        raise ValueError(f"{name} must be at least 1")


def _setting(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "none"
    return str(value)
