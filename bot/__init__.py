"""A Telegram bot that turns a published interview into a conversation."""

__version__ = "0.1.0"
