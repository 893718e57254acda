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


def configure(level: int, secrets: Iterable[Secret | None]) -> None:
    """Send logs to stderr at ``level`` with ``secrets`` redacted."""
    handler = logging.StreamHandler()
    handler.setFormatter(
        RedactingFormatter(
            "%(asctime)s %(levelname)s %(name)s: %(message)s",
            [secret.reveal() for secret in secrets if secret],
        )
    )
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # httpx logs every request URL at INFO, and Bot API URLs carry the token.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    logging.getLogger("httpcore").setLevel(logging.WARNING)
    # Alembic says "Context impl ..." at INFO on every start; bot.storage.schema logs the
    # upgrades that actually happen.
    logging.getLogger("alembic").setLevel(logging.WARNING)
