"""Text normalisation shared by the classifier and the content checks.

Readers type Azerbaijani with and without diacritics ("ə" or "e", "ş" or "sh"), in any
case, with emoji and stray punctuation; folding all of that to one form lets a handful of
training examples cover the ways people actually write.
"""

from __future__ import annotations

import re
import unicodedata

# Turkish/Azerbaijani capitals must be lowered before str.casefold(), which would turn
# "İ" into "i" + a combining dot; "ı" has no capital form of its own to fold to.
_CASE = (("İ", "i"), ("ı", "i"))
# Azerbaijani letters and their ASCII spellings fold to one form.
_LETTERS = (
    ("ə", "e"), ("ä", "e"), ("ş", "s"), ("ç", "c"), ("ğ", "g"), ("ö", "o"), ("ü", "u"),
    ("ё", "е"), ("’", "'"),
    # Russian typed in Latin letters loses the soft and hard signs and й ("reisy", "skolko"):
    # its Cyrillic reading matches the real spelling only without them.
    ("ь", ""), ("ъ", ""), ("й", "и"),
)  # fmt: skip
_DIGRAPHS = (("sh", "s"), ("ch", "c"))
_NON_WORD = re.compile(r"[^\w\s'-]+")
_SPACES = re.compile(r"\s+")


def fold(text: str) -> str:
    """Return the matching form of ``text``: NFKC, case- and diacritic-folded, no emoji."""
    # Replacing only the letters a text holds is several times quicker than str.translate,
    # and every message and example is folded.
    text = unicodedata.normalize("NFKC", text)
    for letter, plain in _CASE:
        if letter in text:
            text = text.replace(letter, plain)
    text = text.casefold()
    for letter, plain in _LETTERS:
        if letter in text:
            text = text.replace(letter, plain)
    for digraph, letter in _DIGRAPHS:
        text = text.replace(digraph, letter)
    text = _NON_WORD.sub(" ", text).replace("_", " ")
    return _SPACES.sub(" ", text).strip()


# A sentence ends at . ! ? (or their full-width forms) or a line break; "?" stays with it.
_SENTENCE_END = re.compile(r"(?<=[.!?\n。？！])\s+|\n+")


def last_question(text: str) -> str | None:
    """The question of a message that tells a story first: its last sentence that asks
    (ends with "?"), else its last sentence; None when the message is one sentence."""
    sentences = [part.strip() for part in _SENTENCE_END.split(text) if fold(part)]
    if len(sentences) < 2:
        return None
    asking = [sentence for sentence in sentences if sentence.endswith(("?", "？"))]
    return (asking or sentences)[-1]
