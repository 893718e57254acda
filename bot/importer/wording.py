"""Words that matter in a text: key words, names, figures and key phrases.

Plain rules rather than a language model: they are predictable, need nothing downloaded,
and an editor reviews every draft anyway.
"""

from __future__ import annotations

import itertools
import math
import re
from collections import Counter
from collections.abc import Sequence
from typing import Final

from bot.values import Lang

_WORD: Final = re.compile(r"[^\W\d_]+(?:['’-][^\W\d_]+)*")
# A figure and up to three words after it: "412 million euros", "14 April 2027", "19 stops".
_FIGURE: Final = re.compile(
    r"\b\d(?:[\d.,]*\d)?(?:\s*%)?(?:\s+(?!and\b|or\b|и\b|və\b)[^\W\d_]+(?:\s+\d{4})?){0,3}"
)
# Capitalised words in a row ("Corso Magenta", "Marco Venturi"), joined by no other word.
_NAME: Final = re.compile(r"\b[A-ZА-ЯЁƏÇĞİÖŞÜ][\w’'-]*(?:\s+[A-ZА-ЯЁƏÇĞİÖŞÜ][\w’'-]*)*")
# Where a phrase ends: punctuation (not the point or comma inside "1.80", "15,000").
_BREAK: Final = re.compile(r"[.,](?!\d)|[;:!?…()\[\]«»\"“”—–]|\s-\s")
_MONTHS: Final = frozenset(
    "january february march april may june july august september october november december".split()
)
_MONEY: Final = frozenset("euro euros dollar dollars pounds manat manats rubles won".split())
# Capitalised but no names: months and weekdays (English; the others write them small).
_NOT_NAMES: Final = frozenset(
    """january february march april may june july august september october november
    december monday tuesday wednesday thursday friday saturday sunday""".split()
)
_SENTENCE_END: Final = re.compile(r"(?<=[.!?…])\s+(?=[\"«“(]?[A-ZА-ЯЁƏÇĞİÖŞÜ0-9])")

# Small, common-word lists: what carries no subject in a question or an answer.
_STOP_WORDS: Final[dict[Lang, frozenset[str]]] = {
    "en": frozenset(
        """a about above after again all also am an and any are as at be because been before
        being between both but by can could did do does doing down during each either every
        few for from further had has have having he her here hers him his how i if in into is
        it its itself just let many me more most much my no nor not now of off on once only or
        other our ours out over own per same she should so some such than that the their them
        then there these they this those through to too under until up us very was we were
        what when where which while who whom why will with would you your yours yes rest
        whole already instead still today year years last next first new way want keep think
        do does going get got make made like well really kind lot lots one two three happen
        happens happening""".split()
    ),
    "ru": frozenset(
        """а без более бы был была были было быть в вам вас весь во вот все всего всех вы где
        да даже для до его ее если есть еще же за здесь и из или им их к как какие какой
        когда кто ли либо мне может мы на над не нет ни но ну о об однако он она они оно от
        очень по под при с со так также такой там те тем то того тоже той только том ты у уже
        хотя чего чей чем что чтобы чье эта эти это я сколько почему зачем каким""".split()
    ),
    "az": frozenset(
        """və ilə üçün bu o bir da də ki nə necə niyə hansı kim harada nə vaxt onun onlar biz
        siz mən sən çox az daha ən hər belə artıq hələ isə amma ancaq lakin ya yaxud olan
        olaraq edir edib etmək var yox deyil kimi qədər sonra əvvəl bizim sizin""".split()
    ),
}
_LATIN: Final = str.maketrans(
    {
        "ə": "e", "ı": "i", "ğ": "g", "ş": "sh", "ç": "ch", "ö": "o", "ü": "u",
        "а": "a", "б": "b", "в": "v", "г": "g", "д": "d", "е": "e", "ё": "e", "ж": "zh",
        "з": "z", "и": "i", "й": "y", "к": "k", "л": "l", "м": "m", "н": "n", "о": "o",
        "п": "p", "р": "r", "с": "s", "т": "t", "у": "u", "ф": "f", "х": "kh", "ц": "ts",
        "ч": "ch", "ш": "sh", "щ": "sch", "ъ": "", "ы": "y", "ь": "", "э": "e", "ю": "yu",
        "я": "ya",
    }
)  # fmt: skip


def words(text: str) -> list[str]:
    """The words of ``text``, lower-cased, numbers left out."""
    return [word.lower() for word in _WORD.findall(text)]


def content_words(text: str, lang: Lang) -> list[str]:
    """The words of ``text`` that say something: no common words, none shorter than 3."""
    stop = _STOP_WORDS[lang]
    return [word for word in words(text) if word not in stop and len(word) > 2]


def sentences(text: str) -> list[str]:
    """``text`` cut into sentences (a full stop inside "1.80" or "Dr." before a small
    letter does not end one)."""
    return [part.strip() for part in _SENTENCE_END.split(text) if part.strip()]


def names(text: str) -> list[str]:
    """Names in ``text``: capitalised words, in a row or alone, but not a sentence's first
    word unless a second capital follows it ("Marco Venturi"); first occurrence order."""
    found: list[str] = []
    for sentence in sentences(text):
        for match in _NAME.finditer(sentence):
            name = match.group(0).strip(" '’-")
            first = match.start() == 0 or sentence[: match.start()].rstrip().endswith(('"', "«"))
            if first and " " not in name:
                continue
            if first:  # "The Green Line": the sentence's capital is not part of the name
                head, _, rest = name.partition(" ")
                if head.lower() in _STOP_WORDS["en"] or not rest[:1].isupper():
                    name = rest
            if len(name) > 2 and name not in found and name.lower() not in _NOT_NAMES:
                found.append(name)
    return found


def figures(text: str, lang: Lang) -> list[str]:
    """Each figure with the words that say what it counts ("19 stops", "412 million
    euros"), up to the first common word; first occurrence order."""
    stop = _STOP_WORDS[lang]
    found: list[str] = []
    for match in _FIGURE.finditer(text):
        number, *after = match.group(0).rstrip(".,").split()
        said = list(itertools.takewhile(lambda word: word.lower() not in stop, after))
        figure = " ".join([number, *said])
        if said and figure not in found:  # a bare number says nothing a reader would type
            found.append(figure)
    return found


def figure_questions(text: str, lang: Lang) -> list[str]:
    """What a reader types to get each figure: "how many stops" (what it counts), "how much
    single ticket costs" (money: the key words before it), "when April" (a date); English
    only (other languages' question words bend with the noun)."""
    if lang != "en":
        return []
    asked: list[str] = []
    for clause in _BREAK.split(text):
        for figure in figures(clause, lang):
            number, *said = figure.split()
            before = content_words(clause[: clause.find(number)], lang)[-3:]
            if said[0].lower() in _MONTHS:
                question = f"when {' '.join(before + said[:1])}"
            elif set(map(str.lower, said)) & _MONEY or said[0].lower() == "percent":
                question = f"how much {' '.join(before) or ' '.join(said)}"
            else:
                question = f"how many {' '.join(said)}"
            if question not in asked:
                asked.append(question)
    return asked


def key_phrases(texts: Sequence[str], lang: Lang, top: int = 6) -> list[list[str]]:
    """For each of ``texts``, its ``top`` phrases that set it apart from the others, best
    first: runs of one to three words with no common word or punctuation inside ("green
    bond", "national transport fund"), weighed by how rare their words are across texts."""
    runs = [_runs(text, lang) for text in texts]
    spread = Counter(word for found in runs for word in {w for run in found for w in run})
    phrases: list[list[str]] = []
    for found in runs:
        counts = Counter(word for run in found for word in run)
        scores: dict[str, float] = {}
        for run in found:
            phrase = " ".join(run)
            rarity = [math.log(1 + len(texts) / spread[word]) * counts[word] for word in run]
            scores[phrase] = max(scores.get(phrase, 0.0), sum(rarity) / len(run) ** 0.5)
        ranked = sorted(scores, key=lambda phrase: -scores[phrase])
        phrases.append(_without_overlap(ranked)[:top])
    return phrases


def _runs(text: str, lang: Lang) -> list[tuple[str, ...]]:
    """Runs of content words: a common word, a figure or punctuation ends a run; a run
    longer than three words gives its three-word windows."""
    stop = _STOP_WORDS[lang]
    runs: list[tuple[str, ...]] = []
    for chunk in _BREAK.split(text):
        run: list[str] = []
        for token in chunk.split():
            word = token.strip("\"'«»“”()").lower()
            if _WORD.fullmatch(word) and word not in stop and len(word) > 2:
                run.append(word)
                continue
            runs.extend(_windows(run))
            run = []
        runs.extend(_windows(run))
    return runs


def _windows(run: list[str]) -> list[tuple[str, ...]]:
    if len(run) <= 3:
        return [tuple(run)] if run else []
    return [tuple(run[i : i + 3]) for i in range(len(run) - 2)]


def similarities(texts: Sequence[str], lang: Lang) -> list[list[float]]:
    """Cosine similarity of every text to every other, on TF-IDF word features."""
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.metrics.pairwise import cosine_similarity

    vectorizer = TfidfVectorizer(stop_words=sorted(_STOP_WORDS[lang]), sublinear_tf=True)
    matrix = vectorizer.fit_transform(texts)
    return [[float(value) for value in row] for row in cosine_similarity(matrix)]


def latin(word: str) -> str:
    """``word`` in plain Latin letters, for ids (Cyrillic and Azerbaijani transliterated)."""
    return re.sub(r"[^a-z0-9]", "", word.lower().translate(_LATIN))


def _without_overlap(ranked: list[str]) -> list[str]:
    """Drop a phrase whose words a better-ranked phrase already holds."""
    kept: list[str] = []
    for phrase in ranked:
        if not any(phrase in other or other in phrase for other in kept):
            kept.append(phrase)
    return kept
