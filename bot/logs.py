"""Logging set-up: one format, quiet HTTP client, and secrets redacted from every line."""

from __future__ import annotations

import logging
from collections.abc import Iterable

from bot.config import Secret

REDACTED = "**********"


class RedactingFormatter(logging.Formatter):
    """Formats as usual, then removes secrets, tracebacks included."""

    def __init__(self, fmt: str, secrets: Iterable[str]) -> None:
        super().__init__(fmt)
        self._secrets = sorted((s for s in secrets if s), key=len, reverse=True)

    def format(self, record: logging.LogRecord) -> str:
        """Return the formatted record with every secret replaced."""
        text = super().format(record)
        for secret in self._secrets:
            text = text.replace(secret, REDACTED)
        return text


class LibraryErrorsInOneLine(logging.Filter):
    """Above DEBUG, python-telegram-bot's errors in one line each, without a traceback.

    Its network retry loops log every failed attempt with a traceback (some 100 lines for
    an unreachable Bot API); the failure of start-up itself is said once by the command
    line, so the bootstrap loop's own record is left out.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        """Shorten (or, for start-up, drop) a record of the ``telegram`` loggers."""
        if not record.name.startswith("telegram"):
            return True
        if "Bootstrap" in record.getMessage() and record.levelno >= logging.ERROR:
            return False
        if record.exc_info and record.exc_info[1] is not None:
            exc = record.exc_info[1]
            record.msg = f"{record.getMessage()} ({type(exc).__name__}: {exc})"
            record.args = None
            record.exc_info = None
            record.exc_text = None
        return True


def redact(text: str, secrets: Iterable[Secret | None]) -> str:
    """``text`` with every secret replaced."""
    for secret in secrets:
        if secret:
            text = text.replace(secret.reveal(), REDACTED)
    return text


def configure(level: int, secrets: Iterable[Secret | None]) -> None:
    """Send logs to stderr at ``level`` with ``secrets`` redacted; tracebacks of the Telegram
    library only at DEBUG."""
    handler = logging.StreamHandler()
    handler.setFormatter(
        RedactingFormatter(
            "%(asctime)s %(levelname)s %(name)s: %(message)s",
            [secret.reveal() for secret in secrets if secret],
        )
    )
    if level > logging.DEBUG:
        handler.addFilter(LibraryErrorsInOneLine())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # httpx logs every request URL at INFO, and Bot API URLs carry the token.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    logging.getLogger("httpcore").setLevel(logging.WARNING)
    # Alembic says "Context impl ..." at INFO on every start; bot.storage.schema logs the
    # upgrades that actually happen.
    logging.getLogger("alembic").setLevel(logging.WARNING)
