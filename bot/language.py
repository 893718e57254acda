"""Which language a message is written in: English, Azerbaijani or Russian."""

from __future__ import annotations

import re
from typing import Final

from bot.values import Lang

_CYRILLIC = re.compile(r"[а-яё]", re.IGNORECASE)
_LATIN = re.compile(r"[a-z]", re.IGNORECASE)
# Letters English never uses; ö and ü are shared with German and Turkish but in a chat
# about Azerbaijan they almost always mean Azerbaijani.
_AZ_LETTERS = re.compile(r"[əƏğĞıİşŞçÇöÖüÜ]")
_WORD = re.compile(r"[^\W\d_]+")
# Common Azerbaijani words as typed with and without diacritics; none is an English word.
_AZ_WORDS: Final[frozenset[str]] = frozenset(
    """
    ve var yox bu nə ne nece necə neçə nece hansı hansi haqqında haqqinda haqqinda niyə niye
    üçün ucun ilə ile mı mi mu mü bir biz siz sən sen mən men kim harada harda olacaq olacaqmı
    olacaqmi olub varmı varmi edir edilir edib səfir sefir səfirlik sefirlik koreya koreyada
    azərbaycan azerbaycan azərbaycanda azerbaycanda azərbaycanla azerbaycanla bakı baki bakıdan
    bakidan salam sagol sağol sağ sag təşəkkür tesekkur təşəkkürlər tesekkurler çox cox
    əlaqələr elaqeler əlaqə elaqe reys reyslər reysler birbaşa birbasa tələbə telebe tələbələr
    telebeler universitet turizm mədəniyyət medeniyyet iqtisadiyyat ticarət ticaret
    investisiya dəhliz dehliz orta barədə barede haqda ki da də de dir dır dur dür
    danış danis söylə soyle de görə gore hələ hele nədir nedir kömək komek lazım lazim
    """.split()
)


def detect(text: str) -> Lang | None:
    """Return the language ``text`` is written in, or None when it does not say."""
    if _CYRILLIC.search(text):
        return "ru"
    if _AZ_LETTERS.search(text):
        return "az"
    words = [word.casefold() for word in _WORD.findall(text)]
    if not words or not _LATIN.search(text):
        return None
    az_hits = sum(word in _AZ_WORDS for word in words)
    if az_hits and az_hits * 3 >= len(words):
        return "az"
    if az_hits == 0 and len(words) >= 2:
        return "en"
    return None


def choose(text: str, fallback: Lang) -> Lang:
    """Return the language to answer ``text`` in, ``fallback`` when the text is unclear."""
    return detect(text) or fallback
