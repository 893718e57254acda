"""Deliveries: the worker that drains the outbox (``worker``, free of Telegram) and its Bot
API side (``sender``)."""
