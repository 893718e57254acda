"""Load and validate the interview content in ``intents/`` into frozen dataclasses.

Every problem is reported as ``file: problem`` so an editor can fix the YAML without
reading code; nothing starts on broken content.
"""

from __future__ import annotations

import hashlib
import re
import string
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Final, Literal, cast

from bot import markup
from bot.normalise import fold
from bot.places import Places
from bot.thresholds import THRESHOLDS_FILE, Thresholds, read_thresholds
from bot.values import LANGS, Lang
from bot.wordlists import (
    FOLLOWUPS_FILE,
    NEAR_MISSES_FILE,
    NEGATIVE_ID,
    NO_FOLLOWUPS,
    SUBJECTS_FILE,
    Followups,
    check_places,
    lists_per_language,
    read_followups,
    read_negatives,
    read_places,
)

# Conversation topics that tell facts too (SPEC's about: who spoke, where and when).
FACTUAL_CHAT: Final = frozenset({"about"})

Kind = Literal["interview", "conversation"]
TELEGRAM_MESSAGE_LIMIT: Final = 4096
SHORT_LIMIT: Final = 1000  # about one phone screen
UI_FILE: Final = "ui.yaml"
# The interface strings the code looks up, with the {fields} it fills in: content that lacks
# one would only fail when a user hits it, so validation insists on them.
_PLAIN_UI_STRINGS: Final = """
    welcome menu_header did_you_mean empty non_text stale_button unknown_command error
    button_more button_menu button_follow button_unfollow chat_intro command_start
    command_topics command_help bot_description bot_short_description command_subscribe
    command_unsubscribe command_subscriptions command_language command_forget followed_all
    unfollowed_all subscriptions_all subscriptions_none forgotten language_prompt
    language_set not_admin update_header_all followup_what button_share share_attribution
    button_open inline_ask_title inline_ask_description inline_ask_text news_everything
    button_news_more command_news
""".split()
UI_STRINGS: Final[Mapping[str, frozenset[str]]] = {
    **{key: frozenset() for key in _PLAIN_UI_STRINGS},
    "out_of_scope": frozenset({"topics"}),
    "unknown_topic": frozenset({"topic"}),
    "followed_topic": frozenset({"topic"}),
    "unfollowed_topic": frozenset({"topic"}),
    "subscriptions_topics": frozenset({"topics"}),
    "publish_usage": frozenset({"topics"}),
    "published": frozenset({"update", "count", "topic"}),
    "update_header": frozenset({"topic"}),
    "publish_too_long": frozenset({"size"}),
    "followup_said_all": frozenset({"topic"}),
    "news_header": frozenset({"topic"}),
    "news_empty": frozenset({"topic"}),
    "news_under_answer": frozenset({"count", "topic"}),
    "stats": frozenset(
        {"active", "inactive", "all", "per_topic", "updates", "deliveries", "questions"}
        | {"unanswered"}
    ),
}
_TOPIC_KEYS: Final = frozenset(
    {"id", "kind", "order", "title", "short", "long", "related", "examples", "draft"}
)
_OPTIONAL_KEYS: Final = frozenset({"draft"})
_ID = re.compile(r"^[a-z][a-z0-9_]{0,31}$")
_NUMBER = re.compile(r"\d+")
_KO_NUMBER = re.compile(r"\d+(?![\d월])")
_RELATED_RANGE: Final[Mapping[str, tuple[int, int]]] = {"interview": (2, 4), "conversation": (0, 4)}


class ContentError(Exception):
    """The content in ``intents/`` is broken; ``problems`` holds one ``file: problem`` each."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


@dataclass(frozen=True)
class Topic:
    """One topic: its texts per language, follow-ups and training examples."""

    id: str
    kind: Kind
    order: int
    title: Mapping[Lang, str]
    short: Mapping[Lang, str]
    long: Mapping[Lang, str]
    related: tuple[str, ...]
    examples: Mapping[Lang, tuple[str, ...]]
    draft: bool = False  # made by ``import``, not reviewed yet: previewed, never served


@dataclass(frozen=True)
class Content:
    """All topics in menu order, the out-of-scope examples, follow-up cues and interface
    strings."""

    topics: tuple[Topic, ...]
    negatives: Mapping[Lang, tuple[str, ...]]
    ui: Mapping[str, Mapping[Lang, str]]
    digest: str
    followups: Followups = NO_FOLLOWUPS
    places: Places = field(default_factory=Places)  # other countries' names (subjects.yaml)
    thresholds: Mapping[Lang, Thresholds] = field(default_factory=dict)  # thresholds.yaml
    _by_id: Mapping[str, Topic] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_by_id", {topic.id: topic for topic in self.topics})

    def topic(self, topic_id: str) -> Topic | None:
        """Return the topic with ``topic_id``, or None."""
        return self._by_id.get(topic_id)

    @property
    def interview_topics(self) -> tuple[Topic, ...]:
        """The interview's topics in the interview's order (the menu)."""
        return tuple(topic for topic in self.topics if topic.kind == "interview")

    @property
    def factual_topics(self) -> tuple[Topic, ...]:
        """Topics whose answers tell facts of the interview, so a follow-up to them makes sense:
        the interview's topics and ``about`` (who spoke, where and when it appeared)."""
        return tuple(
            topic for topic in self.topics if topic.kind == "interview" or topic.id in FACTUAL_CHAT
        )

    def text(self, key: str, lang: Lang, **fields: str) -> str:
        """Return interface string ``key`` in ``lang`` with ``fields`` filled in."""
        return self.ui[key][lang].format(**fields)


def load(directory: Path, *, preview: bool = False) -> Content:
    """Load ``directory``; raise ContentError listing every problem found.

    A drafted topic (``draft: true``) is a problem, ``file: draft, needs review``, unless
    ``preview``: then it loads, its missing translations standing in from a language it has.
    """
    problems: list[str] = []
    if not directory.is_dir():
        raise ContentError([f"{directory}: not a directory"])
    import yaml  # here, not above: a bot whose content is cached (bot.contentcache) never parses it

    files = read_files(directory)
    raw: dict[str, Any] = {}
    for path, data in files:
        try:
            if yaml.__with_libyaml__:  # the C loader is several times faster
                raw[path.name] = yaml.load(data, Loader=yaml.CSafeLoader)
            else:  # pragma: no cover - PyYAML built without libyaml
                raw[path.name] = yaml.safe_load(data)
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            where = f" at line {mark.line + 1}" if mark is not None else ""
            problems.append(f"{path.name}: invalid YAML{where}: {getattr(exc, 'problem', exc)}")

    ui = _ui(raw.pop(UI_FILE, None), problems)
    followups = read_followups(raw.pop(FOLLOWUPS_FILE, None), problems)
    places = read_places(raw.pop(SUBJECTS_FILE, None), problems)
    thresholds = read_thresholds(raw.pop(THRESHOLDS_FILE, None), problems)
    folded: dict[str, str] = {}  # every example folded once, for every check below
    negatives = read_negatives(
        raw.pop(f"{NEGATIVE_ID}.yaml", None), raw.pop(NEAR_MISSES_FILE, None), problems, folded
    )
    topics: list[Topic] = []
    seen: dict[str, str] = {}
    for name, fields in raw.items():
        filled: frozenset[Lang] = frozenset()
        if _is_draft(fields) and not preview:
            problems.append(f"{name}: draft, needs review")
        elif _is_draft(fields):
            fields, filled = _filled_for_preview(fields)
        topic = _topic(name, fields, problems, folded)
        if topic is None:
            continue
        if filled:  # stand-in texts may show; stand-in examples would teach a wrong language
            examples = {lang: items for lang, items in topic.examples.items() if lang not in filled}
            topic = replace(topic, examples=examples)
        if topic.id in seen:
            problems.append(f"{name}: duplicate topic id {topic.id!r} (also in {seen[topic.id]})")
            continue
        seen[topic.id] = name
        topics.append(topic)
    if not any(topic.kind == "interview" for topic in topics):
        problems.append(f"{directory}: no interview topic found")
    _check_related(topics, {path.stem for path, _ in files}, problems)
    for _, texts in _alllists_per_language(topics, negatives):
        for text in texts:
            if text not in folded:
                folded[text] = fold(text)
    _checklists_per_language(topics, negatives, folded, problems)
    check_places(
        places,
        (
            (topic.id, text, folded[text])
            for topic in topics
            for items in topic.examples.values()
            for text in items
        ),
        problems,
    )
    if problems:
        raise ContentError(problems)
    topics.sort(key=lambda topic: (topic.order, topic.id))
    return Content(tuple(topics), negatives, ui, digest_of(files), followups, places, thresholds)


def read_files(directory: Path) -> list[tuple[Path, bytes]]:
    """The content's YAML files in ``directory`` with their bytes, by name."""
    return [(path, path.read_bytes()) for path in sorted(directory.glob("*.yaml"))]


def digest_of(files: list[tuple[Path, bytes]]) -> str:
    """What names this content: a hash of its files' names and bytes."""
    digest = hashlib.sha256()
    for path, data in files:
        digest.update(path.name.encode() + b"\0" + data + b"\0")
    return digest.hexdigest()[:16]


def _topic(name: str, data: Any, problems: list[str], folded: dict[str, str]) -> Topic | None:
    before = len(problems)
    if not isinstance(data, dict):
        problems.append(f"{name}: expected a mapping of topic fields")
        return None
    for key in sorted(set(data) - _TOPIC_KEYS):
        problems.append(f"{name}: unknown field {key!r}")
    for key in sorted(_TOPIC_KEYS - _OPTIONAL_KEYS - set(data)):
        problems.append(f"{name}: missing field {key!r}")
    draft = data.get("draft", False)
    if not isinstance(draft, bool):
        problems.append(f"{name}: draft must be true or false")
    topic_id = data.get("id")
    if not isinstance(topic_id, str) or not _ID.match(topic_id):
        problems.append(f"{name}: id must be lowercase letters, digits and _, got {topic_id!r}")
    elif name != f"{topic_id}.yaml":
        problems.append(f"{name}: id {topic_id!r} does not match the file name")
    kind = data.get("kind")
    if kind not in _RELATED_RANGE:
        problems.append(f"{name}: kind must be 'interview' or 'conversation', got {kind!r}")
    order = data.get("order")
    if not isinstance(order, int) or isinstance(order, bool):
        problems.append(f"{name}: order must be a whole number")
    title = _texts(name, "title", data.get("title"), problems)
    short = _texts(name, "short", data.get("short"), problems)
    long = _texts(name, "long", data.get("long"), problems)
    for lang, text in title.items():
        if markup.count_emoji(text) != 1:
            problems.append(f"{name}: title.{lang} must contain exactly one emoji")
    for lang, text in short.items():
        if len(text) > SHORT_LIMIT:
            problems.append(f"{name}: short.{lang} is {len(text)} characters, over {SHORT_LIMIT}")
    for field_name, texts in (("short", short), ("long", long)):
        for lang, text in texts.items():
            size = len(title.get(lang, "")) + 2 + len(text)
            if size > TELEGRAM_MESSAGE_LIMIT:
                problems.append(
                    f"{name}: {field_name}.{lang} makes a {size}-character message, "
                    f"over Telegram's {TELEGRAM_MESSAGE_LIMIT}"
                )
        _check_numbers(name, field_name, texts, problems)
    related = data.get("related")
    if not isinstance(related, list) or not all(isinstance(item, str) for item in related):
        problems.append(f"{name}: related must be a list of topic ids")
        related = []
    elif kind in _RELATED_RANGE:
        low, high = _RELATED_RANGE[str(kind)]
        if not low <= len(related) <= high:
            problems.append(f"{name}: related must list {low}-{high} topics, got {len(related)}")
    examples = lists_per_language(name, data.get("examples"), problems, folded=folded)
    if len(problems) > before:
        return None
    return Topic(
        id=str(topic_id),
        kind=cast(Kind, kind),
        order=cast(int, order),
        title=title,
        short=short,
        long=long,
        related=tuple(related),
        examples=examples,
        draft=bool(draft),
    )


def _texts(name: str, field_name: str, value: Any, problems: list[str]) -> dict[Lang, str]:
    if not isinstance(value, dict):
        problems.append(f"{name}: {field_name} must map each language ({', '.join(LANGS)}) to text")
        return {}
    texts: dict[Lang, str] = {}
    for key in sorted(set(value) - set(LANGS), key=str):
        problems.append(f"{name}: {field_name} has unknown language {key!r}")
    for lang in LANGS:
        text = value.get(lang)
        if not isinstance(text, str) or not text.strip():
            problems.append(f"{name}: {field_name}.{lang} is missing (no translation)")
            continue
        text = text.strip()
        for problem in markup.html_problems(text):
            problems.append(f"{name}: {field_name}.{lang}: {problem}")
        texts[lang] = text
    return texts


def figures(text: str, lang: Lang) -> set[str]:
    """The figures a text gives. Korean writes a month as a number followed by 월 ("2025년
    7월"); like "July" it is a month name, not a figure."""
    return set((_KO_NUMBER if lang == "ko" else _NUMBER).findall(text))


def _check_numbers(
    name: str, field_name: str, texts: Mapping[Lang, str], problems: list[str]
) -> None:
    """A translation that drops or changes a figure is an error, not a style issue."""
    if "en" not in texts:
        return
    expected = figures(texts["en"], "en")
    for lang, text in texts.items():
        found = figures(text, lang)
        if lang != "en" and found != expected:
            missing = ", ".join(sorted(expected - found)) or "none"
            extra = ", ".join(sorted(found - expected)) or "none"
            problems.append(
                f"{name}: {field_name}.{lang} has different numbers from {field_name}.en "
                f"(missing: {missing}; extra: {extra})"
            )


def _ui(data: Any, problems: list[str]) -> dict[str, dict[Lang, str]]:
    if not isinstance(data, dict):
        problems.append(f"{UI_FILE}: missing or not a mapping of interface strings")
        return {}
    ui: dict[str, dict[Lang, str]] = {}
    for key, value in data.items():
        texts = _texts(UI_FILE, str(key), value, problems)
        fields = {lang: _format_fields(text) for lang, text in texts.items()}
        if (
            key not in UI_STRINGS
            and len({frozenset(n) for n in fields.values() if n is not None}) > 1
        ):
            problems.append(f"{UI_FILE}: {key} uses different {{fields}} across languages")
        if any(names is None for names in fields.values()):
            problems.append(f"{UI_FILE}: {key} has a broken {{field}}")
        ui[str(key)] = texts
    for key, expected in UI_STRINGS.items():
        if key not in ui:
            problems.append(f"{UI_FILE}: missing interface string {key!r}")
            continue
        for lang, text in ui[key].items():
            if _format_fields(text) not in (None, set(expected)):
                wanted = ", ".join(f"{{{name}}}" for name in sorted(expected)) or "no fields"
                problems.append(f"{UI_FILE}: {key}.{lang} must use {wanted}")
    return ui


def _format_fields(text: str) -> set[str] | None:
    try:
        return {item[1] for item in string.Formatter().parse(text) if item[1] is not None}
    except ValueError:
        return None


def _check_related(topics: list[Topic], declared: set[str], problems: list[str]) -> None:
    """Follow-ups must lead to interview topics; a broken file is blamed once, by itself."""
    interview = {topic.id for topic in topics if topic.kind == "interview"}
    conversation = {topic.id for topic in topics if topic.kind == "conversation"}
    for topic in topics:
        name = f"{topic.id}.yaml"
        if len(set(topic.related)) != len(topic.related):
            problems.append(f"{name}: related lists a topic twice")
        for other in topic.related:
            if other == topic.id:
                problems.append(f"{name}: related refers to the topic itself")
            elif other in conversation:
                problems.append(f"{name}: related refers to {other!r}, not an interview topic")
            elif other not in interview and other not in declared:
                problems.append(f"{name}: related refers to unknown topic {other!r}")


def _checklists_per_language(
    topics: list[Topic],
    negatives: Mapping[Lang, tuple[str, ...]],
    folded: Mapping[str, str],
    problems: list[str],
) -> None:
    """The same message under two topics teaches the classifier a contradiction."""
    owner: dict[str, str] = {}
    for name, examples in _alllists_per_language(topics, negatives):
        for text in examples:
            first = owner.setdefault(folded[text], name)
            if first != name:
                problems.append(f"{name}: example {text!r} also appears in {first}")


def _alllists_per_language(
    topics: list[Topic], negatives: Mapping[Lang, tuple[str, ...]]
) -> Iterator[tuple[str, list[str]]]:
    for topic in topics:
        yield f"{topic.id}.yaml", [text for items in topic.examples.values() for text in items]
    yield f"{NEGATIVE_ID}.yaml", [text for items in negatives.values() for text in items]


# ----------------------------------------------------------------------------- previews


def _is_draft(data: Any) -> bool:
    return isinstance(data, dict) and data.get("draft") is True


def _filled_for_preview(data: dict[str, Any]) -> tuple[dict[str, Any], frozenset[Lang]]:
    """A draft with each language it lacks filled from the first language it has, so that an
    editor can chat with it before translating; return it and the languages whose examples
    were filled."""
    filled: set[Lang] = set()
    data = dict(data)
    for field_name in ("title", "short", "long", "examples"):
        value = data.get(field_name)
        if not isinstance(value, dict):
            continue
        present = [lang for lang in LANGS if value.get(lang)]
        if not present:
            continue
        value = dict(value)
        for lang in LANGS:
            if not value.get(lang):
                value[lang] = value[present[0]]
                if field_name == "examples":
                    filled.add(lang)
        data[field_name] = value
    return data, frozenset(filled)
