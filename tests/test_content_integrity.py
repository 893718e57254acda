"""The answers against the interview: its figures only, and in the project's own words."""

from __future__ import annotations

import re

import pytest

from bot.content import Content, figures
from tests.conftest import ROOT

SOURCE = (ROOT / "data" / "interview.txt").read_text(encoding="utf-8")
_WORDS = re.compile(r"[a-z0-9']+")
RUN = 8  # words in a row shared with the interview that count as pasted


def words(text: str) -> list[str]:
    return _WORDS.findall(re.sub(r"<[^>]+>", " ", text).casefold())


def test_every_figure_in_an_answer_is_in_the_interview(content: Content) -> None:
    in_source = set(re.findall(r"\d+", SOURCE))
    for topic in content.topics:
        for field in (topic.short, topic.long):
            for lang, text in field.items():
                unknown = figures(text, lang) - in_source
                assert not unknown, (
                    f"{topic.id} ({lang}) gives figures not in the interview: {unknown}"
                )


@pytest.mark.parametrize("topic_id", ["relations", "economy", "tourism", "education", "culture"])
def test_key_figures_are_kept(content: Content, topic_id: str) -> None:
    expected = {
        "relations": {"1992"},
        "economy": {"2"},
        "tourism": {"2025", "80"},
        "education": {"2020", "82", "200"},
        "culture": set(),
    }[topic_id]
    topic = content.topic(topic_id)
    assert topic is not None
    assert expected <= set(re.findall(r"\d+", topic.long["en"]))


def test_answers_are_written_in_the_projects_own_words(content: Content) -> None:
    source = words(SOURCE)
    runs = {tuple(source[i : i + RUN]) for i in range(len(source) - RUN + 1)}
    for topic in content.topics:
        for name, field in (("short", topic.short), ("long", topic.long)):
            text = words(field["en"])
            pasted = [
                " ".join(text[i : i + RUN])
                for i in range(len(text) - RUN + 1)
                if tuple(text[i : i + RUN]) in runs
            ]
            assert not pasted, (
                f"{topic.id}.{name}.en repeats the interview word for word: {pasted[0]!r}"
            )
