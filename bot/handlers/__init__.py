"""Telegram handlers, one module per feature; groups and order are decided here only."""

from __future__ import annotations

from telegram.ext import Application

from bot.handlers import admin, ask, buttons, errors, start, subscribe


def register(application: Application) -> None:  # type: ignore[type-arg]
    """Register every feature's handlers and the error handler.

    All live in group 0, where the first matching handler wins: commands come before
    ``ask``'s catch-all for unknown commands, so ``/start`` never reads as unknown.
    """
    start.register(application, group=0)
    subscribe.register(application, group=0)
    admin.register(application, group=0)
    buttons.register(application, group=0)
    ask.register(application, group=0)
    application.add_error_handler(errors.on_error)
