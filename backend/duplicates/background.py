"""The server's own loop that turns encodings stored by sync into duplicate proposals."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time

from litestar import Litestar

from backend.duplicates.services import match_pending
from backend.matching.normalise import normalise_name
from backend.runtime import Runtime

__all__ = ["start_matching", "stop_matching"]

logger = logging.getLogger("lantern.duplicates")
_TASK = "duplicates_matcher"


#: Cases compared per transaction: one batch holds the write lock (SQLite) for
#: tens of milliseconds, not seconds, so sync never waits long behind it.
BATCH = 25


async def _loop(runtime: Runtime, every: int) -> None:
    while True:
        await asyncio.sleep(every)
        try:
            while True:
                started = time.monotonic()
                compared = await match_pending(runtime, batch_size=BATCH, batches=1)
                if compared < BATCH:
                    break
                # At most half of this worker's time: sync and reads come first.
                await asyncio.sleep(time.monotonic() - started)
        except Exception as exc:  # the next round tries again; push never waits on this
            logger.warning("matching possible duplicates failed: %s", type(exc).__name__)


async def start_matching(app: Litestar) -> None:
    """Start comparing pending encodings every ``duplicates_match_seconds`` (0: never).

    The romanisers load their tables here, once per worker, so that the first
    push of a Thai or Burmese name does not wait for them.
    """
    normalise_name("\u0e2a\u0e21\u0e0a\u0e32\u0e22 \u1019\u1031\u102c\u1004\u103a")
    runtime: Runtime = app.state.runtime
    every = runtime.settings.duplicates_match_seconds
    if every:
        app.state[_TASK] = asyncio.create_task(_loop(runtime, every))


async def stop_matching(app: Litestar) -> None:
    """Stop the loop before the database closes."""
    task: asyncio.Task[None] | None = app.state.get(_TASK)
    if task is not None:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
