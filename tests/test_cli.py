"""The command line, run the way a user runs it: ``python -m bot ...`` in a subprocess."""

from __future__ import annotations

import html
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
INTENTS = ROOT / "intents"
DATA = ROOT / "data"

INTERVIEW_IDS = [
    "relations",
    "visits",
    "joint_commission",
    "economy",
    "liberated_territories",
    "middle_corridor",
    "direct_flights",
    "tourism",
    "education",
    "culture",
]
CONVERSATION_IDS = ["about", "greeting", "thanks", "help"]
ALL_IDS = INTERVIEW_IDS + CONVERSATION_IDS

# Any HTML-looking tag, as Telegram's parse mode would see it.
HTML_TAG = re.compile(r"</?[a-zA-Z][a-zA-Z0-9-]*(?:\s[^<>]*)?>")
CYRILLIC = re.compile(r"[\u0400-\u04FF]")
OUT_OF_SCOPE_WEATHER = "what's the weather in London tomorrow"


# --------------------------------------------------------------------------- helpers


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """The process environment with a module-wide temporary state folder (model cache)."""
    state = tmp_path_factory.mktemp("cli") / "state"
    environ = dict(os.environ, BOT_STATE_DIR=str(state))
    for name in ("BOT_CONTENT_DIR", "LOG_LEVEL", "BOT_PORT", "BOT_ADMIN_IDS"):
        environ.pop(name, None)
    return environ


def run(
    env: dict[str, str], *args: str, input: str | None = None, cmd: list[str] | None = None
) -> subprocess.CompletedProcess[str]:
    """Run ``python -m bot ARGS`` (or ``cmd ARGS``) from the project root and capture its output."""
    base = cmd if cmd is not None else [sys.executable, "-m", "bot"]
    return subprocess.run(
        [*base, *args],
        input=input,
        capture_output=True,
        text=True,
        encoding="utf-8",
        env=env,
        cwd=ROOT,
        timeout=60,
        check=False,
    )


def ok(result: subprocess.CompletedProcess[str]) -> str:
    """Assert a clean exit and return stdout."""
    assert result.returncode == 0, f"exit {result.returncode}\nstderr:\n{result.stderr}"
    assert "Traceback" not in result.stderr, result.stderr
    return result.stdout


def intent(topic_id: str) -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load((INTENTS / f"{topic_id}.yaml").read_text("utf-8"))
    return data


def ui(key: str, lang: str) -> str:
    data = yaml.safe_load((INTENTS / "ui.yaml").read_text("utf-8"))
    text: str = data[key][lang]
    return text


def plain(text: str) -> str:
    """Telegram HTML as the terminal shows it."""
    return html.unescape(HTML_TAG.sub("", text))


def line_index(lines: list[str], wanted: str, start: int = 0) -> int:
    """Index of the first line equal to ``wanted`` at or after ``start``; fails if absent."""
    for index in range(start, len(lines)):
        if lines[index] == wanted:
            return index
    raise AssertionError(f"line {wanted!r} not found after line {start} in:\n" + "\n".join(lines))


def buttons_after(lines: list[str], start: int) -> dict[int, str]:
    """The numbered choices of the first button block at or after line ``start``."""
    buttons: dict[int, str] = {}
    for line in lines[start:]:
        match = re.fullmatch(r"  \[(\d+)\] (.+)", line)
        if match:
            buttons[int(match.group(1))] = match.group(2)
        elif buttons:
            break
    assert buttons, f"no numbered choices found after line {start}"
    return buttons


def write_yaml(path: Path, items: list[dict[str, str]]) -> Path:
    path.write_text(yaml.safe_dump(items, allow_unicode=True), encoding="utf-8")
    return path


# --------------------------------------------------------------------------- classify


def test_classify_json_one_object_per_text(env: dict[str, str]) -> None:
    texts = [
        "are there direct flights to Seoul?",
        "Seula birbaşa reys var?",
        "прямые рейсы в Сеул",
        OUT_OF_SCOPE_WEATHER,
    ]
    out = ok(run(env, "classify", "--json", *texts))
    lines = out.splitlines()
    assert len(lines) == len(texts)
    records = [json.loads(line) for line in lines]
    for text, record in zip(texts, records, strict=True):
        assert set(record) == {"text", "topic", "confidence", "alternatives", "lang"}
        assert record["text"] == text
        assert isinstance(record["confidence"], float | int)
        assert 0.0 <= record["confidence"] <= 1.0
        alternatives = record["alternatives"]
        assert isinstance(alternatives, list) and alternatives
        for alternative in alternatives:
            assert set(alternative) == {"topic", "confidence"}
            assert alternative["topic"] in ALL_IDS
            assert 0.0 <= alternative["confidence"] <= 1.0
        scores = [alternative["confidence"] for alternative in alternatives]
        assert scores == sorted(scores, reverse=True)
        assert len({alternative["topic"] for alternative in alternatives}) == len(alternatives)

    expected = [
        ("direct_flights", "en"),
        ("direct_flights", "az"),
        ("direct_flights", "ru"),
        (None, "en"),
    ]
    assert [(record["topic"], record["lang"]) for record in records] == expected
    for record in records[:3]:
        # An in-scope answer's topic leads its alternatives, with the same confidence.
        assert record["alternatives"][0]["topic"] == record["topic"]
        assert record["alternatives"][0]["confidence"] == record["confidence"]
        assert record["confidence"] > 0.5


def test_classify_json_keeps_non_ascii_readable(env: dict[str, str]) -> None:
    out = ok(run(env, "classify", "--json", "прямые рейсы в Сеул"))
    assert "прямые рейсы в Сеул" in out  # ensure_ascii=False: no \\u escapes
    assert "\\u" not in out


def test_classify_reads_stdin_lines_plain(env: dict[str, str]) -> None:
    texts = ["are there direct flights to Seoul?", "прямые рейсы в Сеул", OUT_OF_SCOPE_WEATHER]
    out = ok(run(env, "classify", input="".join(f"{text}\n" for text in texts)))
    lines = out.splitlines()
    assert len(lines) == len(texts)
    for line in lines:
        with pytest.raises(json.JSONDecodeError):
            json.loads(line)
    fields = [line.split("\t") for line in lines]
    assert [row[0] for row in fields] == ["direct_flights", "direct_flights", "(out of scope)"]
    assert [row[-1] for row in fields] == texts  # each line ends with its own input text
    assert [row[2] for row in fields] == ["en", "ru", "en"]
    for row in fields:
        assert re.fullmatch(r"[01]\.\d\d( \(unsure\))?", row[1]), row


def test_classify_reads_stdin_lines_json(env: dict[str, str]) -> None:
    out = ok(run(env, "classify", "--json", input="Seula birbaşa reys var?\nhello\n"))
    records = [json.loads(line) for line in out.splitlines()]
    assert [record["text"] for record in records] == ["Seula birbaşa reys var?", "hello"]
    assert records[0]["topic"] == "direct_flights"
    assert records[0]["lang"] == "az"
    assert records[1]["topic"] == "greeting"


# --------------------------------------------------------------------------- topics


def test_topics_json_order_and_shape(env: dict[str, str]) -> None:
    rows = json.loads(ok(run(env, "topics", "--json")))
    assert isinstance(rows, list)
    assert [row["id"] for row in rows] == ALL_IDS
    for row in rows:
        assert set(row) == {"id", "title", "related"}
        assert isinstance(row["title"], str) and row["title"].strip()
        assert isinstance(row["related"], list)
        assert set(row["related"]) <= set(ALL_IDS)
        assert row["id"] not in row["related"]
        assert row["title"] == intent(row["id"])["title"]["en"]
        assert row["related"] == intent(row["id"])["related"]


def test_topics_json_in_russian(env: dict[str, str]) -> None:
    rows = json.loads(ok(run(env, "topics", "--json", "--lang", "ru")))
    assert [row["id"] for row in rows] == ALL_IDS
    for row in rows:
        assert CYRILLIC.search(row["title"]), row
        assert row["title"] == intent(row["id"])["title"]["ru"]
    english = json.loads(ok(run(env, "topics", "--json")))
    assert [row["related"] for row in rows] == [row["related"] for row in english]


def test_topics_plain_lists_every_id(env: dict[str, str]) -> None:
    out = ok(run(env, "topics"))
    with pytest.raises(json.JSONDecodeError):
        json.loads(out)
    lines = out.splitlines()
    assert [line.split()[0] for line in lines] == ALL_IDS
    assert "✈️ Direct flights" in lines[ALL_IDS.index("direct_flights")]


def test_topics_rejects_unknown_language(env: dict[str, str]) -> None:
    result = run(env, "topics", "--lang", "xx")
    assert result.returncode != 0
    assert "usage:" in result.stderr
    assert result.stdout == ""


# --------------------------------------------------------------------------- validate


def test_validate_ok(env: dict[str, str]) -> None:
    out = ok(run(env, "validate"))
    assert "ok" in out
    assert f"{len(ALL_IDS)} topics" in out


def test_validate_reports_broken_content(env: dict[str, str], tmp_path: Path) -> None:
    broken = tmp_path / "intents"
    shutil.copytree(INTENTS, broken)
    path = broken / "direct_flights.yaml"
    path.write_text(
        path.read_text("utf-8").replace("id: direct_flights", "id: direct_flightz", 1), "utf-8"
    )
    result = run(dict(env, BOT_CONTENT_DIR=str(broken)), "validate")
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    assert re.search(r"^direct_flights\.yaml: .+", result.stderr, re.MULTILINE), result.stderr
    assert "ok" not in result.stdout


# --------------------------------------------------------------------------- evaluate


def test_evaluate_english_set(env: dict[str, str]) -> None:
    out = ok(run(env, "evaluate", "data/eval_en.yaml"))
    items = yaml.safe_load((DATA / "eval_en.yaml").read_text("utf-8"))
    in_scope = sum(1 for item in items if item["topic"] != "none")
    out_of_scope = len(items) - in_scope
    assert f"(language: en, {len(items)} messages)" in out
    accuracy = re.search(
        r"^answered directly and rightly:\s+[\d.]+%\s+\((\d+)/(\d+)\)$", out, re.MULTILINE
    )
    rejection = re.search(r"^off-topic refused:\s+[\d.]+%\s+\((\d+)/(\d+)\)$", out, re.MULTILINE)
    assert accuracy and rejection, out
    assert int(accuracy.group(2)) == in_scope
    assert int(rejection.group(2)) == out_of_scope
    assert 0 <= int(accuracy.group(1)) <= in_scope
    assert 0 <= int(rejection.group(1)) <= out_of_scope
    for topic_id in INTERVIEW_IDS:
        support = sum(1 for item in items if item["topic"] == topic_id)
        pattern = rf"^{topic_id}\s+\d+\.\d%\s+\d+\.\d%\s+{support}$"
        assert re.search(pattern, out, re.MULTILINE), f"no per-topic line for {topic_id}:\n{out}"
    assert "most confused" in out


def test_evaluate_unknown_topic_label(env: dict[str, str], tmp_path: Path) -> None:
    path = write_yaml(
        tmp_path / "bad.yaml",
        [
            {"text": "are there direct flights to Seoul?", "topic": "direct_flights"},
            {"text": "will it rain tomorrow", "topic": "weather_forecast"},
        ],
    )
    result = run(env, "evaluate", str(path))
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    assert "unknown topic" in result.stderr
    assert "weather_forecast" in result.stderr
    assert "bad.yaml" in result.stderr
    assert "item 2" in result.stderr
    assert "accuracy" not in result.stdout


def test_evaluate_missing_file(env: dict[str, str], tmp_path: Path) -> None:
    result = run(env, "evaluate", str(tmp_path / "missing.yaml"))
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    assert "missing.yaml" in result.stderr


def test_evaluate_tiny_file_counts(env: dict[str, str], tmp_path: Path) -> None:
    path = write_yaml(
        tmp_path / "tiny.yaml",
        [
            {"text": "are there direct flights to Seoul?", "topic": "direct_flights"},
            {"text": "how many Azerbaijani students study in Korea?", "topic": "education"},
            {"text": OUT_OF_SCOPE_WEATHER, "topic": "none"},
        ],
    )
    out = ok(run(env, "evaluate", str(path)))
    assert "tiny.yaml" in out
    assert "3 messages" in out
    assert re.search(r"^answered directly and rightly:\s+100\.0%\s+\(2/2\)$", out, re.MULTILINE), (
        out
    )
    assert re.search(r"^off-topic refused:\s+100\.0%\s+\(1/1\)$", out, re.MULTILINE), out
    assert re.search(r"^direct_flights\s+100\.0%\s+100\.0%\s+1$", out, re.MULTILINE), out
    assert re.search(r"^education\s+100\.0%\s+100\.0%\s+1$", out, re.MULTILINE), out
    # Only the labelled topics get a per-topic line.
    for topic_id in set(ALL_IDS) - {"direct_flights", "education"}:
        assert not re.search(rf"^{topic_id}\s", out, re.MULTILINE), topic_id
    lines = out.splitlines()
    confused = lines.index("most confused (expected -> predicted):")
    assert lines[confused + 1 :] == ["  none"]


def test_evaluate_names_every_language_of_a_mixed_file(env: dict[str, str], tmp_path: Path) -> None:
    path = write_yaml(
        tmp_path / "mixed.yaml",
        [
            {"text": "есть ли прямые рейсы в сеул", "topic": "direct_flights"},
            {"text": "сколько студентов учится в корее", "topic": "education"},
            {"text": "are there direct flights to Seoul?", "topic": "direct_flights"},
        ],
    )
    out = ok(run(env, "evaluate", str(path)))
    assert "== mixed.yaml (languages: ru, en, 3 messages)" in out, out


def test_evaluate_tiny_file_reports_a_confusion(env: dict[str, str], tmp_path: Path) -> None:
    # A deliberately wrong label: the flights question labelled as education.
    path = write_yaml(
        tmp_path / "wrong.yaml",
        [
            {"text": "are there direct flights to Seoul?", "topic": "education"},
            {"text": "how many Azerbaijani students study in Korea?", "topic": "education"},
            {"text": OUT_OF_SCOPE_WEATHER, "topic": "none"},
        ],
    )
    out = ok(run(env, "evaluate", str(path)))
    assert re.search(r"^answered directly and rightly:\s+50\.0%\s+\(1/2\)$", out, re.MULTILINE), out
    assert re.search(r"^education\s+100\.0%\s+50\.0%\s+2$", out, re.MULTILINE), out
    assert "  education -> direct_flights: 1" in out.splitlines()


# --------------------------------------------------------------------------- chat


def test_chat_menu_answer_and_button(env: dict[str, str]) -> None:
    out = ok(run(env, "chat", input="are there direct flights?\n1\n\n"))
    assert not HTML_TAG.search(out), HTML_TAG.search(out)
    assert "<b>" not in out and "</b>" not in out and "<i>" not in out
    lines = out.splitlines()
    assert not any(line.startswith("> ") for line in lines)  # no prompt on a pipe

    assert ui("chat_intro", "en") in lines
    welcome_lines = plain(ui("welcome", "en")).splitlines()
    first = line_index(lines, welcome_lines[0])
    for offset, welcome_line in enumerate(welcome_lines):
        assert lines[first + offset] == welcome_line
    assert plain(ui("menu_header", "en")) in lines

    # The numbered menu: every interview topic, in order.
    menu = buttons_after(lines, first)
    titles = {topic_id: intent(topic_id)["title"]["en"] for topic_id in ALL_IDS}
    assert [menu[number] for number in sorted(menu)] == [titles[t] for t in INTERVIEW_IDS]
    assert "  [1] " + titles["relations"] in lines

    # The answer: its title on a line of its own, then the short text, then its buttons.
    flights = intent("direct_flights")
    assert titles["direct_flights"] == "✈️ Direct flights"
    answer = line_index(lines, titles["direct_flights"], first + len(menu))
    short = line_index(lines, plain(flights["short"]["en"]), answer)
    answer_buttons = buttons_after(lines, short)
    related_titles = [titles[t] for t in flights["related"]]
    assert [answer_buttons[n] for n in range(1, len(related_titles) + 1)] == related_titles
    assert ui("button_more", "en") in answer_buttons.values()
    assert answer_buttons[max(answer_buttons)] == ui("button_menu", "en")

    # Pressing 1 opens the topic on the first button of the answer.
    pressed = flights["related"][0]
    reply = line_index(lines, titles[pressed], short + 1)
    line_index(lines, plain(intent(pressed)["short"]["en"]), reply)
    assert out.rstrip("\n").endswith(ui("button_menu", "en"))


def test_chat_answers_azerbaijani_in_azerbaijani(env: dict[str, str]) -> None:
    out = ok(run(env, "chat", input="Seula birbaşa reys var?\n\n"))
    assert not HTML_TAG.search(out)
    flights = intent("direct_flights")
    lines = out.splitlines()
    answer = line_index(lines, flights["title"]["az"])
    line_index(lines, plain(flights["short"]["az"]), answer)
    buttons = buttons_after(lines, answer)
    assert ui("button_more", "az") in buttons.values()
    assert ui("button_menu", "az") in buttons.values()
    assert plain(flights["short"]["en"]) not in out


def test_chat_reads_a_follow_up_on_the_last_answer(env: dict[str, str]) -> None:
    out = ok(run(env, "chat", input="are there direct flights to Seoul?\nand when?\n\n"))
    flights = intent("direct_flights")
    lines = out.splitlines()
    answer = line_index(lines, flights["title"]["en"])
    # "and when?" gets the topic's longer answer, not "more about what?"
    line_index(lines, plain(flights["long"]["en"]).splitlines()[0], answer + 1)
    assert ui("followup_what", "en").split("{")[0][:20] not in out


def test_chat_out_of_scope(env: dict[str, str]) -> None:
    out = ok(run(env, "chat", input=OUT_OF_SCOPE_WEATHER + "\n\n"))
    assert not HTML_TAG.search(out)
    start = ui("out_of_scope", "en").split("{topics}")[0]
    assert start.startswith("🙏 Sorry")
    matching = [line for line in out.splitlines() if line.startswith(start)]
    assert len(matching) == 1, out
    # The line names the interview topics (without their emoji) and has no unfilled field.
    assert "Direct flights" in matching[0]
    assert "{" not in matching[0] and "}" not in matching[0]
    # The menu follows it again.
    lines = out.splitlines()
    menu = buttons_after(lines, lines.index(matching[0]))
    assert len(menu) == len(INTERVIEW_IDS)


def test_chat_russian_interface_and_end_of_input(env: dict[str, str]) -> None:
    # No empty line at the end: the end of input also ends the chat cleanly.
    out = ok(run(env, "chat", "--lang", "ru", input="прямые рейсы в Сеул"))
    assert ui("chat_intro", "ru") in out
    assert plain(ui("welcome", "ru")).splitlines()[0] in out
    assert intent("direct_flights")["title"]["ru"] in out.splitlines()
    assert not HTML_TAG.search(out)


def test_chat_empty_input_shows_welcome_and_exits(env: dict[str, str]) -> None:
    out = ok(run(env, "chat", input=""))
    assert plain(ui("welcome", "en")).splitlines()[0] in out
    assert "  [1] " in out


# --------------------------------------------------------------------------- entry points


def test_console_script_matches_module(env: dict[str, str]) -> None:
    script = Path(sys.executable).parent / "interview-bot"
    assert script.is_file()
    assert os.access(script, os.X_OK)
    via_script = run(env, "topics", "--json", cmd=[str(script)])
    via_module = run(env, "topics", "--json")
    assert ok(via_script) == ok(via_module)
    assert [row["id"] for row in json.loads(via_script.stdout)] == ALL_IDS


def test_no_command_prints_usage(env: dict[str, str]) -> None:
    result = run(env)
    assert result.returncode != 0
    assert "usage:" in result.stderr
    assert result.stdout == ""
    assert "Traceback" not in result.stderr


def test_unknown_command_prints_usage(env: dict[str, str]) -> None:
    result = run(env, "frobnicate")
    assert result.returncode != 0
    assert "usage:" in result.stderr
    assert "frobnicate" in result.stderr
    assert result.stdout == ""
    assert "Traceback" not in result.stderr


def test_model_cache_goes_to_state_dir(env: dict[str, str]) -> None:
    ok(run(env, "classify", "hello"))
    model_dir = Path(env["BOT_STATE_DIR"]) / "model"
    assert model_dir.is_dir()
    assert any(model_dir.iterdir())


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("sqlite:///{tmp}/bot.db", "needs the async driver"),
        ("sqlite+aiosqlite:////proc/no-such-folder/bot.db", "cannot create the folder"),
        ("sqlite+aiosqlite:///{tmp}/random.db", "is not a SQLite database"),
        ("postgresql+asyncpg://postgres:pw@127.0.0.1:1/test", "cannot reach PostgreSQL"),
        ("mysql://x/y", "mysql is not supported"),
    ],
)
def test_database_problems_are_one_clear_line(tmp_path: Path, url: str, expected: str) -> None:
    (tmp_path / "random.db").write_bytes(bytes(range(256)) * 4)
    env = {"PATH": "/usr/bin:/bin", "BOT_STATE_DIR": str(tmp_path),
           "DATABASE_URL": url.format(tmp=tmp_path)}  # fmt: skip
    result = subprocess.run(
        [sys.executable, "-m", "bot", "stats"], capture_output=True, text=True, cwd=ROOT,
        env=env, timeout=60,
    )  # fmt: skip
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and expected in lines[0], result.stderr
    assert "pw" not in result.stderr, "the password is never shown"


def test_evaluate_reports_what_readers_got_per_language_and_kind(
    env: dict[str, str], tmp_path: Path
) -> None:
    path = write_yaml(
        tmp_path / "kinds.yaml",
        [
            {"text": "direct flights", "topic": "direct_flights", "lang": "en", "kind": "keyword"},
            {"text": "дипломатия", "topic": "relations", "lang": "ru", "kind": "keyword"},
            {"text": OUT_OF_SCOPE_WEATHER, "topic": "none", "lang": "en", "kind": "far"},
        ],
    )
    out = ok(run(env, "evaluate", str(path), "--plot", str(tmp_path / "matrix.png")))
    rows = {line.split()[0] + " " + line.split()[1]: line.split()[2:] for line in
            out.splitlines() if line.startswith(("in-scope ", "off-topic "))}  # fmt: skip
    assert rows["in-scope en"][0] == "1", out  # one message, answered on its topic
    assert rows["in-scope en"][1] == "100.0%", out
    assert rows["in-scope keyword"][0] == "2", out
    assert rows["off-topic far"][-1] == "100.0%", out  # refused
    assert (tmp_path / "matrix.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert (tmp_path / "matrix.png").stat().st_size > 5_000
