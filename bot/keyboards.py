"""The buttons under replies: an answer's (related topics, more, follow, share, menu), the
topic menu's, and the follow toggle, in the chat's interface language."""

from __future__ import annotations

from bot.content import Content, Topic
from bot.replies import Action, ActionKind, Button, Keyboard
from bot.values import Following, Lang


class Keyboards:
    """Builds the keyboards of one content set."""

    def __init__(self, content: Content) -> None:
        self._content = content

    def answer(
        self, topic: Topic, lang: Lang, ui: Lang, long: bool, following: Following | None
    ) -> Keyboard:
        """Under an answer: related topics two by row, then more and the follow toggle
        (``following`` None: no subscriptions here), then share and the menu."""
        related = [
            self.topic(other, ui)
            for other_id in topic.related
            if (other := self._content.topic(other_id)) is not None
        ]
        rows: list[tuple[Button, ...]] = [
            tuple(related[i : i + 2]) for i in range(0, len(related), 2)
        ]
        last: list[Button] = []
        # Only an interview answer has more to tell; a greeting's longer text is just another.
        if not long and topic.kind == "interview" and topic.long[lang] != topic.short[lang]:
            more = Action(ActionKind.MORE, topic.id, None if lang == ui else lang)
            last.append(Button(self._content.text("button_more", ui), more))
        if following is not None and topic.kind == "interview":
            last.append(self.toggle(topic.id, ui, following))
        if last:
            rows.append(tuple(last))
        final = [self.menu_button(ui)]
        if topic.kind == "interview":  # pass the answer on in any chat (inline mode)
            final.insert(
                0,
                Button(self._content.text("button_share", ui), Action(ActionKind.SHARE, topic.id)),
            )
        rows.append(tuple(final))
        return tuple(rows)

    def toggle(self, topic_id: str, ui: Lang, following: Following) -> Button:
        """Follow, or stop following, ``topic_id`` as ``following`` stands."""
        if following.covers(topic_id):
            return Button(
                self._content.text("button_unfollow", ui), Action(ActionKind.UNFOLLOW, topic_id)
            )
        return Button(self._content.text("button_follow", ui), Action(ActionKind.FOLLOW, topic_id))

    def menu(self, ui: Lang) -> Keyboard:
        """Every interview topic, two by row."""
        buttons = [self.topic(topic, ui) for topic in self._content.interview_topics]
        return tuple(tuple(buttons[i : i + 2]) for i in range(0, len(buttons), 2))

    def menu_button(self, ui: Lang) -> Button:
        """Back to the topic menu."""
        return Button(self._content.text("button_menu", ui), Action(ActionKind.MENU))

    def topic(self, topic: Topic, ui: Lang) -> Button:
        """Open ``topic``."""
        return Button(topic.title[ui], Action(ActionKind.TOPIC, topic.id))
