"""The terminal front end of the conversation: ``python -m bot chat``."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from typing import TextIO

from bot import markup
from bot.conversation import Conversation
from bot.replies import ActionKind, Button, Reply
from bot.values import Context, Lang


def render(reply: Reply) -> tuple[str, list[Button]]:
    """Return a reply as plain text with numbered choices, and the buttons by number."""
    # Sharing needs Telegram's inline mode; a terminal has nowhere to share to.
    buttons = [
        button
        for row in reply.keyboard
        for button in row
        if button.action.kind is not ActionKind.SHARE
    ]
    lines = [markup.to_plain(reply.text)]
    if buttons:
        lines.append("")
        lines.extend(f"  [{number}] {button.label}" for number, button in enumerate(buttons, 1))
    return "\n".join(lines), buttons


def chat(
    conversation: Conversation, lines: Iterable[str], out: TextIO, lang: Lang, *, prompt: bool
) -> None:
    """Converse over ``lines`` until an empty line or their end; numbers press buttons.
    The last answer is the context of the next message, as in Telegram ("and when?")."""
    reply = conversation.welcome(lang)
    context: Context | None = None
    out.write(conversation.content.text("chat_intro", lang) + "\n\n")
    while True:
        text, buttons = render(reply)
        out.write(text + "\n\n")
        if prompt:
            out.write("> ")
        out.flush()
        line = next(iter(lines), None)
        if line is None or not line.strip():
            return
        line = line.strip()
        if line.isdecimal() and line.isascii() and 1 <= int(line) <= len(buttons):
            reply = conversation.press(buttons[int(line) - 1].action, lang)
        else:
            lang = conversation.languages.read(line).lang or lang
            reply = conversation.ask(line, lang, None, context)
        context = conversation.context_after(reply, datetime.now(UTC)) or context
