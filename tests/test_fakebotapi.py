"""The fake Bot API, driven by a real python-telegram-bot ``Bot`` over HTTP."""

from __future__ import annotations

import asyncio
import datetime as dtm
import time
from collections.abc import AsyncIterator

import aiohttp
import pytest
from aiohttp import web
from telegram import (
    Bot,
    BotCommand,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InputMediaPhoto,
    Location,
    Message,
    MessageEntity,
    Update,
)
from telegram.error import (
    BadRequest,
    Conflict,
    Forbidden,
    InvalidToken,
    NetworkError,
    RetryAfter,
    TimedOut,
)
from telegram.ext import Application, CallbackQueryHandler, CommandHandler, ContextTypes

from testkit.fakebotapi import Call, FakeBotAPI, UploadedFile, parse_html

CHAT = 1001


@pytest.fixture
async def server() -> AsyncIterator[FakeBotAPI]:
    async with FakeBotAPI() as server:
        yield server


@pytest.fixture
async def bot(server: FakeBotAPI) -> AsyncIterator[Bot]:
    async with Bot(server.token, base_url=server.base_url) as bot:
        yield bot


def keyboard(*data: str) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup([[InlineKeyboardButton(d.upper(), callback_data=d) for d in data]])


# ----------------------------------------------------------------------------- basics


async def test_get_me_and_call_log(server: FakeBotAPI, bot: Bot) -> None:
    me = await bot.get_me()
    assert (me.id, me.username, me.is_bot) == (4242, "interview_test_bot", True)
    assert me.can_join_groups and not me.can_read_all_group_messages
    assert not me.supports_inline_queries
    assert [c.method for c in server.calls] == ["getMe", "getMe"]  # initialize() calls it too
    assert all(isinstance(c, Call) and c.status == 200 for c in server.calls)
    assert server.calls[0].at <= server.calls[1].at
    assert server.base_url == f"{server.url}/bot" and server.url.startswith("http://127.0.0.1:")


async def test_unknown_token_is_404(server: FakeBotAPI) -> None:
    with pytest.raises(InvalidToken, match="rejected"):
        async with Bot("999:wrong", base_url=server.base_url):
            pass
    assert server.calls[-1].status == 404


async def test_send_message_with_inline_keyboard(server: FakeBotAPI, bot: Bot) -> None:
    sent = await bot.send_message(CHAT, "Pick one", reply_markup=keyboard("a", "b"))
    assert sent.message_id == 1 and sent.chat.id == CHAT and sent.chat.type == "private"
    assert sent.from_user is not None and sent.from_user.id == server.bot_id
    assert sent.text == "Pick one" and sent.reply_markup == keyboard("a", "b")

    [call] = server.sent(CHAT)
    assert call.method == "sendMessage" and call.params["chat_id"] == CHAT
    assert call.params["reply_markup"] == keyboard("a", "b").to_dict()  # parsed JSON
    assert call.text == "Pick one"
    stored = server.messages(CHAT)[1]
    assert stored["text"] == "Pick one"
    assert stored["reply_markup"]["inline_keyboard"][0][1]["callback_data"] == "b"

    second = await bot.send_message(CHAT, "again")
    assert second.message_id == 2 and second.reply_markup is None
    assert server.sent(CHAT, method="sendmessage") == server.sent(CHAT)
    assert server.sent(CHAT + 1) == []


async def test_edit_message_text(server: FakeBotAPI, bot: Bot) -> None:
    sent = await bot.send_message(CHAT, "one", reply_markup=keyboard("a"))
    edited = await bot.edit_message_text(
        "two", chat_id=CHAT, message_id=sent.message_id, reply_markup=keyboard("b")
    )
    assert not isinstance(edited, bool)
    assert edited.text == "two" and edited.edit_date is not None
    assert edited.reply_markup == keyboard("b")
    assert server.messages(CHAT)[sent.message_id]["text"] == "two"

    with pytest.raises(BadRequest, match=r"(?i)message is not modified"):
        await bot.edit_message_text("two", CHAT, sent.message_id, reply_markup=keyboard("b"))
    # Like Telegram: editing the text without reply_markup removes the inline keyboard.
    await bot.edit_message_text("two", CHAT, sent.message_id)
    assert "reply_markup" not in server.messages(CHAT)[sent.message_id]
    await bot.edit_message_reply_markup(CHAT, sent.message_id, reply_markup=keyboard("c"))
    assert server.messages(CHAT)[sent.message_id]["reply_markup"] == keyboard("c").to_dict()
    with pytest.raises(BadRequest, match=r"(?i)message to edit not found"):
        await bot.edit_message_text("x", CHAT, 99)
    assert [c.method for c in server.sent(CHAT)] == [
        "sendMessage",
        "editMessageText",
        "editMessageText",
        "editMessageReplyMarkup",
    ]


async def test_request_encodings(server: FakeBotAPI) -> None:
    url = f"{server.base_url}{server.token}"
    markup = '{"inline_keyboard": [[{"text": "A", "callback_data": "a"}]]}'
    async with aiohttp.ClientSession() as session:
        form = {
            "chat_id": "7",
            "text": "[1, 2]",
            "reply_markup": markup,
            "disable_notification": "true",
        }
        async with session.post(f"{url}/sendMessage", data=form) as response:
            assert response.status == 200
        async with session.post(f"{url}/sendMessage", json={"chat_id": 7, "text": "{json}"}) as r:
            assert (await r.json())["result"]["message_id"] == 2
        async with session.get(f"{url}/sendMessage", params={"chat_id": "7", "text": "q"}) as r:
            assert r.status == 200
        async with session.post(f"{url}/someFutureMethod", data={"x": "1"}) as response:
            assert await response.json() == {"ok": True, "result": True}
    first = server.calls[0].params
    assert first["text"] == "[1, 2]" and first["chat_id"] == 7
    assert first["disable_notification"] is True
    assert first["reply_markup"]["inline_keyboard"][0][0]["text"] == "A"
    assert [m["text"] for m in server.messages(7).values()] == ["[1, 2]", "{json}", "q"]
    assert server.calls[-1].method == "someFutureMethod" and server.calls[-1].params == {"x": "1"}


async def test_multipart_upload(server: FakeBotAPI, bot: Bot) -> None:
    message = await bot.send_document(CHAT, b"hello", filename="a.txt", caption="<i>doc</i>",
                                      parse_mode="HTML")  # fmt: skip
    assert message.document is not None and message.document.file_size == 5
    assert message.caption == "doc" and message.caption_entities[0].type == "italic"
    [call] = server.sent(CHAT, method="sendDocument")
    uploads = [v for v in call.params.values() if isinstance(v, UploadedFile)]
    assert [u.data for u in uploads] == [b"hello"]


# ----------------------------------------------------------------------------- updates


async def test_get_updates_and_offset(server: FakeBotAPI, bot: Bot) -> None:
    first = server.user_sends(CHAT, "/start deep")
    second = server.user_sends(CHAT, "hello", language_code="de")
    assert (first["update_id"], second["update_id"]) == (1, 2)

    updates = await bot.get_updates()
    assert [u.update_id for u in updates] == [1, 2]
    start = updates[0].message
    assert start is not None and start.text == "/start deep"
    assert start.entities == (MessageEntity("bot_command", 0, 6),)
    assert start.chat.type == "private" and start.from_user is not None
    assert start.from_user.id == CHAT and start.from_user.language_code == "en"
    assert updates[1].effective_user is not None
    assert updates[1].effective_user.language_code == "de"
    assert updates[1].message is not None and updates[1].message.message_id == 2

    assert [u.update_id for u in await bot.get_updates(offset=2)] == [2]
    assert await bot.get_updates(offset=3) == ()
    assert server.pending_updates == []
    server.user_sends(CHAT, "more")
    server.user_sends(CHAT, "and more")
    assert [u.update_id for u in await bot.get_updates(limit=1)] == [3]


async def test_long_poll_returns_early(server: FakeBotAPI, bot: Bot) -> None:
    loop = asyncio.get_running_loop()
    loop.call_later(0.1, server.user_sends, CHAT, "hi")
    started = time.monotonic()
    updates = await bot.get_updates(timeout=3)
    assert time.monotonic() - started < 1.0
    assert [u.message.text for u in updates if u.message] == ["hi"]


async def test_long_poll_times_out_empty(server: FakeBotAPI, bot: Bot) -> None:
    started = time.monotonic()
    assert await bot.get_updates(timeout=dtm.timedelta(seconds=0.3)) == ()
    assert 0.25 < time.monotonic() - started < 1.5


async def test_second_poll_ends_the_first_with_conflict(server: FakeBotAPI, bot: Bot) -> None:
    first = asyncio.create_task(bot.get_updates(timeout=3))
    await server.wait_for(lambda s: s.calls[-1].method == "getUpdates")
    # A second bot instance: one Bot's getUpdates pool has a single connection.
    async with Bot(server.token, base_url=server.base_url) as other:
        assert await other.get_updates() == ()
    with pytest.raises(Conflict, match="terminated by other getUpdates"):
        await first


async def test_update_shapes(server: FakeBotAPI, bot: Bot) -> None:
    reply_to = await bot.send_message(-500, "bot says", reply_markup=keyboard("x"))
    group = server.user_sends(
        -500, "/help@interview_test_bot now", chat_type="group", user_id=77,
        reply_to_message_id=reply_to.message_id,
    )  # fmt: skip
    sticker = server.user_sends(CHAT, sticker=True)
    photo = server.user_sends(CHAT, "look", photo=True)
    voice = server.user_sends(CHAT, voice=True)
    location = server.user_sends(CHAT, location=True)
    edited = server.user_sends(CHAT, "look again", edited=True, language_code=None)
    updates = [Update.de_json(u, bot) for u in (group, sticker, photo, voice, location, edited)]

    message = updates[0].message
    assert message is not None and message.chat.type == "group" and message.chat.id == -500
    assert message.from_user is not None and message.from_user.id == 77
    assert message.entities[0].length == len("/help@interview_test_bot")
    assert message.reply_to_message is not None
    assert message.reply_to_message.from_user is not None
    assert message.reply_to_message.from_user.id == server.bot_id
    assert message.reply_to_message.text == "bot says"
    assert updates[1].message is not None and updates[1].message.sticker is not None
    assert updates[2].message is not None and updates[2].message.caption == "look"
    assert len(updates[2].message.photo) == 2
    assert updates[3].message is not None and updates[3].message.voice is not None
    assert updates[4].message is not None and updates[4].message.location is not None
    edit = updates[5].edited_message
    assert edit is not None and edit.text == "look again" and edit.edit_date is not None
    assert edit.message_id == updates[4].message.message_id  # edits the user's last message
    assert edit.from_user is not None and edit.from_user.language_code is None

    with pytest.raises(ValueError, match="negative"):
        server.user_sends(5, "hi", chat_type="supergroup")
    with pytest.raises(ValueError, match="no message"):
        server.user_sends(CHAT, "hi", reply_to_message_id=999)
    built = server.build_message_update(CHAT, "webhook body")
    assert built["update_id"] == 7 and len(server.pending_updates) == 6


async def test_callback_queries(server: FakeBotAPI, bot: Bot) -> None:
    sent = await bot.send_message(CHAT, "menu", reply_markup=keyboard("a", "b"))
    await bot.edit_message_text("menu v2", CHAT, sent.message_id, reply_markup=keyboard("c"))
    update = Update.de_json(server.user_presses(CHAT, sent.message_id, "c"), bot)
    query = update.callback_query
    assert query is not None and query.data == "c" and query.from_user.id == CHAT
    assert query.chat_instance and query.id
    assert isinstance(query.message, Message)
    assert query.message.text == "menu v2"  # the message as stored now
    second = server.user_presses(CHAT, sent.message_id, "a")  # a stale button still arrives
    assert second["callback_query"]["id"] != query.id
    with pytest.raises(ValueError, match="no button"):
        server.user_presses(CHAT, sent.message_id, "a", check_button=True)
    with pytest.raises(ValueError, match="no message"):
        server.user_presses(CHAT, 99, "a")

    assert await query.answer("ok") is True
    with pytest.raises(BadRequest, match=r"(?i)query ID is invalid"):
        await query.answer()  # a query can be answered once
    with pytest.raises(BadRequest, match=r"(?i)query ID is invalid"):
        await bot.answer_callback_query("12345")
    assert [c.status for c in server.answered_callbacks()] == [200, 400, 400]
    assert server.answered_callbacks()[0].params["text"] == "ok"


# ----------------------------------------------------------------------------- validation


@pytest.mark.parametrize(
    "text",
    ["<b>x", "x</b>", "<b><i>x</b></i>", "<br>x", "a & b", "&nbsp;", "1 < 2", "<span>s</span>"],
)
async def test_html_validation_rejects(bot: Bot, text: str) -> None:
    with pytest.raises(BadRequest, match=r"(?i)can.t parse entities"):
        await bot.send_message(CHAT, text, parse_mode="HTML")


async def test_html_is_parsed_into_entities(server: FakeBotAPI, bot: Bot) -> None:
    html_text = (
        '<b>Bold</b> &amp; <a href="https://x.org/?a=1&amp;b=2">link</a> '
        '<pre><code class="language-py">x</code></pre> <tg-spoiler>s</tg-spoiler> 🙂<i>i</i>'
    )
    message = await bot.send_message(CHAT, html_text, parse_mode="HTML")
    assert message.text == "Bold & link x s 🙂i"
    assert [(e.type, e.offset, e.length) for e in message.entities] == [
        ("bold", 0, 4), ("text_link", 7, 4), ("pre", 12, 1), ("spoiler", 14, 1), ("italic", 18, 1),
    ]  # fmt: skip
    assert message.entities[1].url == "https://x.org/?a=1&b=2"
    assert message.entities[2].language == "py"
    assert server.sent(CHAT)[0].params["text"] == html_text  # the call keeps what was sent
    assert message.text_html.startswith("<b>Bold</b> &amp; ")
    # Markdown is not checked; plain text with < and & is fine without parse_mode.
    assert (await bot.send_message(CHAT, "1 < 2 & 3")).text == "1 < 2 & 3"


def test_parse_html_unit() -> None:
    assert parse_html("&lt;&#65;&#x42;&quot;&gt;") == ('<AB">', [])
    assert parse_html("a & b &nbsp;", strict=False) == ("a & b &nbsp;", [])  # as Telegram
    assert parse_html("<B>x</B><blockquote expandable>q</blockquote>")[1] == [
        {"type": "bold", "offset": 0, "length": 1},
        {"type": "expandable_blockquote", "offset": 1, "length": 1},
    ]


async def test_message_length_limit(server: FakeBotAPI, bot: Bot) -> None:
    await bot.send_message(CHAT, "x" * 4096)
    await bot.send_message(CHAT, "<b>" + "x" * 4096 + "</b>", parse_mode="HTML")  # tags are free
    with pytest.raises(BadRequest, match=r"(?i)message is too long"):
        await bot.send_message(CHAT, "x" * 4097)
    with pytest.raises(BadRequest, match=r"(?i)message is too long"):
        await bot.edit_message_text("y" * 4097, CHAT, 1)
    with pytest.raises(BadRequest, match=r"(?i)message text is empty"):
        await bot.send_message(CHAT, "  ")
    assert len(server.sent(CHAT)) == 2


async def test_callback_data_limit(bot: Bot) -> None:
    with pytest.raises(BadRequest, match=r"(?i)BUTTON_DATA_INVALID"):
        await bot.send_message(CHAT, "x", reply_markup=keyboard("é" * 33))  # 66 bytes
    await bot.send_message(CHAT, "x", reply_markup=keyboard("é" * 32))


async def test_reply_to_missing_message(bot: Bot) -> None:
    with pytest.raises(BadRequest, match=r"(?i)message to be replied not found"):
        await bot.send_message(CHAT, "x", reply_to_message_id=42)
    sent = await bot.send_message(CHAT, "x", reply_to_message_id=42,
                                  allow_sending_without_reply=True)  # fmt: skip
    assert sent.reply_to_message is None


# ----------------------------------------------------------------------------- faults


async def test_retry_after(server: FakeBotAPI, bot: Bot, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PTB_TIMEDELTA", "true")  # else PTB warns (an error here) on retry_after
    server.fail("sendMessage", status=429, retry_after=7)
    with pytest.raises(RetryAfter) as caught:
        await bot.send_message(CHAT, "x")
    assert caught.value.retry_after == dtm.timedelta(seconds=7)
    assert server.calls[-1].response == {
        "ok": False, "error_code": 429, "description": "Too Many Requests: retry after 7",
        "parameters": {"retry_after": 7},
    }  # fmt: skip
    await bot.send_message(CHAT, "x")  # one fault, consumed
    assert [c.status for c in server.calls if c.method == "sendMessage"] == [429, 200]
    assert len(server.sent(CHAT)) == 1


async def test_forbidden_and_block(server: FakeBotAPI, bot: Bot) -> None:
    server.fail(None, status=403, times=2)
    for _ in range(2):
        with pytest.raises(Forbidden, match="bot was blocked by the user"):
            await bot.send_chat_action(CHAT, "typing")
    await bot.send_chat_action(CHAT, "typing")

    server.block(CHAT)
    with pytest.raises(Forbidden, match="blocked"):
        await bot.send_message(CHAT, "x")
    await bot.send_message(CHAT + 1, "others still work")
    server.unblock(CHAT)
    await bot.send_message(CHAT, "x")


async def test_server_errors(server: FakeBotAPI, bot: Bot) -> None:
    server.fail("sendMessage", status=500)
    server.fail("sendMessage", status=502)
    server.fail("sendMessage", status=400)
    with pytest.raises(NetworkError, match="Internal Server Error") as caught:
        await bot.send_message(CHAT, "x")
    assert not isinstance(caught.value, BadRequest)
    with pytest.raises(NetworkError, match="Bad Gateway"):
        await bot.send_message(CHAT, "x")
    with pytest.raises(BadRequest, match=r"(?i)chat not found"):
        await bot.send_message(CHAT, "x")
    server.fail("getMe", status=400, description="Bad Request: custom")
    with pytest.raises(BadRequest, match=r"(?i)custom"):
        await bot.get_me()
    await bot.send_message(CHAT, "x")


async def test_delay_causes_timeout_but_message_arrives(server: FakeBotAPI, bot: Bot) -> None:
    server.delay("sendMessage", 0.4)
    with pytest.raises(TimedOut):
        await bot.send_message(CHAT, "slow", read_timeout=0.1)
    # Like Telegram, the request was still handled: the message shows up late.
    [call] = await server.wait_sent(CHAT, timeout=2)
    assert call.done_at is not None and call.done_at - call.at >= 0.35
    assert call.client_gone  # PTB had given up on it
    await bot.send_message(CHAT, "fast", read_timeout=0.5)


async def test_wait_sent_times_out_with_summary(server: FakeBotAPI, bot: Bot) -> None:
    await bot.send_message(CHAT, "only one")
    with pytest.raises(AssertionError, match=r"expected 2 .*got 1(.|\n)*sendMessage \[200\]"):
        await server.wait_sent(CHAT, count=2, timeout=0.05)


# ----------------------------------------------------------------------------- bot settings


async def test_commands_and_profile(server: FakeBotAPI, bot: Bot) -> None:
    await bot.set_my_commands([BotCommand("start", "Start"), BotCommand("help", "Help")])
    await bot.set_my_commands([BotCommand("start", "Anfang")], language_code="de")
    assert [c.command for c in await bot.get_my_commands()] == ["start", "help"]
    assert server.my_commands(language_code="de") == [{"command": "start", "description": "Anfang"}]
    with pytest.raises(BadRequest, match=r"(?i)BOT_COMMAND_INVALID"):
        await bot.set_my_commands([BotCommand("Start", "capital letters are invalid")])
    await bot.delete_my_commands()
    assert await bot.get_my_commands() == ()

    await bot.set_my_description("Long description")
    await bot.set_my_short_description("Short", language_code="de")
    await bot.set_my_name("Name")
    assert (await bot.get_my_description()).description == "Long description"
    assert server.profile["short_description"] == {"de": "Short"}
    assert server.profile["name"] == {"": "Name"}


async def test_webhook(server: FakeBotAPI, bot: Bot) -> None:
    received: list[tuple[dict[str, object], str | None]] = []

    async def receive(request: web.Request) -> web.Response:
        received.append(
            (await request.json(), request.headers.get("X-Telegram-Bot-Api-Secret-Token"))
        )
        return web.Response()

    app = web.Application()
    app.router.add_post("/hook", receive)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    try:
        host, port = runner.addresses[0][:2]
        server.user_sends(CHAT, "pending")
        await bot.set_webhook(f"http://{host}:{port}/hook", secret_token="s3cret")
        info = await bot.get_webhook_info()
        assert info.url.endswith("/hook") and info.pending_update_count == 1
        with pytest.raises(Conflict, match="webhook is active"):
            await bot.get_updates()
        update = server.build_message_update(CHAT, "via webhook")
        assert await server.post_webhook(update) == 200
        assert received == [(update, "s3cret")]
        await bot.delete_webhook(drop_pending_updates=True)
        assert await bot.get_updates() == ()
    finally:
        await runner.cleanup()


# ----------------------------------------------------------------------------- end to end


async def test_application_polling_end_to_end(server: FakeBotAPI) -> None:
    async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.effective_message is not None
        await update.effective_message.reply_text(
            f"<b>Hi</b> {context.args}", parse_mode="HTML", reply_markup=keyboard("go")
        )

    async def press(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        query = update.callback_query
        assert query is not None
        await query.answer()
        await query.edit_message_text(f"pressed {query.data}")

    app = Application.builder().token(server.token).base_url(server.base_url).build()
    app.add_handler(CommandHandler("start", start))
    app.add_handler(CallbackQueryHandler(press))
    server.user_sends(CHAT, "/start x")
    async with app:
        await app.start()
        assert app.updater is not None
        await app.updater.start_polling(poll_interval=0, timeout=1)
        [reply] = await server.wait_sent(CHAT, timeout=3)
        assert reply.params["text"] == "<b>Hi</b> ['x']"
        message_id = reply.result["message_id"]
        assert server.messages(CHAT)[message_id]["text"] == "Hi ['x']"
        server.user_presses(CHAT, message_id, "go")
        await server.wait_sent(CHAT, count=2, method=None, timeout=3)
        await server.wait_for(lambda s: s.messages(CHAT)[message_id]["text"] == "pressed go")
        await app.updater.stop()
        await app.stop()
    assert [c.status for c in server.answered_callbacks()] == [200]
    assert server.pending_updates == []  # all confirmed by the final getUpdates offset
    # Stopping cancels the long poll; PTB's last getUpdates then ends it with 409, unseen.
    assert all(c.status == 200 or c.client_gone for c in server.calls), server.summary()


async def test_other_methods_return_objects_ptb_reads(server: FakeBotAPI, bot: Bot) -> None:
    photo = await bot.send_photo(CHAT, b"\x89PNG fake", caption="pic")
    assert photo.photo and photo.caption == "pic"
    album = await bot.send_media_group(
        CHAT, [InputMediaPhoto(b"1"), InputMediaPhoto(b"2", caption="two")]
    )
    assert len(album) == 2 and album[0].media_group_id == album[1].media_group_id
    assert (await bot.send_sticker(CHAT, "CAACAgIAAx")).sticker is not None
    assert (await bot.send_location(CHAT, 1.5, 2.5)).location == Location(2.5, 1.5)
    user_message = server.user_sends(CHAT, "forward me")["message"]
    copied = await bot.copy_message(-500, CHAT, user_message["message_id"])
    forwarded = await bot.forward_message(-500, CHAT, user_message["message_id"])
    assert forwarded.text == "forward me" and forwarded.forward_origin is not None
    assert server.messages(-500)[copied.message_id]["text"] == "forward me"
    chat = await bot.get_chat(CHAT)
    assert chat.type == "private" and chat.first_name == "Test"
    assert await bot.delete_message(CHAT, photo.message_id) is True
    assert photo.message_id not in server.messages(CHAT)
    with pytest.raises(BadRequest, match=r"(?i)message to delete not found"):
        await bot.delete_message(CHAT, photo.message_id)
    with pytest.raises(BadRequest, match=r"(?i)message can't be edited"):
        await bot.edit_message_text("no", CHAT, user_message["message_id"])
