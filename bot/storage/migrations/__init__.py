"""Alembic's script directory for the bot's database: ``env.py`` and the ``versions``.

Configured as ``script_location = bot.storage:migrations`` (a package resource), so the
revisions ship inside the installed package and the bot can upgrade itself.
"""
