"""Telegram handlers, one module per kind of update; groups and order are decided here only.

Each handler unpacks the update into an ``Incoming``, makes one call to the chat service
(``common.handle``) and shows the ``Reply``.
"""

from __future__ import annotations

from telegram.ext import Application

from bot.handlers import ask, buttons, commands, errors, inline


def register(application: Application) -> None:  # type: ignore[type-arg]
    """Register every handler and the error handler.

    All live in group 0, where the first matching handler wins: commands come before
    ``ask``'s catch-all for unknown commands, so ``/start`` never reads as unknown.
    """
    commands.register(application, group=0)
    buttons.register(application, group=0)
    inline.register(application, group=0)
    ask.register(application, group=0)
    application.add_error_handler(errors.on_error)
