"""``python -m bot suggest``: unanswered questions grouped by kind, each group with an
existing topic (where the classifier already leans to one) or a new one, and YAML to paste."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import yaml

from bot.conversation import Conversation
from bot.storage import Question, Storage
from bot.suggestions import Asked, suggest
from tests.conftest import ROOT

NOW = datetime.now(UTC)
# Three kinds of question the bot could not answer: one the interview covers (visas for
# tourists, close to "tourism"), two it does not (the weather, football).
VISAS = [
    "korea visa for azerbaijani travellers",
    "how do I get a korean tourist visa",
    "tourist visa to korea for azerbaijanis, how long does it take",
    "do I need a visa to visit korea as a tourist",
]
WEATHER = ["what's the weather in Seoul today", "weather in seoul tomorrow",
           "will it rain in seoul this weekend"]  # fmt: skip
FOOTBALL = ["who won the football match last night", "football results of the weekend"]


def unanswered(texts: list[str], days_ago: float = 1) -> list[Question]:
    at = NOW - timedelta(days=days_ago)
    return [Question(None, "en", text, at) for text in texts]


async def fill(store: Storage) -> None:
    await store.questions.record(
        unanswered(VISAS + VISAS[:1] + WEATHER + FOOTBALL)
        + unanswered(["what is the capital of peru"], days_ago=40)  # older than 30 days
        + [Question("tourism", "en", None, NOW)]  # answered: no text kept
    )


async def test_three_kinds_of_question_make_three_groups_biggest_first(
    store: Storage, conversation: Conversation
) -> None:
    await fill(store)
    kept = await store.questions.unanswered(NOW - timedelta(days=30))
    assert len(kept) == 10 and "what is the capital of peru" not in [q.text for q in kept]
    suggestions = suggest(conversation, [Asked(q.text, q.lang or "en") for q in kept])

    assert [sorted(q.text for q in s.questions) for s in suggestions] == [
        sorted(VISAS),
        sorted(WEATHER),
        sorted(FOOTBALL),
    ]
    assert [s.asked for s in suggestions] == [5, 3, 2]
    visas, weather, football = suggestions
    assert visas.topic == "tourism" and visas.new_id is None
    assert weather.topic is None and football.topic is None
    assert weather.new_id and "weather" in weather.new_id
    assert football.new_id and "football" in football.new_id
    pasted = yaml.safe_load(visas.snippet)
    assert sorted(pasted["examples"]["en"]) == sorted(VISAS)
    new = yaml.safe_load(football.snippet)
    assert new["id"] == football.new_id and sorted(new["examples"]["en"]) == sorted(FOOTBALL)
    assert conversation.content.topic(football.new_id) is None


def test_nothing_to_group_is_said_plainly(conversation: Conversation) -> None:
    assert suggest(conversation, []) == []
    [one] = suggest(conversation, [Asked("football score yesterday", "en")])
    assert one.asked == 1 and one.topic is None


def test_cli_suggest_reads_the_database(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'bot.sqlite3'}"

    async def prepare() -> None:
        store = await Storage.open(url)
        try:
            await fill(store)
        finally:
            await store.close()

    asyncio.run(prepare())
    env = {**os.environ, "BOT_STATE_DIR": str(tmp_path), "DATABASE_URL": url}
    env.pop("BOT_CONTENT_DIR", None)
    result = subprocess.run(
        [sys.executable, "-m", "bot", "suggest"], capture_output=True, text=True, cwd=ROOT,
        env=env, timeout=120,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert out.startswith("3 groups of unanswered questions (last 30 days):")
    assert "1. asked 5 times: add to tourism" in out
    assert "# add to intents/tourism.yaml, under its examples:" in out
    assert "capital of peru" not in out
