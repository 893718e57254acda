"""Databases as release 0.1 left them, for upgrade tests: its fixtures, and its version 1.

Written out literally, like a revision: these must stay what the old releases wrote,
whatever ``bot.storage.tables`` says today.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    DateTime,
    ForeignKey,
    Integer,
    MetaData,
    String,
    Table,
    false,
    func,
    insert,
    make_url,
)
from sqlalchemy.ext.asyncio import AsyncConnection, create_async_engine

FIXTURES = Path(__file__).resolve().parent / "fixtures"
SQLITE_FIXTURE = FIXTURES / "release-0.1.sqlite3"
POSTGRESQL_FIXTURE = FIXTURES / "release-0.1.postgresql.sql"
DUMPED_SCHEMA = "release_0_1"


async def load_release_0_1(url: str) -> None:
    """Put release 0.1's fixture database where ``url`` points (a fresh database)."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        assert parsed.database
        target = Path(parsed.database)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(SQLITE_FIXTURE, target)
        return
    schema = "public"
    # pg_dump names every object release_0_1.*: rename them into the test's fresh schema,
    # and drop the psql-only meta-commands (\restrict) and the schema's own creation.
    lines = [
        line
        for line in POSTGRESQL_FIXTURE.read_text(encoding="utf-8").splitlines()
        if not line.startswith("\\") and line != f"CREATE SCHEMA {DUMPED_SCHEMA};"
    ]
    script = "\n".join(lines).replace(f"{DUMPED_SCHEMA}.", f'"{schema}".')
    engine = create_async_engine(url)
    try:
        async with engine.connect() as conn:
            raw = await conn.get_raw_connection()
            # asyncpg runs a parameterless script of many statements in one go.
            await raw.driver_connection.execute(script)
    finally:
        await engine.dispose()


async def create_version_1(conn: AsyncConnection, *, versioned: bool = True) -> None:
    """Create release 0.1's schema version 1 (chats and follows), empty.

    ``versioned=False`` leaves out ``schema_version``, as the very first release did.
    """
    v1 = MetaData()
    Table(
        "chats",
        v1,
        Column("chat_id", BigInteger, primary_key=True, autoincrement=False),
        Column("language", String(2), nullable=True),
        Column("follows_all", Boolean, nullable=False, server_default=false()),
        Column("active", Boolean, nullable=False, server_default=false()),
        Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
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
    if versioned:
        Table("schema_version", v1, Column("version", Integer, nullable=False))
    await conn.run_sync(v1.create_all)
    if versioned:
        await conn.execute(insert(v1.tables["schema_version"]).values(version=1))
