"""Sharing and catching up, end to end: inline mode, the share button, /news."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from bot.conversation import Conversation
from bot.storage import Storage
from testkit.fakebotapi import Call, FakeBotAPI
from tests.botharness import USER, ask, buttons, running_bot

INTERVIEW_IDS = [
    "relations", "visits", "joint_commission", "economy", "liberated_territories",
    "middle_corridor", "direct_flights", "tourism", "education", "culture",
]  # fmt: skip


async def inline(server: FakeBotAPI, query: str, language_code: str = "en") -> Call:
    """Type ``@bot query`` and return the bot's answerInlineQuery call."""
    before = len(server.inline_answers())
    server.user_queries(USER, query, language_code=language_code)
    await server.wait_for(lambda s: len(s.inline_answers()) > before)
    return server.inline_answers()[before]


async def published(tmp_path: Path, *bulletins: tuple[str | None, str]) -> str:
    """A database where ``bulletins`` were published before the bot starts; its URL."""
    url = f"sqlite+aiosqlite:///{tmp_path / 'bot.sqlite3'}"
    storage = await Storage.open(url)
    try:
        for topic, text in bulletins:
            await storage.outbox.publish(topic, text, None)
    finally:
        await storage.close()
    return url


def results(call: Call) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = call.params["results"]
    return found


@pytest.mark.parametrize(
    ("query", "lang", "topic_id"),
    [
        ("direct flights to Seoul", "en", "direct_flights"),
        ("Bakı Seul birbaşa reys", "az", "direct_flights"),
        ("сколько студентов учится в Корее", "ru", "education"),
    ],
)
async def test_an_inline_query_offers_the_right_answer_first_in_its_language(
    server: FakeBotAPI, conversation: Conversation, tmp_path: Path, query: str, lang: str,
    topic_id: str,
) -> None:  # fmt: skip
    async with running_bot(server, conversation, tmp_path):
        call = await inline(server, query)
    first = results(call)[0]
    topic = conversation.content.topic(topic_id)
    assert topic is not None
    assert first["id"] == topic_id and first["title"] == topic.title[lang]  # type: ignore[index]
    text = first["input_message_content"]["message_text"]
    assert topic.short[lang] in text  # type: ignore[index]
    assert conversation.content.text("share_attribution", lang) in text  # type: ignore[arg-type]
    link = first["reply_markup"]["inline_keyboard"][0][0]["url"]
    assert link == f"https://t.me/{server.username}?start={topic_id}"
    assert call.params["cache_time"] > 0 and not call.params.get("is_personal")
    assert len(results(call)) <= 5


async def test_an_empty_inline_query_lists_the_ten_topics(
    server: FakeBotAPI, conversation: Conversation, tmp_path: Path
) -> None:
    async with running_bot(server, conversation, tmp_path):
        call = await inline(server, "")
    assert [result["id"] for result in results(call)] == INTERVIEW_IDS


@pytest.mark.parametrize("query", ["best pizza in naples", "relations between Japan and China"])
async def test_an_off_topic_inline_query_offers_no_wrong_answer(
    server: FakeBotAPI, conversation: Conversation, tmp_path: Path, query: str
) -> None:
    async with running_bot(server, conversation, tmp_path):
        call = await inline(server, query)
    assert [result["id"] for result in results(call)] == ["ask"]
    link = results(call)[0]["reply_markup"]["inline_keyboard"][0][0]["url"]
    assert link == f"https://t.me/{server.username}"


async def test_every_topic_answer_has_a_share_button(
    server: FakeBotAPI, conversation: Conversation, tmp_path: Path
) -> None:
    async with running_bot(server, conversation, tmp_path):
        for topic_id in INTERVIEW_IDS:
            answer = await ask(server, f"/start {topic_id}")
            shares = [b for row in buttons(answer) for b in row if "switch_inline_query" in b]
            assert [b["switch_inline_query"] for b in shares] == [topic_id]
            assert shares[0]["text"] == conversation.content.text("button_share", "en")


async def test_news_shows_what_was_published_before_the_reader_arrived(
    server: FakeBotAPI, conversation: Conversation, tmp_path: Path
) -> None:
    digests = [(None, f"Digest number {number}") for number in range(6)]
    url = await published(
        tmp_path,
        ("culture", "The K-POP final is on 12 May"),
        ("direct_flights", "Talks on a Baku-Seoul route go on"),
        *digests,
    )
    async with running_bot(server, conversation, tmp_path, DATABASE_URL=url):
        everything = await ask(server, "/news")
        culture = await ask(server, "/news culture")
        unknown = await ask(server, "/news nope")
    text = str(everything.params["text"])
    assert "Digest number 5" in text and "K-POP final" not in text, "five newest first"
    assert buttons(everything), "a button to older updates"
    culture_text = str(culture.params["text"])
    assert "K-POP final" in culture_text and "Digest" not in culture_text
    assert "Baku-Seoul" not in culture_text
    assert str(unknown.params["text"]) == conversation.content.text(
        "unknown_topic", "en", topic="nope"
    )


async def test_a_follower_sees_how_many_updates_a_topic_has_under_its_answer(
    server: FakeBotAPI, conversation: Conversation, tmp_path: Path
) -> None:
    url = await published(tmp_path, ("culture", "The K-POP final is on 12 May"))
    line = conversation.content.text("news_under_answer", "en", count="1", topic="culture")
    async with running_bot(server, conversation, tmp_path, DATABASE_URL=url):
        before = await ask(server, "tell me about the K-POP contest")
        await ask(server, "/subscribe culture")
        after = await ask(server, "tell me about the K-POP contest")
    assert line not in str(before.params["text"]), "not followed yet"
    assert str(after.params["text"]).endswith(line)
