"""Drafts are previewed, never served: ``chat`` answers from a freshly imported folder,
``validate`` and ``run`` refuse it until every draft is cleared and translated."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from bot.content import ContentError, load
from bot.conversation import Conversation
from bot.importer import read_transcript, write_drafts
from bot.values import LANGS
from tests.conftest import ROOT

TRANSCRIPTS = Path(__file__).parent / "fixtures" / "transcripts"
# Readers' own wording of what the mayor said, none of it an example the import wrote:
# (question, a word of the question it should be filed under, the figure the answer carries).
PARAPHRASES = [
    ("What is the total budget of the tram project?", "cost", "412 million euros"),
    ("what date does the tram open to the public?", "passengers", "14 April 2027"),
    ("how many stops does the Green Line have?", "long", "19 stops"),
    ("how much is a single tram ticket?", "ticket", "1.80 euros"),
    ("are they cutting down the plane trees?", "trees", "140 plane trees"),
    ("will shopkeepers get compensation for lost business?", "shops", "15,000 euros"),
]


def cli(
    *args: str, content: Path, state: Path, stdin: str = "", **env: str
) -> subprocess.CompletedProcess[str]:
    environ = {**os.environ, "BOT_STATE_DIR": str(state), **env}
    environ.pop("BOT_CONTENT_DIR", None)
    return subprocess.run(
        [sys.executable, "-m", "bot", *args, "--content", str(content)], input=stdin,
        capture_output=True, text=True, cwd=ROOT, env=environ, timeout=120,
    )  # fmt: skip


@pytest.fixture(scope="module")
def drafted(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("drafts") / "tram"
    transcript = read_transcript((TRANSCRIPTS / "tram_qa.txt").read_text(encoding="utf-8"))
    write_drafts(transcript, "tram_qa.txt", ROOT / "intents", out)
    return out


@pytest.fixture(scope="module")
def preview(drafted: Path) -> Conversation:
    content = load(drafted, preview=True)
    return Conversation.prepare(content, None)


def test_a_preview_loads_the_drafts_with_stand_in_translations(drafted: Path) -> None:
    content = load(drafted, preview=True)
    drafts = [topic for topic in content.topics if topic.draft]
    assert len(drafts) == 7 and {topic.kind for topic in drafts} == {"interview", "conversation"}
    for topic in drafts:
        assert topic.short["ru"] == topic.short["en"], "English stands in until translated"
        assert set(topic.examples) == {"en"}, "no English examples filed as Russian"
    assert not any(topic.draft for topic in content.topics if topic.id == "greeting")


def test_an_imported_interview_answers_paraphrased_questions_with_their_figures(
    preview: Conversation,
) -> None:
    """The issue's bar: at least 5 of 6, with no example written by hand."""
    right = []
    for question, word, figure in PARAPHRASES:
        reply = preview.ask(question, "en")
        topic = preview.content.topic(reply.topic) if reply.topic else None
        filed = topic is not None and word in topic.id + " ".join(topic.examples["en"][:1]).lower()
        if filed and figure in reply.text:
            right.append(question)
    assert len(right) >= 5, f"only {len(right)} of 6 answered with their figure: {right}"


def test_chat_previews_a_draft_folder_and_says_so(drafted: Path, tmp_path: Path) -> None:
    result = cli(
        "chat", content=drafted, state=tmp_path, stdin="are they cutting down the plane trees?\n"
    )
    assert result.returncode == 0, result.stderr
    first, *rest = result.stdout.splitlines()
    assert first.startswith(f"Preview of {drafted}: 7 drafted topics")
    assert "140 plane trees" in "\n".join(rest)


def test_validate_lists_every_draft_and_fails(drafted: Path, tmp_path: Path) -> None:
    result = cli("validate", content=drafted, state=tmp_path)
    assert result.returncode == 1
    drafts = sorted(
        line for line in result.stderr.splitlines() if line.endswith(": draft, needs review")
    )
    names = sorted(
        path.name for path in drafted.glob("*.yaml") if "draft: true" in path.read_text()
    )
    assert drafts == [f"{name}: draft, needs review" for name in names] and len(names) == 7


def test_run_refuses_to_start_on_drafts(drafted: Path, tmp_path: Path) -> None:
    # An unreachable API: the refusal must come before any network.
    result = cli("run", content=drafted, state=tmp_path, BOT_TOKEN="123:TEST",
                 BOT_API_BASE_URL="http://127.0.0.1:9/bot")  # fmt: skip
    assert result.returncode == 1
    assert re.search(r"^about\.yaml: draft, needs review$", result.stderr, re.MULTILINE)


def test_clearing_the_drafts_and_translating_them_makes_the_folder_valid(
    drafted: Path, tmp_path: Path
) -> None:
    folder = tmp_path / "reviewed"
    shutil.copytree(drafted, folder)
    for path in folder.glob("*.yaml"):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        if not isinstance(data, dict) or data.pop("draft", None) is None:
            continue
        for field_name in ("title", "short", "long", "examples"):
            # An editor's translation; here the English stands in, figures and all.
            data[field_name] = {lang: data[field_name]["en"] for lang in LANGS}
        path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    half = yaml.safe_load((folder / "about.yaml").read_text(encoding="utf-8"))
    assert "draft" not in half
    assert load(folder).topic("about") is not None
    result = cli("validate", content=folder, state=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "ok, 10 topics" in result.stdout


def test_a_draft_flag_must_be_true_or_false(tmp_path: Path) -> None:
    folder = tmp_path / "content"
    shutil.copytree(ROOT / "intents", folder)
    path = folder / "tourism.yaml"
    path.write_text("draft: yes please\n" + path.read_text(encoding="utf-8"), encoding="utf-8")
    with pytest.raises(ContentError) as raised:
        load(folder)
    assert raised.value.problems == ["tourism.yaml: draft must be true or false"]
