"""Text normalisation shared by the classifier and the content checks.

Readers type Azerbaijani with and without diacritics ("ə" or "e", "ş" or "sh"), in any
case, with emoji and stray punctuation; folding all of that to one form lets a handful of
training examples cover the ways people actually write.
"""

from __future__ import annotations

import re
import unicodedata

# Turkish/Azerbaijani capitals must be lowered before str.casefold(), which would turn
# "İ" into "i" + a combining dot and keep "I" as a dotted "i" anyway.
_CASE = str.maketrans({"İ": "i", "I": "i", "ı": "i"})
# Azerbaijani letters and their ASCII spellings fold to one form.
_LETTERS = str.maketrans(
    {"ə": "e", "ä": "e", "ş": "s", "ç": "c", "ğ": "g", "ö": "o", "ü": "u", "ё": "е", "’": "'"}
    # Russian typed in Latin letters loses the soft and hard signs and й ("reisy", "skolko"):
    # its Cyrillic reading matches the real spelling only without them.
    | {"ь": "", "ъ": "", "й": "и"}
)
_DIGRAPHS = (("sh", "s"), ("ch", "c"))
_NON_WORD = re.compile(r"[^\w\s'-]+")
_SPACES = re.compile(r"\s+")


def fold(text: str) -> str:
    """Return the matching form of ``text``: NFKC, case- and diacritic-folded, no emoji."""
    text = unicodedata.normalize("NFKC", text).translate(_CASE).casefold()
    text = text.translate(_LETTERS)
    for digraph, letter in _DIGRAPHS:
        text = text.replace(digraph, letter)
    text = _NON_WORD.sub(" ", text).replace("_", " ")
    return _SPACES.sub(" ", text).strip()
