"""Work a background task must not be cut off in.

Stopping the bot cancels its background tasks (the write-behind, the delivery worker and
its lease keeper). Under load, stops that cancelled them in the middle of a write were
followed by "database is locked" on every later SQLite write, the last flush at shutdown
included (1 stop in 6 with the cores busy; plain write transactions cancelled alone did not
show it). Those tasks therefore do their writes through ``finish``: cancellation stops them
between writes (0 in 15 since), and cuts one off only when it is stuck (a database that
stopped answering must not stop the bot from stopping).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable
from typing import Final, TypeVar

T = TypeVar("T")

# A write takes milliseconds; one still running this long after the stop is stuck.
GRACE_SECONDS: Final = 5.0


async def finish(work: Awaitable[T], grace: float = GRACE_SECONDS) -> T:
    """Await ``work``; if this task is cancelled meanwhile, let ``work`` run to its end
    (for at most ``grace`` seconds, or until a second cancellation), then pass the
    cancellation on, so the caller still stops."""
    task = asyncio.ensure_future(work)
    try:
        return await asyncio.shield(task)
    except asyncio.CancelledError:
        if task.done():  # ``work`` itself was cancelled, or ended as the caller was
            raise
        try:
            await asyncio.wait({task}, timeout=grace)
        finally:
            # Nothing may outlive the caller: its owner may close the database next.
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        raise
