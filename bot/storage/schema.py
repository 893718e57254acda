"""The database schema's version, kept by Alembic and upgraded in place at start-up.

The revisions live in ``bot/storage/migrations`` (shipped with the package, so an installed
bot upgrades itself). Every upgrade, whether the bot's own at start-up or an operator's
``alembic upgrade head``, runs in one transaction that first takes the schema lock: on
PostgreSQL an advisory lock, so replicas starting together upgrade one after the other
(the second finds the work done); on SQLite the ``BEGIN IMMEDIATE`` write lock.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Any, Final, Literal

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.util import CommandError
from sqlalchemy import Connection, func, select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from bot.storage.columns import UTCDateTime

if TYPE_CHECKING:
    from alembic.autogenerate.api import AutogenContext

logger = logging.getLogger(__name__)

SCRIPT_LOCATION: Final = "bot.storage:migrations"
# Release 0.1's key: a replica still running it and an upgraded one queue on the same lock.
ADVISORY_LOCK_KEY: Final = 0x696E74766277  # "intvbw"
# Alembic keeps the running migration in module globals (``alembic.context``, ``op``), so
# two upgrades in one process must not interleave, even on different databases: the
# database locks above only order upgrades of the same database.
_ALEMBIC_IN_USE: Final = threading.Lock()


class SchemaError(Exception):
    """The database cannot be used by this code (e.g. it was written by a newer release)."""


def alembic_config(connection: Connection | None = None) -> Config:
    """An Alembic configuration for the bot's revisions, on ``connection`` if given."""
    config = Config()
    config.set_main_option("script_location", SCRIPT_LOCATION)
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def head() -> str:
    """The newest revision this code knows."""
    revision = ScriptDirectory.from_config(alembic_config()).get_current_head()
    if revision is None:
        raise SchemaError("no schema revisions found: the installation is incomplete")
    return revision


async def upgrade(engine: AsyncEngine) -> str:
    """Upgrade the database to the newest revision, in place; return the revision it is at."""
    async with migration_connection(engine) as conn:
        return await conn.run_sync(_upgrade)


def _upgrade(conn: Connection) -> str:
    config = alembic_config(conn)
    current = MigrationContext.configure(conn).get_current_heads()
    try:
        ScriptDirectory.from_config(config).get_revisions(current)
    except CommandError as error:
        raise SchemaError(
            f"the database is at schema revision {', '.join(current)}, which this code does "
            f"not know (its newest is {head()}): it was written by a newer release, "
            "upgrade the bot"
        ) from error
    command.upgrade(config, "head")
    revision = MigrationContext.configure(conn).get_current_revision() or ""
    if current != (revision,):
        logger.info("database schema upgraded from %s to %s", ", ".join(current) or "-", revision)
    return revision


@asynccontextmanager
async def migration_connection(engine: AsyncEngine) -> AsyncIterator[AsyncConnection]:
    """A connection in a transaction holding the schema lock; commits when the block ends."""
    async with _alembic_turn(), engine.connect() as conn:
        if conn.dialect.name == "sqlite":
            async with _sqlite_transaction(conn):
                yield conn
            return
        async with conn.begin():
            await conn.execute(select(func.pg_advisory_xact_lock(ADVISORY_LOCK_KEY)))
            yield conn


@asynccontextmanager
async def _alembic_turn() -> AsyncIterator[None]:
    # Taken before any database lock, so waiting for it never holds one. Polled: Alembic's
    # globals are the process's, not one event loop's, and a thread blocked on acquire()
    # would keep the lock if the waiting task were cancelled.
    while not _ALEMBIC_IN_USE.acquire(blocking=False):  # noqa: ASYNC110
        await asyncio.sleep(0.01)
    try:
        yield
    finally:
        _ALEMBIC_IN_USE.release()


@asynccontextmanager
async def _sqlite_transaction(conn: AsyncConnection) -> AsyncIterator[None]:
    """``BEGIN IMMEDIATE`` with foreign keys off, and checked before the commit.

    Alembic's batch mode rebuilds a table by copy, drop and rename; with foreign keys on,
    dropping ``chats`` would cascade into ``follows`` and empty it. SQLite ignores the
    pragma inside a transaction, so it is set on the bare connection first.
    """
    raw = (await conn.get_raw_connection()).driver_connection
    if raw is None:
        raise RuntimeError("the SQLite connection is closed")
    await raw.execute("PRAGMA foreign_keys=OFF")
    try:
        async with conn.begin():
            yield
            broken = (await conn.exec_driver_sql("PRAGMA foreign_key_check")).all()
            if broken:
                raise SchemaError(f"the upgrade would break foreign keys: {broken[:5]}")
    finally:
        await raw.execute("PRAGMA foreign_keys=ON")


def render_item(kind: str, obj: Any, _context: AutogenContext) -> str | Literal[False]:
    """Write ``UTCDateTime`` as the plain type it creates, so revisions import no bot code."""
    if kind == "type" and isinstance(obj, UTCDateTime):
        return "sa.DateTime(timezone=True)"
    return False
