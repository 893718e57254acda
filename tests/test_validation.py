"""Content validation: every kind of broken ``intents/`` is reported as ``file: problem``.

Each test copies the real content to a temporary folder, breaks one thing and checks the
exact message an editor would see, so a check that silently stops working fails here.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from bot import markup
from bot.content import SHORT_LIMIT, TELEGRAM_MESSAGE_LIMIT, Content, ContentError, load
from bot.values import LANGS

ROOT = Path(__file__).resolve().parent.parent
INTENTS = ROOT / "intents"
LINE = re.compile(r"^[a-z][a-z0-9_]*\.yaml: \S.*$")

Change = Callable[[Any], Any]
# The same safe loading and dumping as yaml.safe_load/safe_dump, in C when available (faster).
_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_Dumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)


@pytest.fixture
def intents(tmp_path: Path) -> Path:
    """A private copy of the real content that a test may break."""
    target = tmp_path / "intents"
    shutil.copytree(INTENTS, target)
    return target


def edit(directory: Path, name: str, change: Change) -> None:
    """Load ``name``, let ``change`` mutate it (or return a replacement), save it back."""
    path = directory / name
    data = yaml.load(path.read_text(encoding="utf-8"), Loader=_Loader)  # noqa: S506 - safe
    replaced = change(data)
    if replaced is not None:
        data = replaced
    text = yaml.dump(data, Dumper=_Dumper, allow_unicode=True, sort_keys=False)
    path.write_text(text, encoding="utf-8")


def write(directory: Path, name: str, text: str) -> None:
    """Replace ``name`` in ``directory`` with raw ``text``."""
    (directory / name).write_text(text, encoding="utf-8")


def problems_of(directory: Path) -> list[str]:
    """Load ``directory``, which must fail, and return the problems reported."""
    with pytest.raises(ContentError) as info:
        load(directory)
    problems = info.value.problems
    assert problems, "ContentError raised without any problem"
    assert str(info.value) == "\n".join(problems)
    return problems


def assert_reports(directory: Path, *expected: str) -> list[str]:
    """Load ``directory`` and check that every ``expected`` problem is among those reported."""
    problems = problems_of(directory)
    for message in expected:
        assert message in problems, f"{message!r} not reported; got:\n" + "\n".join(problems)
    return problems


def setter(*path: str | int, value: Any) -> Change:
    """A change that sets ``data[path[0]][path[1]]... = value``."""

    def change(data: Any) -> None:
        for key in path[:-1]:
            data = data[key]
        data[path[-1]] = value

    return change


def deleter(*path: str) -> Change:
    """A change that deletes ``data[path[0]][path[1]]...``."""

    def change(data: Any) -> None:
        for key in path[:-1]:
            data = data[key]
        del data[path[-1]]

    return change


# --------------------------------------------------------------------------- positive control


def test_real_content_loads_without_problems() -> None:
    content = load(INTENTS)
    assert isinstance(content, Content)
    not_topics = 6  # ui, out_of_scope, near_misses, followups, subjects, thresholds
    assert len(content.topics) == len(list(INTENTS.glob("*.yaml"))) - not_topics
    assert content.interview_topics
    assert content.topic("direct_flights") is not None
    assert set(content.negatives) == {"en", "az", "ru", "ko"}
    assert "welcome" in content.ui


def test_edit_helper_round_trips_the_real_content(intents: Path) -> None:
    """Re-dumping every file unchanged keeps it valid, so problems below come from the edit."""
    for path in sorted(intents.glob("*.yaml")):
        edit(intents, path.name, lambda data: None)
    copy, real = load(intents), load(INTENTS)
    assert (copy.topics, copy.negatives, copy.ui) == (real.topics, real.negatives, real.ui)


# --------------------------------------------------------------------------- YAML and structure


def test_invalid_yaml_syntax_names_the_line(intents: Path) -> None:
    lines = (intents / "direct_flights.yaml").read_text(encoding="utf-8").splitlines()
    assert lines[2] == "order: 7"
    lines[2] = "order: 7: 8"
    write(intents, "direct_flights.yaml", "\n".join(lines) + "\n")
    problems = problems_of(intents)
    # libyaml says "not allowed in this context", pure-Python PyYAML "not allowed here".
    prefix = "direct_flights.yaml: invalid YAML at line 3: mapping values are not allowed "
    assert [p for p in problems if p.startswith("direct_flights.yaml:")] == [
        p for p in problems if p.startswith(prefix)
    ], problems
    assert len([p for p in problems if p.startswith(prefix)]) == 1, problems


@pytest.mark.parametrize("text", ["- a list\n- of items\n", ""], ids=["list", "empty"])
def test_topic_that_is_not_a_mapping(intents: Path, text: str) -> None:
    write(intents, "thanks.yaml", text)
    assert problems_of(intents) == ["thanks.yaml: expected a mapping of topic fields"]


@pytest.mark.parametrize("field", ["kind", "title", "examples"])
def test_missing_field(intents: Path, field: str) -> None:
    edit(intents, "help.yaml", deleter(field))
    assert_reports(intents, f"help.yaml: missing field {field!r}")


def test_missing_id_field(intents: Path) -> None:
    edit(intents, "help.yaml", deleter("id"))
    assert_reports(
        intents,
        "help.yaml: missing field 'id'",
        "help.yaml: id must be lowercase letters, digits and _, got None",
    )


def test_unknown_field(intents: Path) -> None:
    edit(intents, "help.yaml", setter("summary", value="a field the schema does not have"))
    assert problems_of(intents) == ["help.yaml: unknown field 'summary'"]


def test_order_must_be_a_whole_number(intents: Path) -> None:
    edit(intents, "help.yaml", setter("order", value="first"))
    assert problems_of(intents) == ["help.yaml: order must be a whole number"]


# --------------------------------------------------------------------------- ids and kinds


def test_id_not_matching_file_name(intents: Path) -> None:
    edit(intents, "help.yaml", setter("id", value="helpme"))
    assert problems_of(intents) == ["help.yaml: id 'helpme' does not match the file name"]


@pytest.mark.parametrize("bad_id", ["Help", "help-me", "1help", "a" * 33, 42])
def test_id_with_bad_characters(intents: Path, bad_id: object) -> None:
    edit(intents, "help.yaml", setter("id", value=bad_id))
    assert problems_of(intents) == [
        f"help.yaml: id must be lowercase letters, digits and _, got {bad_id!r}"
    ]


def test_two_files_claiming_the_same_id(intents: Path) -> None:
    shutil.copy(intents / "thanks.yaml", intents / "thanks_again.yaml")
    # The copy is refused and named; the original is left alone.
    assert problems_of(intents) == ["thanks_again.yaml: id 'thanks' does not match the file name"]


@pytest.mark.parametrize("kind", ["faq", None])
def test_unknown_kind(intents: Path, kind: object) -> None:
    edit(intents, "greeting.yaml", setter("kind", value=kind))
    assert problems_of(intents) == [
        f"greeting.yaml: kind must be 'interview' or 'conversation', got {kind!r}"
    ]


# --------------------------------------------------------------------------- related


@pytest.mark.parametrize(
    ("file", "related", "expected"),
    [
        pytest.param(
            "direct_flights.yaml",
            ["tourism", "economy", "nope"],
            "direct_flights.yaml: related refers to unknown topic 'nope'",
            id="unknown",
        ),
        pytest.param(
            "direct_flights.yaml",
            ["tourism", "direct_flights"],
            "direct_flights.yaml: related refers to the topic itself",
            id="self",
        ),
        pytest.param(
            "direct_flights.yaml",
            ["tourism"],
            "direct_flights.yaml: related must list 2-4 topics, got 1",
            id="too-few-interview",
        ),
        pytest.param(
            "direct_flights.yaml",
            ["tourism", "economy", "culture", "education", "visits"],
            "direct_flights.yaml: related must list 2-4 topics, got 5",
            id="too-many-interview",
        ),
        pytest.param(
            "help.yaml",
            ["tourism", "economy", "culture", "education", "visits"],
            "help.yaml: related must list 0-4 topics, got 5",
            id="too-many-conversation",
        ),
        pytest.param(
            "direct_flights.yaml",
            ["tourism", "economy", "tourism"],
            "direct_flights.yaml: related lists a topic twice",
            id="twice",
        ),
        pytest.param(
            "direct_flights.yaml",
            "tourism",
            "direct_flights.yaml: related must be a list of topic ids",
            id="not-a-list",
        ),
        pytest.param(
            "direct_flights.yaml",
            ["tourism", 7],
            "direct_flights.yaml: related must be a list of topic ids",
            id="not-ids",
        ),
    ],
)
def test_related(intents: Path, file: str, related: object, expected: str) -> None:
    edit(intents, file, setter("related", value=related))
    assert_reports(intents, expected)


def test_conversation_topic_may_have_no_related(intents: Path) -> None:
    edit(intents, "thanks.yaml", setter("related", value=[]))
    assert load(intents).topic("thanks").related == ()  # type: ignore[union-attr]


# --------------------------------------------------------------------------- translations


@pytest.mark.parametrize(
    ("field", "how"), [("title", "deleted"), ("short", "deleted"), ("long", "blank")]
)
def test_missing_translation(intents: Path, field: str, how: str) -> None:
    change = deleter(field, "az") if how == "deleted" else setter(field, "az", value="   ")
    edit(intents, "direct_flights.yaml", change)
    assert_reports(intents, f"direct_flights.yaml: {field}.az is missing (no translation)")


def test_text_field_that_is_not_a_mapping(intents: Path) -> None:
    edit(intents, "help.yaml", setter("short", value="only one language"))
    assert_reports(intents, "help.yaml: short must map each language (en, az, ru, ko) to text")


def test_unknown_language(intents: Path) -> None:
    edit(intents, "help.yaml", setter("title", "de", value="❓ Hilfe"))
    assert problems_of(intents) == ["help.yaml: title has unknown language 'de'"]


@pytest.mark.parametrize("items", [None, []], ids=["deleted", "empty"])
def test_missing_examples_for_a_language(intents: Path, items: object) -> None:
    change = deleter("examples", "ru") if items is None else setter("examples", "ru", value=items)
    edit(intents, "help.yaml", change)
    assert problems_of(intents) == ["help.yaml: examples.ru is missing (no training examples)"]


@pytest.mark.parametrize("item", [42, "🙂 !!"])
def test_example_that_is_empty_or_not_text(intents: Path, item: object) -> None:
    edit(intents, "help.yaml", lambda data: data["examples"]["en"].append(item))
    assert problems_of(intents) == [
        f"help.yaml: examples.en has an empty or non-text item: {item!r}"
    ]


# --------------------------------------------------------------------------- titles and sizes


@pytest.mark.parametrize(
    "title",
    ["Direct flights", "✈️🌏 Direct flights"],
    ids=["zero", "two"],
)
def test_title_must_have_exactly_one_emoji(intents: Path, title: str) -> None:
    edit(intents, "help.yaml", setter("title", "en", value=title))
    assert problems_of(intents) == ["help.yaml: title.en must contain exactly one emoji"]


def test_short_answer_at_the_limit_is_fine(intents: Path) -> None:
    edit(intents, "help.yaml", setter("short", "en", value="x" * SHORT_LIMIT))
    load(intents)


def test_short_answer_over_the_limit(intents: Path) -> None:
    edit(intents, "help.yaml", setter("short", "en", value="x" * (SHORT_LIMIT + 1)))
    assert problems_of(intents) == [
        f"help.yaml: short.en is {SHORT_LIMIT + 1} characters, over {SHORT_LIMIT}"
    ]


def _long_text(intents: Path, size: int) -> str:
    """A long.en text that makes a ``size``-character message with help's English title."""
    title = yaml.safe_load((intents / "help.yaml").read_text(encoding="utf-8"))["title"]["en"]
    return "y" * (size - len(title) - 2)


def test_message_at_telegram_limit_is_fine(intents: Path) -> None:
    edit(
        intents,
        "help.yaml",
        setter("long", "en", value=_long_text(intents, TELEGRAM_MESSAGE_LIMIT)),
    )
    load(intents)


def test_message_over_telegram_limit(intents: Path) -> None:
    size = TELEGRAM_MESSAGE_LIMIT + 13
    edit(intents, "help.yaml", setter("long", "en", value=_long_text(intents, size)))
    assert problems_of(intents) == [
        f"help.yaml: long.en makes a {size}-character message, over Telegram's 4096"
    ]


# --------------------------------------------------------------------------- Telegram HTML


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        pytest.param(
            "A <div>block</div>.", "HTML tag <div> is not supported by Telegram", id="div"
        ),
        pytest.param("A <b>bold start.", "HTML tag <b> is never closed", id="unclosed"),
        pytest.param(
            "A <b>bold</i> end.", "HTML closing tag </i> does not match an open tag", id="mismatch"
        ),
        pytest.param("Q&A session.", "a bare '&' or unknown entity (write &amp;)", id="ampersand"),
        pytest.param("a < b", "a bare '<' or '>' (write &lt; or &gt;)", id="less-than"),
    ],
)
def test_html_that_telegram_rejects(intents: Path, text: str, problem: str) -> None:
    edit(intents, "direct_flights.yaml", setter("long", "en", value=text))
    assert_reports(intents, f"direct_flights.yaml: long.en: {problem}")


# --------------------------------------------------------------------------- numbers


@pytest.mark.parametrize(
    ("replacement", "detail"),
    [("2024", "missing: 2023; extra: 2024"), ("", "missing: 2023; extra: none")],
    ids=["changed", "dropped"],
)
def test_translation_with_different_numbers(intents: Path, replacement: str, detail: str) -> None:
    def change(data: Any) -> None:
        assert "2023" in data["long"]["ru"]
        data["long"]["ru"] = data["long"]["ru"].replace("2023", replacement)

    edit(intents, "joint_commission.yaml", change)
    assert_reports(
        intents, f"joint_commission.yaml: long.ru has different numbers from long.en ({detail})"
    )


def test_translation_with_an_extra_number(intents: Path) -> None:
    edit(intents, "help.yaml", lambda data: data["short"].update(az=data["short"]["az"] + " 24/7"))
    assert problems_of(intents) == [
        "help.yaml: short.az has different numbers from short.en (missing: none; extra: 24, 7)"
    ]


# --------------------------------------------------------------------------- examples


@pytest.mark.parametrize(
    ("file", "lang", "text", "expected"),
    [
        pytest.param(
            "tourism.yaml",
            "en",
            "direct flights",
            "tourism.yaml: example 'direct flights' also appears in direct_flights.yaml",
            id="same-text",
        ),
        pytest.param(
            "tourism.yaml",
            "az",
            "BİRBAŞA REYSLƏR",
            "tourism.yaml: example 'BİRBAŞA REYSLƏR' also appears in direct_flights.yaml",
            id="case-and-diacritics",
        ),
        pytest.param(
            "tourism.yaml",
            "ru",
            "Direct Flights!!",
            "tourism.yaml: example 'Direct Flights!!' also appears in direct_flights.yaml",
            id="other-language-and-punctuation",
        ),
        pytest.param(
            "out_of_scope.yaml",
            "en",
            "direct flights",
            "out_of_scope.yaml: example 'direct flights' also appears in direct_flights.yaml",
            id="topic-and-out-of-scope",
        ),
        pytest.param(
            "thanks.yaml",
            "en",
            "tell me a joke",
            "out_of_scope.yaml: example 'tell me a joke' also appears in thanks.yaml",
            id="out-of-scope-copied-into-topic",
        ),
    ],
)
def test_example_under_two_owners(
    intents: Path, file: str, lang: str, text: str, expected: str
) -> None:
    edit(intents, file, lambda data: data["examples"][lang].append(text))
    assert problems_of(intents) == [expected]


# --------------------------------------------------------------------------- out_of_scope, ui


def test_out_of_scope_file_missing(intents: Path) -> None:
    (intents / "out_of_scope.yaml").unlink()
    assert problems_of(intents) == [
        "out_of_scope.yaml: missing (out-of-scope examples are required)"
    ]


def test_out_of_scope_file_malformed(intents: Path) -> None:
    edit(intents, "out_of_scope.yaml", setter("kind", value="interview"))
    assert problems_of(intents) == [
        "out_of_scope.yaml: expected id: out_of_scope, kind: negative and examples"
    ]


def test_out_of_scope_missing_a_language(intents: Path) -> None:
    edit(intents, "out_of_scope.yaml", deleter("examples", "az"))
    assert problems_of(intents) == [
        "out_of_scope.yaml: examples.az is missing (no training examples)"
    ]


def test_near_misses_are_off_topic_examples_in_the_languages_they_give(intents: Path) -> None:
    def only_english(data: dict[str, Any]) -> None:
        data["examples"] = {"en": ["can you help me rent a flat in seoul"]}

    edit(intents, "near_misses.yaml", only_english)
    negatives = load(intents).negatives
    assert negatives["en"][-1] == "can you help me rent a flat in seoul"
    assert set(negatives) == set(LANGS)  # out_of_scope.yaml's, every language
    (intents / "near_misses.yaml").unlink()
    assert "can you help me rent a flat in seoul" not in load(intents).negatives["en"]


def test_near_misses_file_malformed(intents: Path) -> None:
    edit(intents, "near_misses.yaml", setter("kind", value="interview"))
    assert problems_of(intents) == [
        "near_misses.yaml: expected id: near_misses, kind: negative and examples"
    ]


@pytest.mark.parametrize("how", ["deleted", "a list"])
def test_ui_file_missing(intents: Path, how: str) -> None:
    if how == "deleted":
        (intents / "ui.yaml").unlink()
    else:
        write(intents, "ui.yaml", "- welcome\n- menu_header\n")
    assert problems_of(intents) == ["ui.yaml: missing or not a mapping of interface strings"]


def test_ui_string_missing_a_language(intents: Path) -> None:
    edit(intents, "ui.yaml", deleter("welcome", "az"))
    assert problems_of(intents) == ["ui.yaml: welcome.az is missing (no translation)"]


def test_ui_fields_differ_across_languages(intents: Path) -> None:
    def change(data: Any) -> None:
        assert "{topics}" in data["out_of_scope"]["en"]
        data["out_of_scope"]["az"] = data["out_of_scope"]["az"].replace("{topics}", "...")

    edit(intents, "ui.yaml", change)
    assert problems_of(intents) == ["ui.yaml: out_of_scope.az must use {topics}"]


def test_ui_extra_string_fields_differ_across_languages(intents: Path) -> None:
    def change(data: Any) -> None:
        data["extra"] = {
            "en": "Hi {name}",
            "az": "Salam",
            "ru": "Привет {name}",
            "ko": "안녕 {name}",
        }

    edit(intents, "ui.yaml", change)
    assert problems_of(intents) == ["ui.yaml: extra uses different {fields} across languages"]


def test_ui_string_the_code_needs_is_missing(intents: Path) -> None:
    def change(data: Any) -> None:
        del data["welcome"]

    edit(intents, "ui.yaml", change)
    assert problems_of(intents) == ["ui.yaml: missing interface string 'welcome'"]


def test_ui_string_with_the_wrong_field_everywhere(intents: Path) -> None:
    def change(data: Any) -> None:
        for lang in LANGS:
            data["out_of_scope"][lang] = data["out_of_scope"][lang].replace("{topics}", "{topic}")

    edit(intents, "ui.yaml", change)
    assert problems_of(intents) == [
        f"ui.yaml: out_of_scope.{lang} must use {{topics}}" for lang in LANGS
    ]


def test_related_to_a_conversation_topic_is_refused(intents: Path) -> None:
    def change(data: Any) -> None:
        data["related"] = ["help", "relations"]

    edit(intents, "culture.yaml", change)
    assert problems_of(intents) == [
        "culture.yaml: related refers to 'help', not an interview topic"
    ]


def test_one_broken_file_does_not_blame_the_files_that_link_to_it(intents: Path) -> None:
    write(intents, "direct_flights.yaml", "id: direct_flights\ntitle: [unclosed\n")
    problems = problems_of(intents)
    assert all(problem.startswith("direct_flights.yaml: ") for problem in problems)
    assert problems


def test_ui_broken_field(intents: Path) -> None:
    edit(intents, "ui.yaml", lambda data: data["out_of_scope"].update(ru="Темы: {topics"))
    assert problems_of(intents) == ["ui.yaml: out_of_scope has a broken {field}"]


def test_ui_html_is_checked(intents: Path) -> None:
    edit(intents, "ui.yaml", setter("menu_header", "en", value="📚 <b>Topics"))
    assert problems_of(intents) == ["ui.yaml: menu_header.en: HTML tag <b> is never closed"]


# --------------------------------------------------------------------------- many at once


def test_every_problem_is_reported_not_just_the_first(intents: Path) -> None:
    edit(intents, "direct_flights.yaml", setter("related", value=["tourism", "economy", "nope"]))
    edit(intents, "help.yaml", setter("title", "en", value="How to use this bot"))
    edit(intents, "help.yaml", setter("summary", value="extra"))
    edit(intents, "thanks.yaml", setter("short", "ru", value="Q&A"))
    edit(intents, "ui.yaml", deleter("welcome", "ru"))
    (intents / "out_of_scope.yaml").unlink()
    write(intents, "broken.yaml", "id: [broken\n")
    problems = assert_reports(
        intents,
        "direct_flights.yaml: related refers to unknown topic 'nope'",
        "help.yaml: title.en must contain exactly one emoji",
        "help.yaml: unknown field 'summary'",
        "thanks.yaml: short.ru: a bare '&' or unknown entity (write &amp;)",
        "ui.yaml: welcome.ru is missing (no translation)",
        "out_of_scope.yaml: missing (out-of-scope examples are required)",
    )
    assert any(p.startswith("broken.yaml: invalid YAML at line ") for p in problems)
    assert len(problems) == 7, problems
    assert all(LINE.match(problem) for problem in problems), problems


def test_not_a_directory(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere"
    assert problems_of(missing) == [f"{missing}: not a directory"]


# --------------------------------------------------------------------------- markup units


@pytest.mark.parametrize(
    "text",
    [
        "",
        "plain text",
        "<b>bold</b> and <i>italic</i>, <u>u</u> <s>s</s> <code>x</code> <pre>y</pre>",
        "<b><i>nested</i></b>",
        "<B>upper case</B>",
        '<a href="https://example.com/?a=1&amp;b=2">a link</a>',
        "&lt;tag&gt; &amp; &quot;quoted&quot; &#39; &#x1F600;",
        "<blockquote>quoted</blockquote>",
    ],
)
def test_html_problems_accepts_telegram_html(text: str) -> None:
    assert markup.html_problems(text) == []


@pytest.mark.parametrize(
    ("text", "problems"),
    [
        ("<div>x</div>", ["HTML tag <div> is not supported by Telegram"] * 2),
        ("line<br>break", ["HTML tag <br> is not supported by Telegram"]),
        ("<b>never closed", ["HTML tag <b> is never closed"]),
        ("<b><i>two</i>", ["HTML tag <b> is never closed"]),
        ("<b>x</i>", ["HTML closing tag </i> does not match an open tag"]),
        ("stray</b>", ["HTML closing tag </b> does not match an open tag"]),
        (
            "<b><i>crossed</b></i>",
            [
                "HTML closing tag </b> does not match an open tag",
                "HTML closing tag </i> does not match an open tag",
            ],
        ),
        ("Q&A", ["a bare '&' or unknown entity (write &amp;)"]),
        ("a&nbsp;b", ["a bare '&' or unknown entity (write &amp;)"]),
        ("a < b", ["a bare '<' or '>' (write &lt; or &gt;)"]),
        ("a > b", ["a bare '<' or '>' (write &lt; or &gt;)"]),
        (
            "<b>1 < 2 & more</b>",
            [
                "a bare '<' or '>' (write &lt; or &gt;)",
                "a bare '&' or unknown entity (write &amp;)",
            ],
        ),
    ],
)
def test_html_problems_rejects_broken_html(text: str, problems: list[str]) -> None:
    assert markup.html_problems(text) == problems


@pytest.mark.parametrize(
    ("text", "count"),
    [
        ("✈️ Flights", 1),
        ("👨‍👩‍👧 family", 1),
        ("🇦🇿🇰🇷", 2),
        ("no emoji", 0),
        ("👍🏽 skin tone", 1),
        ("📚 and 🙏", 2),
        ("1️⃣ First", 1),
        ("Brand™ © ✈️", 1),
    ],
)
def test_count_emoji(text: str, count: int) -> None:
    assert markup.count_emoji(text) == count


# --------------------------------------------------------------------------- the real command


def _validate(content_dir: Path, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, BOT_CONTENT_DIR=str(content_dir), BOT_STATE_DIR=str(tmp_path / "state"))
    return subprocess.run(
        [sys.executable, "-m", "bot", "validate"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_validate_command_fails_on_broken_content(intents: Path, tmp_path: Path) -> None:
    edit(intents, "direct_flights.yaml", setter("related", value=["tourism", "economy", "nope"]))
    edit(intents, "help.yaml", deleter("short", "az"))
    result = _validate(intents, tmp_path)
    assert result.returncode == 1, result.stderr
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert sorted(lines) == [
        "direct_flights.yaml: related refers to unknown topic 'nope'",
        "help.yaml: short.az is missing (no translation)",
    ], result.stderr
    assert all(LINE.match(line) for line in lines), result.stderr


def test_validate_command_passes_on_good_content(tmp_path: Path) -> None:
    result = _validate(INTENTS, tmp_path)
    assert result.returncode == 0, result.stderr
    content = load(INTENTS)
    examples = sum(len(items) for topic in content.topics for items in topic.examples.values())
    assert (
        result.stdout
        == f"{INTENTS}: ok, {len(content.topics)} topics, {examples} training examples\n"
    )
    assert result.stderr == ""


def test_follow_up_cues_are_required(intents: Path) -> None:
    (intents / "followups.yaml").unlink()
    assert problems_of(intents) == [
        "followups.yaml: expected refers, cues, fillers (each per language) and max_words"
    ]


def test_follow_up_cues_in_every_language(intents: Path) -> None:
    def drop_az(data: Any) -> None:
        del data["cues"]["az"]

    edit(intents, "followups.yaml", drop_az)
    assert problems_of(intents) == ["followups.yaml: cues.az is missing (no follow-up cues)"]


@pytest.mark.parametrize("value", [0, 99, "seven"])
def test_follow_up_length_is_a_sensible_number(intents: Path, value: object) -> None:
    edit(intents, "followups.yaml", lambda data: data.update(max_words=value))
    assert problems_of(intents) == ["followups.yaml: max_words must be a whole number from 1 to 20"]


def test_other_subjects_are_required_in_every_language(intents: Path) -> None:
    def drop_ru(data: Any) -> None:
        del data["others"]["ru"]

    edit(intents, "subjects.yaml", drop_ru)
    assert problems_of(intents) == ["subjects.yaml: others.ru is missing (no other subjects)"]


def test_an_example_the_subject_check_would_decline_is_a_problem(intents: Path) -> None:
    def route_via_nowhere(data: Any) -> None:
        data["examples"]["en"].append("flights from tashkent to seoul?")

    edit(intents, "direct_flights.yaml", route_via_nowhere)
    assert problems_of(intents) == [
        "subjects.yaml: 'taskent' declines direct_flights's example 'flights from tashkent to "
        "seoul?' (list the word under unlike, or its companion under passing)"
    ]


def test_places_alike_and_passed_through_are_not_the_subject(intents: Path) -> None:
    def unlisted(data: Any) -> None:
        del data["unlike"], data["passing"]

    edit(intents, "subjects.yaml", unlisted)
    problems = problems_of(intents)  # the real content's own examples say why they exist
    assert any("'russian' declines help's example" in problem for problem in problems)
    assert any("'istanbul' declines direct_flights's example" in problem for problem in problems)
