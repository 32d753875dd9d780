"""Running a blocking call of the Rust library from asyncio code.

The seed's ``apply_optimizations`` and ``rollback_optimization`` are coroutines. The Rust
call runs in the loop's default executor (the GIL is released while it runs, so the loop goes
on); if the awaiting task is cancelled (Ctrl-C under ``asyncio.run``), the library is asked
to stop as Ctrl-C stops the CLI, the call is awaited until its finished runs are recorded,
and the cancellation goes on.
"""

from __future__ import annotations

import asyncio
import functools
from typing import Any, Callable, TypeVar

from . import _native

T = TypeVar("T")


async def in_thread(call: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    loop = asyncio.get_running_loop()
    future = loop.run_in_executor(None, functools.partial(call, *args, **kwargs))
    try:
        return await asyncio.shield(future)
    except asyncio.CancelledError:
        _native.request_stop()
        try:
            await asyncio.wait([future])
        finally:
            _native.clear_stop()
        if not future.cancelled():
            future.exception()  # the stopped call's KeyboardInterrupt, read so it is not logged
        raise
