"""``python -m bot import``: a content folder drafted from a transcript, here an interview
written for these tests (a mayor on a new tram line), in two of the forms news sites use."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from bot.content import SHORT_LIMIT
from bot.importer import TranscriptError, read_transcript
from bot.importer.drafting import draft_topics, short_answer
from bot.importer.wording import figures, names
from tests.conftest import ROOT

TRANSCRIPTS = Path(__file__).parent / "fixtures" / "transcripts"
DASHES = TRANSCRIPTS / "tram_dashes.txt"
LABELLED = TRANSCRIPTS / "tram_qa.txt"
QUESTIONS = [
    "How much will the Green Line cost, and who is paying for it?",
    "When will the first passengers ride the tram?",
    "How long is the line, and where does it run?",
    "How often will the trams run, and what will a ticket cost?",
    "What happens to the trees on Corso Magenta during the works?",
    "How will the works affect shops in the old town?",
]
COPIED = {"greeting.yaml", "thanks.yaml", "help.yaml", "out_of_scope.yaml", "ui.yaml",
          "followups.yaml", "subjects.yaml"}  # fmt: skip


def import_cli(transcript: Path, out: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "BOT_CONTENT_DIR"}
    return subprocess.run(
        [sys.executable, "-m", "bot", "import", str(transcript), "--out", str(out)],
        capture_output=True, text=True, cwd=ROOT, env=env, timeout=120,
    )  # fmt: skip


def topic_files(folder: Path) -> dict[str, dict[str, object]]:
    return {
        path.name: yaml.safe_load(path.read_text(encoding="utf-8"))
        for path in sorted(folder.glob("*.yaml"))
    }


# --------------------------------------------------------------------------- transcripts


def test_both_transcript_forms_read_the_same_lead_and_pairs() -> None:
    dashes = read_transcript(DASHES.read_text(encoding="utf-8"))
    labelled = read_transcript(LABELLED.read_text(encoding="utf-8"))
    assert [pair.question for pair in dashes.pairs] == QUESTIONS
    assert dashes.pairs == labelled.pairs and dashes.lead == labelled.lead
    assert dashes.lang == "en"
    assert dashes.lead[0].startswith("Valmora's first tram line")
    first = dashes.pairs[0].answer
    assert len(first) == 2 and first[1].startswith("We have not had to raise local taxes")


def test_question_lines_ending_in_a_question_mark_are_read_too() -> None:
    text = (
        "The lead paragraph.\n\nWhere will the depot be?\nAt Ferro Park.\n\nIt opens in May.\n"
        "And who built it?\nAlstrom did.\n"
    )
    transcript = read_transcript(text)
    assert transcript.lead == ("The lead paragraph.",)
    assert [(p.question, p.answer) for p in transcript.pairs] == [
        ("Where will the depot be?", ("At Ferro Park.", "It opens in May.")),
        ("And who built it?", ("Alstrom did.",)),
    ]


def test_a_text_without_questions_is_refused_with_the_forms_it_reads() -> None:
    with pytest.raises(TranscriptError, match='"Q:"'):
        read_transcript("Just a paragraph of prose.\nAnd another one.")


def test_the_language_is_the_transcripts_and_ids_are_latin() -> None:
    text = (
        "- Сколько стоит новая трамвайная линия?\n- Проект стоит 412 миллионов евро.\n"
        "- Когда откроется движение?\n- Первые пассажиры поедут 14 апреля 2027 года.\n"
        "- Сколько будет остановок на линии?\n- На линии будет 19 остановок.\n"
    )
    transcript = read_transcript(text)
    assert transcript.lang == "ru"
    drafts = draft_topics(transcript)
    ids = [draft.id for draft in drafts]
    assert all(re.fullmatch(r"[a-z][a-z0-9_]{0,31}", topic_id) for topic_id in ids), ids
    assert "stoit_novaya_tramvaynaya" in ids or any("tramvay" in i for i in ids), ids
    assert drafts[0].fields["title"] == {"ru": drafts[0].fields["title"]["ru"]}


# --------------------------------------------------------------------------- wording


def test_names_and_figures_come_with_what_they_name() -> None:
    answer = (
        "We are moving 140 plane trees from Corso Magenta to the riverside park. The arborist "
        "Marco Venturi leads that work. The whole project is budgeted at 412 million euros, "
        "and the first passengers board on 14 April 2027."
    )
    assert names(answer) == ["Corso Magenta", "Marco Venturi"]
    assert figures(answer, "en") == ["140 plane trees", "412 million euros", "14 April 2027"]


def test_a_long_answer_is_cut_for_the_phone_screen_at_a_sentence_end() -> None:
    sentence = "The tram runs every six minutes in the rush hours and the ticket stays cheap. "
    short = short_answer([sentence * 20])
    assert len(short) <= SHORT_LIMIT and short.endswith("cheap.")
    assert short_answer(["Fares & <zones> stay."]) == "Fares &amp; &lt;zones&gt; stay."


# --------------------------------------------------------------------------- the folder


@pytest.fixture(scope="module")
def drafted(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("import") / "tram"
    result = import_cli(DASHES, out)
    assert result.returncode == 0, result.stderr
    assert "left for translation: az, ru" in result.stdout
    return out


def test_import_drafts_a_topic_per_question_and_copies_the_conversation(drafted: Path) -> None:
    files = topic_files(drafted)
    interview = {name: data for name, data in files.items() if data.get("kind") == "interview"}
    assert len(interview) == 6
    # near_misses.yaml is the old interview's own off-topic list: never copied.
    assert COPIED | {"about.yaml"} == set(files) - set(interview)
    for name, data in interview.items():
        assert data["draft"] is True and name == f"{data['id']}.yaml"
        assert set(data["title"]) == {"en"}, "other languages are left for translation"
    questions = [data["examples"]["en"][0] for data in interview.values()]
    assert sorted(questions) == sorted(QUESTIONS)
    about = files["about.yaml"]
    assert about["draft"] is True and about["kind"] == "conversation"
    assert "Mayor Elena Castell" in about["short"]["en"]
    # A copied topic's follow-up buttons lead to the new interview, not the old one.
    greeting = files["greeting.yaml"]
    assert set(greeting["related"]) <= set(data["id"] for data in interview.values())
    assert "draft" not in greeting
    ui = (ROOT / "intents" / "ui.yaml").read_text(encoding="utf-8")
    assert (drafted / "ui.yaml").read_text(encoding="utf-8") == ui


def test_each_draft_has_answers_related_topics_and_first_examples(drafted: Path) -> None:
    files = topic_files(drafted)
    by_question = {
        data["examples"]["en"][0]: data
        for data in files.values()
        if data.get("kind") == "interview"
    }
    ids = {data["id"] for data in by_question.values()}
    for data in by_question.values():
        assert re.fullmatch(r"[a-z][a-z0-9_]{0,31}", data["id"])
        assert data["title"]["en"].startswith("📝 ")
        assert len(data["short"]["en"]) <= SHORT_LIMIT
        assert 2 <= len(data["related"]) <= 4 and set(data["related"]) <= ids - {data["id"]}
    cost = by_question[QUESTIONS[0]]
    assert "412 million euros" in cost["short"]["en"]
    assert "\n\nWe have not had to raise local taxes" in cost["long"]["en"]
    assert {"412 million euros", "national transport fund"} <= set(cost["examples"]["en"])
    trees = by_question[QUESTIONS[4]]
    assert {"Corso Magenta", "Marco Venturi", "140 plane trees"} <= set(trees["examples"]["en"])
    assert "corso" in trees["id"] or "trees" in trees["id"]
    # the same text in two languages of one topic ("thx") is fine; under two topics it is not
    everything = [item for d in files.values() for item in {i.casefold() for i in _examples(d)}]
    assert len(everything) == len(set(everything)), "no example under two topics"


def _examples(data: dict[str, object]) -> list[str]:
    examples = data.get("examples")
    return (
        [item for items in examples.values() for item in items]
        if isinstance(examples, dict)
        else []
    )


def test_validate_reports_the_missing_languages_as_file_problem_lines(drafted: Path) -> None:
    env = {**os.environ, "BOT_CONTENT_DIR": str(drafted)}
    result = subprocess.run(
        [sys.executable, "-m", "bot", "validate"], capture_output=True, text=True, cwd=ROOT,
        env=env, timeout=120,
    )  # fmt: skip
    assert result.returncode == 1
    lines = result.stderr.splitlines()
    assert "about.yaml: short.ru is missing (no translation)" in lines
    # Every line names its file (or, when no topic loads, the folder) and the problem.
    assert all(
        re.match(rf"^([a-z0-9_]+\.yaml|{re.escape(str(drafted))}): ", line) for line in lines
    )


def test_import_refuses_a_folder_that_holds_content(drafted: Path) -> None:
    result = import_cli(LABELLED, drafted)
    assert result.returncode == 1 and "already holds content" in result.stderr
