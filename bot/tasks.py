"""Work a background task must not be cut off in.

Stopping the bot cancels its background tasks (the write-behind, the delivery worker and
its lease keeper). A cancellation that lands inside a database transaction can leave
SQLite's write lock with a connection nobody will use again: under load, every later
write, the last flush at shutdown included, then failed with "database is locked".
Those tasks therefore do their writes through ``finish``; cancellation stops them between
writes, never inside one.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from typing import TypeVar

T = TypeVar("T")


async def finish(work: Awaitable[T]) -> T:
    """Await ``work`` to its end even if this task is cancelled meanwhile; then pass the
    cancellation on, so the caller still stops (SQLAlchemy's own cleanup does the same)."""
    task = asyncio.ensure_future(work)
    cancelled: asyncio.CancelledError | None = None
    while True:
        try:
            result = await asyncio.shield(task)
        except asyncio.CancelledError as exc:
            if task.done():  # ``work`` itself was cancelled
                raise
            cancelled = exc
        else:
            break
    if cancelled is not None:
        raise cancelled
    return result
