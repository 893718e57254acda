"""Column types shared by the schema and its migrations: UTC timestamps and 64-bit ids."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, Final

from sqlalchemy import BigInteger, DateTime, Integer
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator, TypeEngine

# SQLite only auto-numbers an INTEGER PRIMARY KEY, so 64-bit ids are plain INTEGER there
# (which SQLite stores in up to 8 bytes anyway).
BIG_ID: Final[TypeEngine[int]] = BigInteger().with_variant(Integer(), "sqlite")


class UTCDateTime(TypeDecorator[datetime]):
    """A timestamp that goes in and comes out timezone-aware UTC on every database.

    PostgreSQL keeps ``timestamptz``; SQLite keeps text without an offset, so values are
    written in UTC (text order is then time order) and read back with UTC attached.
    Naive datetimes are refused: their meaning depends on the machine's clock settings.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> Any:
        """Convert an aware datetime to UTC for storage; refuse a naive one."""
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime: pass a timezone-aware time")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: Any | None, dialect: Dialect) -> datetime | None:
        """Return the stored time as an aware UTC datetime."""
        if value is None:
            return None
        if not isinstance(value, datetime):
            raise TypeError(f"expected a datetime from the database, got {type(value).__name__}")
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
