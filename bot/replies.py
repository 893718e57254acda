"""What goes into the chat service and what comes out: ``Incoming`` messages and ``Reply``.

Both are plain frozen data, free of Telegram: a front end (Telegram handlers, the terminal
``chat``) turns what it received into an ``Incoming``, hands it over, and shows the
``Reply`` it gets back.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from bot.classifier import Prediction
from bot.values import Lang


class ActionKind(StrEnum):
    """What a button does; the values are part of the callback data format."""

    TOPIC = "t"
    MORE = "m"
    MENU = "menu"
    FOLLOW = "f"
    UNFOLLOW = "u"
    LANGUAGE = "l"
    NEWS = "n"  # the next page of /news: "<topic or all>_<before bulletin id>"
    SHARE = "s"  # not a callback: Telegram's switch_inline_query with the topic id


@dataclass(frozen=True)
class Action:
    """A button's meaning: a kind, its argument (a topic id or a language), and the language
    of the answer it belongs to ("Read more" keeps it; None: the interface language)."""

    kind: ActionKind
    arg: str = ""
    lang: Lang | None = None


@dataclass(frozen=True)
class Button:
    """One button: its label and what pressing it does."""

    label: str
    action: Action


Keyboard = tuple[tuple[Button, ...], ...]


@dataclass(frozen=True)
class Origin:
    """Who wrote: the chat, the user, and the language their Telegram is set to."""

    chat_id: int
    user_id: int
    language_code: str | None = None


@dataclass(frozen=True)
class Quoted:
    """One of the bot's own messages that a reader replied to: its first line and buttons."""

    heading: str
    keyboard: Keyboard = ()


@dataclass(frozen=True)
class Text:
    """A typed message (a question, a thank-you, anything in words), perhaps a reply."""

    text: str
    quoted: Quoted | None = None


@dataclass(frozen=True)
class Press:
    """A button press; ``action`` is None when the button's data was forged or stale.

    ``keyboard`` is the pressed message's, so a toggle can change just its own button.
    """

    action: Action | None
    keyboard: Keyboard = ()


@dataclass(frozen=True)
class Command:
    """A ``/command``: its name, its words, and everything typed after it, spacing kept."""

    name: str
    args: tuple[str, ...] = ()
    text: str = ""


@dataclass(frozen=True)
class Other:
    """Anything that is not text: a sticker, a photo, a voice message."""


@dataclass(frozen=True)
class Inline:
    """An inline query: ``@bot <query>`` typed in any chat, to share an answer there."""

    query: str


Incoming = Text | Press | Command | Other | Inline


class ReplyKind(StrEnum):
    """What a reply is, for front ends and statistics."""

    ANSWER = "answer"
    MORE = "more"
    SUGGESTIONS = "suggestions"
    OUT_OF_SCOPE = "out_of_scope"
    EMPTY = "empty"
    MENU = "menu"
    WELCOME = "welcome"
    NOTICE = "notice"
    ARTICLES = "articles"  # answers to an inline query
    NEWS = "news"


class Display(StrEnum):
    """How a reply is shown: a new message, in place of the pressed one, or its buttons only."""

    NEW = "new"
    REPLACE = "replace"
    BUTTONS = "buttons"


@dataclass(frozen=True)
class Article:
    """One answer offered to an inline query, to post in the chat where it was typed."""

    id: str
    title: str
    description: str
    text: str  # Telegram HTML
    link: str  # the bot's /start parameter its button opens ("" for the welcome)
    button: str  # that button's label


@dataclass(frozen=True)
class Reply:
    """A reply model: Telegram-HTML text in ``lang``, buttons, and how to show them."""

    text: str
    lang: Lang
    kind: ReplyKind
    keyboard: Keyboard = ()
    topic: str | None = None
    display: Display = Display.NEW
    prediction: Prediction | None = None
    toast: str | None = None  # a short notice on the pressed button (callback answer)
    articles: tuple[Article, ...] = ()  # for an inline query, best first
    photo: bytes | None = None  # a PNG sent after the text (the editors' /stats chart)
