"""A fake Telegram Bot API server for the bot's tests and benchmarks.

The bot talks to it over real HTTP (aiohttp on 127.0.0.1, a free port)::

    async with FakeBotAPI() as server:
        app = Application.builder().token(server.token).base_url(server.base_url).build()
        server.user_sends(1001, "/start")
        ...
        await server.wait_sent(1001)

It implements only the methods the bot and python-telegram-bot call (the ``_m_`` methods
below); any other method answers 404 "Not Found" as Telegram does, which PTB reports as
``InvalidToken``: a new call in the bot fails loudly until the fake learns it.

It queues updates (``user_sends``, ``user_presses``) for ``getUpdates`` with long polling,
or posts them to the webhook (``post_webhook``); keeps the bot's messages as edited
(``messages``); records every request (``calls``); and injects faults (``fail``, ``delay``,
``block``). It checks what Telegram checks where bots go wrong: message length, HTML markup
(see ``parse_html``), callback_data size, "message is not modified", replying to or editing
a missing message, answering a callback query twice, command names, description lengths.
A photo (``sendPhoto``) comes as a multipart upload; its bytes are kept (``Call.photo``) and
must be a PNG or JPEG of at most 10 MB.
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
import html
import itertools
import json
import random
import re
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any

import aiohttp
from aiohttp import web

__all__ = ["ApiError", "Call", "EntityParseError", "FakeBotAPI", "parse_html"]

MAX_TEXT = 4096
MAX_CALLBACK_DATA = 64  # bytes
MAX_INLINE_RESULTS = 50
MAX_RESULT_ID = 64  # bytes
MAX_DESCRIPTION = 512
MAX_SHORT_DESCRIPTION = 120
MAX_CAPTION = 1024
MAX_PHOTO_BYTES = 10 * 1024 * 1024  # Telegram's limit for a photo uploaded by a bot
#: What an uploaded photo starts with: Telegram decodes PNG and JPEG (else IMAGE_PROCESS_FAILED).
_IMAGE_SIGNATURES = (b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff")
#: Form fields that may carry an uploaded file (multipart/form-data); any other upload is refused.
_UPLOAD_KEYS = frozenset({"photo"})
DEFAULT_GROUP_USER_ID = 10_001

#: Form fields kept as sent: PTB JSON-encodes every other value, and a text may look like JSON.
_TEXT_KEYS = frozenset(
    {"text", "caption", "parse_mode", "callback_query_id", "description", "short_description",
     "language_code", "url", "secret_token", "inline_query_id"}
)  # fmt: skip
_DESCRIPTIONS = {
    400: "Bad Request: chat not found",
    403: "Forbidden: bot was blocked by the user",
    409: "Conflict: terminated by other getUpdates request; "
    "make sure that only one bot instance is running",
}
_NOT_MODIFIED = (
    "message is not modified: specified new message content and reply markup are exactly "
    "the same as a current content and reply markup of the message"
)
_QUERY_INVALID = "query is too old and response timeout expired or query ID is invalid"
_COMMAND_RE = re.compile(r"[a-z0-9_]{1,32}")
_BOT_COMMAND_RE = re.compile(r"/[A-Za-z0-9_]{1,64}(?:@[A-Za-z0-9_]{1,64})?(?=\s|$)")
#: What a user's non-text message carries, by the ``build_message_update`` flag asking for it.
_MEDIA: dict[str, Any] = {
    "sticker": {"file_id": "fake-sticker", "file_unique_id": "sticker", "type": "regular",
                "width": 512, "height": 512, "is_animated": False, "is_video": False},
    "photo": [{"file_id": "fake-photo", "file_unique_id": "photo", "width": 90, "height": 90}],
    "voice": {"file_id": "fake-voice", "file_unique_id": "voice", "duration": 2},
    "location": {"latitude": 51.5074, "longitude": -0.1278},
}  # fmt: skip


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
        """The request succeeded."""
        return self.status == HTTPStatus.OK

    @property
    def result(self) -> Any:
        """The ``result`` answered; None while running or after an error."""
        return None if self.response is None else self.response.get("result")

    @property
    def chat_id(self) -> int | str | None:
        """The ``chat_id`` parameter, if any."""
        chat_id = self.params.get("chat_id")
        return chat_id if isinstance(chat_id, int | str) else None

    @property
    def text(self) -> str | None:
        """The ``text`` parameter as sent (HTML and all), if any."""
        text = self.params.get("text")
        return text if isinstance(text, str) else None

    @property
    def photo(self) -> bytes | None:
        """The bytes of an uploaded ``photo`` (sendPhoto), if any."""
        photo = self.params.get("photo")
        return photo if isinstance(photo, bytes) else None

    def __str__(self) -> str:
        shown = {
            k: f"<{len(v)} bytes>" if isinstance(v, bytes) else v
            for k, v in self.params.items()
            if k != "reply_markup"
        }
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
        self.body: dict[str, Any] = {"ok": False, "error_code": status, "description": description}
        if parameters:
            self.body["parameters"] = parameters


def _fault(status: int) -> ApiError:
    """An injected error answer; a 429 says retry after 1 s."""
    if status == 429:
        return ApiError(429, "Too Many Requests: retry after 1", {"retry_after": 1})
    return ApiError(status, _DESCRIPTIONS.get(status) or HTTPStatus(status).phrase)


def _bad(description: str) -> ApiError:
    return ApiError(400, f"Bad Request: {description}")


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
_ATTRIBUTE = r"""([^\s=>/"']+)(?:\s*=\s*("[^"]*"|'[^']*'|[^\s>"']+))?"""
#: One token of Telegram HTML; the last two alternatives take what no other one does.
_HTML_TOKEN = re.compile(
    r"</(?P<end>[a-zA-Z][a-zA-Z0-9-]*)\s*>"
    rf"|<(?P<start>[a-zA-Z][a-zA-Z0-9-]*)(?P<attrs>(?:\s+{_ATTRIBUTE})*)\s*/?>"
    r"|&(?P<ref>#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6}|lt|gt|amp|quot);"
    r"|(?P<stray>[<&])"
    r"|(?P<plain>[^<&]+)"
)
_NAMED_ENTITIES = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}


class EntityParseError(ValueError):
    """The text is not valid Telegram HTML."""


def parse_html(text: str) -> tuple[str, list[dict[str, Any]]]:
    """Parse Telegram-flavoured HTML into (plain text, message entities) like the Bot API does.

    Raises EntityParseError (message like Telegram's) for unknown or unbalanced tags, a ``<``
    that does not start a tag, and the like. Stricter than Telegram, it also rejects a ``&``
    that starts no supported entity (``&lt;``, ``&gt;``, ``&amp;``, ``&quot;``, numeric):
    Telegram shows such a ``&`` as is, but it means the bot forgot to escape something, which
    breaks as soon as that text contains a ``<``.
    """
    out: list[str] = []
    offset = 0  # in UTF-16 code units, as Telegram counts entity offsets
    opened: list[tuple[str, dict[str, str], int]] = []  # tag, attributes, offset
    entities: list[dict[str, Any]] = []
    for token in _HTML_TOKEN.finditer(text):
        at = f"at byte offset {len(text[: token.start()].encode())}"
        if token["end"]:
            name = token["end"].lower()
            if not opened:
                raise EntityParseError(f'Unexpected end tag "{name}" {at}')
            tag, attrs, start = opened.pop()
            if tag != name:
                raise EntityParseError(
                    f'Unmatched end tag {at}, expected "</{tag}>", found "</{name}>"'
                )
            if offset > start and (tag != "a" or attrs.get("href")):
                entity = {
                    "type": _HTML_ENTITY_TYPES[tag],
                    "offset": start,
                    "length": offset - start,
                }
                if tag == "a":
                    entity["url"] = attrs["href"]
                elif tag == "tg-emoji":
                    entity["custom_emoji_id"] = attrs["emoji-id"]
                entities.append(entity)
        elif token["start"]:
            name = token["start"].lower()
            attrs = {
                key.lower(): html.unescape(value.strip("\"'"))
                for key, value in re.findall(_ATTRIBUTE, token["attrs"])
            }
            if name not in _HTML_ENTITY_TYPES:
                raise EntityParseError(f'Unsupported start tag "{name}" {at}')
            if name == "span" and attrs.get("class") != "tg-spoiler":
                raise EntityParseError(f'Tag "span" must have class "tg-spoiler" {at}')
            if name == "tg-emoji" and not attrs.get("emoji-id"):
                raise EntityParseError(f'Tag "tg-emoji" must have attribute "emoji-id" {at}')
            opened.append((name, attrs, offset))
        elif token["stray"] == "<":
            kind = "end" if text.startswith("</", token.start()) else "start"
            raise EntityParseError(f"Unclosed {kind} tag {at}")
        else:
            chars = token["plain"] or _html_entity(token["ref"])
            if not chars:
                raise EntityParseError(
                    f"Character '&' must start an HTML entity (&amp; &lt; &gt; &quot; &#N;) "
                    f"{at}: {text[token.start() : token.start() + 12]!r}"
                )
            out.append(chars)
            offset += _utf16_len(chars)
    if opened:
        raise EntityParseError(f'Can\'t find end tag corresponding to start tag "{opened[-1][0]}"')
    entities.sort(key=lambda e: (e["offset"], -e["length"]))
    return "".join(out), entities


def _html_entity(ref: str | None) -> str:
    """The character an entity reference names; "" for a stray ``&`` or an invalid code."""
    if ref is None:
        return ""
    if not ref.startswith("#"):
        return _NAMED_ENTITIES[ref]
    code = int(ref[2:], 16) if ref[1:2] in ("x", "X") else int(ref[1:])
    return chr(code) if 0 < code <= 0x10FFFF and not 0xD800 <= code <= 0xDFFF else ""


# ----------------------------------------------------------------------------- the server


@dataclass
class _Rule:
    """A fault or a delay for the next ``remaining`` requests of ``method`` (None: any)."""

    method: str | None  # lower-case
    remaining: int
    error: ApiError | None = None
    seconds: float = 0.0


def _take(rules: list[_Rule], method: str) -> _Rule | None:
    """Use up one turn of the first rule for ``method``, in the order the rules were made."""
    for rule in rules:
        if rule.method in (None, method.lower()):
            rule.remaining -= 1
            if rule.remaining <= 0:
                rules.remove(rule)
            return rule
    return None


class FakeBotAPI:
    """A fake Bot API for one bot (one token). See the module docstring."""

    def __init__(
        self,
        token: str = "123456:TEST-token",
        bot_id: int = 4242,
        username: str = "interview_test_bot",
    ) -> None:
        self.token = token
        self.bot_id = bot_id
        self.username = username
        self.bot_user: dict[str, Any] = {"id": bot_id, "is_bot": True, "first_name": "Bot",
                                         "username": username}  # fmt: skip
        self.url = ""
        self.base_url = ""
        self.calls: list[Call] = []
        #: Webhook state as set by setWebhook (url "" = no webhook).
        self.webhook: dict[str, Any] = {"url": ""}

        self._runner: web.AppRunner | None = None
        self._stopped = asyncio.Event()  # ends long polls and delays at shutdown
        self._updates: list[dict[str, Any]] = []
        self._update_ids = itertools.count(1)
        self._query_ids = itertools.count(1)
        self._poll: asyncio.Future[str] | None = None  # the getUpdates waiting
        self._faults: list[_Rule] = []
        self._random_faults: list[
            tuple[str | None, float, list[tuple[ApiError, float]], random.Random]
        ] = []
        self._delays: list[_Rule] = []
        self._blocked: dict[int | str, str] = {}
        self._next_message_id: dict[int, int] = {}
        self._bot_messages: dict[int, dict[int, dict[str, Any]]] = {}
        self._user_messages: dict[int, dict[int, dict[str, Any]]] = {}
        self._chats: dict[int, dict[str, Any]] = {}
        self._open_queries: set[str] = set()
        self._open_inline: set[str] = set()
        self._answered_queries: set[str] = set()
        self._methods: dict[str, Callable[[dict[str, Any]], Awaitable[Any]]] = {
            name.removeprefix("_m_"): getattr(self, name) for name in dir(self) if name[:3] == "_m_"
        }

    # ------------------------------------------------------------------ lifecycle

    async def start(self) -> None:
        """Listen on 127.0.0.1, a free port; sets ``url`` and ``base_url``."""
        if self._runner is not None:
            raise RuntimeError("FakeBotAPI already started")
        self._stopped.clear()
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", self._handle)
        runner = web.AppRunner(app, access_log=None, shutdown_timeout=2.0)
        await runner.setup()
        await web.TCPSite(runner, "127.0.0.1", 0).start()
        self._runner = runner
        host, port = runner.addresses[0][:2]
        self.url = f"http://{host}:{port}"
        self.base_url = f"{self.url}/bot"

    async def stop(self) -> None:
        """End waiting polls and delays, and stop listening."""
        if self._runner is None:
            return
        self._stopped.set()
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
        entities: list[dict[str, Any]] | None = None,
        reply_to_message_id: int | None = None,
        sticker: bool = False,
        photo: bool = False,
        voice: bool = False,
        location: bool = False,
        edited: bool = False,
    ) -> dict[str, Any]:
        """Build (but do not queue) a message update from a user; see ``user_sends``.

        The message is remembered, so that later edits and replies can refer to it.
        """
        if chat_type not in ("private", "group", "supergroup"):
            raise ValueError(f"unsupported chat_type {chat_type!r}")
        if (chat_type == "private") != (chat_id > 0):
            raise ValueError("private chat ids are positive (the user's), group ones negative")
        flags = {"sticker": sticker, "photo": photo, "voice": voice, "location": location}
        kinds = [kind for kind, on in flags.items() if on]
        if (
            len(kinds) > 1
            or (text is None and not kinds)
            or (text is not None and (sticker or location))
        ):
            raise ValueError("a message is a text, a sticker, a location, or a photo or voice")
        if user_id is None:
            user_id = chat_id if chat_id > 0 else DEFAULT_GROUP_USER_ID
        name = {"first_name": "Test"} if chat_id > 0 else {"title": f"Test {chat_type}"}
        chat = self._chats[chat_id] = {"id": chat_id, "type": chat_type, **name}
        user_messages = self._user_messages.setdefault(chat_id, {})
        now = int(time.time())
        if edited and user_messages:
            message_id = max(user_messages)
            date = user_messages[message_id]["date"]
        else:
            message_id, date = self._new_message_id(chat_id), now
        message: dict[str, Any] = {
            "message_id": message_id,
            "from": _user(user_id, language_code),
            "chat": dict(chat),
            "date": date,
            **({"edit_date": now} if edited else {}),
            **{kind: copy.deepcopy(_MEDIA[kind]) for kind in kinds},
        }
        if text is not None:
            text_key, entities_key = (
                ("caption", "caption_entities") if kinds else ("text", "entities")
            )
            message[text_key] = text
            command = _BOT_COMMAND_RE.match(text)
            if entities is None and command:
                entities = [{"type": "bot_command", "offset": 0, "length": _utf16_len(command[0])}]
            if entities:
                message[entities_key] = entities
        if reply_to_message_id is not None:
            replied = self._any_message(chat_id, reply_to_message_id)
            if replied is None:
                raise ValueError(f"no message {reply_to_message_id} in chat {chat_id} to reply to")
            message["reply_to_message"] = _without_reply(replied)
        user_messages[message_id] = message
        key = "edited_message" if edited else "message"
        return {"update_id": next(self._update_ids), key: copy.deepcopy(message)}

    def user_sends(self, chat_id: int, text: str | None = None, **options: Any) -> dict[str, Any]:
        """Queue a message (or edited_message) update from a user and return it.

        Options as for ``build_message_update``: chat_type "group" or "supergroup" with a
        negative chat_id (the user is then DEFAULT_GROUP_USER_ID unless user_id says);
        entities default to a bot_command entity for "/command ..." texts;
        reply_to_message_id names a message the bot (or the user) sent in this chat; text
        becomes the caption of a photo or voice; edited=True edits the user's last message.
        """
        update = self.build_message_update(chat_id, text, **options)
        self._enqueue(update)
        return update

    def user_presses(
        self,
        chat_id: int,
        message_id: int,
        data: str,
        *,
        language_code: str | None = "en",
        check_button: bool = False,
    ) -> dict[str, Any]:
        """Queue a callback_query update: the user pressed a button of the bot's message.

        The query carries the message as stored now (after edits). check_button: raise
        ValueError when the message has no inline button with this callback_data (off by
        default, so tests can press stale or forged buttons).
        """
        message = self._bot_messages.get(chat_id, {}).get(message_id)
        if message is None:
            raise ValueError(f"the bot has no message {message_id} in chat {chat_id}")
        rows = message.get("reply_markup", {}).get("inline_keyboard", [])
        buttons = [button.get("callback_data") for row in rows for button in row]
        if check_button and data not in buttons:
            raise ValueError(f"message {message_id} has no button {data!r}; it has {buttons}")
        query_id = str(self.bot_id * 10**12 + next(self._query_ids))
        self._open_queries.add(query_id)
        user_id = chat_id if chat_id > 0 else DEFAULT_GROUP_USER_ID
        query = {
            "id": query_id,
            "from": _user(user_id, language_code),
            "message": copy.deepcopy(message),
            "chat_instance": str(-(10**15) - abs(chat_id)),
            "data": data,
        }
        update = {"update_id": next(self._update_ids), "callback_query": query}
        self._enqueue(update)
        return update

    def user_queries(
        self, user_id: int, query: str, *, language_code: str | None = "en"
    ) -> dict[str, Any]:
        """Queue an inline_query update: the user typed ``@bot query`` in some chat."""
        query_id = str(self.bot_id * 10**12 + next(self._query_ids))
        self._open_inline.add(query_id)
        inline = {
            "id": query_id,
            "from": _user(user_id, language_code),
            "query": query,
            "offset": "",
            "chat_type": "private",
        }
        update = {"update_id": next(self._update_ids), "inline_query": inline}
        self._enqueue(update)
        return update

    def inline_answers(self) -> list[Call]:
        """The bot's successful answerInlineQuery calls, oldest first."""
        return [call for call in self.calls if call.method == "answerInlineQuery" and call.ok]

    @property
    def pending_updates(self) -> list[dict[str, Any]]:
        """Updates queued and not yet confirmed by a getUpdates offset."""
        return list(self._updates)

    # ------------------------------------------------------------------ inspecting the bot

    def sent(self, chat_id: int | str | None = None, method: str | None = None) -> list[Call]:
        """Successful calls that put something into a chat (sendMessage, edits)."""
        wanted = method.lower() if method else None
        return [
            call
            for call in self.calls
            if call.ok
            and call.method.lower().startswith(("send", "edit"))
            and (wanted is None or call.method.lower() == wanted)
            and (chat_id is None or call.chat_id == chat_id)
        ]

    def answered_callbacks(self) -> list[Call]:
        """Every answerCallbackQuery call, whatever its outcome."""
        return [call for call in self.calls if call.method.lower() == "answercallbackquery"]

    def messages(self, chat_id: int) -> dict[int, dict[str, Any]]:
        """The bot's messages in a chat as they are now (after edits), by message_id."""
        return copy.deepcopy(self._bot_messages.get(chat_id, {}))

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
        self, chat_id: int | str, count: int = 1, method: str | None = None, timeout: float = 10.0
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
        if status == 429:
            retry_after = 1 if retry_after is None else retry_after
            description = description or f"Too Many Requests: retry after {retry_after}"
        parameters = None if retry_after is None else {"retry_after": retry_after}
        description = description or _DESCRIPTIONS.get(status) or HTTPStatus(status).phrase
        error = ApiError(status, description, parameters)
        self._faults.append(_Rule(method.lower() if method else None, times, error=error))

    def fail_randomly(
        self,
        method: str | None,
        rate: float,
        kinds: Sequence[tuple[int, float]] = ((429, 0.0), (502, 0.0)),
        seed: int = 0,
    ) -> None:
        """From now on, fail a ``rate`` share of ``method``'s requests (any if None), picked
        at random (seeded); each fault is one of ``kinds``, (HTTP status, seconds held before
        answering): held longer than the client waits, it is a timeout for a request that did
        nothing. A 429 says retry after 1 s. Fixed faults (``fail``) come first."""
        rng = random.Random(seed)  # noqa: S311 (test data, not secrets)
        errors = [(_fault(status), held) for status, held in kinds]
        self._random_faults.append((method.lower() if method else None, rate, errors, rng))

    def delay(self, method: str | None, seconds: float, times: int = 1) -> None:
        """Hold the next ``times`` requests of ``method`` (any if None) ``seconds`` before
        handling them (the request is still handled - as with Telegram, a client timeout does
        not mean the message was not sent)."""
        self._delays.append(_Rule(method.lower() if method else None, times, seconds=seconds))

    def block(self, chat_id: int | str, description: str = _DESCRIPTIONS[403]) -> None:
        """From now on every request with this chat_id answers 403 ``description``."""
        self._blocked[chat_id] = description

    def unblock(self, chat_id: int | str) -> None:
        """Let requests to this chat through again."""
        self._blocked.pop(chat_id, None)

    # ------------------------------------------------------------------ webhook delivery

    async def post_webhook(self, update: dict[str, Any], timeout: float = 10.0) -> int:
        """POST an update to the webhook set by setWebhook as Telegram would, with the secret
        token header; return the HTTP status."""
        if not self.webhook["url"]:
            raise RuntimeError("no webhook set")
        headers = {}
        if self.webhook.get("secret_token"):
            headers["X-Telegram-Bot-Api-Secret-Token"] = self.webhook["secret_token"]
        async with (
            aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=timeout)) as session,
            session.post(self.webhook["url"], json=update, headers=headers) as response,
        ):
            await response.read()
            return response.status

    # ------------------------------------------------------------------ internals

    def _enqueue(self, update: dict[str, Any]) -> None:
        self._updates.append(update)
        self._wake("update")

    def _wake(self, reason: str) -> None:
        if self._poll is not None and not self._poll.done():
            self._poll.set_result(reason)

    def _bot_message(self, chat_id: int, chat: dict[str, Any], **content: Any) -> dict[str, Any]:
        """A new message from the bot in ``chat``, with its ``content`` (text, photo…)."""
        return {
            "message_id": self._new_message_id(chat_id),
            "from": dict(self.bot_user),
            "chat": dict(chat),
            "date": int(time.time()),
            **content,
        }

    def _new_message_id(self, chat_id: int) -> int:
        message_id = self._next_message_id.get(chat_id, 1)
        self._next_message_id[chat_id] = message_id + 1
        return message_id

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        match = re.fullmatch(r"/bot([^/]+)/([A-Za-z_]+)/?", request.path)
        method = match.group(2) if match else request.path
        call = Call(method=method, params={}, at=time.monotonic())
        self.calls.append(call)
        try:
            call.params = await _read_params(request)
            # Telegram's method names are case-insensitive.
            handler = self._methods.get(method.lower())
            if match is None or match.group(1) != self.token or handler is None:
                raise ApiError(404, "Not Found")
            if delay := _take(self._delays, method):
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._stopped.wait(), delay.seconds)
            if (fault := _take(self._faults, method)) and fault.error:
                raise fault.error
            for wanted, rate, errors, rng in self._random_faults:
                if wanted in (None, method.lower()) and rng.random() < rate:
                    error, held = rng.choice(errors)
                    if held:
                        with contextlib.suppress(TimeoutError):
                            await asyncio.wait_for(self._stopped.wait(), held)
                    raise error
            chat_id = call.params.get("chat_id")
            if isinstance(chat_id, int | str) and chat_id in self._blocked:
                raise ApiError(403, self._blocked[chat_id])
            body: dict[str, Any] = {"ok": True, "result": await handler(call.params)}
            status = 200
        except ApiError as error:
            body, status = error.body, error.status
        call.status, call.response, call.done_at = status, body, time.monotonic()
        call.client_gone = request.transport is None or request.transport.is_closing()
        return web.json_response(body, status=status, dumps=_dumps)

    def _chat(self, params: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        chat_id = params.get("chat_id")
        if not isinstance(chat_id, int) or isinstance(chat_id, bool):
            raise _bad("chat not found")
        if chat_id not in self._chats:
            name = {"first_name": "Test"} if chat_id > 0 else {"title": "Test group"}
            kind = "private" if chat_id > 0 else "group"
            return chat_id, {"id": chat_id, "type": kind, **name}
        return chat_id, self._chats[chat_id]

    def _render(self, params: dict[str, Any]) -> tuple[str, list[dict[str, Any]]]:
        """Validate and parse the text per parse_mode; return (text, entities)."""
        text = params.get("text") or ""
        entities = params.get("entities") or []
        parse_mode = str(params.get("parse_mode") or "").lower()
        if parse_mode == "html":
            try:
                text, entities = parse_html(text)
            except EntityParseError as exc:
                raise _bad(f"can't parse entities: {exc}") from None
        elif parse_mode not in ("", "markdown", "markdownv2"):
            raise _bad(f"unsupported parse_mode {params.get('parse_mode')!r}")
        if not isinstance(entities, list):
            raise _bad("can't parse entities JSON object")
        if not text.strip():
            raise _bad("message text is empty")
        if len(text) > MAX_TEXT:
            raise _bad("message is too long")
        return text, entities

    def _markup(self, params: dict[str, Any]) -> dict[str, Any] | None:
        """Validate an inline keyboard (the only markup the bot sends); return it."""
        markup = params.get("reply_markup")
        if markup is None:
            return None
        rows = markup.get("inline_keyboard") if isinstance(markup, dict) else None
        if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
            raise _bad("can't parse reply keyboard markup JSON object")
        for button in (button for row in rows for button in row):
            if not isinstance(button, dict) or not button.get("text"):
                raise _bad("can't parse inline keyboard button: Text is empty")
            if set(button) == {"text"}:
                raise _bad(
                    "can't parse inline keyboard button: "
                    "Text buttons are unallowed in the inline keyboard"
                )
            data = button.get("callback_data")
            if "callback_data" in button and not (
                isinstance(data, str) and 1 <= len(data.encode()) <= MAX_CALLBACK_DATA
            ):
                raise _bad("BUTTON_DATA_INVALID")
        return {"inline_keyboard": copy.deepcopy(rows)}

    def _any_message(self, chat_id: Any, message_id: Any) -> dict[str, Any] | None:
        """The stored bot or user message, or None."""
        for store in (self._bot_messages, self._user_messages):
            message = store.get(chat_id, {}).get(message_id)
            if message is not None:
                return message
        return None

    def _to_edit(self, params: dict[str, Any]) -> dict[str, Any]:
        """The bot's stored message an edit names."""
        chat_id, _ = self._chat(params)
        message = self._bot_messages.get(chat_id, {}).get(params.get("message_id"))
        if message is None:
            if self._any_message(chat_id, params.get("message_id")) is not None:
                raise _bad("message can't be edited")
            raise _bad("message to edit not found")
        return message

    # ------------------------------------------------------------------ API methods
    # _m_<method name in lower case>: the decoded parameters in, the result out, or ApiError.

    async def _m_getme(self, params: dict[str, Any]) -> Any:
        return {**self.bot_user, "can_join_groups": True, "can_read_all_group_messages": False,
                "supports_inline_queries": False}  # fmt: skip

    async def _m_getupdates(self, params: dict[str, Any]) -> Any:
        if self.webhook["url"]:
            raise ApiError(
                409,
                "Conflict: can't use getUpdates method while webhook is active; "
                "use deleteWebhook to delete the webhook first",
            )
        # An offset confirms every update before it; a negative one keeps the last -offset.
        offset = params.get("offset")
        if isinstance(offset, int) and offset < 0:
            self._updates = self._updates[offset:]
        elif isinstance(offset, int):
            self._updates = [u for u in self._updates if u["update_id"] >= offset]
        # Telegram allows one getUpdates at a time: a new one ends the one waiting.
        self._wake("conflict")
        deadline = time.monotonic() + float(params.get("timeout") or 0)
        while not self._updates and not self._stopped.is_set():
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                break
            poll = self._poll = asyncio.get_running_loop().create_future()
            try:
                await asyncio.wait({poll}, timeout=remaining)
            finally:
                if self._poll is poll:
                    self._poll = None
            if poll.done() and poll.result() == "conflict":
                raise ApiError(409, _DESCRIPTIONS[409])
        limit = min(max(int(params.get("limit", 100)), 1), 100)
        return copy.deepcopy(self._updates[:limit])

    async def _m_sendmessage(self, params: dict[str, Any]) -> Any:
        chat_id, chat = self._chat(params)
        text, entities = self._render(params)
        markup = self._markup(params)
        # PTB sends reply_parameters (reply_to_message_id is the older API's).
        reply = params.get("reply_parameters") or {}
        target = self._any_message(reply.get("chat_id") or chat_id, reply.get("message_id"))
        if reply and target is None and not reply.get("allow_sending_without_reply"):
            raise _bad("message to be replied not found")
        message = self._bot_message(chat_id, chat, text=text)
        _set_or_drop(message, "entities", entities or None)
        _set_or_drop(message, "reply_to_message", target and _without_reply(target))
        _set_or_drop(message, "reply_markup", markup)
        self._bot_messages.setdefault(chat_id, {})[message["message_id"]] = message
        return copy.deepcopy(message)

    async def _m_sendphoto(self, params: dict[str, Any]) -> Any:
        chat_id, chat = self._chat(params)
        photo = params.get("photo")
        if not isinstance(photo, bytes):
            # A file_id or URL would need a file store; the bot only uploads its own charts.
            raise _bad("the fake Bot API takes a photo only as a multipart upload")
        if not photo or len(photo) > MAX_PHOTO_BYTES:
            raise _bad("PHOTO_INVALID" if not photo else "file is too big")
        if not photo.startswith(_IMAGE_SIGNATURES):
            raise _bad("IMAGE_PROCESS_FAILED")
        message = self._bot_message(chat_id, chat, photo=[_photo_size(photo, len(self.calls))])
        if params.get("caption"):
            caption, entities = self._render({**params, "text": params["caption"]})
            if len(caption) > MAX_CAPTION:
                raise _bad("message caption is too long")
            message["caption"] = caption
            _set_or_drop(message, "caption_entities", entities or None)
        _set_or_drop(message, "reply_markup", self._markup(params))
        self._bot_messages.setdefault(chat_id, {})[message["message_id"]] = message
        return copy.deepcopy(message)

    async def _m_editmessagetext(self, params: dict[str, Any]) -> Any:
        text, entities = self._render(params)
        markup = self._markup(params)
        message = self._to_edit(params)
        if (message["text"], message.get("entities", []), message.get("reply_markup")) == (
            text, entities, markup
        ):  # fmt: skip
            raise _bad(_NOT_MODIFIED)
        message["text"] = text
        _set_or_drop(message, "entities", entities or None)
        # Like Telegram: an edit without reply_markup removes the inline keyboard.
        _set_or_drop(message, "reply_markup", markup)
        message["edit_date"] = int(time.time())
        return copy.deepcopy(message)

    async def _m_editmessagereplymarkup(self, params: dict[str, Any]) -> Any:
        markup = self._markup(params)
        message = self._to_edit(params)
        if message.get("reply_markup") == markup:
            raise _bad(_NOT_MODIFIED)
        _set_or_drop(message, "reply_markup", markup)
        message["edit_date"] = int(time.time())
        return copy.deepcopy(message)

    async def _m_answercallbackquery(self, params: dict[str, Any]) -> Any:
        query_id = str(params.get("callback_query_id") or "")
        if query_id not in self._open_queries or query_id in self._answered_queries:
            raise _bad(_QUERY_INVALID)
        self._answered_queries.add(query_id)
        return True

    async def _m_answerinlinequery(self, params: dict[str, Any]) -> Any:
        query_id = str(params.get("inline_query_id") or "")
        if query_id not in self._open_inline:
            raise _bad(_QUERY_INVALID)
        results = params.get("results")
        if not isinstance(results, list) or len(results) > MAX_INLINE_RESULTS:
            raise _bad("RESULTS_TOO_MUCH")
        ids = [str(result.get("id", "")) for result in results]
        if any(not 0 < len(i.encode()) <= MAX_RESULT_ID for i in ids) or len(set(ids)) < len(ids):
            raise _bad("RESULT_ID_INVALID")
        for result in results:
            content = result.get("input_message_content") or {}
            text = content.get("message_text", "")
            self._render({"text": text, "parse_mode": content.get("parse_mode")})
        self._open_inline.discard(query_id)
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
        return True

    async def _m_setmydescription(self, params: dict[str, Any]) -> Any:
        return _at_most(params, "description", MAX_DESCRIPTION)

    async def _m_setmyshortdescription(self, params: dict[str, Any]) -> Any:
        return _at_most(params, "short_description", MAX_SHORT_DESCRIPTION)

    async def _m_setwebhook(self, params: dict[str, Any]) -> Any:
        if params.get("drop_pending_updates"):
            self._updates.clear()
        self.webhook = {"url": params.get("url") or "", "secret_token": params.get("secret_token")}
        return True

    async def _m_deletewebhook(self, params: dict[str, Any]) -> Any:
        if params.get("drop_pending_updates"):
            self._updates.clear()
        self.webhook = {"url": ""}
        return True


def _user(user_id: int, language_code: str | None) -> dict[str, Any]:
    user: dict[str, Any] = {"id": user_id, "is_bot": False, "first_name": "Test"}
    if language_code is not None:
        user["language_code"] = language_code
    return user


def _at_most(params: dict[str, Any], key: str, limit: int) -> bool:
    if len(params.get(key) or "") > limit:
        raise _bad(f"{key.replace('_', ' ')} is too long")
    return True


def _dumps(value: Any) -> str:
    # ASCII with \u escapes, as Telegram answers: it can carry a lone surrogate too.
    return json.dumps(value)


def _set_or_drop(target: dict[str, Any], key: str, value: Any) -> None:
    if value is None:
        target.pop(key, None)
    else:
        target[key] = value


def _photo_size(photo: bytes, serial: int) -> dict[str, Any]:
    """The PhotoSize Telegram answers for an upload; a PNG's size is read from its header."""
    width = height = 0
    if photo.startswith(_IMAGE_SIGNATURES[0]) and len(photo) >= 24:
        width, height = int.from_bytes(photo[16:20]), int.from_bytes(photo[20:24])
    return {
        "file_id": f"fake-photo-{serial}",
        "file_unique_id": f"photo{serial}",
        "width": width,
        "height": height,
        "file_size": len(photo),
    }


def _without_reply(message: dict[str, Any]) -> dict[str, Any]:
    return copy.deepcopy({k: v for k, v in message.items() if k != "reply_to_message"})


async def _read_params(request: web.Request) -> dict[str, Any]:
    """The query string and form fields, decoded; an uploaded photo as its bytes (PTB posts
    a form, multipart when it uploads a file)."""
    fields: dict[str, Any] = dict(request.query)
    if request.can_read_body:
        fields.update(await request.post())
    params: dict[str, Any] = {}
    for key, value in fields.items():
        if isinstance(value, web.FileField) and key in _UPLOAD_KEYS:
            params[key] = value.file.read()
            continue
        if not isinstance(value, str):
            raise _bad(f"the fake Bot API takes no file upload as {key!r}")
        params[key] = value
        if key not in _TEXT_KEYS:
            with contextlib.suppress(ValueError):
                params[key] = json.loads(value)
    return params
