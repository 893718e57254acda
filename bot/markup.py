"""Telegram's HTML subset: checking content, escaping text, and plain text for terminals."""

from __future__ import annotations

import html
import re
from typing import Final

ALLOWED_TAGS: Final = frozenset(
    {"b", "strong", "i", "em", "u", "ins", "s", "strike", "del", "code", "pre", "a", "blockquote"}
)
_TAG = re.compile(r"<(/?)([a-zA-Z][a-zA-Z0-9-]*)((?:\s[^<>]*)?)>")
_ENTITY = re.compile(r"&(?:lt|gt|amp|quot|#\d{1,7}|#x[0-9a-fA-F]{1,6});")
_EMOJI_JOINERS: Final = frozenset({0x200D, 0xFE0F, 0xFE0E, 0x20E3})
_KEYCAP_BASES: Final = frozenset("0123456789#*")


def html_problems(text: str) -> list[str]:
    """Return why Telegram's HTML parse mode would reject ``text`` (empty when it is fine)."""
    problems: list[str] = []
    stack: list[str] = []
    position = 0
    for match in _TAG.finditer(text):
        problems.extend(_bare_characters(text[position : match.start()]))
        position = match.end()
        closing, tag = match.group(1) == "/", match.group(2).lower()
        if tag not in ALLOWED_TAGS:
            problems.append(f"HTML tag <{tag}> is not supported by Telegram")
        elif not closing:
            stack.append(tag)
        elif not stack or stack.pop() != tag:
            problems.append(f"HTML closing tag </{tag}> does not match an open tag")
    problems.extend(_bare_characters(text[position:]))
    problems.extend(f"HTML tag <{tag}> is never closed" for tag in stack)
    return problems


def _bare_characters(chunk: str) -> list[str]:
    problems = []
    if "<" in chunk or ">" in chunk:
        problems.append("a bare '<' or '>' (write &lt; or &gt;)")
    if "&" in _ENTITY.sub("", chunk):
        problems.append("a bare '&' or unknown entity (write &amp;)")
    return problems


def escape(text: str) -> str:
    """Escape user-supplied ``text`` for Telegram's HTML parse mode."""
    return html.escape(text, quote=False)


def to_plain(text: str) -> str:
    """Return Telegram HTML ``text`` as plain text for a terminal."""
    return html.unescape(_TAG.sub("", text))


def count_emoji(text: str) -> int:
    """Count emoji in ``text``; a sequence joined by ZWJ or a flag counts once."""
    count = 0
    previous_joined = False
    regional = 0
    for index, char in enumerate(text):
        code = ord(char)
        if (
            code == 0x20E3
            and index
            and text[index - 1 - (text[index - 1] == "\ufe0f")] in _KEYCAP_BASES
        ):
            count += 1  # a keycap: digit, #, or * followed by U+20E3
            continue
        if code in _EMOJI_JOINERS or 0x1F3FB <= code <= 0x1F3FF:
            previous_joined = code == 0x200D
            continue
        if 0x1F1E6 <= code <= 0x1F1FF:  # regional indicators pair up into flags
            regional += 1
            if regional % 2 == 1:
                count += 1
            continue
        if _is_emoji(code):
            if not previous_joined:
                count += 1
        previous_joined = False
    return count


def _is_emoji(code: int) -> bool:
    return (
        0x1F000 <= code <= 0x1FAFF
        or 0x2600 <= code <= 0x27BF
        or 0x2B00 <= code <= 0x2BFF
        or 0x2300 <= code <= 0x23FF
        or code in (0x203C, 0x2049, 0x2139, 0x3030, 0x303D)
    )
