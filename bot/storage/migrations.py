"""Versioned schema upgrades without Alembic: an ordered list of steps and a version table.

Each step runs in its own transaction together with the bump of ``schema_version``, so a
crash leaves the database at the previous version, never half-way. The steps describe
their tables themselves rather than importing ``tables.py``: a migration is history and
must create what that release had, whatever the current schema says. Concurrent start-ups
(several replicas on one PostgreSQL) queue on an advisory lock; on SQLite the write
transaction itself is the lock.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Final

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    Connection,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    false,
    func,
    insert,
    inspect,
    select,
    text,
    update,
)
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.schema import CreateColumn

from bot.storage.columns import BIG_ID, UTCDateTime

logger = logging.getLogger(__name__)

# Any fixed 64-bit number works; it only has to be the same in every replica.
_ADVISORY_LOCK_KEY: Final = 0x696E74766277  # "intvbw"

_version_metadata = MetaData()
schema_version = Table(
    "schema_version",
    _version_metadata,
    Column("version", Integer, nullable=False),
)


class SchemaError(Exception):
    """The database cannot be used by this code (e.g. it was written by a newer release)."""


@dataclass(frozen=True)
class Migration:
    """One upgrade step: the version it produces and what it does."""

    version: int
    summary: str
    apply: Callable[[Connection], None]


def _v1_chats_and_follows(conn: Connection) -> None:
    """The previous release: chats and the topics they follow."""
    v1 = MetaData()
    Table(
        "chats",
        v1,
        Column("chat_id", BigInteger, primary_key=True, autoincrement=False),
        Column("language", String(2), nullable=True),
        Column("follows_all", Boolean, nullable=False, server_default=false()),
        Column("active", Boolean, nullable=False, server_default=false()),
        Column("created_at", UTCDateTime, nullable=False, server_default=func.now()),
    )
    Table(
        "follows",
        v1,
        Column(
            "chat_id",
            BigInteger,
            ForeignKey("chats.chat_id", ondelete="CASCADE"),
            primary_key=True,
        ),
        Column("topic", String(32), primary_key=True),
    )
    v1.create_all(conn, checkfirst=False)


def _v2_outbox_and_questions(conn: Connection) -> None:
    """Updates with their delivery outbox, asked questions, and why a chat went inactive."""
    v2 = MetaData()
    Table(
        "updates",
        v2,
        Column("id", BIG_ID, primary_key=True),
        Column("topic", String(32), nullable=True),
        Column("text", Text, nullable=False),
        Column("author", BigInteger, nullable=True),
        Column("created_at", UTCDateTime, nullable=False, server_default=func.now()),
    )
    Table(
        "deliveries",
        v2,
        Column("id", BIG_ID, primary_key=True),
        Column("update_id", BIG_ID, ForeignKey("updates.id", ondelete="CASCADE"), nullable=False),
        Column("chat_id", BigInteger, nullable=False),
        Column("status", String(8), nullable=False),
        Column("attempts", Integer, nullable=False, server_default="0"),
        Column("next_attempt_at", UTCDateTime, nullable=False),
        Column("claimed_by", String(64), nullable=True),
        Column("claimed_at", UTCDateTime, nullable=True),
        Column("sent_at", UTCDateTime, nullable=True),
        Column("error", Text, nullable=True),
        UniqueConstraint("update_id", "chat_id", name="uq_deliveries_update_chat"),
        CheckConstraint(
            "status IN ('queued', 'sending', 'sent', 'failed')", name="ck_deliveries_status"
        ),
        Index("ix_deliveries_status_due", "status", "next_attempt_at"),
        Index("ix_deliveries_chat_id", "chat_id"),
    )
    Table(
        "questions",
        v2,
        Column("id", BIG_ID, primary_key=True),
        Column("topic", String(32), nullable=True),
        Column("lang", String(2), nullable=False),
        Column("text", Text, nullable=True),
        Column("created_at", UTCDateTime, nullable=False, server_default=func.now()),
        Index("ix_questions_created_at", "created_at"),
    )
    v2.create_all(conn, checkfirst=False)
    # A plain ADD COLUMN (nullable, no default) is the one ALTER both SQLite and
    # PostgreSQL do in place without rewriting the table.
    reason = Column("deactivated_reason", String(200), nullable=True)
    Table("chats", MetaData(), reason)
    column_ddl = CreateColumn(reason).compile(dialect=conn.dialect)
    conn.execute(text(f"ALTER TABLE chats ADD COLUMN {column_ddl}"))


def _v3_contexts(conn: Connection) -> None:
    """Each chat's context: its last answer."""
    v3 = MetaData()
    Table(
        "contexts",
        v3,
        Column("chat_id", BigInteger, primary_key=True, autoincrement=False),
        Column("topic", String(32), nullable=False),
        Column("long", Boolean, nullable=False),
        Column("lang", String(2), nullable=False),
        Column("at", UTCDateTime, nullable=False),
    )
    v3.create_all(conn, checkfirst=False)


MIGRATIONS: Final[tuple[Migration, ...]] = (
    Migration(1, "chats and follows", _v1_chats_and_follows),
    Migration(
        2, "updates, deliveries, questions, chats.deactivated_reason", _v2_outbox_and_questions
    ),
    Migration(3, "contexts", _v3_contexts),
)
LATEST_VERSION: Final = MIGRATIONS[-1].version


async def migrate(engine: AsyncEngine, target: int | None = None) -> int:
    """Upgrade the database step by step to ``target`` (the latest by default); return its version.

    A database already at or past ``target`` is left alone (there are no downgrades); one
    written by a newer release than this code raises ``SchemaError``.
    """
    goal = LATEST_VERSION if target is None else target
    if not 0 <= goal <= LATEST_VERSION:
        raise ValueError(f"target must be between 0 and {LATEST_VERSION}, not {goal}")
    while True:
        async with engine.begin() as conn:
            version = await conn.run_sync(_lock_and_read_version)
            if version > LATEST_VERSION:
                raise SchemaError(
                    f"the database is at schema version {version}, newer than this code "
                    f"({LATEST_VERSION}): upgrade the bot"
                )
            if version >= goal:
                return version
            step = MIGRATIONS[version]
            await conn.run_sync(step.apply)
            await conn.execute(update(schema_version).values(version=step.version))
        logger.info("database schema upgraded to version %d (%s)", step.version, step.summary)


def _lock_and_read_version(conn: Connection) -> int:
    if conn.dialect.name == "postgresql":
        # Released at commit; a second replica starting now waits here, then sees the
        # version the first one wrote and skips the step.
        conn.execute(select(func.pg_advisory_xact_lock(_ADVISORY_LOCK_KEY)))
    schema_version.create(conn, checkfirst=True)
    version = conn.execute(select(schema_version.c.version)).scalar_one_or_none()
    if version is not None:
        return int(version)
    # No version yet. A database that already has ``chats`` was created by the first
    # release's create_all() before versioning existed: it is at version 1.
    version = 1 if inspect(conn).has_table("chats") else 0
    conn.execute(insert(schema_version).values(version=version))
    return version
