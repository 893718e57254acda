"""Why a database cannot be opened, said in one line an operator can act on."""

from __future__ import annotations

import re
from typing import Final

from sqlalchemy import make_url
from sqlalchemy.exc import ArgumentError, DatabaseError, InvalidRequestError, NoSuchModuleError


class StorageError(Exception):
    """The database named by ``DATABASE_URL`` cannot be used; the message says what to do."""


# A bot token (digits, a colon, 30-odd letters): pasted into DATABASE_URL, it is not shown.
_TOKEN_LIKE: Final = re.compile(r"[0-9]{5,}:[A-Za-z0-9_-]{20,}")


def describe(url: str, exc: BaseException) -> str:
    """One line for ``exc``, raised while opening ``url`` (its password, or anything shaped
    like a bot token, never shown)."""
    return _TOKEN_LIKE.sub("**********", _describe(url, exc))


def _describe(url: str, exc: BaseException) -> str:
    try:
        parsed = make_url(url)
    except ArgumentError:
        return "DATABASE_URL: not a database URL; use sqlite+aiosqlite:///PATH or postgresql+asyncpg://USER@HOST/DB"
    shown = parsed.render_as_string(hide_password=True)
    backend, driver = parsed.get_backend_name(), parsed.get_driver_name()
    if backend not in ("sqlite", "postgresql"):
        return f"DATABASE_URL: {backend} is not supported; use SQLite or PostgreSQL"
    if isinstance(exc, (InvalidRequestError, NoSuchModuleError, ImportError)) and driver not in (
        "aiosqlite",
        "asyncpg",
    ):
        async_url = f"{backend}+{'aiosqlite' if backend == 'sqlite' else 'asyncpg'}://"
        return f"DATABASE_URL: {shown} needs the async driver: start it with {async_url}"
    if backend == "sqlite":
        if isinstance(exc, OSError):
            return f"DATABASE_URL: cannot create the folder for {parsed.database}: {exc.strerror}"
        if isinstance(exc, DatabaseError) and "not a database" in str(exc.orig):
            return f"DATABASE_URL: {parsed.database} is not a SQLite database (damaged?)"
        if isinstance(exc, DatabaseError):
            return (
                f"DATABASE_URL: cannot open {parsed.database} "
                f"({exc.orig}); check the folder exists and this user may write there"
            )
    if isinstance(exc, (OSError, DatabaseError)):
        where = f"{parsed.host or 'localhost'}:{parsed.port or 5432}"
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else _first_line(exc)
        return f"DATABASE_URL: cannot reach PostgreSQL at {where} ({reason}); is it running?"
    return f"DATABASE_URL: cannot open {shown}: {_first_line(exc)}"


def _first_line(exc: BaseException) -> str:
    text = str(getattr(exc, "orig", None) or exc)
    return text.splitlines()[0] if text else type(exc).__name__
