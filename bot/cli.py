"""Command line: run | chat | classify | evaluate | validate | topics | publish | stats."""

from __future__ import annotations

import argparse
import asyncio
import functools
import json
import logging
import sys
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path
from typing import TextIO, TypeVar

from bot import bulletins, logs, terminal
from bot.config import ConfigError, Settings
from bot.content import Content, ContentError, Topic
from bot.content import load as load_content
from bot.conversation import Conversation
from bot.dialogues import (
    Dialogue,
    evaluate_dialogues,
    format_dialogue_report,
    is_dialogue_file,
    read_dialogues,
)
from bot.evaluation import (
    EvaluationFileError,
    Sample,
    evaluate,
    format_report,
    read_samples,
    read_yaml,
)
from bot.reports import format_stats
from bot.storage import SchemaError, Storage, StorageError
from bot.values import LANGS, Lang

logger = logging.getLogger(__name__)
T = TypeVar("T")


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; return the process exit status."""
    args = _parser().parse_args(argv)
    try:
        settings = Settings.from_env()
        logs.configure(settings.log_level, [settings.token, settings.webhook_secret])
        status: int = args.handler(args, settings)
        return status
    except ContentError as exc:
        for problem in exc.problems:
            print(problem, file=sys.stderr)
        return 1
    except ConfigError as exc:
        print(f"configuration error: {exc}", file=sys.stderr)
        return 2
    except (StorageError, SchemaError) as exc:
        # One line an operator can act on; the traceback only at LOG_LEVEL=DEBUG.
        logger.debug("Storage failed", exc_info=exc)
        print(f"database error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


def _conversation(settings: Settings) -> Conversation:
    return Conversation.open(settings.content_dir, settings.model_cache_dir)


def _run(args: argparse.Namespace, settings: Settings) -> int:
    settings.require_token()
    conversation = _conversation(settings)  # broken content stops here, before any network
    from telegram.error import InvalidToken, NetworkError, TelegramError

    from bot.app import run  # imports telegram only for the commands that need it

    try:
        run(settings, conversation)
    except InvalidToken as exc:
        # Its message carries the token: never shown.
        logger.debug("The Bot API refused the token", exc_info=exc)
        print(
            "Bot API error: BOT_TOKEN: Telegram refused this token (revoked or mistyped?); "
            "copy it again from @BotFather",
            file=sys.stderr,
        )
        return 1
    except NetworkError as exc:  # timeouts included
        logger.debug("The Bot API is unreachable", exc_info=exc)
        where = _api_host(settings.api_base_url)
        reason = logs.redact(str(exc), [settings.token])
        print(
            f"Bot API error: BOT_API_BASE_URL: cannot reach the Bot API at {where} ({reason}); "
            "check the network, a proxy, or the URL",
            file=sys.stderr,
        )
        return 1
    except TelegramError as exc:
        logger.debug("The Bot API refused to start the bot", exc_info=exc)
        reason = logs.redact(str(exc), [settings.token])
        print(f"Bot API error: Telegram refused to run the bot: {reason}", file=sys.stderr)
        return 1
    return 0


def _api_host(base_url: str) -> str:
    """Where ``base_url`` points, without the path (which may be followed by the token)."""
    from urllib.parse import urlsplit

    parts = urlsplit(base_url)
    return f"{parts.scheme}://{parts.netloc}" if parts.netloc else "(not a URL)"


def _health(args: argparse.Namespace, settings: Settings) -> int:
    from bot.app import is_healthy

    healthy = is_healthy(settings.heartbeat_file)
    print("healthy" if healthy else "unhealthy: no recent heartbeat from the running bot")
    return 0 if healthy else 1


def _publish(args: argparse.Namespace, settings: Settings) -> int:
    content = load_content(settings.content_dir)
    target = bulletins.EVERYONE if args.all else args.topic
    try:
        bulletin = bulletins.prepare(content, target, " ".join(args.text))
    except bulletins.Refused as exc:
        print(_refusal(exc, target, content), file=sys.stderr)
        return 2
    result = asyncio.run(
        _with_storage(
            settings, lambda storage: storage.outbox.publish(bulletin.topic, bulletin.text, None)
        )
    )
    print(
        f"queued update #{result.bulletin_id} for {result.queued} subscribers "
        f"({bulletin.topic or bulletins.EVERYONE}); the running bot delivers it"
    )
    return 0


def _refusal(exc: bulletins.Refused, target: str, content: Content) -> str:
    if exc.reason is bulletins.Refusal.UNKNOWN_TOPIC:
        ids = ", ".join(topic.id for topic in content.interview_topics)
        return f"unknown topic {target!r}; topics: {ids}"
    if exc.reason is bulletins.Refusal.EMPTY:
        return "nothing to publish: give the update's TEXT"
    return f"too long: the update makes a {exc.size}-character message; Telegram takes 4096"


def _stats(args: argparse.Namespace, settings: Settings) -> int:
    content = load_content(settings.content_dir)
    stats = asyncio.run(_with_storage(settings, lambda storage: storage.stats(recent=args.recent)))
    print(format_stats(stats, content, "en", html=False))
    return 0


async def _with_storage(settings: Settings, action: Callable[[Storage], Awaitable[T]]) -> T:
    storage = await Storage.open(settings.database_url)
    try:
        return await action(storage)
    finally:
        await storage.close()


def _chat(args: argparse.Namespace, settings: Settings) -> int:
    conversation = _conversation(settings)
    lines = (line for line in sys.stdin)
    terminal.chat(conversation, lines, sys.stdout, args.lang, prompt=sys.stdin.isatty())
    return 0


def _classify(args: argparse.Namespace, settings: Settings) -> int:
    conversation = _conversation(settings)
    texts = args.text or (line.strip() for line in sys.stdin if line.strip())
    for text in texts:
        reading, prediction = conversation.classify(text)
        lang = reading.lang or "en"
        if args.json:
            record = {
                "text": text,
                "topic": prediction.topic,
                "confidence": round(prediction.confidence, 4),
                "alternatives": [
                    {"topic": topic, "confidence": round(score, 4)}
                    for topic, score in prediction.alternatives
                ],
                "lang": lang,
            }
            print(json.dumps(record, ensure_ascii=False))
        else:
            topic = prediction.topic or "(out of scope)"
            flag = " (unsure)" if prediction.ambiguous else ""
            print(f"{topic}\t{prediction.confidence:.2f}{flag}\t{lang}\t{text}")
    return 0


def _evaluate(args: argparse.Namespace, settings: Settings) -> int:
    conversation = _conversation(settings)
    known = {topic.id for topic in conversation.content.topics}
    reports: list[Callable[[], str]] = []
    try:
        for path in args.files:
            data = read_yaml(path)
            if is_dialogue_file(data):
                dialogues = read_dialogues(path, data, known)
                reports.append(
                    functools.partial(_dialogue_report, path.name, dialogues, conversation)
                )
            else:
                samples = read_samples(path, known)
                reports.append(functools.partial(_sample_report, path.name, samples, conversation))
    except EvaluationFileError as exc:
        print(exc, file=sys.stderr)
        return 1
    print("\n\n".join(report() for report in reports))
    return 0


def _sample_report(name: str, samples: list[Sample], conversation: Conversation) -> str:
    return format_report(evaluate(name, samples, conversation))


def _dialogue_report(name: str, dialogues: list[Dialogue], conversation: Conversation) -> str:
    return format_dialogue_report(evaluate_dialogues(name, dialogues, conversation))


def _validate(args: argparse.Namespace, settings: Settings) -> int:
    content = load_content(settings.content_dir)
    examples = sum(len(items) for topic in content.topics for items in topic.examples.values())
    print(f"{settings.content_dir}: ok, {len(content.topics)} topics, {examples} training examples")
    return 0


def _topics(args: argparse.Namespace, settings: Settings) -> int:
    content = load_content(settings.content_dir)
    _print_topics(content.topics, args.lang, args.json, sys.stdout)
    return 0


def _print_topics(topics: Sequence[Topic], lang: Lang, as_json: bool, out: TextIO) -> None:
    rows = [
        {"id": topic.id, "title": topic.title[lang], "related": list(topic.related)}
        for topic in topics
    ]
    if as_json:
        out.write(json.dumps(rows, ensure_ascii=False) + "\n")
        return
    for row in rows:
        related = ", ".join(row["related"]) or "-"
        out.write(f"{row['id']:<24}{row['title']}  (related: {related})\n")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="interview-bot", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    run = commands.add_parser("run", help="run the bot on Telegram (polling, or webhook)")
    run.set_defaults(handler=_run)

    health = commands.add_parser("health", help="exit 0 when the running bot is healthy")
    health.set_defaults(handler=_health)

    chat = commands.add_parser("chat", help="talk to the bot in the terminal (no Telegram)")
    chat.add_argument("--lang", choices=LANGS, default="en", help="interface language")
    chat.set_defaults(handler=_chat)

    classify = commands.add_parser("classify", help="classify each TEXT (or each stdin line)")
    classify.add_argument("--json", action="store_true", help="one JSON object per line")
    classify.add_argument("text", nargs="*", metavar="TEXT")
    classify.set_defaults(handler=_classify)

    evaluate_cmd = commands.add_parser("evaluate", help="score the classifier on labelled YAML")
    evaluate_cmd.add_argument("files", nargs="+", type=Path, metavar="FILE")
    evaluate_cmd.set_defaults(handler=_evaluate)

    validate = commands.add_parser("validate", help="check intents/; non-zero exit on errors")
    validate.set_defaults(handler=_validate)

    publish = commands.add_parser("publish", help="queue an update; the running bot delivers it")
    target = publish.add_mutually_exclusive_group(required=True)
    target.add_argument("--topic", metavar="ID", help="subscribers of this topic (and of all)")
    target.add_argument("--all", action="store_true", help="every subscriber")
    publish.add_argument("text", nargs="+", metavar="TEXT")
    publish.set_defaults(handler=_publish)

    stats = commands.add_parser("stats", help="subscribers, deliveries, questions")
    stats.add_argument("--recent", type=int, default=10, help="unanswered questions to show")
    stats.set_defaults(handler=_stats)

    topics = commands.add_parser("topics", help="list the topics")
    topics.add_argument("--json", action="store_true", help="a JSON array")
    topics.add_argument("--lang", choices=LANGS, default="en")
    topics.set_defaults(handler=_topics)
    return parser
