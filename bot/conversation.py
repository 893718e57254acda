"""The conversation: every reply the bot makes, built from the content and the classifier.

Pure and synchronous: no Telegram, no database. What a chat follows or chose comes in as
arguments; the chat service (``bot.chat``) does the remembering and the terminal ``chat``
uses this directly. Arguments named ``ui`` are the chat's interface language (buttons,
menus, notices); ``lang`` is the language a text is written in.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Final

from bot import markup, sharing
from bot.classifier import Classifier, Prediction
from bot.content import Content, Topic
from bot.contentcache import load_kept
from bot.evidence import Evidence
from bot.followups import FollowUps
from bot.keyboards import Keyboards
from bot.language import LanguageModel, Reading
from bot.normalise import fold, last_question
from bot.replies import Action, ActionKind, Button, Display, Keyboard, Reply, ReplyKind
from bot.reports import format_stats
from bot.thresholds import DEFAULT
from bot.values import DEFAULT_LANG, LANGS, LANGUAGE_NAMES, Context, Following, Lang

if TYPE_CHECKING:  # statistics are formatted here; the database stays unimported
    from bot.storage.records import Published, Stats

CLASSIFIED_CHARS: Final = 1000  # longer messages are classified on their start
MAX_SUGGESTIONS: Final = 3
MIN_SUGGESTION: Final = 0.08
SURE_CHAT: Final = 0.75  # a conversation topic this sure is not taken for a follow-up
SHOWN_ARG_CHARS: Final = 64  # a reader's unknown topic id is echoed back at most this long


class Conversation:
    """Answers questions, button presses and commands from one content set."""

    def __init__(
        self,
        content: Content,
        classifier: Classifier,
        languages: LanguageModel,
        evidence: Evidence,
        followups: FollowUps,
    ) -> None:
        """Use these models of ``content``; ``open`` and ``prepare`` are the usual ways in."""
        self.content = content
        self.classifier = classifier
        self.languages = languages
        self.followups = followups
        self.evidence = evidence
        self.keyboards = Keyboards(content)
        self._topic_lists = {lang: self._topic_list(lang) for lang in LANGS}

    @classmethod
    def open(cls, content_dir: Path, cache_dir: Path | None) -> Conversation:
        """Load, validate (or read the copy validated before, in ``cache_dir``) and ``prepare``
        ``content_dir``; ``ContentError`` when broken."""
        return cls.prepare(load_kept(content_dir, cache_dir), cache_dir)

    @classmethod
    def prepare(cls, content: Content, cache_dir: Path | None) -> Conversation:
        """Fit (or load from ``cache_dir``) every model ``content`` needs."""
        classifier = Classifier.load_or_fit(content, cache_dir)
        languages = LanguageModel.load_or_fit(content, cache_dir)
        evidence = Evidence.load_or_build(content, cache_dir)
        followups = FollowUps.load_or_build(content, cache_dir)
        return cls(content, classifier, languages, evidence, followups)

    def classify(self, text: str, expected: Lang | None = None) -> tuple[Reading, Prediction]:
        """Read ``text`` (its language, and a Cyrillic reading of Latin-typed Russian) and
        classify what was read; ``expected`` is the language the chat was using. A message
        the whole of which is unclear is read again as its question alone (``last_question``)."""
        text = text[:CLASSIFIED_CHARS]
        reading = self.languages.read(text, expected)
        lang = reading.lang or expected or DEFAULT_LANG
        thresholds = self.content.thresholds.get(lang) or DEFAULT
        prediction = self.evidence.settle(
            reading.text, self.classifier.predict(reading.text, thresholds)
        )
        question = None if prediction.clear else last_question(text)
        if question is not None:
            # A story, then the question: the story's words can drown the question's.
            asked = self.languages.read(question, lang).text
            own = self.evidence.settle(asked, self.classifier.predict(asked, thresholds))
            if own.clear:
                return reading, own
        return reading, prediction

    # ------------------------------------------------------------------ questions

    def ask(
        self,
        text: str,
        ui: Lang,
        following: Following | None = None,
        context: Context | None = None,
    ) -> Reply:
        """Answer a typed message in its own language; buttons follow ``ui``.

        With a ``context`` (the chat's last answer), a follow-up such as "when?" is answered
        on its topic; a clear question of its own, or an off-topic one, is not.
        """
        if not fold(text[:CLASSIFIED_CHARS]):
            return Reply(
                self.content.text("empty", ui), ui, ReplyKind.EMPTY, self.keyboards.menu(ui)
            )
        expected = context.lang if context else ui
        reading, prediction = self.classify(text, expected)
        lang = reading.lang or expected
        if self.content.places.subject(reading.text) is not None:  # about another country
            return self._out_of_scope(lang, ui, prediction)
        topic = (
            self.content.topic(prediction.topic) if prediction.clear and prediction.topic else None
        )
        # Even an unsure guess of another topic counts when the message names that topic's words.
        factual = {topic.id for topic in self.content.factual_topics}
        ranked = [topic_id for topic_id, _ in prediction.alternatives]
        guess = prediction.topic or (ranked[0] if ranked else None)
        switch_to = guess if guess in factual and guess != (context and context.topic) else None
        # "thanks", "help": the chat itself, unless the classifier only half believes it ("who?").
        chat_itself = (
            topic is not None and topic.id not in factual and prediction.confidence >= SURE_CHAT
        )
        if not chat_itself:
            if context is not None:
                if self.followups.asks_more(reading.text, context, switch_to, prediction.clear):
                    return self._follow_up(context, lang, ui, following, prediction)
            elif prediction.confidence < SURE_CHAT or prediction.topic is None:
                # "and when?" from nowhere; "what is this bot?" is sure of its topic
                if self.followups.asks_more(reading.text, None, None):
                    return self.notice("followup_what", lang, menu=True)
        if prediction.topic is None:
            return self._out_of_scope(lang, ui, prediction)
        topic_id = prediction.topic
        if prediction.ambiguous:
            choices = self._choices(prediction)
            if not choices:  # only chit-chat was close: nothing from the interview to offer
                return self._out_of_scope(lang, ui, prediction)
            if len(choices) > 1:
                return self._suggestions(choices, prediction, lang, ui)
            topic_id = choices[0].id  # one plausible choice: answer it rather than ask
        reply = self.topic(topic_id, lang, ui=ui, following=following)
        return Reply(
            reply.text, lang, reply.kind, reply.keyboard, reply.topic, prediction=prediction
        )

    def context_after(self, reply: Reply, at: datetime) -> Context | None:
        """The context a reply leaves the chat in: a factual answer's topic (the interview's
        topics, and about), else None (the previous context stays)."""
        if reply.topic is None or reply.kind not in (ReplyKind.ANSWER, ReplyKind.MORE):
            return None
        if reply.topic not in {topic.id for topic in self.content.factual_topics}:
            return None
        return Context(reply.topic, reply.kind is ReplyKind.MORE, reply.lang, at)

    def topic(
        self,
        topic_id: str,
        lang: Lang,
        *,
        ui: Lang,
        long: bool = False,
        following: Following | None = None,
    ) -> Reply:
        """A topic's answer: title line, short or long text, and follow-up buttons."""
        topic = self.content.topic(topic_id)
        if topic is None:
            return self.unknown_topic(topic_id, ui)
        body = topic.long[lang] if long else topic.short[lang]
        text = f"<b>{topic.title[lang]}</b>\n\n{body}"
        return Reply(
            text,
            lang,
            ReplyKind.ANSWER,
            self.keyboards.answer(topic, lang, ui, long, following),
            topic.id,
        )

    def _follow_up(
        self,
        context: Context,
        lang: Lang,
        ui: Lang,
        following: Following | None,
        prediction: Prediction,
    ) -> Reply:
        """More on the context's topic: its longer answer, or an honest "that is all"."""
        answer = self.topic(context.topic, lang, ui=ui, long=True, following=following)
        text = answer.text
        if context.long:
            title = self.title(context.topic, lang)
            text = self.content.text("followup_said_all", lang, topic=_without_emoji(title))
        return Reply(
            text, lang, ReplyKind.MORE, answer.keyboard, context.topic, prediction=prediction
        )

    # ------------------------------------------------------------------ buttons

    def press(self, action: Action | None, ui: Lang, following: Following | None = None) -> Reply:
        """Answer a topic, more or menu button; anything else is a stale button."""
        if action is None:
            return self.stale_button(ui)
        if action.kind is ActionKind.MENU:
            return self.menu(ui, display=Display.REPLACE)
        topic = self.content.topic(action.arg)
        if topic is None or action.kind not in (ActionKind.TOPIC, ActionKind.MORE):
            return self.stale_button(ui)
        if action.kind is ActionKind.MORE:
            lang = action.lang or ui  # the language of the answer it expands
            reply = self.topic(topic.id, lang, ui=ui, long=True, following=following)
            return Reply(
                reply.text, lang, ReplyKind.MORE, reply.keyboard, topic.id, Display.REPLACE
            )
        return self.topic(topic.id, ui, ui=ui, following=following)

    def toggled(
        self, keyboard: Keyboard, topic_id: str, ui: Lang, following: Following, *, followed: bool
    ) -> Reply:
        """The pressed answer's buttons with its follow toggle showing ``following``."""
        toggles = (ActionKind.FOLLOW, ActionKind.UNFOLLOW)
        buttons = tuple(
            tuple(
                self.keyboards.toggle(topic_id, ui, following)
                if button.action.kind in toggles and button.action.arg == topic_id
                else button
                for button in row
            )
            for row in keyboard
        )
        key = "followed_topic" if followed else "unfollowed_topic"
        toast = markup.to_plain(self.content.text(key, ui, topic=self.title(topic_id, ui)))
        return Reply("", ui, ReplyKind.NOTICE, buttons, topic_id, Display.BUTTONS, toast=toast)

    # ------------------------------------------------------------------ menus and commands

    def welcome(self, ui: Lang) -> Reply:
        """The greeting for ``/start``, followed by the topic menu."""
        text = f"{self.content.text('welcome', ui)}\n\n{self.content.text('menu_header', ui)}"
        return Reply(text, ui, ReplyKind.WELCOME, self.keyboards.menu(ui))

    def open_link(self, topic_id: str, ui: Lang, following: Following | None = None) -> Reply:
        """A deep link (``/start <topic_id>``): that topic, or a notice and the menu."""
        if self.content.topic(topic_id) is None:
            return self.unknown_topic(topic_id, ui)
        return self.topic(topic_id, ui, ui=ui, following=following)

    def menu(self, ui: Lang, *, display: Display = Display.NEW) -> Reply:
        """The topic menu."""
        return Reply(
            self.content.text("menu_header", ui),
            ui,
            ReplyKind.MENU,
            self.keyboards.menu(ui),
            display=display,
        )

    def help(self, ui: Lang) -> Reply:
        """How to use the bot: the ``help`` topic's longer text."""
        return self.topic("help", ui, ui=ui, long=True)

    def language_menu(self, ui: Lang) -> Reply:
        """``/language``: one button per language."""
        buttons = tuple(
            (Button(LANGUAGE_NAMES[code], Action(ActionKind.LANGUAGE, code)),) for code in LANGS
        )
        return Reply(self.content.text("language_prompt", ui), ui, ReplyKind.NOTICE, buttons)

    def language_set(self, ui: Lang) -> Reply:
        """The menu in the newly chosen language, in place of the language buttons."""
        text = f"{self.content.text('language_set', ui)}\n\n{self.content.text('menu_header', ui)}"
        return Reply(text, ui, ReplyKind.MENU, self.keyboards.menu(ui), display=Display.REPLACE)

    def subscriptions(self, following: Following, ui: Lang) -> Reply:
        """``/subscriptions``: what the chat follows."""
        if following.all:
            return self.notice("subscriptions_all", ui)
        if not following.topics:
            return self.notice("subscriptions_none", ui)
        titles = ", ".join(
            topic.title[ui]
            for topic in self.content.interview_topics
            if topic.id in following.topics
        )
        return self.notice("subscriptions_topics", ui, topics=titles)

    def stats(self, stats: Stats, ui: Lang) -> Reply:
        """``/stats`` for editors: the figures as a message."""
        return Reply(format_stats(stats, self.content, ui, html=True), ui, ReplyKind.NOTICE)

    # ------------------------------------------------------------------ sharing and news

    def share(self, query: str, ui: Lang) -> Reply:
        """Answers to an inline query, best first: the topics in order for an empty query,
        an invitation to the bot when nothing fits (never a wrong answer first)."""
        text = query.strip()
        if not fold(text):
            listed = [sharing.article(self.content, t, ui) for t in self.content.interview_topics]
            return sharing.articles(listed, ui, sharing.MAX_LISTED)
        exact = self.interview_topic(text)
        if exact is not None:  # the share button's own query
            return sharing.articles([sharing.article(self.content, exact, ui)], ui)
        reading, prediction = self.classify(text, ui)
        lang = reading.lang or ui
        if prediction.topic is None or self.content.places.subject(reading.text) is not None:
            return sharing.articles([sharing.invitation(self.content, lang)], lang)
        found = [
            sharing.article(self.content, topic, lang)
            for index, (topic_id, score) in enumerate(prediction.alternatives)
            if (index == 0 or score >= sharing.MIN_ARTICLE)
            and (topic := self.interview_topic(topic_id)) is not None
        ]
        return sharing.articles(found or [sharing.invitation(self.content, lang)], lang)

    def news(
        self, page: Sequence[Published], topic_id: str | None, ui: Lang, *, more: bool
    ) -> Reply:
        """A page of /news: published bulletins, newest first."""
        return sharing.news(self.content, page, topic_id, ui, more=more)

    def with_news(self, reply: Reply, count: int) -> Reply:
        """An answer on a followed topic, with how many bulletins it has and how to read them."""
        topic = self.interview_topic(reply.topic or "")
        if topic is None or count <= 0 or reply.kind not in (ReplyKind.ANSWER, ReplyKind.MORE):
            return reply
        line = sharing.news_line(self.content, topic, count, reply.lang)
        return replace(reply, text=f"{reply.text}\n\n{line}")

    # ------------------------------------------------------------------ notices

    def notice(
        self, key: str, ui: Lang, *, menu: bool = False, toast: bool = False, **fields: str
    ) -> Reply:
        """A one-line interface message, optionally with the menu under it and as a toast."""
        text = self.content.text(key, ui, **fields)
        return Reply(
            text,
            ui,
            ReplyKind.NOTICE,
            self.keyboards.menu(ui) if menu else (),
            toast=markup.to_plain(text) if toast else None,
        )

    def stale_button(self, ui: Lang) -> Reply:
        """A button this bot no longer knows (or never made): a toast, a notice and the menu."""
        return self.notice("stale_button", ui, menu=True, toast=True)

    def unknown_topic(self, topic_id: str, ui: Lang) -> Reply:
        """A topic id a reader typed that the content does not have, and the menu."""
        shown = markup.escape(topic_id[:SHOWN_ARG_CHARS])
        return self.notice("unknown_topic", ui, menu=True, topic=shown)

    # ------------------------------------------------------------------ lookups

    def interview_topic(self, topic_id: str) -> Topic | None:
        """Return the interview topic ``topic_id`` (one readers can follow), or None."""
        topic = self.content.topic(topic_id)
        return topic if topic is not None and topic.kind == "interview" else None

    def title(self, topic_id: str | None, ui: Lang) -> str:
        """A topic's title in ``ui`` (its id when unknown)."""
        topic = self.content.topic(topic_id) if topic_id else None
        return topic.title[ui] if topic else str(topic_id)

    def topic_ids(self) -> Sequence[str]:
        """The interview topics' ids in the interview's order."""
        return [topic.id for topic in self.content.interview_topics]

    # ------------------------------------------------------------------ keyboards

    def _out_of_scope(self, lang: Lang, ui: Lang, prediction: Prediction) -> Reply:
        return Reply(
            self.content.text("out_of_scope", lang, topics=self._topic_lists[lang]),
            lang,
            ReplyKind.OUT_OF_SCOPE,
            self.keyboards.menu(ui),
            prediction=prediction,
        )

    def _choices(self, prediction: Prediction) -> list[Topic]:
        """The interview topics worth offering for an unsure prediction, best first."""
        return [
            topic
            for index, (topic_id, score) in enumerate(prediction.alternatives[:MAX_SUGGESTIONS])
            if (index == 0 or score >= MIN_SUGGESTION)
            and (topic := self.interview_topic(topic_id)) is not None
        ]

    def _suggestions(
        self, choices: Sequence[Topic], prediction: Prediction, lang: Lang, ui: Lang
    ) -> Reply:
        rows = tuple((self.keyboards.topic(topic, ui),) for topic in choices)
        rows += ((self.keyboards.menu_button(ui),),)
        return Reply(
            self.content.text("did_you_mean", lang),
            lang,
            ReplyKind.SUGGESTIONS,
            rows,
            prediction=prediction,
        )

    def _topic_list(self, lang: Lang) -> str:
        return ", ".join(
            _without_emoji(topic.title[lang]) for topic in self.content.interview_topics
        )


def _without_emoji(title: str) -> str:
    return "".join(
        char for char in title if markup.count_emoji(char) == 0 and ord(char) != 0xFE0F
    ).strip()
