"""The operators' HTTP endpoint on ``BOT_METRICS_PORT``: ``/metrics`` for Prometheus and
``/healthz`` for liveness (200 while the bot keeps reaching the Bot API, else 503)."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from bot.config import ConfigError
from bot.metrics import Metrics

logger = logging.getLogger(__name__)


class MetricsServer:
    """Serves ``metrics``; ``refresh`` runs before each scrape, ``healthy`` per /healthz."""

    def __init__(
        self,
        metrics: Metrics,
        refresh: Callable[[], Awaitable[None]],
        healthy: Callable[[], bool],
    ) -> None:
        self._metrics = metrics
        self._refresh = refresh
        self._healthy = healthy
        app = web.Application()
        app.router.add_get("/metrics", self._scrape)
        app.router.add_get("/healthz", self._health)
        self._runner = web.AppRunner(app, access_log=None)

    async def start(self, listen: str, port: int) -> None:
        """Start listening on ``listen``:``port``."""
        await self._runner.setup()
        try:
            await web.TCPSite(self._runner, listen, port).start()
        except OSError as exc:
            await self._runner.cleanup()
            raise ConfigError(
                f"BOT_METRICS_PORT: cannot listen there ({exc.strerror or exc}); is it taken?"
            ) from exc
        logger.info("Metrics on port %d at /metrics, liveness at /healthz", port)

    async def stop(self) -> None:
        """Stop listening."""
        await self._runner.cleanup()

    async def _scrape(self, request: web.Request) -> web.Response:
        try:
            await self._refresh()
        except Exception as exc:  # a scrape still gets the process's own figures
            logger.warning("Metrics: could not read the outbox: %s", exc)
        body = generate_latest(self._metrics.registry)
        return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE_LATEST})

    async def _health(self, request: web.Request) -> web.Response:
        if self._healthy():
            return web.Response(text="ok\n")
        return web.Response(status=503, text="no recent answer from the Bot API\n")
