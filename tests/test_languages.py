"""Readers in Azerbaijani, Russian and Korean: answers in the question's language, menus in
theirs."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot import callback_data
from bot.conversation import Conversation
from bot.replies import Action, ActionKind
from testkit.fakebotapi import Call, FakeBotAPI
from tests.botharness import USER, ask, labels, running_bot, title


async def choose_language(server: FakeBotAPI, lang: str) -> tuple[Call, Call]:
    """/language, then a press on ``lang``: the prompt and the message it turned into."""
    prompt = await ask(server, "/language", language_code="en")
    before = len(server.sent(USER))
    server.user_presses(
        USER, prompt.result["message_id"], callback_data.encode(Action(ActionKind.LANGUAGE, lang))
    )
    [switched] = (await server.wait_sent(USER, count=before + 1))[before:]
    return prompt, switched


@pytest.mark.parametrize(
    ("text", "lang", "topic_id"),
    [
        ("Есть ли прямые рейсы между Баку и Сеулом?", "ru", "direct_flights"),
        ("сколько азербайджанских студентов учится в корее", "ru", "education"),
        ("Bakı ilə Seul arasında birbaşa reys varmı?", "az", "direct_flights"),
        ("baki ile seul arasinda birbasa reys varmi", "az", "direct_flights"),
        ("Koreyada neçə azərbaycanlı tələbə oxuyur?", "az", "education"),
        ("koreyada nece azerbaycanli telebe oxuyur", "az", "education"),
        ("바쿠-서울 직항 있어요?", "ko", "direct_flights"),
        ("한국에서 공부하는 아제르바이잔 학생이 몇 명이에요?", "ko", "education"),
        ("KOICA 카흐리즈 사업", "ko", "liberated_territories"),
    ],
)
async def test_a_question_is_answered_in_its_own_language(
    server: FakeBotAPI,
    conversation: Conversation,
    tmp_path: Path,
    text: str,
    lang: str,
    topic_id: str,
) -> None:
    async with running_bot(server, conversation, tmp_path):
        reply = await ask(server, text, language_code="en")
    topic = conversation.content.topic(topic_id)
    assert topic is not None
    assert reply.params["text"].splitlines()[0] == f"<b>{topic.title[lang]}</b>"  # type: ignore[index]
    assert topic.short[lang] in reply.params["text"]  # type: ignore[index]
    # buttons follow the user's language (Telegram says English here)
    assert conversation.content.text("button_menu", "en") in labels(reply)


@pytest.mark.parametrize(
    ("code", "lang"), [("ru", "ru"), ("az", "az"), ("ko", "ko"), ("en-GB", "en"), ("de", "en")]
)
async def test_menu_follows_telegram_language_code(
    server: FakeBotAPI, conversation: Conversation, tmp_path: Path, code: str, lang: str
) -> None:
    async with running_bot(server, conversation, tmp_path):
        menu = await ask(server, "/start", language_code=code)
    assert conversation.content.text("menu_header", lang) in menu.params["text"]  # type: ignore[arg-type]
    assert labels(menu)[0] == title(conversation, "relations", lang)


async def test_out_of_scope_in_russian_is_answered_in_russian(
    server: FakeBotAPI, conversation: Conversation, tmp_path: Path
) -> None:
    async with running_bot(server, conversation, tmp_path):
        reply = await ask(server, "какая завтра погода в Баку?", language_code="en")
    assert reply.params["text"].startswith("🙏 К сожалению")


async def test_a_korean_question_gets_the_interview_s_figures_in_korean(
    server: FakeBotAPI, conversation: Conversation, tmp_path: Path
) -> None:
    async with running_bot(server, conversation, tmp_path):
        reply = await ask(server, "한국과 아제르바이잔 수교는 언제?", language_code="en")
    text = str(reply.params["text"])
    assert text.splitlines()[0] == f"<b>{title(conversation, 'relations', 'ko')}</b>"
    assert "1992" in text  # diplomatic relations since 1992, as the interview says


async def test_out_of_scope_in_korean_is_declined_in_korean(
    server: FakeBotAPI, conversation: Conversation, tmp_path: Path
) -> None:
    async with running_bot(server, conversation, tmp_path):
        reply = await ask(server, "내일 부산 날씨 어때요?", language_code="en")
    decline = conversation.content.text("out_of_scope", "ko", topics="").split(":")[0]
    assert str(reply.params["text"]).startswith(decline)


async def test_korean_chosen_with_language_persists_over_a_restart(
    server: FakeBotAPI, conversation: Conversation, tmp_path: Path
) -> None:
    async with running_bot(server, conversation, tmp_path):
        _, switched = await choose_language(server, "ko")
        assert conversation.content.text("language_set", "ko") in switched.params["text"]
    async with running_bot(server, conversation, tmp_path):
        menu = await ask(server, "/topics", language_code="en")
    assert conversation.content.text("menu_header", "ko") in str(menu.params["text"])
    assert labels(menu)[0] == title(conversation, "relations", "ko")


async def test_language_choice_switches_menus_and_survives_a_restart(
    server: FakeBotAPI, conversation: Conversation, tmp_path: Path
) -> None:
    async with running_bot(server, conversation, tmp_path):
        prompt, switched = await choose_language(server, "az")
        assert labels(prompt) == ["English", "Azərbaycanca", "Русский", "한국어"]
        assert switched.method == "editMessageText"
        assert conversation.content.text("language_set", "az") in switched.params["text"]
        assert labels(switched)[0] == title(conversation, "relations", "az")
    # a new process on the same database: the choice is remembered
    async with running_bot(server, conversation, tmp_path):
        menu = await ask(server, "/topics", language_code="ru")
        assert labels(menu)[0] == title(conversation, "relations", "az")
        answer = await ask(server, "are there direct flights to seoul?", language_code="ru")
        assert answer.params["text"].startswith(
            f"<b>{title(conversation, 'direct_flights', 'en')}</b>"
        )
        assert conversation.content.text("button_menu", "az") in labels(answer)


async def test_forget_drops_the_language_choice(
    server: FakeBotAPI, conversation: Conversation, tmp_path: Path
) -> None:
    async with running_bot(server, conversation, tmp_path):
        prompt = await ask(server, "/language")
        before = len(server.sent(USER))
        server.user_presses(
            USER,
            prompt.result["message_id"],
            callback_data.encode(Action(ActionKind.LANGUAGE, "ru")),
        )
        await server.wait_sent(USER, count=before + 1)
        forgotten = await ask(server, "/forget", language_code="en")
        assert forgotten.params["text"] == conversation.content.text("forgotten", "ru")
        menu = await ask(server, "/topics", language_code="en")
        assert labels(menu)[0] == title(conversation, "relations", "en")
