"""The one codec for inline-button payloads: short, versioned, validated.

Payloads look like ``1:t:direct_flights`` or ``1:m:direct_flights:ru``: a format version,
an action kind, its argument and, optionally, the language of the answer the button belongs
to. Topic ids are stable across content changes, so old buttons keep working; anything that
does not decode (an old format, a forged payload) raises ``ForgedButton`` and gets a polite
notice.
"""

from __future__ import annotations

import re
from typing import Final

from bot.replies import Action, ActionKind
from bot.values import parse_lang

VERSION: Final = "1"
MAX_BYTES: Final = 64  # Telegram's limit for callback_data
_ARG = re.compile(r"^(?:[a-z][a-z0-9_]{0,40})?$")
_WITHOUT_ARG: Final = frozenset({ActionKind.MENU})


class ForgedButton(ValueError):
    """Callback data that this bot did not make, or made in a format it no longer reads."""


def encode(action: Action) -> str:
    """Return the callback data for ``action`` (a share button has none: see rendering)."""
    data = f"{VERSION}:{action.kind.value}:{action.arg}"
    if action.lang:
        data += f":{action.lang}"
    if len(data.encode()) > MAX_BYTES or not _ARG.match(action.arg):
        raise ValueError(f"cannot encode {action!r} as callback data")
    return data


def decode(data: object) -> Action:
    """Return the action in callback ``data``; raise ForgedButton when it is not ours."""
    if not isinstance(data, str) or len(data.encode()) > MAX_BYTES:
        raise ForgedButton("not a callback payload of this bot")
    version, _, rest = data.partition(":")
    kind_value, separator, arg = rest.partition(":")
    if version != VERSION or not separator:
        raise ForgedButton(f"unknown callback format {version!r}")
    arg, has_lang, lang_code = arg.partition(":")
    lang = parse_lang(lang_code)
    if has_lang and lang is None:
        raise ForgedButton("unknown language")
    try:
        kind = ActionKind(kind_value)
    except ValueError:
        raise ForgedButton(f"unknown action {kind_value!r}") from None
    if not _ARG.match(arg) or (kind in _WITHOUT_ARG) != (arg == ""):
        raise ForgedButton("malformed argument")
    return Action(kind, arg, lang)
