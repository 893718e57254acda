"""Statistics as pictures: the figures per day, the PNG, ``stats --chart``, and matplotlib
left unimported until a chart is asked for."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import insert

from bot import charts
from bot.chat.question_log import QuestionLog
from bot.classifier import Prediction
from bot.replies import Reply, ReplyKind
from bot.storage import Outcome, Question, Storage, Trends
from bot.storage.tables import chats, questions
from bot.storage.trends import read_trends
from tests.conftest import ROOT

PNG = b"\x89PNG\r\n\x1a\n"
NOW = datetime(2026, 12, 3, 12, 0, tzinfo=UTC)


def png_size(data: bytes) -> tuple[int, int]:
    """A PNG's width and height, from its header."""
    assert data.startswith(PNG), data[:16]
    return int.from_bytes(data[16:20]), int.from_bytes(data[20:24])


async def add_chat(store: Storage, chat_id: int, created: datetime, active: bool = True) -> None:
    async with store.db.engine.begin() as conn:
        await conn.execute(
            insert(chats),
            {"chat_id": chat_id, "language": "en", "follows_all": True, "active": active,
             "created_at": created},
        )  # fmt: skip


async def test_trends_count_questions_per_topic_per_day_outcomes_and_subscribers(
    store: Storage,
) -> None:
    day = timedelta(days=1)
    await store.questions.record(
        [
            Question("tourism", "en", None, NOW, Outcome.ANSWERED),
            Question("tourism", "en", None, NOW - day, Outcome.ANSWERED),
            Question("economy", "en", None, NOW - day, Outcome.SUGGESTED),
            Question(None, "en", "weather?", NOW - 2 * day, Outcome.REFUSED),
            Question("culture", "en", None, NOW - 20 * day, Outcome.ANSWERED),  # too old
        ]
    )
    # A row from before outcomes were kept is read by its topic.
    async with store.db.engine.begin() as conn:
        await conn.execute(
            insert(questions), {"topic": None, "lang": "en", "text": "x", "created_at": NOW}
        )
    await add_chat(store, 1, NOW - 30 * day)
    await add_chat(store, 2, NOW - 3 * day)
    await add_chat(store, 3, NOW)
    await add_chat(store, 4, NOW - day, active=False)

    trends = await read_trends(store.db, 14, NOW)
    assert len(trends.days) == 14 and trends.days[-1] == NOW.date()
    assert trends.asked["tourism"][-2:] == (1, 1) and sum(trends.asked["tourism"]) == 2
    assert trends.asked["economy"][-2:] == (1, 0)
    assert trends.asked[None][-3:] == (1, 0, 1)
    assert "culture" not in trends.asked, "older than the fortnight"
    assert trends.outcomes == {Outcome.ANSWERED: 2, Outcome.SUGGESTED: 1, Outcome.REFUSED: 2}
    assert trends.subscribers[0] == 1 and trends.subscribers[-5:] == (1, 2, 2, 2, 3)


def test_the_chart_is_a_png_with_every_panel_even_when_empty() -> None:
    days = tuple((NOW - timedelta(days=back)).date() for back in range(13, -1, -1))
    busy = Trends(
        days,
        {f"topic_{i}": tuple((i + d) % 4 for d in range(14)) for i in range(10)}
        | {None: (1,) * 14},
        {Outcome.ANSWERED: 30, Outcome.SUGGESTED: 5, Outcome.REFUSED: 14},
        tuple(range(14)),
    )
    empty = Trends(days, {}, dict.fromkeys(Outcome, 0), (0,) * 14)
    for trends in (busy, empty):
        data = charts.render(trends)
        assert png_size(data) == (1200, 800)
        assert 10_000 < len(data) < 1_000_000


def test_the_busiest_topics_get_their_own_colour_and_the_rest_add_up() -> None:
    days = tuple((NOW - timedelta(days=back)).date() for back in range(2))
    asked = {f"t{i}": (i, 1) for i in range(10)} | {None: (5, 0)}
    trends = Trends(days, asked, dict.fromkeys(Outcome, 0), (0, 0))
    shown = charts.series(trends)
    assert list(shown)[:8] == [f"t{i}" for i in range(9, 1, -1)]
    assert shown[charts.OTHER] == (0 + 1, 2) and shown[charts.OUT_OF_SCOPE] == (5, 0)


def test_matplotlib_is_not_imported_by_start_up() -> None:
    """Loading the bot, its app, its handlers and content costs no plotting library."""
    code = (
        "import sys\n"
        "import bot.app, bot.cli, bot.chat.service, bot.chat.editors, bot.charts\n"
        "from bot.config import Settings\n"
        "from bot.conversation import Conversation\n"
        "s = Settings.from_env()\n"
        "Conversation.open(s.content_dir, s.model_cache_dir)\n"
        "assert bot.cli.main(['validate']) == 0\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('matplotlib', 'PIL')))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=120,
        env={**os.environ, "BOT_STATE_DIR": str(ROOT / ".state")},
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().endswith("[]"), result.stdout


def test_cli_stats_chart_writes_a_png(tmp_path: Path) -> None:
    chart = tmp_path / "chart.png"
    env = {**os.environ, "BOT_STATE_DIR": str(tmp_path)}
    result = subprocess.run(
        [sys.executable, "-m", "bot", "stats", "--chart", str(chart)], capture_output=True,
        text=True, cwd=ROOT, env=env, timeout=120,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert f"chart written to {chart}" in result.stdout
    assert png_size(chart.read_bytes()) == (1200, 800)


async def test_the_question_log_keeps_how_each_question_was_met(store: Storage) -> None:
    log = QuestionLog(store.questions)
    sure = Prediction("tourism", 0.9, (("tourism", 0.9),), False)
    unsure = Prediction("tourism", 0.3, (("tourism", 0.3), ("culture", 0.28)), True)
    nothing = Prediction(None, 0.8, (("tourism", 0.1),), False)
    log.note("tourism?", Reply("…", "en", ReplyKind.ANSWER, topic="tourism", prediction=sure))
    log.note("trips?", Reply("…", "en", ReplyKind.SUGGESTIONS, prediction=unsure))
    log.note("weather?", Reply("…", "en", ReplyKind.OUT_OF_SCOPE, prediction=nothing))
    await log.flush()
    trends = await store.trends()
    assert trends.outcomes == {Outcome.ANSWERED: 1, Outcome.SUGGESTED: 1, Outcome.REFUSED: 1}
