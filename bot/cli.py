"""Command line: run | chat | classify | evaluate | calibrate | validate | topics | publish |
stats | import | suggest."""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import functools
import json
import logging
import sys
from collections import Counter
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TextIO, TypeVar

from bot import bulletins, charts, logs, terminal
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
Handler = Callable[[argparse.Namespace, Settings], int]  # one command: exit status


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; return the process exit status."""
    args = _parser().parse_args(argv)
    try:
        settings = Settings.from_env()
        if getattr(args, "content", None) is not None:
            settings = dataclasses.replace(settings, content_dir=args.content)
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


def _preview(settings: Settings, out: TextIO) -> Conversation:
    """The conversation on the content folder, drafts included (``run`` refuses them); says
    so on ``out`` when there are drafts."""
    content = load_content(settings.content_dir, preview=True)
    drafts = [topic.id for topic in content.topics if topic.draft]
    if drafts:
        out.write(
            f"Preview of {settings.content_dir}: {len(drafts)} drafted topics "
            f"({', '.join(drafts)}) are not served by `run` until reviewed; "
            "`validate` lists what is left.\n"
        )
    return Conversation.prepare(content, settings.model_cache_dir)


def _run(args: argparse.Namespace, settings: Settings) -> int:
    settings.require_token()
    from telegram.error import InvalidToken, NetworkError, TelegramError

    from bot.app import run  # imports telegram only for the commands that need it
    from bot.webhook import Webhook

    if settings.webhook_url:
        Webhook.of(settings)  # a webhook set up wrong is said before the content is read
    conversation = _conversation(settings)  # broken content stops here, before any network

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
    if args.chart is not None:
        trends = asyncio.run(_with_storage(settings, lambda storage: storage.trends()))
        args.chart.write_bytes(charts.render(trends))
        print(f"chart written to {args.chart}")
    return 0


async def _with_storage(settings: Settings, action: Callable[[Storage], Awaitable[T]]) -> T:
    storage = await Storage.open(settings.database_url)
    try:
        return await action(storage)
    finally:
        await storage.close()


def _chat(args: argparse.Namespace, settings: Settings) -> int:
    conversation = _preview(settings, sys.stdout)
    lines = (line for line in sys.stdin)
    terminal.chat(conversation, lines, sys.stdout, args.lang, prompt=sys.stdin.isatty())
    return 0


def _classify(args: argparse.Namespace, settings: Settings) -> int:
    conversation = _preview(settings, sys.stderr)  # stdout is for the results
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
    matrix: Counter[tuple[str, str]] = Counter()  # every labelled file's, for --plot
    plotted = False

    def sample_report(name: str, samples: list[Sample]) -> str:
        report = evaluate(name, samples, conversation)
        matrix.update(report.matrix)
        return format_report(report)

    try:
        for path in args.files:
            data = read_yaml(path)
            if is_dialogue_file(data):
                dialogues = read_dialogues(path, data, known)
                reports.append(
                    functools.partial(_dialogue_report, path.name, dialogues, conversation)
                )
            else:
                plotted = True
                reports.append(
                    functools.partial(sample_report, path.name, read_samples(path, known))
                )
    except EvaluationFileError as exc:
        print(exc, file=sys.stderr)
        return 1
    if args.plot and not plotted:
        print("--plot: no file of labelled messages to draw", file=sys.stderr)
        return 1
    print("\n\n".join(report() for report in reports))
    if args.plot:
        from bot.confusion import plot_confusion

        names = ", ".join(path.name for path in args.files)
        plot_confusion(matrix, args.plot, names)
        print(f"confusion matrix written to {args.plot}")
    return 0


def _dialogue_report(name: str, dialogues: list[Dialogue], conversation: Conversation) -> str:
    return format_dialogue_report(evaluate_dialogues(name, dialogues, conversation))


def _validate(args: argparse.Namespace, settings: Settings) -> int:
    content = load_content(settings.content_dir)
    examples = sum(len(items) for topic in content.topics for items in topic.examples.values())
    print(f"{settings.content_dir}: ok, {len(content.topics)} topics, {examples} training examples")
    return 0


def _calibrate(args: argparse.Namespace, settings: Settings) -> int:
    from bot.calibration import as_yaml, calibrate, describe
    from bot.thresholds import THRESHOLDS_FILE

    calibrations = calibrate(load_content(settings.content_dir))
    for item in calibrations:
        print(describe(item))
    if args.write:
        path = settings.content_dir / THRESHOLDS_FILE
        path.write_text(as_yaml(calibrations), encoding="utf-8")
        print(f"written to {path}")
    return 0


def _import(args: argparse.Namespace, settings: Settings) -> int:
    from bot.importer import TranscriptError, read_transcript, write_drafts

    try:
        transcript = read_transcript(args.transcript.read_text(encoding="utf-8"))
        result = write_drafts(transcript, args.transcript.name, settings.content_dir, args.out)
    except (TranscriptError, FileExistsError, OSError) as exc:
        print(f"import: {exc}", file=sys.stderr)
        return 1
    print(
        f"{args.out}: drafted {len(result.drafted)} topics ({', '.join(result.drafted)}) in "
        f"{result.lang}; copied {', '.join(result.copied)}"
    )
    if result.missing:
        print(f"left for translation: {', '.join(result.missing)}")
    print(f"try it: python -m bot chat --content {args.out}")
    return 0


def _suggest(args: argparse.Namespace, settings: Settings) -> int:
    from bot.suggestions import Asked, format_suggestions, suggest

    conversation = _conversation(settings)
    days = settings.keep_questions_days if args.days is None else args.days
    since = datetime.now(UTC) - timedelta(days=days)
    kept = asyncio.run(_with_storage(settings, lambda storage: storage.questions.unanswered(since)))
    asked = [Asked(question.text, question.lang or "en") for question in kept]
    print(format_suggestions(suggest(conversation, asked), days))
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
    # The commands that read the content take the folder too (else BOT_CONTENT_DIR).
    folder = argparse.ArgumentParser(add_help=False)
    folder.add_argument(
        "--content", type=Path, metavar="DIR", help="the content folder (default: intents/)"
    )

    def command(
        name: str, handler: Handler, summary: str, reads_content: bool = True
    ) -> argparse.ArgumentParser:
        sub = commands.add_parser(name, parents=[folder] if reads_content else [], help=summary)
        sub.set_defaults(handler=handler)
        return sub

    command("run", _run, "run the bot on Telegram (polling, or webhook)")
    command("health", _health, "exit 0 when the running bot is healthy", reads_content=False)
    chat = command("chat", _chat, "talk to the bot in the terminal; previews drafts")
    chat.add_argument("--lang", choices=LANGS, default="en", help="interface language")
    classify = command("classify", _classify, "classify each TEXT (or each stdin line)")
    classify.add_argument("--json", action="store_true", help="one JSON object per line")
    classify.add_argument("text", nargs="*", metavar="TEXT")
    evaluate = command("evaluate", _evaluate, "score the classifier on labelled YAML")
    evaluate.add_argument("files", nargs="+", type=Path, metavar="FILE")
    evaluate.add_argument(
        "--plot", type=Path, metavar="FILE.png", help="draw the confusion matrix of the messages"
    )
    command(
        "calibrate", _calibrate, "choose the thresholds by cross-validation on the examples"
    ).add_argument(
        "--write", action="store_true", help="keep them in the content folder's thresholds.yaml"
    )
    command("validate", _validate, "check intents/; non-zero exit on errors and drafts")

    publish = command(
        "publish", _publish, "queue an update; the running bot delivers it", reads_content=False
    )
    target = publish.add_mutually_exclusive_group(required=True)
    target.add_argument("--topic", metavar="ID", help="subscribers of this topic (and of all)")
    target.add_argument("--all", action="store_true", help="every subscriber")
    publish.add_argument("text", nargs="+", metavar="TEXT")

    stats = command("stats", _stats, "subscribers, deliveries, questions", reads_content=False)
    stats.add_argument("--recent", type=int, default=10, help="unanswered questions to show")
    stats.add_argument(
        "--chart", type=Path, metavar="FILE.png", help="also draw the last 14 days as a PNG"
    )
    drafting = command(
        "import", _import, "draft a content folder from a transcript", reads_content=False
    )
    drafting.add_argument("transcript", type=Path, metavar="TRANSCRIPT")
    drafting.add_argument("--out", type=Path, required=True, metavar="DIR")
    command(
        "suggest", _suggest, "group unanswered questions; propose a topic and examples for each"
    ).add_argument("--days", type=int, help="how far back (default: BOT_KEEP_QUESTIONS_DAYS, 30)")

    topics = command("topics", _topics, "list the topics")
    topics.add_argument("--json", action="store_true", help="a JSON array")
    topics.add_argument("--lang", choices=LANGS, default="en")
    return parser
