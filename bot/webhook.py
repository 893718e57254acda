"""Webhook mode: the HTTP server Telegram posts updates to, and the bot's life around it.

python-telegram-bot's own webhook server (tornado) reads a request's whole body before its
handler checks the secret token, so ten 10 MB bodies without the secret cost 265 MB. This
server (aiohttp) answers 403 from the headers alone, before reading anything; refuses a body
over ``MAX_UPDATE_BYTES`` with 413 (an update is a few kilobytes); and binds ``BOT_LISTEN``
(127.0.0.1 unless told otherwise, a TLS-terminating proxy in front). An accepted update goes
to the application's update queue, as PTB's server does.
"""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
import signal
from dataclasses import dataclass
from typing import Any, Final
from urllib.parse import urlparse

from aiohttp import web
from telegram import Update
from telegram.ext import Application

from bot.config import ConfigError, Settings

logger = logging.getLogger(__name__)

MAX_UPDATE_BYTES: Final = 1024 * 1024
SECRET_HEADER: Final = "X-Telegram-Bot-Api-Secret-Token"  # noqa: S105 (a header name)
# How long a stop waits for requests being received. aiohttp's default (60 s) outlasts the
# grace most supervisors give before SIGKILL (Docker: 10 s), which would lose the updates
# already queued; a request cut off here was never acknowledged, so Telegram sends it again.
DRAIN_SECONDS: Final = 3.0

AnyApplication = Application[Any, Any, Any, Any, Any, Any]


@dataclass(frozen=True)
class Webhook:
    """Where the webhook listens and what Telegram is told."""

    url: str
    secret: str
    listen: str
    port: int

    @property
    def path(self) -> str:
        """The path Telegram posts to: ``url``'s."""
        return urlparse(self.url).path or "/"

    @classmethod
    def of(cls, settings: Settings) -> Webhook:
        """The webhook ``settings`` describe; a ConfigError when one is missing."""
        if not settings.webhook_url:
            raise ConfigError("BOT_WEBHOOK_URL: not set")
        if not settings.webhook_secret:
            raise ConfigError("BOT_WEBHOOK_SECRET: required in webhook mode")
        return cls(
            settings.webhook_url, settings.webhook_secret.reveal(), settings.listen, settings.port
        )


class WebhookServer:
    """Receives updates for ``application`` at ``webhook``; ``start`` also tells Telegram."""

    def __init__(self, application: AnyApplication, webhook: Webhook) -> None:
        self._application = application
        self._webhook = webhook
        app = web.Application(client_max_size=MAX_UPDATE_BYTES)
        app.router.add_post(webhook.path, self._receive)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=DRAIN_SECONDS)

    async def start(self) -> None:
        """Listen, then ask Telegram to post updates here (so the first finds us up)."""
        await self._runner.setup()
        site = web.TCPSite(self._runner, self._webhook.listen, self._webhook.port)
        try:
            await site.start()
        except OSError as exc:
            await self._runner.cleanup()
            # The values are not echoed (see ConfigError); the operator knows them.
            raise ConfigError(
                f"BOT_LISTEN, BOT_PORT: cannot listen there ({exc.strerror or exc}); "
                "is the port taken, or the address not this machine's?"
            ) from exc
        logger.info("Webhook listening on port %d", self._webhook.port)
        await self._application.bot.set_webhook(
            self._webhook.url,
            secret_token=self._webhook.secret,
            allowed_updates=Update.ALL_TYPES,
        )

    async def stop(self) -> None:
        """Stop accepting requests; those being received finish first."""
        await self._runner.cleanup()

    async def _receive(self, request: web.Request) -> web.Response:
        given = request.headers.get(SECRET_HEADER, "").encode()
        if not hmac.compare_digest(given, self._webhook.secret.encode()):
            return web.Response(status=403)  # the body is never read
        if (request.content_length or 0) > MAX_UPDATE_BYTES:
            return web.Response(status=413)
        try:
            body = await request.read()
        except web.HTTPRequestEntityTooLarge:  # no Content-Length, chunked past the limit
            return web.Response(status=413)
        try:
            update = Update.de_json(json.loads(body), self._application.bot)
        except (ValueError, TypeError, KeyError) as exc:
            logger.warning("Webhook: a request with the secret but no update in it: %s", exc)
            return web.Response(status=400)
        await self._application.update_queue.put(update)
        return web.Response()


def run(application: AnyApplication, webhook: Webhook) -> None:
    """Run ``application`` behind the webhook until SIGINT or SIGTERM, as PTB's
    ``run_webhook`` does: post_init after initialize, post_stop and post_shutdown at the end."""
    asyncio.run(_serve(application, webhook))


async def _serve(application: AnyApplication, webhook: Webhook) -> None:
    stopping = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stopping.set)
    server = WebhookServer(application, webhook)
    await application.initialize()
    try:
        if application.post_init is not None:
            await application.post_init(application)
        await server.start()
        await application.start()
        await stopping.wait()
        logger.info("Stopping: finishing the updates already received")
    finally:
        await server.stop()
        if application.running:
            await application.stop()  # processes what is queued first
            if application.post_stop is not None:
                await application.post_stop(application)
        await application.shutdown()
        if application.post_shutdown is not None:
            await application.post_shutdown(application)
