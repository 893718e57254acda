"""Conversations as readers hold them, end to end: follow-ups, replies, switching topic,
refusals after an answer, context across a restart, and every script readers type."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot import callback_data
from bot.conversation import Conversation
from bot.replies import ActionKind
from testkit.fakebotapi import Call, FakeBotAPI
from tests.botharness import USER, actions, ask, running_bot


def heading(call: Call) -> str:
    """The first line of a sent message."""
    return str(call.params["text"]).splitlines()[0]


def titled(conversation: Conversation, topic_id: str, lang: str) -> str:
    topic = conversation.content.topic(topic_id)
    assert topic is not None
    return f"<b>{topic.title[lang]}</b>"  # type: ignore[index]


def long_answer(conversation: Conversation, topic_id: str, lang: str) -> str:
    topic = conversation.content.topic(topic_id)
    assert topic is not None
    return topic.long[lang]  # type: ignore[index]


FOLLOW_UPS = [
    ("en", "are there direct flights to Seoul?", "direct_flights", "and when?"),
    ("ru", "есть ли прямые рейсы в Сеул?", "direct_flights", "а когда?"),
    ("az", "Bakıdan Seula birbaşa reys var?", "direct_flights", "nə vaxt olacaq?"),
    ("ru", "skolko azerbaidzhanskih studentov v koree?", "education", "a skolko imenno?"),
    ("az", "koreyada nece azerbaycanli telebe oxuyur", "education", "daha etrafli"),
    ("en", "how is tourism between the countries?", "tourism", "how many came?"),
]


@pytest.mark.parametrize(("lang", "first", "topic_id", "second"), FOLLOW_UPS)
async def test_a_follow_up_stays_on_the_answer_s_topic(
    server: FakeBotAPI,
    conversation: Conversation,
    tmp_path: Path,
    lang: str,
    first: str,
    topic_id: str,
    second: str,
) -> None:
    async with running_bot(server, conversation, tmp_path):
        answer = await ask(server, first, language_code="en")
        assert heading(answer) == titled(conversation, topic_id, lang)
        more = await ask(server, second, language_code="en")
    assert heading(more) == titled(conversation, topic_id, lang), "same topic, same language"
    assert long_answer(conversation, topic_id, lang) in str(more.params["text"])
    again = None
    async with running_bot(server, conversation, tmp_path):
        again = await ask(server, second, language_code="en")
    said_all = conversation.content.text("followup_said_all", lang, topic="x").split("x")[0]
    assert str(again.params["text"]).startswith(said_all), "the longer answer was shown already"


async def test_a_reply_carries_the_replied_to_answer_s_topic(
    server: FakeBotAPI, conversation: Conversation, tmp_path: Path
) -> None:
    async with running_bot(server, conversation, tmp_path):
        flights = await ask(server, "are there direct flights to Seoul?")
        culture = await ask(server, "tell me about the K-POP contest")
        assert heading(culture) == titled(conversation, "culture", "en")
        plain = await ask(server, "who?")
        reply = await ask(server, "when?", reply_to_message_id=flights.result["message_id"])
    assert heading(plain) == titled(conversation, "culture", "en"), "no reply: the last answer"
    assert heading(reply) == titled(conversation, "direct_flights", "en")


@pytest.mark.parametrize(
    ("first", "second", "expected"),
    [
        ("are there direct flights to Seoul?", "and the students?", "education"),
        ("прямые рейсы в Сеул будут?", "а что с туризмом?", "tourism"),
        ("birbasa reys olacaq?", "bes tehsil?", "education"),
    ],
)
async def test_a_new_question_after_an_answer_switches_topic(
    server: FakeBotAPI, conversation: Conversation, tmp_path: Path, first: str, second: str,
    expected: str,
) -> None:  # fmt: skip
    async with running_bot(server, conversation, tmp_path):
        await ask(server, first)
        switched = await ask(server, second)
    assert topic_of(conversation, switched) == expected


def topic_of(conversation: Conversation, call: Call) -> str | None:
    """The topic whose title heads a sent answer, in any language."""
    for topic in conversation.content.topics:
        if any(heading(call) == f"<b>{title}</b>" for title in topic.title.values()):
            return topic.id
    return None


@pytest.mark.parametrize(
    ("first", "second", "lang"),
    [
        ("are there direct flights to Seoul?", "and what about the weather?", "en"),
        ("есть ли прямые рейсы в Сеул?", "а погода там какая?", "ru"),
        ("birbasa reys var?", "bes futbol?", "az"),
    ],
)
async def test_an_off_topic_message_after_an_answer_is_refused(
    server: FakeBotAPI, conversation: Conversation, tmp_path: Path, first: str, second: str,
    lang: str,
) -> None:  # fmt: skip
    async with running_bot(server, conversation, tmp_path):
        await ask(server, first)
        refused = await ask(server, second)
    sorry = conversation.content.text("out_of_scope", lang, topics="x").split("x")[0]
    assert str(refused.params["text"]).startswith(sorry)


async def test_context_survives_a_restart(
    server: FakeBotAPI, conversation: Conversation, tmp_path: Path
) -> None:
    async with running_bot(server, conversation, tmp_path):
        await ask(server, "how many Azerbaijani students study in Korea?")
    async with running_bot(server, conversation, tmp_path):
        more = await ask(server, "tell me more")
    assert heading(more) == titled(conversation, "education", "en")


async def test_a_follow_up_with_nothing_before_it_asks_what_about(
    server: FakeBotAPI, conversation: Conversation, tmp_path: Path
) -> None:
    async with running_bot(server, conversation, tmp_path):
        what = await ask(server, "and when?", chat=USER + 5)
    assert str(what.params["text"]) == conversation.content.text("followup_what", "en")


@pytest.mark.parametrize(
    ("text", "lang", "topic_id"),
    [("reisy v seul?", "ru", "direct_flights"), ("kpop musabiqesi", "az", "culture")],
)
async def test_latin_typed_russian_and_azerbaijani_are_answered_in_their_language(
    server: FakeBotAPI, conversation: Conversation, tmp_path: Path, text: str, lang: str,
    topic_id: str,
) -> None:  # fmt: skip
    async with running_bot(server, conversation, tmp_path):
        answer = await ask(server, text, language_code="en")
    assert heading(answer) == titled(conversation, topic_id, lang)


async def test_read_more_under_a_russian_answer_stays_russian(
    server: FakeBotAPI, conversation: Conversation, tmp_path: Path
) -> None:
    async with running_bot(server, conversation, tmp_path):
        answer = await ask(server, "будут ли прямые рейсы в Сеул?", language_code="en")
        more = next(a for a in actions(answer) if a.kind is ActionKind.MORE)
        before = len(server.sent(USER))
        server.user_presses(USER, answer.result["message_id"], callback_data.encode(more))
        edited = (await server.wait_sent(USER, count=before + 1))[before]
    assert edited.method == "editMessageText"
    assert long_answer(conversation, "direct_flights", "ru") in str(edited.params["text"])
    menu = conversation.content.text("button_menu", "en")
    assert menu in [
        b["text"] for row in edited.params["reply_markup"]["inline_keyboard"] for b in row
    ]


def test_evaluate_scores_dialogue_files(tmp_path: Path) -> None:
    import subprocess
    import sys

    from tests.conftest import ROOT

    run = [sys.executable, "-m", "bot", "evaluate", str(ROOT / "data" / "dialogues_dev.yaml")]
    result = subprocess.run(run, capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert result.returncode == 0, result.stderr
    for label in ("follow-ups answered on the right topic", "off-topic second messages refused",
                  "replies in the message language"):  # fmt: skip
        assert label in result.stdout
    broken = tmp_path / "broken.yaml"
    broken.write_text("- {lang: xx, first: a, first_topic: culture, second: b, kind: followup, "
                      "expected: culture}\n", encoding="utf-8")  # fmt: skip
    failed = subprocess.run([*run[:-1], str(broken)], capture_output=True, text=True, cwd=ROOT)
    assert failed.returncode == 1 and "unknown lang or kind" in failed.stderr
