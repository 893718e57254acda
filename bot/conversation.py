"""The conversation engine: a text or a button press in, a reply model out.

Pure and synchronous: no Telegram, no database. The terminal ``chat`` and the Telegram
handlers are two thin front ends that render the same ``Reply``.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Final

from bot import markup
from bot.classifier import Classifier, Prediction
from bot.content import Content, Topic
from bot.language import choose
from bot.normalise import fold
from bot.values import Following, Lang

MAX_QUESTION_CHARS: Final = 1000  # longer messages are classified on their start
MAX_SUGGESTIONS: Final = 3
MIN_SUGGESTION: Final = 0.08


class ActionKind(StrEnum):
    """What a button does; the values are part of the callback data format."""

    TOPIC = "t"
    MORE = "m"
    MENU = "menu"
    FOLLOW = "f"
    UNFOLLOW = "u"
    LANGUAGE = "l"


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


@dataclass(frozen=True)
class Action:
    """A button's meaning: a kind and its argument (a topic id or a language)."""

    kind: ActionKind
    arg: str = ""


@dataclass(frozen=True)
class Button:
    """One button: its label and what pressing it does."""

    label: str
    action: Action


Keyboard = tuple[tuple[Button, ...], ...]


@dataclass(frozen=True)
class Reply:
    """A reply model: Telegram-HTML text, buttons, and whether it replaces the pressed message."""

    text: str
    lang: Lang
    kind: ReplyKind
    keyboard: Keyboard = ()
    topic: str | None = None
    edit: bool = False
    prediction: Prediction | None = None
    toast: str | None = None  # a short notice on the pressed button (callback answer)
    markup_only: bool = False  # change only the pressed message's buttons


class Conversation:
    """Answers questions and button presses from one content set."""

    def __init__(self, content: Content, classifier: Classifier) -> None:
        self.content = content
        self.classifier = classifier

    def welcome(self, lang: Lang) -> Reply:
        """The greeting for ``/start``, followed by the topic menu."""
        text = f"{self.content.text('welcome', lang)}\n\n{self.content.text('menu_header', lang)}"
        return Reply(text, lang, ReplyKind.WELCOME, self._menu_keyboard(lang))

    def menu(self, lang: Lang, *, edit: bool = False) -> Reply:
        """The topic menu."""
        return Reply(
            self.content.text("menu_header", lang),
            lang,
            ReplyKind.MENU,
            self._menu_keyboard(lang),
            edit=edit,
        )

    def help(self, lang: Lang) -> Reply:
        """How to use the bot: the ``help`` topic's longer text."""
        return self.topic("help", lang, ui_lang=lang, long=True)

    def notice(self, key: str, lang: Lang, *, menu: bool = False, **fields: str) -> Reply:
        """A one-line interface message, optionally with the menu under it."""
        keyboard = self._menu_keyboard(lang) if menu else ()
        return Reply(self.content.text(key, lang, **fields), lang, ReplyKind.NOTICE, keyboard)

    def ask(self, text: str, ui_lang: Lang, following: Following | None = None) -> Reply:
        """Answer a typed message in its own language; buttons follow ``ui_lang``."""
        lang = choose(text, ui_lang)
        question = text[:MAX_QUESTION_CHARS]
        if not fold(question):
            return Reply(
                self.content.text("empty", lang),
                lang,
                ReplyKind.EMPTY,
                self._menu_keyboard(ui_lang),
            )
        prediction = self.classifier.predict(question)
        if prediction.topic is None:
            return Reply(
                self.content.text("out_of_scope", lang, topics=self._topic_list(lang)),
                lang,
                ReplyKind.OUT_OF_SCOPE,
                self._menu_keyboard(ui_lang),
                prediction=prediction,
            )
        if prediction.ambiguous:
            return self._suggestions(prediction, lang, ui_lang)
        reply = self.topic(prediction.topic, lang, ui_lang=ui_lang, following=following)
        return Reply(
            reply.text, lang, reply.kind, reply.keyboard, reply.topic, prediction=prediction
        )

    def press(self, action: Action, ui_lang: Lang, following: Following | None = None) -> Reply:
        """Answer a button press; unknown topics (stale buttons) get a notice and the menu."""
        if action.kind is ActionKind.MENU:
            return self.menu(ui_lang, edit=True)
        topic = self.content.topic(action.arg)
        if topic is None or action.kind not in (ActionKind.TOPIC, ActionKind.MORE):
            return self.notice("stale_button", ui_lang, menu=True)
        if action.kind is ActionKind.MORE:
            reply = self.topic(topic.id, ui_lang, ui_lang=ui_lang, long=True, following=following)
            return Reply(reply.text, ui_lang, ReplyKind.MORE, reply.keyboard, topic.id, edit=True)
        return self.topic(topic.id, ui_lang, ui_lang=ui_lang, following=following)

    def open_link(self, topic_id: str, lang: Lang, following: Following | None = None) -> Reply:
        """A deep link (``/start <topic_id>``): that topic, or a notice and the menu."""
        if self.content.topic(topic_id) is None:
            return self.notice("unknown_topic", lang, menu=True, topic=markup.escape(topic_id[:64]))
        return self.topic(topic_id, lang, ui_lang=lang, following=following)

    def topic(
        self,
        topic_id: str,
        lang: Lang,
        *,
        ui_lang: Lang,
        long: bool = False,
        following: Following | None = None,
    ) -> Reply:
        """A topic's answer: title line, short or long text, and follow-up buttons."""
        topic = self.content.topic(topic_id)
        if topic is None:
            return self.notice("unknown_topic", ui_lang, menu=True, topic=markup.escape(topic_id))
        body = topic.long[lang] if long else topic.short[lang]
        text = f"<b>{topic.title[lang]}</b>\n\n{body}"
        return Reply(
            text,
            lang,
            ReplyKind.ANSWER,
            self._answer_keyboard(topic, ui_lang, long, following),
            topic.id,
        )

    def topic_title(self, topic_id: str, lang: Lang) -> str | None:
        """Return a topic's title in ``lang``, or None for an unknown id."""
        topic = self.content.topic(topic_id)
        return topic.title[lang] if topic else None

    def _suggestions(self, prediction: Prediction, lang: Lang, ui_lang: Lang) -> Reply:
        choices = [
            topic
            for index, (topic_id, score) in enumerate(prediction.alternatives[:MAX_SUGGESTIONS])
            if (index == 0 or score >= MIN_SUGGESTION)
            and (topic := self.content.topic(topic_id)) is not None
        ]
        rows = tuple((self._topic_button(topic, ui_lang),) for topic in choices)
        rows += ((Button(self.content.text("button_menu", ui_lang), Action(ActionKind.MENU)),),)
        return Reply(
            self.content.text("did_you_mean", lang),
            lang,
            ReplyKind.SUGGESTIONS,
            rows,
            prediction=prediction,
        )

    def _answer_keyboard(
        self, topic: Topic, lang: Lang, long: bool, following: Following | None
    ) -> Keyboard:
        related = [
            self._topic_button(other, lang)
            for other_id in topic.related
            if (other := self.content.topic(other_id)) is not None
        ]
        rows: list[tuple[Button, ...]] = [
            tuple(related[i : i + 2]) for i in range(0, len(related), 2)
        ]
        last: list[Button] = []
        if not long and topic.long[lang] != topic.short[lang]:
            last.append(
                Button(self.content.text("button_more", lang), Action(ActionKind.MORE, topic.id))
            )
        if following is not None and topic.kind == "interview":
            last.append(self._toggle_button(topic.id, lang, following))
        last.append(Button(self.content.text("button_menu", lang), Action(ActionKind.MENU)))
        rows.append(tuple(last))
        return tuple(rows)

    def with_toggle(
        self, keyboard: Keyboard, topic_id: str, lang: Lang, following: Following
    ) -> Keyboard:
        """Return ``keyboard`` with the subscribe toggle for ``topic_id`` showing ``following``."""
        toggles = (ActionKind.FOLLOW, ActionKind.UNFOLLOW)
        return tuple(
            tuple(
                self._toggle_button(topic_id, lang, following)
                if button.action.kind in toggles and button.action.arg == topic_id
                else button
                for button in row
            )
            for row in keyboard
        )

    def _toggle_button(self, topic_id: str, lang: Lang, following: Following) -> Button:
        if following.covers(topic_id):
            return Button(
                self.content.text("button_unfollow", lang), Action(ActionKind.UNFOLLOW, topic_id)
            )
        return Button(self.content.text("button_follow", lang), Action(ActionKind.FOLLOW, topic_id))

    def _menu_keyboard(self, lang: Lang) -> Keyboard:
        buttons = [self._topic_button(topic, lang) for topic in self.content.interview_topics]
        return tuple(tuple(buttons[i : i + 2]) for i in range(0, len(buttons), 2))

    def _topic_button(self, topic: Topic, lang: Lang) -> Button:
        return Button(topic.title[lang], Action(ActionKind.TOPIC, topic.id))

    def _topic_list(self, lang: Lang) -> str:
        return ", ".join(
            _without_emoji(topic.title[lang]) for topic in self.content.interview_topics
        )


def _without_emoji(title: str) -> str:
    return "".join(
        char for char in title if markup.count_emoji(char) == 0 and ord(char) != 0xFE0F
    ).strip()
