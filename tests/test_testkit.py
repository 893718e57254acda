"""The fake Bot API, driven by a real python-telegram-bot ``Bot``: what the bot's tests rely on."""

from __future__ import annotations

import asyncio
import datetime as dtm
import time
from collections.abc import AsyncIterator

import pytest
from telegram import Bot, BotCommand, InlineKeyboardButton, InlineKeyboardMarkup, Message, Update
from telegram.error import (
    BadRequest,
    Conflict,
    Forbidden,
    InvalidToken,
    NetworkError,
    RetryAfter,
    TimedOut,
)

from testkit.fakebotapi import FakeBotAPI, parse_html

CHAT = 1001


@pytest.fixture
async def bot(server: FakeBotAPI) -> AsyncIterator[Bot]:
    async with Bot(server.token, base_url=server.base_url) as bot:
        yield bot


def keyboard(*data: str) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup([[InlineKeyboardButton(d.upper(), callback_data=d) for d in data]])


async def test_calls_are_recorded_and_messages_kept(server: FakeBotAPI, bot: Bot) -> None:
    sent = await bot.send_message(CHAT, "[1, 2]", reply_markup=keyboard("a"))
    assert [c.method for c in server.calls] == ["getMe", "sendMessage"]  # getMe: initialize()
    call = server.calls[-1]
    assert call.ok and call.chat_id == CHAT and call.text == "[1, 2]", "text that looks like JSON"
    assert call.params["reply_markup"] == keyboard("a").to_dict()
    assert call.result["message_id"] == sent.message_id == 1
    assert call.done_at is not None and call.at <= call.done_at
    assert server.sent(CHAT) == [call] and server.sent(CHAT + 1) == []
    assert server.messages(CHAT)[1]["text"] == "[1, 2]"


async def test_an_unknown_token_or_method_is_not_found(server: FakeBotAPI, bot: Bot) -> None:
    with pytest.raises(InvalidToken):
        async with Bot("999:wrong", base_url=server.base_url):
            pass
    with pytest.raises(InvalidToken):
        await bot.send_chat_action(CHAT, "typing")  # not a method the bot calls
    assert server.calls[-1].response == {"ok": False, "error_code": 404, "description": "Not Found"}


async def test_edits(server: FakeBotAPI, bot: Bot) -> None:
    sent = await bot.send_message(CHAT, "one", reply_markup=keyboard("a"))
    edited = await bot.edit_message_text("two", CHAT, sent.message_id, reply_markup=keyboard("b"))
    assert not isinstance(edited, bool) and edited.text == "two" and edited.edit_date
    with pytest.raises(BadRequest, match=r"(?i)message is not modified"):
        await bot.edit_message_text("two", CHAT, sent.message_id, reply_markup=keyboard("b"))
    await bot.edit_message_text("two", CHAT, sent.message_id)  # as Telegram: drops the keyboard
    assert "reply_markup" not in server.messages(CHAT)[sent.message_id]
    await bot.edit_message_reply_markup(CHAT, sent.message_id, reply_markup=keyboard("c"))
    with pytest.raises(BadRequest, match=r"(?i)message is not modified"):
        await bot.edit_message_reply_markup(CHAT, sent.message_id, reply_markup=keyboard("c"))
    with pytest.raises(BadRequest, match=r"(?i)message to edit not found"):
        await bot.edit_message_text("x", CHAT, 99)
    users = server.user_sends(CHAT, "mine")["message"]["message_id"]
    with pytest.raises(BadRequest, match=r"(?i)message can't be edited"):
        await bot.edit_message_text("x", CHAT, users)
    assert [c.method for c in server.sent(CHAT)] == [
        "sendMessage", "editMessageText", "editMessageText", "editMessageReplyMarkup",
    ]  # fmt: skip


async def test_get_updates_confirms_by_offset(server: FakeBotAPI, bot: Bot) -> None:
    server.user_sends(CHAT, "/start deep")
    server.user_sends(CHAT, "hello", language_code="de")
    first, second = await bot.get_updates()
    assert (first.update_id, second.update_id) == (1, 2)
    assert first.message is not None and first.message.text == "/start deep"
    assert first.message.entities[0].type == "bot_command" and first.message.entities[0].length == 6
    assert first.message.from_user is not None and first.message.from_user.id == CHAT
    assert second.effective_user is not None and second.effective_user.language_code == "de"
    assert [u.update_id for u in await bot.get_updates(offset=2)] == [2]
    assert await bot.get_updates(offset=3) == () and server.pending_updates == []
    server.user_sends(CHAT, "more")
    server.user_sends(CHAT, "and more")
    assert [u.update_id for u in await bot.get_updates(limit=1)] == [3]
    assert [u.update_id for u in await bot.get_updates(offset=-1)] == [4]


async def test_a_long_poll_ends_with_an_update_or_its_timeout(server: FakeBotAPI, bot: Bot) -> None:
    asyncio.get_running_loop().call_later(0.1, server.user_sends, CHAT, "hi")
    started = time.monotonic()
    [update] = await bot.get_updates(timeout=3)
    assert time.monotonic() - started < 1.0 and update.message and update.message.text == "hi"
    started = time.monotonic()
    assert await bot.get_updates(offset=2, timeout=dtm.timedelta(seconds=0.3)) == ()
    assert 0.25 < time.monotonic() - started < 1.5


async def test_a_second_poll_ends_the_first_with_conflict(server: FakeBotAPI, bot: Bot) -> None:
    first = asyncio.create_task(bot.get_updates(timeout=3))
    await server.wait_for(lambda s: s.calls[-1].method == "getUpdates")
    async with Bot(server.token, base_url=server.base_url) as other:  # a second bot instance
        assert await other.get_updates() == ()
    with pytest.raises(Conflict, match="terminated by other getUpdates"):
        await first


async def test_update_builders(server: FakeBotAPI, bot: Bot) -> None:
    """The media flags are covered by test_telegram.py, through the bot."""
    ours = await bot.send_message(-500, "bot says")
    command = "/help@interview_test_bot"
    group = server.user_sends(-500, f"{command} now", chat_type="group",
                              reply_to_message_id=ours.message_id)["message"]  # fmt: skip
    assert group["chat"]["type"] == "group" and group["entities"][0]["length"] == len(command)
    assert group["reply_to_message"]["text"] == "bot says"
    first = server.user_sends(CHAT, "look", photo=True)["message"]
    edit = server.user_sends(CHAT, "look again", edited=True, language_code=None)
    assert edit["edited_message"]["message_id"] == first["message_id"], "the user's last message"
    assert "language_code" not in edit["edited_message"]["from"]
    with pytest.raises(ValueError, match="negative"):
        server.user_sends(5, "hi", chat_type="supergroup")
    with pytest.raises(ValueError, match="no message"):
        server.user_sends(CHAT, "hi", reply_to_message_id=999)
    assert server.build_message_update(CHAT, "for a webhook")["update_id"] == 4
    assert len(server.pending_updates) == 3, "built, not queued"


async def test_callback_queries_are_answered_once(server: FakeBotAPI, bot: Bot) -> None:
    sent = await bot.send_message(CHAT, "menu", reply_markup=keyboard("a", "b"))
    await bot.edit_message_text("menu v2", CHAT, sent.message_id, reply_markup=keyboard("c"))
    query = Update.de_json(server.user_presses(CHAT, sent.message_id, "c"), bot).callback_query
    assert query is not None and query.data == "c" and query.from_user.id == CHAT
    assert isinstance(query.message, Message) and query.message.text == "menu v2", "as edited"
    server.user_presses(CHAT, sent.message_id, "a")  # a stale button still arrives
    with pytest.raises(ValueError, match="no button"):
        server.user_presses(CHAT, sent.message_id, "a", check_button=True)
    assert await query.answer("ok") is True
    with pytest.raises(BadRequest, match=r"(?i)query ID is invalid"):
        await query.answer()  # a query is answered once
    with pytest.raises(BadRequest, match=r"(?i)query ID is invalid"):
        await bot.answer_callback_query("12345")
    assert [c.status for c in server.answered_callbacks()] == [200, 400, 400]


@pytest.mark.parametrize(
    "text", ["<b>x", "x</b>", "<b><i>x</b></i>", "<br>x", "a & b", "&nbsp;", "1 < 2", "</b"]
)
async def test_html_is_validated(bot: Bot, text: str) -> None:
    with pytest.raises(BadRequest, match=r"(?i)can.t parse entities"):
        await bot.send_message(CHAT, text, parse_mode="HTML")


async def test_html_becomes_text_and_entities(server: FakeBotAPI, bot: Bot) -> None:
    sent = '<b>Bold</b> &amp; <a href="https://x.org/?a=1&amp;b=2">link</a> 🙂<i>i</i>'
    message = await bot.send_message(CHAT, sent, parse_mode="HTML")
    assert message.text == "Bold & link 🙂i"
    assert [(e.type, e.offset, e.length) for e in message.entities] == [
        ("bold", 0, 4), ("text_link", 7, 4), ("italic", 14, 1),
    ]  # fmt: skip
    assert message.entities[1].url == "https://x.org/?a=1&b=2"
    assert server.sent(CHAT)[0].text == sent, "the call keeps what was sent"
    assert (await bot.send_message(CHAT, "1 < 2 & 3")).text == "1 < 2 & 3", "plain text is free"
    assert parse_html("&lt;&#65;&#x42;&quot;&gt;") == ('<AB">', [])


async def test_telegrams_limits(bot: Bot) -> None:
    await bot.send_message(CHAT, "x" * 4096)
    await bot.send_message(CHAT, "<b>" + "x" * 4096 + "</b>", parse_mode="HTML")  # tags are free
    for text in ("x" * 4097, "  "):
        with pytest.raises(BadRequest, match=r"(?i)message is too long|message text is empty"):
            await bot.send_message(CHAT, text)
    with pytest.raises(BadRequest, match=r"(?i)BUTTON_DATA_INVALID"):
        await bot.send_message(CHAT, "x", reply_markup=keyboard("é" * 33))  # 66 bytes
    await bot.send_message(CHAT, "x", reply_markup=keyboard("é" * 32))
    with pytest.raises(BadRequest, match=r"(?i)message to be replied not found"):
        await bot.send_message(CHAT, "x", reply_to_message_id=42)
    sent = await bot.send_message(
        CHAT, "x", reply_to_message_id=42, allow_sending_without_reply=True
    )
    assert sent.reply_to_message is None
    with pytest.raises(BadRequest, match=r"(?i)BOT_COMMAND_INVALID"):
        await bot.set_my_commands([BotCommand("Start", "capital letters are invalid")])
    with pytest.raises(BadRequest, match=r"(?i)short description is too long"):
        await bot.set_my_short_description("x" * 121)


async def test_faults(server: FakeBotAPI, bot: Bot) -> None:
    server.fail("sendMessage", status=429, retry_after=7)
    server.fail(None, status=502)
    with pytest.raises(RetryAfter) as caught:
        await bot.send_message(CHAT, "x")
    assert caught.value.retry_after == dtm.timedelta(seconds=7)
    with pytest.raises(NetworkError, match="Bad Gateway") as failed:
        await bot.send_message(CHAT, "x")
    assert not isinstance(failed.value, BadRequest)
    server.block(CHAT)
    with pytest.raises(Forbidden, match="bot was blocked by the user"):
        await bot.send_message(CHAT, "x")
    await bot.send_message(CHAT + 1, "others still work")
    server.unblock(CHAT)
    await bot.send_message(CHAT, "x")  # each fault was used once
    statuses = [c.status for c in server.calls if c.method == "sendMessage"]
    assert statuses == [429, 502, 403, 200, 200]


async def test_a_delay_times_the_client_out_but_the_message_arrives(
    server: FakeBotAPI, bot: Bot
) -> None:
    server.delay("sendMessage", 0.4)
    with pytest.raises(TimedOut):
        await bot.send_message(CHAT, "slow", read_timeout=0.1)
    [call] = await server.wait_sent(CHAT, timeout=2)  # as with Telegram: it was still sent
    assert call.done_at is not None and call.done_at - call.at >= 0.35 and call.client_gone
    with pytest.raises(AssertionError, match=r"expected 2 .*got 1(.|\n)*sendMessage \[200"):
        await server.wait_sent(CHAT, count=2, timeout=0.05)


async def test_webhook(server: FakeBotAPI, bot: Bot) -> None:
    """Posting to the webhook is tested against the bot's own webhook, in test_run.py."""
    server.user_sends(CHAT, "pending")
    await bot.set_webhook("https://example.org/hook", secret_token="s3cret")
    assert server.webhook == {"url": "https://example.org/hook", "secret_token": "s3cret"}
    with pytest.raises(Conflict, match="webhook is active"):
        await bot.get_updates()
    await bot.delete_webhook(drop_pending_updates=True)
    assert await bot.get_updates() == () and server.webhook["url"] == ""


async def test_send_photo_takes_a_multipart_png_and_refuses_other_bytes(
    server: FakeBotAPI,
) -> None:
    """sendPhoto as python-telegram-bot uploads it: the bytes are kept, a non-image refused."""
    png = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + (640).to_bytes(4) + (480).to_bytes(4)
    async with Bot(server.token, base_url=server.base_url) as bot:
        message = await bot.send_photo(
            1001, png + b"rest", caption="<b>chart</b>", parse_mode="HTML"
        )
        assert message.photo[0].width == 640 and message.caption == "chart"
        with pytest.raises(BadRequest, match=r"(?i)image_process_failed"):
            await bot.send_photo(1001, b"GIF89a not a photo")
    [call] = server.sent(1001, method="sendPhoto")
    assert call.photo == png + b"rest"
    assert "<" + str(len(png) + 4) + " bytes>" in str(call)


async def test_random_faults_fail_a_share_of_requests_reproducibly(
    server: FakeBotAPI, bot: Bot
) -> None:
    server.fail_randomly("sendMessage", 0.3, [(429, 0.0), (502, 0.0)], seed=7)
    outcomes = []
    for _ in range(60):
        try:
            await bot.send_message(CHAT, "hi")
            outcomes.append("ok")
        except RetryAfter:
            outcomes.append("429")
        except NetworkError:
            outcomes.append("502")
    failed = [o for o in outcomes if o != "ok"]
    assert 8 <= len(failed) <= 30 and set(failed) == {"429", "502"}
    for _ in range(20):
        await bot.get_me()  # other methods are left alone
