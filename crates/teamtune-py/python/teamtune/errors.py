"""The exceptions teamtune raises.

Every message is the one the ``teamtune`` command line prints for the same cause (with its
hint on a second line, where there is one), naming the file, line, record index or field at
fault. ``InputError`` and its subclasses are bad input (the CLI exits 2 for them); a plain
``TeamtuneError`` is work that failed (exit 1). A run stopped with Ctrl-C raises
``KeyboardInterrupt`` after the finished runs are recorded.
"""

from __future__ import annotations

from typing import Optional

__all__ = [
    "TeamtuneError",
    "InputError",
    "WorkflowError",
    "NoRunsError",
    "TeamNotFoundError",
    "HistoryError",
    "StoreError",
    "BadStoreError",
]


class TeamtuneError(Exception):
    """Work teamtune could not do (the CLI's exit code 1)."""

    #: The CLI's exit code for the same cause.
    exit_code: int = 1
    #: The file the error names, when it names one (a workflow, metrics or store file).
    path: Optional[str] = None


class InputError(TeamtuneError, ValueError):
    """Bad input: a file, argument, record or value teamtune cannot use (exit code 2)."""

    exit_code = 2


class WorkflowError(InputError):
    """A workflow file that does not load or validate; the message gives ``file:line:col``."""


class NoRunsError(InputError, LookupError):
    """No store, or no runs of the team where they were looked for."""


class TeamNotFoundError(InputError, LookupError):
    """The workflow file has no such team (or several teams, and none was named)."""


class HistoryError(InputError):
    """A history index out of range, nothing to roll back, or a file changed by hand."""


class StoreError(TeamtuneError):
    """The store could not be read or written (a full disk, a damaged file)."""


class BadStoreError(StoreError, InputError):
    """A file that is not a teamtune store, or one teamtune may not write (exit code 2)."""

    exit_code = 2
