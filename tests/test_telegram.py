"""End to end over real HTTP: the real application against the fake Bot API server."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot import callback_data
from bot.app import BotApplication
from bot.conversation import Conversation
from bot.replies import Action, ActionKind
from testkit.fakebotapi import Call, FakeBotAPI
from tests.botharness import USER, actions, ask, running_bot, title

INTERVIEW_IDS = [
    "relations", "visits", "joint_commission", "economy", "liberated_territories",
    "middle_corridor", "direct_flights", "tourism", "education", "culture",
]  # fmt: skip


@pytest.fixture
async def app(
    server: FakeBotAPI, conversation: Conversation, tmp_path: Path
) -> AsyncIterator[BotApplication]:
    async with running_bot(server, conversation, tmp_path) as application:
        yield application


async def press(server: FakeBotAPI, message: Call, action: Action | str, chat: int = USER) -> Call:
    before = len(server.sent(chat))
    data = action if isinstance(action, str) else callback_data.encode(action)
    server.user_presses(chat, message.result["message_id"], data)
    sent = await server.wait_sent(chat, count=before + 1)
    await server.wait_for(lambda s: len(s.answered_callbacks()) >= 1)
    return sent[before]


async def test_start_shows_the_welcome_and_the_menu(
    app: BotApplication, server: FakeBotAPI, conversation: Conversation
) -> None:
    reply = await ask(server, "/start")
    assert "Kang Kymgu" in reply.params["text"]
    assert [a.arg for a in actions(reply)] == INTERVIEW_IDS
    assert reply.params["parse_mode"] == "HTML"


async def test_commands_and_descriptions_are_set_per_language(
    app: BotApplication, server: FakeBotAPI
) -> None:
    calls = [c for c in server.calls if c.method == "setMyCommands"]
    assert sorted(c.params.get("language_code") or "" for c in calls) == ["", "az", "ko", "ru"]
    for call in calls:
        assert [c["command"] for c in call.params["commands"]] == [
            "start", "topics", "help", "news", "subscribe", "unsubscribe", "subscriptions",
            "language", "forget",
        ]  # fmt: skip
        if call.params.get("language_code") == "ru":
            assert call.params["commands"][1]["description"] == "Темы интервью"
    assert {c.params.get("language_code") or "" for c in server.calls if c.method == "setMyDescription"} == {"", "az", "ko", "ru"}  # fmt: skip  # noqa: E501


@pytest.mark.parametrize("topic_id", [*INTERVIEW_IDS, "about", "help"])
async def test_deep_link_opens_each_topic(
    app: BotApplication, server: FakeBotAPI, conversation: Conversation, topic_id: str
) -> None:
    reply = await ask(server, f"/start {topic_id}")
    assert reply.params["text"].splitlines()[0] == f"<b>{title(conversation, topic_id)}</b>"


async def test_deep_link_to_an_unknown_topic_shows_the_menu(
    app: BotApplication, server: FakeBotAPI
) -> None:
    reply = await ask(server, "/start nonsense<b>")
    assert "nonsense&lt;b&gt;" in reply.params["text"]
    assert [a.arg for a in actions(reply)] == INTERVIEW_IDS


async def test_topics_and_help(app: BotApplication, server: FakeBotAPI) -> None:
    menu = await ask(server, "/topics")
    assert [a.arg for a in actions(menu)] == INTERVIEW_IDS
    help_reply = await ask(server, "/help")
    assert "/topics" in help_reply.params["text"]


async def test_a_question_gets_its_answer_with_follow_ups(
    app: BotApplication, server: FakeBotAPI, conversation: Conversation
) -> None:
    reply = await ask(server, "are there direct flights to Seoul?")
    assert reply.params["text"].splitlines()[0] == f"<b>{title(conversation, 'direct_flights')}</b>"
    found = actions(reply)
    topic = conversation.content.topic("direct_flights")
    assert topic is not None
    assert [a.arg for a in found if a.kind is ActionKind.TOPIC] == list(topic.related)
    assert Action(ActionKind.MORE, "direct_flights") in found
    assert found[-1] == Action(ActionKind.MENU)


async def test_unsure_and_out_of_scope(app: BotApplication, server: FakeBotAPI) -> None:
    unsure = await ask(server, "students and trade")
    assert unsure.params["text"].startswith("🤔")
    assert {"education", "economy"} <= {a.arg for a in actions(unsure)}
    outside = await ask(server, "who won the champions league yesterday")
    assert "doesn't cover" in outside.params["text"]
    assert [a.arg for a in actions(outside)] == INTERVIEW_IDS


async def test_more_then_follow_up_then_menu(
    app: BotApplication, server: FakeBotAPI, conversation: Conversation
) -> None:
    answer = await ask(server, "how many azerbaijani students are in korea")
    message_id = answer.result["message_id"]
    more = await press(server, answer, Action(ActionKind.MORE, "education"))
    assert more.method == "editMessageText" and more.params["message_id"] == message_id
    topic = conversation.content.topic("education")
    assert topic is not None
    assert "82" in more.params["text"] and "2020" in more.params["text"]
    follow_up = await press(server, answer, Action(ActionKind.TOPIC, topic.related[0]))
    assert follow_up.method == "sendMessage"
    assert follow_up.params["text"].startswith(f"<b>{title(conversation, topic.related[0])}</b>")
    menu = await press(server, follow_up, Action(ActionKind.MENU))
    assert menu.method == "editMessageText"
    assert [a.arg for a in actions(menu)] == INTERVIEW_IDS
    await server.wait_for(lambda s: len(s.answered_callbacks()) == 3)
    assert all(c.ok for c in server.answered_callbacks())


@pytest.mark.parametrize("data", ["garbage", "0:t:relations", "1:t:no_such_topic", "1:zz:x"])
async def test_forged_or_stale_buttons_get_a_polite_notice(
    app: BotApplication, server: FakeBotAPI, data: str
) -> None:
    menu = await ask(server, "/topics")
    reply = await press(server, menu, data)
    await server.wait_for(lambda s: len(s.answered_callbacks()) == 1)
    [answer] = server.answered_callbacks()
    assert answer.ok and "out of date" in answer.params["text"]
    assert [a.arg for a in actions(reply)] == INTERVIEW_IDS


@pytest.mark.parametrize("kind", ["sticker", "photo", "voice", "location"])
async def test_non_text_gets_a_polite_line(
    app: BotApplication, server: FakeBotAPI, kind: str
) -> None:
    reply = await ask(server, None, **{kind: True})  # type: ignore[arg-type]
    assert reply.params["text"].startswith("🙂")


async def test_unknown_command_points_to_help(app: BotApplication, server: FakeBotAPI) -> None:
    reply = await ask(server, "/frobnicate")
    assert "/help" in reply.params["text"]


@pytest.mark.parametrize("text", ["🙂🙂🙂", "   ?!  ", "\u200b"])
async def test_emoji_only_and_empty_looking_text(
    app: BotApplication, server: FakeBotAPI, text: str
) -> None:
    reply = await ask(server, text)
    assert reply.params["text"].startswith("✍️")


async def test_a_4096_character_message(app: BotApplication, server: FakeBotAPI) -> None:
    text = ("are there direct flights to seoul " * 200)[:4096]
    reply = await ask(server, text)
    assert reply.ok and "Direct flights" in reply.params["text"].splitlines()[0]


@pytest.mark.parametrize(("first", "edit"), [("flights?", "culture?"), ("/topics", "/help")])
async def test_edited_messages_and_commands_are_ignored(
    app: BotApplication, server: FakeBotAPI, first: str, edit: str
) -> None:
    await ask(server, first)
    server.user_sends(USER, edit, edited=True)
    server.user_sends(USER, "/topics")  # a marker: once it is answered, the edit was handled
    await server.wait_sent(USER, count=2)
    await asyncio.sleep(0.2)
    assert len(server.sent(USER)) == 2


async def test_in_groups_only_mentions_replies_and_commands_are_answered(
    app: BotApplication, server: FakeBotAPI, conversation: Conversation
) -> None:
    group = -500
    server.user_sends(group, "are there direct flights?", chat_type="group")
    command = await ask(server, "/topics", chat=group, chat_type="group")
    assert len(server.sent(group)) == 1, "a plain group message must be ignored"
    mention = "@Interview_Test_Bot"  # mentions are case-insensitive
    mentioned = await ask(
        server,
        f"{mention} students?",
        chat=group,
        chat_type="group",
        entities=[{"type": "mention", "offset": 0, "length": len(mention)}],
    )
    assert mentioned.params["text"].startswith(f"<b>{title(conversation, 'education')}</b>")
    replied = await ask(
        server,
        "and students?",
        chat=group,
        chat_type="group",
        reply_to_message_id=command.result["message_id"],
    )
    assert replied.params["text"].startswith(f"<b>{title(conversation, 'education')}</b>")


async def test_fifty_users_at_once_each_get_their_answer(
    app: BotApplication, server: FakeBotAPI, conversation: Conversation
) -> None:
    questions = {
        "direct_flights": "are there direct flights to seoul",
        "education": "how many students from azerbaijan study in korea",
        "culture": "king sejong institute",
        "tourism": "tourism cooperation",
        "economy": "samsung and lg in azerbaijan",
    }
    expected = {}
    for n in range(50):
        topic_id = list(questions)[n % len(questions)]
        expected[2000 + n] = topic_id
        server.user_sends(2000 + n, questions[topic_id])
    await server.wait_for(lambda s: all(s.sent(chat) for chat in expected), timeout=20)
    for chat, topic_id in expected.items():
        [reply] = server.sent(chat)
        assert reply.params["text"].startswith(f"<b>{title(conversation, topic_id)}</b>")


async def test_one_slow_reply_does_not_hold_up_another_user(
    app: BotApplication, server: FakeBotAPI
) -> None:
    server.delay("sendMessage", 1.5, times=1)
    server.user_sends(3001, "flights?")
    await server.wait_for(lambda s: any(c.method == "sendMessage" for c in s.calls))
    fast = await ask(server, "culture?", chat=3002)
    slow = [c for c in server.calls if c.method == "sendMessage" and c.chat_id == 3001]
    assert slow and slow[0].status == 0, "the first reply should still be in flight"
    assert fast.ok


async def test_an_error_gets_an_apology_and_a_log_line_without_the_token(
    app: BotApplication, server: FakeBotAPI, caplog: pytest.LogCaptureFixture
) -> None:
    server.fail("sendMessage", status=500, description="Internal Server Error", times=1)
    with caplog.at_level(logging.ERROR):
        server.user_sends(USER, "flights?")
        [apology] = await server.wait_sent(USER)
    assert "went wrong" in apology.params["text"]
    assert "Traceback" not in apology.params["text"]
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert errors and "update 1" in errors[0].getMessage()
    assert server.token not in caplog.text


async def test_every_callback_query_is_answered_even_when_the_edit_fails(
    app: BotApplication, server: FakeBotAPI
) -> None:
    menu = await ask(server, "/topics")
    server.fail("editMessageText", status=500, times=1)
    server.user_presses(
        USER, menu.result["message_id"], callback_data.encode(Action(ActionKind.MENU))
    )
    await server.wait_for(lambda s: len(s.answered_callbacks()) >= 1)
    assert server.answered_callbacks()[0].ok
