"""Type stubs of ``teamtune._native``, the Rust extension module. Its methods return the
JSON the CLI's ``--json`` prints; use ``teamtune.Autotuner`` for typed results."""

from os import PathLike
from typing import List, Optional, Sequence, Tuple, Union

__version__: str

_Path = Union[str, PathLike[str]]
_Metrics = Sequence[Union[_Path, Tuple[str, str]]]

def request_stop() -> None: ...
def clear_stop() -> None: ...
def victor_baselines() -> str: ...
def workflow_yaml(document_json: str) -> str: ...

class Tuner:
    def __init__(
        self,
        store: Optional[_Path] = None,
        baselines: Optional[_Path] = None,
        baselines_json: Optional[str] = None,
    ) -> None: ...
    @property
    def store(self) -> str: ...
    def analyze(
        self,
        team_id: str,
        metrics: Optional[_Metrics] = None,
        config: Optional[_Path] = None,
        all_configs: bool = False,
        include_trials: bool = False,
    ) -> str: ...
    def analyze_every_record(self, metrics: _Metrics) -> str: ...
    def suggest(
        self,
        team_id: str,
        config: Optional[_Path] = None,
        described: Optional[str] = None,
        metrics: Optional[_Metrics] = None,
        all_configs: bool = False,
        include_trials: bool = False,
    ) -> str: ...
    def whatif(
        self, team_id: str, config: _Path, settings: List[str], runs: int = 2000, seed: int = 0
    ) -> str: ...
    def apply(
        self,
        team_id: str,
        config: _Path,
        auto: bool = False,
        suggestion: Optional[_Path] = None,
        suggestion_json: Optional[str] = None,
        suggestion_name: Optional[str] = None,
        pick: Optional[str] = None,
        runs: Optional[int] = None,
        seed: Optional[int] = None,
        dry_run: bool = False,
        ab_test: bool = True,
        threshold: Optional[float] = None,
        max_changes: Optional[int] = None,
        auto_rollback: bool = True,
        objective: Optional[str] = None,
        max_trial_runs: Optional[int] = None,
        twin: bool = True,
    ) -> str: ...
    def history(self, team_id: str) -> str: ...
    def team_ids(self) -> List[str]: ...
    def rollback(self, team_id: str, index: int = -1, force: bool = False) -> str: ...
    def benchmark(
        self,
        before: _Path,
        after: _Path,
        team_id: Optional[str] = None,
        runs: int = 30,
        seed: int = 0,
    ) -> str: ...
    def run(
        self,
        file: _Path,
        runs: int = 1,
        seed: int = 0,
        inputs_json: Optional[str] = None,
        workflow: Optional[str] = None,
        record: bool = True,
    ) -> str: ...
    def count_records(self, path: _Path) -> int: ...
    def record(self, runs_json: str) -> int: ...
