"""The interview's own words as evidence, and the subject check, on another interview's
content: a small synthetic folder (a city mayor on a new tram line), no code change."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.conversation import Conversation
from bot.evidence import Evidence
from bot.replies import ReplyKind
from tests.mayor import write_mayor


@pytest.fixture(scope="module")
def mayor(tmp_path_factory: pytest.TempPathFactory) -> Conversation:
    return Conversation.open(write_mayor(tmp_path_factory.mktemp("mayor")), None)


@pytest.mark.parametrize(
    ("question", "topic_id"),
    [
        ("is Danubia Rail any good?", "tram"),  # a company only the tram answer names
        ("what happens to the Halden brickworks", "parks"),  # a place only parks names
        ("14 stops?", "tram"),  # a figure
    ],
)
def test_a_name_only_one_answer_uses_finds_its_topic(
    mayor: Conversation, question: str, topic_id: str
) -> None:
    hint = Evidence(mayor.content).hint(question)
    assert hint is not None and hint.topic == topic_id
    reply = mayor.ask(question, "en")
    assert (reply.kind, reply.topic) == (ReplyKind.ANSWER, topic_id), reply.text[:80]


def test_words_every_answer_or_off_topic_examples_use_are_no_evidence(
    mayor: Conversation,
) -> None:
    evidence = Evidence(mayor.content)
    assert evidence.hint("the mayor") is None  # in several answers
    assert evidence.hint("weather") is None  # only off-topic examples use it


def test_another_city_as_the_subject_is_declined(mayor: Conversation) -> None:
    assert mayor.ask("tram line in Oslo?", "en").kind is ReplyKind.OUT_OF_SCOPE
    assert mayor.ask("tram line plans", "en").topic == "tram"


def test_the_word_tables_are_cached_and_a_broken_cache_is_ignored(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    folder = tmp_path / "content"
    folder.mkdir()
    write_mayor(folder)
    content = Conversation.open(folder, None).content
    cache = tmp_path / "cache"
    built = Evidence.load_or_build(content, cache)
    [path] = cache.glob("evidence-*.json")
    cached = Evidence.load_or_build(content, cache)
    assert "_owners" in cached.__dict__, "read from the cache, not worked out again"
    assert cached.hint("is Danubia Rail any good?") == built.hint("is Danubia Rail any good?")
    path.write_text("{not json", encoding="utf-8")
    again = Evidence.load_or_build(content, cache)
    assert again.hint("14 stops?") == built.hint("14 stops?")
    assert "unreadable cache" in caplog.text
