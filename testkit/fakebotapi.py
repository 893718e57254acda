"""A small fake Telegram Bot API server for end-to-end tests.

The bot under test talks to it over real HTTP (aiohttp on 127.0.0.1, a random free port)::

    async with FakeBotAPI() as server:
        app = Application.builder().token(server.token).base_url(server.base_url).build()
        server.user_sends(1001, "/start")
        ...
        await server.wait_sent(1001)

The server keeps a queue of updates (``user_sends``, ``user_presses``, ``make_update``) served by
``getUpdates`` with long polling, stores every message the bot sends or edits (``messages``),
records every request (``calls``), and can inject faults (``fail``, ``delay``, ``block``).

It checks what the real API checks where bots commonly get it wrong: message length (4096),
HTML markup (known tags, balanced, ``&`` starting an entity), callback_data (1-64 bytes),
"message is not modified", replying to / editing / deleting missing messages, answering an
unknown or already answered callback query, and command names in ``setMyCommands``.
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
import html
import itertools
import json
import re
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any

import aiohttp
from aiohttp import web

__all__ = ["ApiError", "Call", "FakeBotAPI", "UploadedFile", "parse_html"]

MAX_TEXT = 4096
MAX_CAPTION = 1024
MAX_CALLBACK_DATA = 64

#: Methods whose successful calls ``sent()`` reports: they put something into a chat.
_SENDING_PREFIXES = ("send", "edit", "copymessage", "forwardmessage", "deletemessage", "stoppoll")

# ----------------------------------------------------------------------------- request decoding

#: Keys whose form-encoded values are JSON (PTB JSON-encodes every non-string value).
_JSON_KEYS = frozenset(
    {
        "reply_markup", "commands", "allowed_updates", "entities", "caption_entities", "scope",
        "reply_parameters", "link_preview_options", "media", "options", "message_ids",
        "results", "reaction", "question_entities", "explanation_entities", "permissions",
    }
)  # fmt: skip
#: Free-text keys: never JSON-decoded, even when they look like JSON ("[1] is a list").
_TEXT_KEYS = frozenset(
    {
        "text", "caption", "description", "short_description", "name", "title", "question",
        "explanation", "url", "secret_token", "parse_mode", "action", "emoji", "address",
        "first_name", "last_name", "phone_number", "callback_query_id", "inline_message_id",
        "inline_query_id", "language_code", "ip_address", "query", "data",
    }
)  # fmt: skip
_INT_KEYS = frozenset(
    {
        "chat_id", "message_id", "from_chat_id", "user_id", "offset", "limit", "timeout",
        "reply_to_message_id", "message_thread_id", "cache_time", "max_connections",
        "duration", "width", "height", "length", "open_period", "close_date", "until_date",
        "sender_chat_id", "correct_option_id", "direct_messages_topic_id",
    }
)  # fmt: skip
_FLOAT_KEYS = frozenset({"latitude", "longitude", "horizontal_accuracy"})
_BOOL_PREFIXES = ("disable_", "is_", "can_", "show_", "allow_", "has_", "protect_", "drop_")
_BOOL_KEYS = frozenset({"for_channels", "supports_streaming", "expandable", "revoke_messages"})
_INT_RE = re.compile(r"-?\d+")


@dataclass
class UploadedFile:
    """A file part of a multipart request (``params[name]`` holds one of these)."""

    filename: str | None
    content_type: str
    data: bytes


@dataclass
class Call:
    """One request the server received. ``status`` is 0 while the request is still running."""

    method: str
    params: dict[str, Any]
    at: float  # time.monotonic() when the request arrived
    status: int = 0
    response: dict[str, Any] | None = None  # the JSON body answered
    done_at: float | None = None
    #: The client had hung up before the answer (a read timeout, a cancelled long poll).
    client_gone: bool = False

    @property
    def ok(self) -> bool:
        return self.status == HTTPStatus.OK

    @property
    def result(self) -> Any:
        return None if self.response is None else self.response.get("result")

    @property
    def chat_id(self) -> int | str | None:
        return _norm_chat(self.params.get("chat_id"))

    @property
    def text(self) -> str | None:
        value = self.params.get("text", self.params.get("caption"))
        return value if isinstance(value, str) else None

    def __str__(self) -> str:
        shown = {k: v for k, v in self.params.items() if k not in ("reply_markup",)}
        body = json.dumps(shown, ensure_ascii=False, default=repr)
        if len(body) > 160:
            body = body[:157] + "..."
        markup = " +markup" if "reply_markup" in self.params else ""
        gone = " (client gone)" if self.client_gone else ""
        return f"{self.method} [{self.status or 'pending'}{gone}] {body}{markup}"


class ApiError(Exception):
    """An error answer of the fake API: ``{"ok": false, "error_code": ..., ...}``."""

    def __init__(self, status: int, description: str, parameters: dict[str, Any] | None = None):
        super().__init__(description)
        self.status = status
        self.description = description
        self.parameters = parameters

    def body(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "ok": False,
            "error_code": self.status,
            "description": self.description,
        }
        if self.parameters:
            body["parameters"] = self.parameters
        return body


def _bad(description: str) -> ApiError:
    return ApiError(400, f"Bad Request: {description}")


def _decode_value(key: str, value: str) -> Any:
    if key in _TEXT_KEYS:
        return value
    if key in _JSON_KEYS or value[:1] in ("{", "["):
        try:
            return json.loads(value)
        except ValueError:
            return value
    if key in _INT_KEYS:
        if _INT_RE.fullmatch(value):
            return int(value)
        with contextlib.suppress(ValueError):
            return float(value)
        return value
    if key in _FLOAT_KEYS:
        with contextlib.suppress(ValueError):
            return float(value)
        return value
    if (key in _BOOL_KEYS or key.startswith(_BOOL_PREFIXES)) and value in ("true", "false"):
        return value == "true"
    return value


def _norm_chat(chat_id: Any) -> int | str | None:
    if isinstance(chat_id, str) and _INT_RE.fullmatch(chat_id):
        return int(chat_id)
    if isinstance(chat_id, bool):
        return None
    if isinstance(chat_id, int | str):
        return chat_id
    return None


def _utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


# ----------------------------------------------------------------------------- HTML parse mode

_HTML_ENTITY_TYPES = {
    "b": "bold", "strong": "bold", "i": "italic", "em": "italic",
    "u": "underline", "ins": "underline", "s": "strikethrough", "strike": "strikethrough",
    "del": "strikethrough", "code": "code", "pre": "pre", "a": "text_link",
    "blockquote": "blockquote", "tg-spoiler": "spoiler", "span": "spoiler",
    "tg-emoji": "custom_emoji",
}  # fmt: skip
_START_TAG = re.compile(
    r"<([a-zA-Z][a-zA-Z0-9-]*)"
    r"((?:\s+[^\s=>/\"']+(?:\s*=\s*(?:\"[^\"]*\"|'[^']*'|[^\s>\"']+))?)*)\s*/?>"
)
_END_TAG = re.compile(r"</([a-zA-Z][a-zA-Z0-9-]*)\s*>")
_ATTRIBUTE = re.compile(r"([^\s=>/\"']+)(?:\s*=\s*(\"[^\"]*\"|'[^']*'|[^\s>\"']+))?")
_HTML_ENTITY = re.compile(r"&(#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6}|[a-zA-Z][a-zA-Z0-9]*);")
_NAMED_ENTITIES = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}


class EntityParseError(ValueError):
    """The text is not valid Telegram HTML."""


def parse_html(text: str, *, strict: bool = True) -> tuple[str, list[dict[str, Any]]]:
    """Parse Telegram-flavoured HTML into (plain text, message entities) like the Bot API does.

    Raises EntityParseError (message like Telegram's) for unknown or unbalanced tags, a ``<``
    that does not start a tag, and the like. With ``strict`` (the default) it also rejects a
    ``&`` that does not start a supported entity (``&lt;``, ``&gt;``, ``&amp;``, ``&quot;``,
    numeric): Telegram itself keeps such a ``&`` as text, but it means the bot forgot to escape
    something, which breaks as soon as that text contains a ``<``.
    """
    out: list[str] = []
    offset16 = 0  # UTF-16 offset of the end of ``out``
    stack: list[dict[str, Any]] = []
    entities: list[dict[str, Any]] = []
    i, n = 0, len(text)

    def at() -> str:
        return f"at byte offset {len(text[:i].encode())}"

    while i < n:
        char = text[i]
        if char == "<":
            if text.startswith("</", i):
                match = _END_TAG.match(text, i)
                if match is None:
                    raise EntityParseError(f"Unclosed end tag {at()}")
                name = match.group(1).lower()
                if not stack:
                    raise EntityParseError(f'Unexpected end tag "{name}" {at()}')
                top = stack.pop()
                if top["tag"] != name:
                    raise EntityParseError(
                        f'Unmatched end tag {at()}, expected "</{top["tag"]}>", found "</{name}>"'
                    )
                entity = _close_entity(top, offset16, stack)
                if entity is not None:
                    entities.append(entity)
                i = match.end()
                continue
            match = _START_TAG.match(text, i)
            if match is None:
                raise EntityParseError(f"Unclosed start tag {at()}")
            name = match.group(1).lower()
            if name not in _HTML_ENTITY_TYPES:
                raise EntityParseError(f'Unsupported start tag "{name}" {at()}')
            attrs = {
                key.lower(): html.unescape(value.strip("\"'")) if value else ""
                for key, value in _ATTRIBUTE.findall(match.group(2))
            }
            if name == "span" and attrs.get("class") != "tg-spoiler":
                raise EntityParseError(f'Tag "span" must have class "tg-spoiler" {at()}')
            if name == "tg-emoji" and not attrs.get("emoji-id"):
                raise EntityParseError(f'Tag "tg-emoji" must have attribute "emoji-id" {at()}')
            stack.append({"tag": name, "attrs": attrs, "offset": offset16})
            i = match.end()
            continue
        if char == "&":
            decoded = _html_entity(text, i)
            if decoded is not None:
                out.append(decoded[0])
                offset16 += _utf16_len(decoded[0])
                i += decoded[1]
                continue
            if strict:
                raise EntityParseError(
                    f"Character '&' must start an HTML entity (&amp; &lt; &gt; &quot; &#N;) "
                    f"{at()}: {text[i : i + 12]!r}"
                )
        out.append(char)
        offset16 += _utf16_len(char)
        i += 1
    if stack:
        raise EntityParseError(
            f'Can\'t find end tag corresponding to start tag "{stack[-1]["tag"]}"'
        )
    entities.sort(key=lambda e: (e["offset"], -e["length"]))
    return "".join(out), entities


def _html_entity(text: str, i: int) -> tuple[str, int] | None:
    """The character of the supported entity at text[i] and its length, or None."""
    match = _HTML_ENTITY.match(text, i)
    if match is None:
        return None
    ref = match.group(1)
    if ref.startswith("#"):
        code = int(ref[2:], 16) if ref[1:2] in ("x", "X") else int(ref[1:])
        if not 0 < code <= 0x10FFFF or 0xD800 <= code <= 0xDFFF:
            return None
        return chr(code), match.end() - i
    if ref in _NAMED_ENTITIES:
        return _NAMED_ENTITIES[ref], match.end() - i
    return None


def _close_entity(
    opened: dict[str, Any], end16: int, parents: list[dict[str, Any]]
) -> dict[str, Any] | None:
    tag, attrs = opened["tag"], opened["attrs"]
    length = end16 - opened["offset"]
    language = attrs.get("class", "")
    if tag == "code" and parents and parents[-1]["tag"] == "pre":
        if language.startswith("language-"):
            parents[-1]["language"] = language.removeprefix("language-")
        return None  # <pre><code> is one pre entity
    if length <= 0:
        return None
    entity: dict[str, Any] = {"type": _HTML_ENTITY_TYPES[tag], "offset": opened["offset"]}
    entity["length"] = length
    if tag == "a":
        href = attrs.get("href", "")
        if not href:
            return None
        user = re.fullmatch(r"tg://user\?id=(\d+)", href)
        if user:
            entity["type"] = "text_mention"
            entity["user"] = {"id": int(user.group(1)), "is_bot": False, "first_name": "User"}
        else:
            entity["url"] = href
    elif tag == "pre" and opened.get("language"):
        entity["language"] = opened["language"]
    elif tag == "blockquote" and "expandable" in attrs:
        entity["type"] = "expandable_blockquote"
    elif tag == "tg-emoji":
        entity["custom_emoji_id"] = attrs["emoji-id"]
    return entity


# ----------------------------------------------------------------------------- the server


@dataclass
class _Fault:
    method: str | None  # lower-case, None = any
    status: int
    description: str
    parameters: dict[str, Any] | None
    remaining: int


@dataclass
class _Delay:
    method: str | None
    seconds: float
    remaining: int


_DEFAULT_DESCRIPTIONS = {
    400: "Bad Request: chat not found",
    401: "Unauthorized",
    403: "Forbidden: bot was blocked by the user",
    404: "Not Found",
    409: "Conflict: terminated by other getUpdates request; "
    "make sure that only one bot instance is running",
    500: "Internal Server Error",
    502: "Bad Gateway",
}
_BLOCKED = "Forbidden: bot was blocked by the user"
_NOT_MODIFIED = (
    "message is not modified: specified new message content and reply markup are exactly "
    "the same as a current content and reply markup of the message"
)
_QUERY_INVALID = "query is too old and response timeout expired or query ID is invalid"
_BUTTON_ACTIONS = (
    "url", "callback_data", "web_app", "login_url", "switch_inline_query",
    "switch_inline_query_current_chat", "switch_inline_query_chosen_chat", "copy_text",
    "callback_game", "pay",
)  # fmt: skip
_COMMAND_RE = re.compile(r"[a-z0-9_]{1,32}")
_BOT_COMMAND_RE = re.compile(r"/[A-Za-z0-9_]{1,64}(?:@[A-Za-z0-9_]{1,64})?(?=\s|$)")
DEFAULT_GROUP_USER_ID = 10_001

Handler = Callable[[dict[str, Any]], Awaitable[Any]]


class FakeBotAPI:
    """A fake Bot API for one bot (one token). See the module docstring."""

    def __init__(
        self,
        token: str = "123456:TEST-token",
        bot_id: int = 4242,
        username: str = "interview_test_bot",
        *,
        first_name: str = "Test Bot",
        strict_html: bool = True,
    ) -> None:
        self.token = token
        #: Reject a bare ``&`` in HTML texts (Telegram would show it as is); see parse_html.
        self.strict_html = strict_html
        self.bot_id = bot_id
        self.username = username
        self.bot_user: dict[str, Any] = {
            "id": bot_id,
            "is_bot": True,
            "first_name": first_name,
            "username": username,
        }
        self.url = ""
        self.base_url = ""
        self.calls: list[Call] = []
        #: Bot profile as set by setMyDescription / setMyShortDescription / setMyName:
        #: {"description": {language_code: text}, "short_description": {...}, "name": {...}}.
        self.profile: dict[str, dict[str, str]] = {
            "description": {},
            "short_description": {},
            "name": {},
        }
        #: Webhook state as set by setWebhook (url "" = no webhook).
        self.webhook: dict[str, Any] = {"url": ""}

        self._runner: web.AppRunner | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._closing = False
        self._stop_event: asyncio.Event | None = None
        self._updates: list[dict[str, Any]] = []
        self._update_ids = itertools.count(1)
        self._query_ids = itertools.count(1)
        self._file_ids = itertools.count(1)
        self._poll: asyncio.Future[str] | None = None  # the getUpdates waiting
        self._faults: list[_Fault] = []
        self._delays: list[_Delay] = []
        self._blocked: dict[int | str, str] = {}
        self._next_message_id: dict[int | str, int] = {}
        self._bot_messages: dict[int | str, dict[int, dict[str, Any]]] = {}
        self._user_messages: dict[int | str, dict[int, dict[str, Any]]] = {}
        self._chats: dict[int | str, dict[str, Any]] = {}
        self._open_queries: set[str] = set()
        self._answered_queries: set[str] = set()
        self._commands: dict[tuple[str, str], list[dict[str, Any]]] = {}
        self._handlers: dict[str, Handler] = {
            name.removeprefix("_m_"): getattr(self, name)
            for name in dir(self)
            if name.startswith("_m_") and name != "_m_default"
        }

    # ------------------------------------------------------------------ lifecycle

    async def start(self) -> None:
        if self._runner is not None:
            raise RuntimeError("FakeBotAPI already started")
        self._loop = asyncio.get_running_loop()
        self._closing = False
        self._stop_event = asyncio.Event()
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_route("*", "/{tail:.*}", self._handle)
        runner = web.AppRunner(app, access_log=None, shutdown_timeout=2.0)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        self._runner = runner
        host, port = runner.addresses[0][:2]
        self.url = f"http://{host}:{port}"
        self.base_url = f"{self.url}/bot"

    async def stop(self) -> None:
        if self._runner is None:
            return
        self._closing = True
        if self._stop_event is not None:
            self._stop_event.set()
        self._wake("stop")
        runner, self._runner = self._runner, None
        await runner.cleanup()

    async def __aenter__(self) -> FakeBotAPI:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()

    # ------------------------------------------------------------------ simulating users

    def build_message_update(
        self,
        chat_id: int,
        text: str | None = None,
        *,
        user_id: int | None = None,
        language_code: str | None = "en",
        chat_type: str = "private",
        first_name: str = "Test",
        entities: list[dict[str, Any]] | None = None,
        reply_to_message_id: int | None = None,
        sticker: bool = False,
        photo: bool = False,
        voice: bool = False,
        location: bool = False,
        edited: bool = False,
        message_id: int | None = None,
    ) -> dict[str, Any]:
        """Build (but do not queue) a message update from a user; see ``user_sends``.

        The update gets an update_id and the message a message_id (and is remembered, so that
        later edits and replies can refer to it) - only the queueing is left out.
        """
        if chat_type not in ("private", "group", "supergroup"):
            raise ValueError(f"unsupported chat_type {chat_type!r}")
        if chat_type == "private" and chat_id <= 0:
            raise ValueError("a private chat_id is the (positive) user id")
        if chat_type != "private" and chat_id >= 0:
            raise ValueError("group and supergroup chat ids are negative")
        kinds = [name for name, on in (("sticker", sticker), ("photo", photo),
                 ("voice", voice), ("location", location)) if on]  # fmt: skip
        if len(kinds) > 1:
            raise ValueError(f"choose one of {kinds}")
        if text is None and not kinds:
            raise ValueError("a message needs text or one of sticker/photo/voice/location")
        if text is not None and (sticker or location):
            raise ValueError("stickers and locations have no text or caption")
        if user_id is None:
            user_id = chat_id if chat_type == "private" else DEFAULT_GROUP_USER_ID

        user: dict[str, Any] = {"id": user_id, "is_bot": False, "first_name": first_name}
        if language_code is not None:
            user["language_code"] = language_code
        chat: dict[str, Any] = {"id": chat_id, "type": chat_type}
        if chat_type == "private":
            chat["first_name"] = first_name
        else:
            chat["title"] = "Test group" if chat_type == "group" else "Test supergroup"
        self._chats[chat_id] = chat

        user_messages = self._user_messages.setdefault(chat_id, {})
        if message_id is None:
            if edited and user_messages:
                message_id = max(user_messages)
            else:
                message_id = self._new_message_id(chat_id)
        message: dict[str, Any] = {
            "message_id": message_id,
            "from": user,
            "chat": dict(chat),
            "date": int(time.time()),
        }
        if edited:
            previous = user_messages.get(message_id)
            if previous is not None:
                message["date"] = previous["date"]
            message["edit_date"] = int(time.time())

        text_key, entities_key = ("text", "entities")
        if photo or voice:
            text_key, entities_key = ("caption", "caption_entities")
        if text is not None:
            message[text_key] = text
            if entities is None:
                command = _BOT_COMMAND_RE.match(text)
                if command:
                    entities = [
                        {"type": "bot_command", "offset": 0, "length": _utf16_len(command[0])}
                    ]
            if entities:
                message[entities_key] = entities
        if sticker:
            message["sticker"] = {
                "file_id": self._file_id("sticker"), "file_unique_id": "sticker-unique",
                "type": "regular", "width": 512, "height": 512, "is_animated": False,
                "is_video": False, "emoji": "\N{THUMBS UP SIGN}", "set_name": "TestStickers",
            }  # fmt: skip
        if photo:
            message["photo"] = [
                {"file_id": self._file_id("photo"), "file_unique_id": "photo-s",
                 "width": 90, "height": 90, "file_size": 1_000},
                {"file_id": self._file_id("photo"), "file_unique_id": "photo-m",
                 "width": 800, "height": 800, "file_size": 60_000},
            ]  # fmt: skip
        if voice:
            message["voice"] = {
                "file_id": self._file_id("voice"), "file_unique_id": "voice-unique",
                "duration": 2, "mime_type": "audio/ogg", "file_size": 5_000,
            }  # fmt: skip
        if location:
            message["location"] = {"latitude": 51.5074, "longitude": -0.1278}
        if reply_to_message_id is not None:
            replied = self._bot_messages.get(chat_id, {}).get(reply_to_message_id)
            if replied is None:
                replied = user_messages.get(reply_to_message_id)
            if replied is None:
                raise ValueError(f"no message {reply_to_message_id} in chat {chat_id} to reply to")
            message["reply_to_message"] = _without_reply(replied)

        user_messages[message_id] = message
        key = "edited_message" if edited else "message"
        return {"update_id": next(self._update_ids), key: copy.deepcopy(message)}

    def user_sends(
        self,
        chat_id: int,
        text: str | None = None,
        *,
        user_id: int | None = None,
        language_code: str | None = "en",
        chat_type: str = "private",
        first_name: str = "Test",
        entities: list[dict[str, Any]] | None = None,
        reply_to_message_id: int | None = None,
        sticker: bool = False,
        photo: bool = False,
        voice: bool = False,
        location: bool = False,
        edited: bool = False,
        message_id: int | None = None,
    ) -> dict[str, Any]:
        """Queue a message (or edited_message) update from a user and return it.

        user_id defaults to the chat id in private chats, DEFAULT_GROUP_USER_ID in groups
        (chat_type "group"/"supergroup", negative chat_id); entities default to a bot_command
        entity for "/command ..." texts; reply_to_message_id names a message the bot (or the
        user) sent in this chat; text becomes the caption of a photo or voice; edited=True edits
        the user's last message in the chat unless message_id is given.
        """
        update = self.build_message_update(
            chat_id, text, user_id=user_id, language_code=language_code, chat_type=chat_type,
            first_name=first_name, entities=entities, reply_to_message_id=reply_to_message_id,
            sticker=sticker, photo=photo, voice=voice, location=location, edited=edited,
            message_id=message_id,
        )  # fmt: skip
        self._enqueue(update)
        return update

    def build_callback_update(
        self,
        chat_id: int,
        message_id: int,
        data: str,
        *,
        user_id: int | None = None,
        language_code: str | None = "en",
        first_name: str = "Test",
        check_button: bool = False,
    ) -> dict[str, Any]:
        """Build (but do not queue) a callback_query update; see ``user_presses``."""
        message = self._bot_messages.get(chat_id, {}).get(message_id)
        if message is None:
            raise ValueError(f"the bot has no message {message_id} in chat {chat_id}")
        if check_button:
            buttons = _callback_data_of(message)
            if data not in buttons:
                raise ValueError(f"message {message_id} has no button {data!r}; it has {buttons}")
        if user_id is None:
            user_id = chat_id if chat_id > 0 else DEFAULT_GROUP_USER_ID
        user: dict[str, Any] = {"id": user_id, "is_bot": False, "first_name": first_name}
        if language_code is not None:
            user["language_code"] = language_code
        query_id = str(self.bot_id * 10**12 + next(self._query_ids))
        self._open_queries.add(query_id)
        query = {
            "id": query_id,
            "from": user,
            "message": copy.deepcopy(message),
            "chat_instance": str(-(10**15) - abs(hash(chat_id)) % 10**15),
            "data": data,
        }
        return {"update_id": next(self._update_ids), "callback_query": query}

    def user_presses(
        self,
        chat_id: int,
        message_id: int,
        data: str,
        *,
        user_id: int | None = None,
        language_code: str | None = "en",
        first_name: str = "Test",
        check_button: bool = False,
    ) -> dict[str, Any]:
        """Queue a callback_query update: the user pressed a button of the bot's message.

        The query carries the bot's message as currently stored (after edits). check_button:
        raise ValueError when the message has no inline button with this callback_data (off by
        default, so tests can press stale or forged buttons).
        """
        update = self.build_callback_update(
            chat_id, message_id, data, user_id=user_id, language_code=language_code,
            first_name=first_name, check_button=check_button,
        )  # fmt: skip
        self._enqueue(update)
        return update

    def make_update(self, payload: dict[str, Any]) -> dict[str, Any]:
        """Queue an arbitrary update body (e.g. {"my_chat_member": {...}}); assigns update_id."""
        update = {**copy.deepcopy(payload), "update_id": next(self._update_ids)}
        query = update.get("callback_query")
        if isinstance(query, dict) and "id" in query:
            self._open_queries.add(str(query["id"]))
        self._enqueue(update)
        return update

    @property
    def pending_updates(self) -> list[dict[str, Any]]:
        """Updates queued and not yet confirmed by a getUpdates offset."""
        return list(self._updates)

    # ------------------------------------------------------------------ inspecting the bot

    def sent(self, chat_id: int | str | None = None, method: str | None = None) -> list[Call]:
        """Successful calls that put something into a chat (send*, edit*, copy/forward/delete)."""
        wanted = method.lower() if method else None
        return [
            call
            for call in self.calls
            if call.ok
            and call.method.lower().startswith(_SENDING_PREFIXES)
            and (wanted is None or call.method.lower() == wanted)
            and (chat_id is None or call.chat_id == chat_id)
        ]

    def answered_callbacks(self) -> list[Call]:
        return [call for call in self.calls if call.method.lower() == "answercallbackquery"]

    def messages(self, chat_id: int | str) -> dict[int, dict[str, Any]]:
        """The bot's messages in a chat as they are now (after edits, without deleted ones)."""
        return copy.deepcopy(self._bot_messages.get(chat_id, {}))

    def last_message(self, chat_id: int | str) -> dict[str, Any] | None:
        """The bot's newest (highest message_id) message in a chat, or None."""
        stored = self._bot_messages.get(chat_id)
        return copy.deepcopy(stored[max(stored)]) if stored else None

    def my_commands(
        self, scope: dict[str, Any] | None = None, language_code: str = ""
    ) -> list[dict[str, Any]]:
        """Commands as set by setMyCommands for a scope (default {"type": "default"})."""
        return copy.deepcopy(self._commands.get(_commands_key(scope, language_code), []))

    async def wait_for(
        self, predicate: Callable[[FakeBotAPI], bool], timeout: float = 10.0
    ) -> None:
        """Poll ``predicate(self)`` every 10 ms; AssertionError with the last calls on timeout."""
        deadline = time.monotonic() + timeout
        while not predicate(self):
            if time.monotonic() >= deadline:
                raise AssertionError(f"condition not met within {timeout:g} s\n{self.summary()}")
            await asyncio.sleep(0.01)

    async def wait_sent(
        self,
        chat_id: int | str,
        count: int = 1,
        method: str | None = None,
        timeout: float = 10.0,
    ) -> list[Call]:
        """Wait until at least ``count`` ``sent(chat_id, method)`` calls exist; return them all."""
        try:
            await self.wait_for(lambda server: len(server.sent(chat_id, method)) >= count, timeout)
        except AssertionError as exc:
            got = len(self.sent(chat_id, method))
            raise AssertionError(
                f"expected {count} {method or 'sending'} call(s) to chat {chat_id}, got {got}; "
                f"{exc}"
            ) from None
        return self.sent(chat_id, method)

    def summary(self, last: int = 20) -> str:
        """The last calls, one per line (for assertion messages)."""
        lines = [f"  {call}" for call in self.calls[-last:]]
        skipped = len(self.calls) - len(lines)
        head = f"last {len(lines)} of {len(self.calls)} calls" if skipped else "calls"
        return f"{head} ({len(self._updates)} updates pending):\n" + ("\n".join(lines) or "  -")

    # ------------------------------------------------------------------ fault injection

    def fail(
        self,
        method: str | None,
        *,
        status: int,
        description: str = "",
        retry_after: int | None = None,
        times: int = 1,
    ) -> None:
        """Answer the next ``times`` requests of ``method`` (any method if None) with an error.

        429 gets ``parameters.retry_after`` (default 1 s) and "Too Many Requests: retry after N".
        Faults are used in the order registered; a request consumes at most one fault.
        """
        if status < 400:
            raise ValueError("a fault needs an HTTP error status")
        parameters = None
        if status == 429:
            retry_after = 1 if retry_after is None else retry_after
            description = description or f"Too Many Requests: retry after {retry_after}"
        if retry_after is not None:
            parameters = {"retry_after": retry_after}
        if not description:
            description = _DEFAULT_DESCRIPTIONS.get(status) or HTTPStatus(status).phrase
        self._faults.append(
            _Fault(method.lower() if method else None, status, description, parameters, times)
        )

    def delay(self, method: str | None, seconds: float, times: int = 1) -> None:
        """Hold the next ``times`` requests of ``method`` (any if None) ``seconds`` before
        handling them (the request is still handled - as with Telegram, a client timeout does
        not mean the message was not sent)."""
        self._delays.append(_Delay(method.lower() if method else None, seconds, times))

    def block(self, chat_id: int | str, description: str = _BLOCKED) -> None:
        """From now on every request with this chat_id answers 403 ``description``."""
        self._blocked[chat_id] = description

    def unblock(self, chat_id: int | str) -> None:
        self._blocked.pop(chat_id, None)

    def clear_faults(self) -> None:
        """Forget pending faults and delays (blocked chats stay blocked)."""
        self._faults.clear()
        self._delays.clear()

    # ------------------------------------------------------------------ webhook delivery

    async def post_webhook(
        self, update: dict[str, Any], url: str | None = None, timeout: float = 10.0
    ) -> int:
        """POST an update to the webhook (set by setWebhook, or ``url``) as Telegram would,
        with the secret token header; return the HTTP status."""
        target = url or self.webhook.get("url")
        if not target:
            raise RuntimeError("no webhook set")
        headers = {}
        if self.webhook.get("secret_token"):
            headers["X-Telegram-Bot-Api-Secret-Token"] = self.webhook["secret_token"]
        async with (
            aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=timeout)) as session,
            session.post(target, json=update, headers=headers) as response,
        ):
            await response.read()
            return response.status

    # ------------------------------------------------------------------ internals

    def _enqueue(self, update: dict[str, Any]) -> None:
        self._updates.append(update)
        self._wake("update")

    def _wake(self, reason: str) -> None:
        loop = self._loop
        if loop is None or loop.is_closed():
            return
        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if running is loop:
            self._wake_now(reason)
        else:
            loop.call_soon_threadsafe(self._wake_now, reason)

    def _wake_now(self, reason: str) -> None:
        if self._poll is not None and not self._poll.done():
            self._poll.set_result(reason)

    def _new_message_id(self, chat_id: int | str) -> int:
        message_id = self._next_message_id.get(chat_id, 1)
        self._next_message_id[chat_id] = message_id + 1
        return message_id

    def _file_id(self, kind: str) -> str:
        return f"fake-{kind}-{next(self._file_ids)}"

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        match = re.fullmatch(r"/bot([^/]+)/([A-Za-z_]+)/?", request.path)
        method = match.group(2) if match else request.path
        parse_error: ApiError | None = None
        try:
            params = await _read_params(request)
        except ApiError as error:
            params, parse_error = {}, error
        call = Call(method=method, params=params, at=time.monotonic())
        self.calls.append(call)
        try:
            if match is None or match.group(1) != self.token:
                raise ApiError(404, "Not Found")
            if parse_error is not None:
                raise parse_error
            await self._maybe_delay(method)
            self._maybe_fail(method, params)
            handler = self._handlers.get(method.lower(), self._m_default)
            result = await handler(params)
            body: dict[str, Any] = {"ok": True, "result": result}
            status = 200
        except ApiError as error:
            body, status = error.body(), error.status
        call.status, call.response, call.done_at = status, body, time.monotonic()
        call.client_gone = request.transport is None or request.transport.is_closing()
        return web.json_response(body, status=status, dumps=_dumps)

    async def _maybe_delay(self, method: str) -> None:
        for delay in self._delays:
            if delay.remaining > 0 and delay.method in (None, method.lower()):
                delay.remaining -= 1
                if self._stop_event is not None and not self._closing:
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(self._stop_event.wait(), delay.seconds)
                break
        self._delays = [delay for delay in self._delays if delay.remaining > 0]

    def _maybe_fail(self, method: str, params: dict[str, Any]) -> None:
        for fault in self._faults:
            if fault.remaining > 0 and fault.method in (None, method.lower()):
                fault.remaining -= 1
                self._faults = [f for f in self._faults if f.remaining > 0]
                raise ApiError(fault.status, fault.description, fault.parameters)
        chat_id = _norm_chat(params.get("chat_id"))
        if chat_id is not None and chat_id in self._blocked:
            raise ApiError(403, self._blocked[chat_id])

    def _chat(self, params: dict[str, Any]) -> tuple[int | str, dict[str, Any]]:
        chat_id = _norm_chat(params.get("chat_id"))
        if chat_id is None or chat_id == "":
            raise _bad("chat_id is empty")
        chat = self._chats.get(chat_id)
        if chat is None:
            if isinstance(chat_id, str):
                chat = {"id": -1_001_000_000_000, "type": "channel", "title": "Test channel",
                        "username": chat_id.lstrip("@")}  # fmt: skip
            elif chat_id > 0:
                chat = {"id": chat_id, "type": "private", "first_name": "Test"}
            elif chat_id <= -1_000_000_000_000:
                chat = {"id": chat_id, "type": "supergroup", "title": "Test supergroup"}
            else:
                chat = {"id": chat_id, "type": "group", "title": "Test group"}
        return chat_id, chat

    def _render(
        self, params: dict[str, Any], key: str = "text", limit: int = MAX_TEXT
    ) -> tuple[str, list[dict[str, Any]]]:
        """Validate and parse text/caption per parse_mode; return (text, entities)."""
        text = params.get(key)
        if text is None or text == "":
            if key == "caption":
                return "", []
            raise _bad("message text is empty")
        if not isinstance(text, str):
            text = str(text)
        parse_mode = str(params.get("parse_mode") or "").lower()
        entities_key = "entities" if key == "text" else "caption_entities"
        entities = params.get(entities_key) or []
        if parse_mode == "html":
            try:
                text, entities = parse_html(text, strict=self.strict_html)
            except EntityParseError as exc:
                raise _bad(f"can't parse entities: {exc}") from None
        elif parse_mode not in ("", "markdown", "markdownv2"):
            raise _bad(f"unsupported parse_mode {params.get('parse_mode')!r}")
        if not isinstance(entities, list):
            raise _bad(f"can't parse {entities_key} JSON object")
        if not text.strip():
            raise _bad("message text is empty" if key == "text" else "caption is empty")
        if len(text) > limit:
            raise _bad("message is too long" if key == "text" else "message caption is too long")
        return text, entities

    def _markup(self, params: dict[str, Any]) -> dict[str, Any] | None:
        """Validate reply_markup; return it when it belongs in the Message (inline keyboards)."""
        markup = params.get("reply_markup")
        if markup is None:
            return None
        if not isinstance(markup, dict):
            raise _bad("can't parse reply keyboard markup JSON object")
        if "inline_keyboard" not in markup:
            for key in ("keyboard", "remove_keyboard", "force_reply"):
                if key in markup:
                    return None
            raise _bad("can't parse reply keyboard markup JSON object")
        rows = markup["inline_keyboard"]
        if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
            raise _bad("can't parse inline keyboard markup JSON object")
        for row in rows:
            for button in row:
                if not isinstance(button, dict) or not button.get("text"):
                    raise _bad("can't parse inline keyboard button: Text is empty")
                actions = [key for key in _BUTTON_ACTIONS if key in button]
                if not actions:
                    raise _bad(
                        "can't parse inline keyboard button: "
                        "Text buttons are unallowed in the inline keyboard"
                    )
                if "callback_data" in button:
                    data = button["callback_data"]
                    if not isinstance(data, str) or not 1 <= len(data.encode()) <= 64:
                        raise _bad("BUTTON_DATA_INVALID")
                if "url" in button and not re.match(r"(https?|tg)://\S+$", str(button["url"])):
                    raise _bad("BUTTON_URL_INVALID")
        return {"inline_keyboard": copy.deepcopy(rows)}

    def _reply_target(self, chat_id: int | str, params: dict[str, Any]) -> dict[str, Any] | None:
        reply = params.get("reply_parameters")
        if isinstance(reply, dict):
            message_id = reply.get("message_id")
            allow = bool(reply.get("allow_sending_without_reply"))
            reply_chat = _norm_chat(reply.get("chat_id")) or chat_id
        elif params.get("reply_to_message_id") is not None:
            message_id = params["reply_to_message_id"]
            allow = bool(params.get("allow_sending_without_reply"))
            reply_chat = chat_id
        else:
            return None
        target = self._any_message(reply_chat, message_id)
        if target is None:
            if allow:
                return None
            raise _bad("message to be replied not found")
        return _without_reply(target)

    def _any_message(self, chat_id: Any, message_id: Any) -> dict[str, Any] | None:
        """The stored bot or user message, or None."""
        for store in (self._bot_messages, self._user_messages):
            message = store.get(chat_id, {}).get(message_id)
            if message is not None:
                return message
        return None

    def _store_bot_message(
        self, chat_id: int | str, chat: dict[str, Any], params: dict[str, Any], **content: Any
    ) -> dict[str, Any]:
        reply_to = self._reply_target(chat_id, params)
        markup = self._markup(params)
        message: dict[str, Any] = {
            "message_id": self._new_message_id(chat_id),
            "from": dict(self.bot_user),
            "chat": dict(chat),
            "date": int(time.time()),
        }
        message.update({key: value for key, value in content.items() if value not in (None, [])})
        if reply_to is not None:
            message["reply_to_message"] = reply_to
        if markup is not None:
            message["reply_markup"] = markup
        self._bot_messages.setdefault(chat_id, {})[message["message_id"]] = message
        return copy.deepcopy(message)

    def _stored(self, params: dict[str, Any], action: str = "edit") -> dict[str, Any]:
        chat_id, _ = self._chat(params)
        message_id = params.get("message_id")
        if message_id is None:
            raise _bad("message identifier is not specified")
        message = self._bot_messages.get(chat_id, {}).get(message_id)
        if message is None:
            if action == "edit" and self._any_message(chat_id, message_id) is not None:
                raise _bad("message can't be edited")
            raise _bad(f"message to {action} not found")
        return message

    # ------------------------------------------------------------------ API methods
    # Named _m_<lower-case method>; each takes the params and returns the result or raises.

    async def _m_default(self, params: dict[str, Any]) -> Any:
        return True

    async def _m_getme(self, params: dict[str, Any]) -> Any:
        return {
            **self.bot_user,
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
            "can_connect_to_business": False,
            "has_main_web_app": False,
        }

    async def _m_getupdates(self, params: dict[str, Any]) -> Any:
        if self.webhook.get("url"):
            raise ApiError(
                409,
                "Conflict: can't use getUpdates method while webhook is active; "
                "use deleteWebhook to delete the webhook first",
            )
        offset = params.get("offset")
        limit = params.get("limit", 100)
        timeout = params.get("timeout", 0)
        if not isinstance(offset, int | None) or not isinstance(limit, int):
            raise _bad("wrong parameter type")
        if not isinstance(timeout, int | float):
            raise _bad("wrong parameter type")
        limit = min(max(limit, 1), 100)
        if offset is not None and offset < 0:
            self._updates = self._updates[offset:]
        elif offset:
            self._updates = [u for u in self._updates if u["update_id"] >= offset]

        # Telegram allows one getUpdates at a time: a new one ends the one waiting.
        previous, self._poll = self._poll, None
        if previous is not None and not previous.done():
            previous.set_result("conflict")

        deadline = time.monotonic() + max(float(timeout), 0.0)
        loop = asyncio.get_running_loop()
        while not self._updates and not self._closing:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                break
            poll: asyncio.Future[str] = loop.create_future()
            self._poll = poll
            try:
                await asyncio.wait({poll}, timeout=remaining)
            finally:
                if self._poll is poll:
                    self._poll = None
            if poll.done() and poll.result() == "conflict":
                raise ApiError(409, _DEFAULT_DESCRIPTIONS[409])
        return copy.deepcopy(self._updates[:limit])

    async def _m_sendmessage(self, params: dict[str, Any]) -> Any:
        chat_id, chat = self._chat(params)
        text, entities = self._render(params)
        return self._store_bot_message(chat_id, chat, params, text=text, entities=entities)

    async def _m_editmessagetext(self, params: dict[str, Any]) -> Any:
        text, entities = self._render(params)
        markup = self._markup(params)
        if params.get("inline_message_id"):
            return True
        message = self._stored(params)
        if "text" not in message:
            raise _bad("there is no text in the message to edit")
        if (
            message["text"] == text
            and message.get("entities", []) == entities
            and message.get("reply_markup") == markup
        ):
            raise _bad(_NOT_MODIFIED)
        message["text"] = text
        _set_or_drop(message, "entities", entities or None)
        _set_or_drop(message, "reply_markup", markup)
        message["edit_date"] = int(time.time())
        return copy.deepcopy(message)

    async def _m_editmessagecaption(self, params: dict[str, Any]) -> Any:
        caption, entities = self._render(params, "caption", MAX_CAPTION)
        markup = self._markup(params)
        if params.get("inline_message_id"):
            return True
        message = self._stored(params)
        if "text" in message:
            raise _bad("there is no caption in the message to edit")
        if (
            message.get("caption", "") == caption
            and message.get("caption_entities", []) == entities
            and message.get("reply_markup") == markup
        ):
            raise _bad(_NOT_MODIFIED)
        _set_or_drop(message, "caption", caption or None)
        _set_or_drop(message, "caption_entities", entities or None)
        _set_or_drop(message, "reply_markup", markup)
        message["edit_date"] = int(time.time())
        return copy.deepcopy(message)

    async def _m_editmessagereplymarkup(self, params: dict[str, Any]) -> Any:
        markup = self._markup(params)
        if params.get("inline_message_id"):
            return True
        message = self._stored(params)
        if message.get("reply_markup") == markup:
            raise _bad(_NOT_MODIFIED)
        _set_or_drop(message, "reply_markup", markup)
        message["edit_date"] = int(time.time())
        return copy.deepcopy(message)

    async def _m_deletemessage(self, params: dict[str, Any]) -> Any:
        chat_id, _ = self._chat(params)
        message_id: Any = params.get("message_id")
        if self._any_message(chat_id, message_id) is None:
            raise _bad("message to delete not found")
        for store in (self._bot_messages, self._user_messages):
            store.get(chat_id, {}).pop(message_id, None)
        return True

    async def _m_deletemessages(self, params: dict[str, Any]) -> Any:
        chat_id, _ = self._chat(params)
        for message_id in params.get("message_ids") or []:
            self._bot_messages.get(chat_id, {}).pop(message_id, None)
            self._user_messages.get(chat_id, {}).pop(message_id, None)
        return True

    async def _send_media(self, params: dict[str, Any], **content: Any) -> Any:
        chat_id, chat = self._chat(params)
        caption, entities = self._render(params, "caption", MAX_CAPTION)
        return self._store_bot_message(
            chat_id, chat, params, **content, caption=caption or None, caption_entities=entities
        )

    def _file(self, params: dict[str, Any], key: str, **extra: Any) -> dict[str, Any]:
        value = params.get(key)
        if value is None or value == "":
            raise _bad(f"there is no {key} in the request")
        file_id = self._file_id(key)
        described: dict[str, Any] = {"file_id": file_id, "file_unique_id": f"u{file_id}"}
        uploaded = value if isinstance(value, UploadedFile) else None
        if isinstance(value, str) and value.startswith("attach://"):
            found = params.get(value.removeprefix("attach://"))
            uploaded = found if isinstance(found, UploadedFile) else None
        if uploaded is not None:
            described["file_size"] = len(uploaded.data)
            if key in ("document", "audio", "video", "animation") and uploaded.filename:
                described["file_name"] = uploaded.filename
        return {**described, **extra}

    async def _m_sendphoto(self, params: dict[str, Any]) -> Any:
        photo = self._file(params, "photo", width=800, height=800)
        return await self._send_media(params, photo=[photo])

    async def _m_senddocument(self, params: dict[str, Any]) -> Any:
        return await self._send_media(params, document=self._file(params, "document"))

    async def _m_sendaudio(self, params: dict[str, Any]) -> Any:
        return await self._send_media(params, audio=self._file(params, "audio", duration=1))

    async def _m_sendvoice(self, params: dict[str, Any]) -> Any:
        return await self._send_media(params, voice=self._file(params, "voice", duration=1))

    async def _m_sendvideo(self, params: dict[str, Any]) -> Any:
        video = self._file(params, "video", width=640, height=360, duration=1)
        return await self._send_media(params, video=video)

    async def _m_sendanimation(self, params: dict[str, Any]) -> Any:
        animation = self._file(params, "animation", width=320, height=240, duration=1)
        return await self._send_media(params, animation=animation, document=animation)

    async def _m_sendvideonote(self, params: dict[str, Any]) -> Any:
        note = self._file(params, "video_note", length=240, duration=1)
        return await self._send_media({**params, "caption": None}, video_note=note)

    async def _m_sendsticker(self, params: dict[str, Any]) -> Any:
        sticker = self._file(
            params, "sticker", type="regular", width=512, height=512,
            is_animated=False, is_video=False,
        )  # fmt: skip
        return await self._send_media({**params, "caption": None}, sticker=sticker)

    async def _m_sendlocation(self, params: dict[str, Any]) -> Any:
        location = {"latitude": params.get("latitude"), "longitude": params.get("longitude")}
        return await self._send_media({**params, "caption": None}, location=location)

    async def _m_senddice(self, params: dict[str, Any]) -> Any:
        dice = {"emoji": params.get("emoji") or "\N{GAME DIE}", "value": 1}
        return await self._send_media({**params, "caption": None}, dice=dice)

    async def _m_sendcontact(self, params: dict[str, Any]) -> Any:
        contact = {
            "phone_number": params.get("phone_number"),
            "first_name": params.get("first_name"),
        }
        return await self._send_media({**params, "caption": None}, contact=contact)

    async def _m_sendmediagroup(self, params: dict[str, Any]) -> Any:
        chat_id, chat = self._chat(params)
        media = params.get("media")
        if not isinstance(media, list) or not 2 <= len(media) <= 10:
            raise _bad("wrong number of messages in the media group")
        group_id = str(next(self._file_ids))
        results = []
        for item in media:
            kind = item.get("type", "photo")
            described = self._file(
                {**params, kind: item.get("media")}, kind, **_MEDIA_EXTRA.get(kind, {})
            )
            content: dict[str, Any] = {kind: [described] if kind == "photo" else described}
            caption, entities = self._render(item, "caption", MAX_CAPTION)
            results.append(
                self._store_bot_message(
                    chat_id,
                    chat,
                    params,
                    **content,
                    caption=caption or None,
                    caption_entities=entities,
                    media_group_id=group_id,
                )
            )
        return results

    async def _m_copymessage(self, params: dict[str, Any]) -> Any:
        chat_id, chat = self._chat(params)
        source_chat = _norm_chat(params.get("from_chat_id"))
        source = self._any_message(source_chat, params.get("message_id"))
        if source is None:
            raise _bad("message to copy not found")
        content = {k: v for k, v in source.items() if k not in _MESSAGE_ENVELOPE}
        message = self._store_bot_message(chat_id, chat, params, **copy.deepcopy(content))
        return {"message_id": message["message_id"]}

    async def _m_forwardmessage(self, params: dict[str, Any]) -> Any:
        chat_id, chat = self._chat(params)
        source_chat = _norm_chat(params.get("from_chat_id"))
        source = self._any_message(source_chat, params.get("message_id"))
        if source is None:
            raise _bad("message to forward not found")
        content = {k: v for k, v in source.items() if k not in _MESSAGE_ENVELOPE}
        content["forward_origin"] = {
            "type": "user", "date": source["date"], "sender_user": source["from"],
        }  # fmt: skip
        return self._store_bot_message(chat_id, chat, params, **copy.deepcopy(content))

    async def _m_sendchataction(self, params: dict[str, Any]) -> Any:
        self._chat(params)
        if not params.get("action"):
            raise _bad("wrong parameter action in request")
        return True

    async def _m_answercallbackquery(self, params: dict[str, Any]) -> Any:
        query_id = str(params.get("callback_query_id") or "")
        if query_id not in self._open_queries or query_id in self._answered_queries:
            raise _bad(_QUERY_INVALID)
        self._answered_queries.add(query_id)
        return True

    async def _m_setmycommands(self, params: dict[str, Any]) -> Any:
        commands = params.get("commands")
        if not isinstance(commands, list) or len(commands) > 100:
            raise _bad("can't parse commands JSON object")
        for command in commands:
            if not isinstance(command, dict) or not _COMMAND_RE.fullmatch(
                str(command.get("command", ""))
            ):
                raise _bad("BOT_COMMAND_INVALID")
            if not 1 <= len(str(command.get("description", ""))) <= 256:
                raise _bad("BOT_COMMAND_DESCRIPTION_INVALID")
        key = _commands_key(params.get("scope"), params.get("language_code") or "")
        self._commands[key] = copy.deepcopy(commands)
        return True

    async def _m_deletemycommands(self, params: dict[str, Any]) -> Any:
        self._commands.pop(
            _commands_key(params.get("scope"), params.get("language_code") or ""), None
        )
        return True

    async def _m_getmycommands(self, params: dict[str, Any]) -> Any:
        return self.my_commands(params.get("scope"), params.get("language_code") or "")

    def _set_profile(self, params: dict[str, Any], key: str, limit: int) -> bool:
        value = params.get(key) or ""
        if len(str(value)) > limit:
            raise _bad(f"{key} is too long")
        language = params.get("language_code") or ""
        if value:
            self.profile[key][language] = str(value)
        else:
            self.profile[key].pop(language, None)
        return True

    def _get_profile(self, params: dict[str, Any], key: str) -> dict[str, str]:
        language = params.get("language_code") or ""
        return {key: self.profile[key].get(language, self.profile[key].get("", ""))}

    async def _m_setmydescription(self, params: dict[str, Any]) -> Any:
        return self._set_profile(params, "description", 512)

    async def _m_setmyshortdescription(self, params: dict[str, Any]) -> Any:
        return self._set_profile(params, "short_description", 120)

    async def _m_setmyname(self, params: dict[str, Any]) -> Any:
        return self._set_profile(params, "name", 64)

    async def _m_getmydescription(self, params: dict[str, Any]) -> Any:
        return self._get_profile(params, "description")

    async def _m_getmyshortdescription(self, params: dict[str, Any]) -> Any:
        return self._get_profile(params, "short_description")

    async def _m_getmyname(self, params: dict[str, Any]) -> Any:
        return self._get_profile(params, "name")

    async def _m_setwebhook(self, params: dict[str, Any]) -> Any:
        url = params.get("url") or ""
        if params.get("drop_pending_updates"):
            self._updates.clear()
        self.webhook = {"url": url}
        for key in ("secret_token", "allowed_updates", "max_connections", "ip_address"):
            if params.get(key) is not None and url:
                self.webhook[key] = params[key]
        self._wake("webhook")
        return True

    async def _m_deletewebhook(self, params: dict[str, Any]) -> Any:
        if params.get("drop_pending_updates"):
            self._updates.clear()
        self.webhook = {"url": ""}
        return True

    async def _m_getwebhookinfo(self, params: dict[str, Any]) -> Any:
        info = {
            "url": self.webhook.get("url", ""),
            "has_custom_certificate": False,
            "pending_update_count": len(self._updates),
        }
        for key in ("allowed_updates", "max_connections", "ip_address"):
            if key in self.webhook:
                info[key] = self.webhook[key]
        return info

    async def _m_getchat(self, params: dict[str, Any]) -> Any:
        _, chat = self._chat(params)
        return {
            **chat,
            "accent_color_id": 0,
            "max_reaction_count": 11,
            "accepted_gift_types": {
                "unlimited_gifts": False, "limited_gifts": False, "unique_gifts": False,
                "premium_subscription": False, "gifts_from_channels": False,
            },
        }  # fmt: skip

    async def _m_getfile(self, params: dict[str, Any]) -> Any:
        file_id = str(params.get("file_id") or "")
        if not file_id:
            raise _bad("invalid file_id")
        return {
            "file_id": file_id,
            "file_unique_id": f"u{file_id}",
            "file_path": f"files/{file_id}",
        }

    async def _m_close(self, params: dict[str, Any]) -> Any:
        return True

    async def _m_logout(self, params: dict[str, Any]) -> Any:
        return True


_MEDIA_EXTRA: dict[str, dict[str, Any]] = {
    "photo": {"width": 800, "height": 800},
    "video": {"width": 640, "height": 360, "duration": 1},
    "audio": {"duration": 1},
}
_MESSAGE_ENVELOPE = frozenset(
    {"message_id", "from", "chat", "date", "edit_date", "reply_to_message", "reply_markup"}
)


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


def _set_or_drop(target: dict[str, Any], key: str, value: Any) -> None:
    if value is None:
        target.pop(key, None)
    else:
        target[key] = value


def _without_reply(message: dict[str, Any]) -> dict[str, Any]:
    return copy.deepcopy({k: v for k, v in message.items() if k != "reply_to_message"})


def _callback_data_of(message: dict[str, Any]) -> list[str]:
    rows = message.get("reply_markup", {}).get("inline_keyboard", [])
    return [button["callback_data"] for row in rows for button in row if "callback_data" in button]


def _commands_key(scope: Any, language_code: str) -> tuple[str, str]:
    scope = scope or {"type": "default"}
    return json.dumps(scope, sort_keys=True), language_code


async def _read_params(request: web.Request) -> dict[str, Any]:
    """Parameters from the query string and a JSON, form-encoded or multipart body."""
    raw: dict[str, str] = dict(request.query)
    params: dict[str, Any] = {}
    if request.can_read_body:
        content_type = request.content_type
        if content_type == "application/json":
            try:
                body = await request.json()
            except ValueError:
                raise _bad("can't parse JSON body") from None
            if not isinstance(body, dict):
                raise _bad("JSON body must be an object")
            params.update(body)
        elif content_type in ("application/x-www-form-urlencoded", "multipart/form-data"):
            form = await request.post()
            for key, value in form.items():
                if isinstance(value, web.FileField):
                    params[key] = UploadedFile(
                        value.filename, value.content_type, value.file.read()
                    )
                else:
                    raw[key] = value if isinstance(value, str) else bytes(value).decode()
    decoded = {key: _decode_value(key, value) for key, value in raw.items()}
    return {**decoded, **params}
