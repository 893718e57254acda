"""The composition root: builds the Telegram application and owns its resources."""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import time
from pathlib import Path
from typing import Any, Final

from sqlalchemy.exc import SQLAlchemyError
from telegram import BotCommand, LinkPreviewOptions, Update
from telegram.constants import ParseMode
from telegram.error import TelegramError
from telegram.ext import Application, ContextTypes, Defaults

from bot import handlers, webhook
from bot.chat.service import ChatService
from bot.config import Settings
from bot.conversation import Conversation
from bot.delivery.sender import WORKER_CONNECTIONS, telegram_worker, worker_bot
from bot.delivery.worker import Limits
from bot.flood import FloodControl
from bot.handlers.commands import READER_COMMANDS
from bot.metrics import Metrics
from bot.metrics_server import MetricsServer
from bot.services import BotData
from bot.storage import Storage
from bot.storage.leadership import Leadership
from bot.tasks import finish
from bot.values import DEFAULT_LANG, LANGS

logger = logging.getLogger(__name__)

HEARTBEAT_SECONDS: Final = 30.0
CONCURRENT_UPDATES: Final = 32
CONNECTION_POOL_SIZE: Final = 16
WRITE_BEHIND_SECONDS: Final = 2.0
HEALTHY_WITHIN: Final = 3 * HEARTBEAT_SECONDS

BotApplication = Application[Any, Any, Any, Any, BotData, Any]


class MeteredApplication(Application[Any, Any, Any, Any, BotData, Any]):
    """The application, counting every update by kind and timing its handling."""

    async def process_update(self, update: object) -> None:
        """Handle ``update`` as usual, recording its kind and how long it took."""
        metrics = self.bot_data.metrics
        metrics.update(_kind(update))
        started = time.monotonic()
        try:
            await super().process_update(update)
        finally:
            metrics.reply_seconds.observe(time.monotonic() - started)


def _kind(update: object) -> str:
    if not isinstance(update, Update):
        return "other"
    return next((kind for kind in Update.ALL_TYPES if getattr(update, kind, None)), "other")


def bot_defaults() -> Defaults:
    """Every message is Telegram HTML, without link previews."""
    return Defaults(
        parse_mode=ParseMode.HTML, link_preview_options=LinkPreviewOptions(is_disabled=True)
    )


def build_application(
    settings: Settings,
    conversation: Conversation,
    flood: FloodControl | None = None,
    metrics: Metrics | None = None,
) -> BotApplication:
    """Build the application for ``settings``, serving ``conversation``; replies wait out
    flood control through ``flood`` (Telegram's limits by default); what it measures goes
    to ``metrics`` (a registry of its own by default)."""
    metrics = metrics or Metrics()
    if flood is None:
        flood = FloodControl(on_wait=lambda seconds: metrics.flood_wait("reply", seconds))
    base_url = settings.api_base_url
    application: BotApplication = (
        Application.builder()
        .application_class(MeteredApplication)
        .token(settings.require_token().reveal())
        .base_url(base_url)
        .base_file_url(base_url.removesuffix("/bot") + "/file/bot")
        .defaults(bot_defaults())
        .context_types(ContextTypes(bot_data=BotData))
        # Answers are stateless, so one slow chat never holds up the others. A bounded pool
        # of connections: httpcore scans every pooled connection on each request, and 256
        # of them cost more CPU under load than they save in waiting (see benchmarks/e2e.py).
        .concurrent_updates(CONCURRENT_UPDATES)
        .connection_pool_size(CONNECTION_POOL_SIZE)
        # Replies wait for a group's place and after RetryAfter, rather than being lost.
        .rate_limiter(flood)
        .post_init(_post_init)
        .post_stop(_post_stop)
        .post_shutdown(_post_shutdown)
        .build()
    )
    application.bot_data.settings = settings
    application.bot_data.metrics = metrics
    application.bot_data.serve(conversation)
    handlers.register(application)
    return application


async def _post_init(application: BotApplication) -> None:
    """Open the storage, introduce the bot to Telegram, start the heartbeat and the worker."""
    data = application.bot_data
    settings = data.settings
    storage = await Storage.open(settings.database_url)
    chats = data.open(storage)
    await storage.questions.prune(settings.keep_questions_days)
    await _describe(application)
    data.tasks.append(
        asyncio.create_task(_heartbeat(application, settings.heartbeat_file), name="heartbeat")
    )
    data.tasks.append(asyncio.create_task(_deliver(application, storage), name="delivery-worker"))
    data.tasks.append(asyncio.create_task(_write_behind(chats), name="write-behind"))
    if settings.metrics_port is not None:
        await _serve_metrics(application, storage, settings.metrics_port)


async def _serve_metrics(application: BotApplication, storage: Storage, port: int) -> None:
    """Serve /metrics and /healthz on ``port`` until ``_post_shutdown``."""
    data = application.bot_data
    settings = data.settings

    async def refresh() -> None:
        data.metrics.outbox(await storage.outbox.count_by_status())

    server = MetricsServer(data.metrics, refresh, lambda: is_healthy(settings.heartbeat_file))
    await server.start(settings.listen, port)
    data.stop_serving_metrics = server.stop


async def _write_behind(chats: ChatService) -> None:
    """Store chats' contexts and question statistics behind the answers, every few seconds."""
    while True:
        await asyncio.sleep(WRITE_BEHIND_SECONDS)
        try:
            await finish(chats.flush())
        except SQLAlchemyError as exc:  # kept for the next round
            logger.warning("Could not store contexts or question statistics: %s", exc)
        except Exception:
            # Whatever else went wrong, this task must go on writing (the next rounds).
            logger.exception("Write-behind round failed; trying again")


async def _deliver(application: BotApplication, storage: Storage) -> None:
    """Run the delivery worker while this process leads delivery (one process per bot, so
    one rate for the bot however many replicas there are)."""
    await Leadership(storage.db).lead(lambda: _run_worker(application, storage))


async def _run_worker(application: BotApplication, storage: Storage) -> None:
    """Run the delivery worker on a bot of its own, so bulk sends never take the
    connections that interactive replies use."""
    settings = application.bot_data.settings
    bot = worker_bot(
        settings.require_token().reveal(), settings.api_base_url, application.bot.defaults
    )
    limits = Limits(
        rate=settings.delivery_rate,
        lease=settings.delivery_lease,
        concurrency=WORKER_CONNECTIONS,
    )
    name = f"{socket.gethostname()}:{os.getpid()}"
    content = application.bot_data.conversation.content
    metrics = application.bot_data.metrics
    worker = telegram_worker(
        storage.outbox,
        bot,
        content,
        name,
        limits,
        on_flood_wait=lambda seconds: metrics.flood_wait("delivery", seconds),
    )
    while True:  # worker.run() only ends by cancellation or by failing to reach the Bot API
        try:
            async with bot:
                await worker.run()
        except TelegramError as exc:
            logger.warning("Delivery worker cannot reach the Bot API (%s); retrying", exc)
            await asyncio.sleep(HEARTBEAT_SECONDS)


async def _post_stop(application: BotApplication) -> None:
    """Stop the background tasks started in ``_post_init``."""
    tasks = application.bot_data.tasks
    for task in tasks:
        task.cancel()
    for task in tasks:
        try:
            await task
        except asyncio.CancelledError:
            pass
        except Exception:
            # Shutting down must go on (the storage still needs closing): report and carry on.
            logger.exception("Background task %s had failed", task.get_name())
    tasks.clear()


async def _post_shutdown(application: BotApplication) -> None:
    """Stop serving metrics; close the storage opened in ``_post_init``."""
    stop_serving = application.bot_data.stop_serving_metrics
    if stop_serving is not None:
        application.bot_data.stop_serving_metrics = None
        await stop_serving()
    opened = application.bot_data.close()
    if opened is None:
        return  # post_init never got as far as opening it
    chats, storage = opened
    try:
        await chats.flush()
    finally:
        await storage.close()


async def _describe(application: BotApplication) -> None:
    """Set the command list and descriptions in every language (English is the default)."""
    content = application.bot_data.conversation.content
    bot = application.bot
    for lang in LANGS:
        code = None if lang == DEFAULT_LANG else lang
        commands = [
            BotCommand(name, content.text(f"command_{name}", lang)) for name in READER_COMMANDS
        ]
        try:
            await bot.set_my_commands(commands, language_code=code)
            await bot.set_my_description(content.text("bot_description", lang), language_code=code)
            await bot.set_my_short_description(
                content.text("bot_short_description", lang), language_code=code
            )
        except TelegramError as exc:
            # Cosmetic: a bot without a command list still answers.
            logger.warning("Could not set the %s command list or description: %s", lang, exc)


async def _heartbeat(application: BotApplication, path: Path) -> None:
    """Touch ``path`` while the Bot API answers; ``python -m bot health`` reads its age."""
    path.parent.mkdir(parents=True, exist_ok=True)
    while True:
        try:
            await application.bot.get_me()
        except TelegramError as exc:
            logger.warning("Heartbeat: the Bot API did not answer: %s", exc)
        else:
            await asyncio.to_thread(path.touch)
        await asyncio.sleep(HEARTBEAT_SECONDS)


def is_healthy(path: Path, now: float | None = None) -> bool:
    """Whether the running bot reached the Bot API recently (its heartbeat is fresh)."""
    try:
        age = (time.time() if now is None else now) - path.stat().st_mtime
    except FileNotFoundError:
        return False
    return age <= HEALTHY_WITHIN


def run(settings: Settings, conversation: Conversation) -> None:
    """Run the bot until SIGINT/SIGTERM: a webhook when configured, else long polling."""
    application = build_application(settings, conversation)
    if settings.webhook_url:
        logger.info("Starting in webhook mode")
        webhook.run(application, webhook.Webhook.of(settings))
    else:
        logger.info("Starting in polling mode")
        application.run_polling(allowed_updates=Update.ALL_TYPES)
