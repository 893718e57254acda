"""Other countries as a message's subject: named, alike, passed through, in a long story."""

from __future__ import annotations

import pytest

from bot.places import Places
from bot.wordlists import read_places

PLACES = Places(
    others=frozenset({"japan", "turkey", "istanbul", "usa", "north korea", "일본", "중국"}),
    unlike=frozenset({"japanese"}),
    passing=frozenset({"via", "through", "경유"}),
)


@pytest.mark.parametrize(
    ("text", "subject"),
    [
        ("relations with Japan?", "japan"),
        ("Turkey and Azerbaijan trade", "turkey"),
        ("USA's position", "usa"),  # a short name: whole words only
        ("and North Korea?", "north korea"),  # a name of several words, any form
        ("일본과 한국 관계", "일본과"),  # Korean particles written onto the name
        ("한중 무역, 중국의 입장", "중국의"),
    ],
)
def test_another_country_is_the_subject(text: str, subject: str) -> None:
    assert PLACES.subject(text) == subject


@pytest.mark.parametrize(
    "text",
    [
        "flights to seoul",
        "usability of the bot",  # "usa" is a whole word only
        "do I still fly via Istanbul to get to Seoul?",  # passed through
        "이스탄불 경유 말고 직항은?",
        "a japanese garden in Baku?",  # alike, not the name
        # a long story passes through Turkey before it asks about the interview's subject
        "Last summer we drove through Turkey and then flew on, it was a long and tiring trip "
        "for the whole family, so tell me whether a Baku Seoul flight is planned",
    ],
)
def test_not_about_another_country(text: str) -> None:
    assert PLACES.subject(text) is None


def test_a_long_message_is_judged_by_its_asking_words() -> None:
    story = "I read the interview on my way home from work and my friends and I argued a lot"
    assert PLACES.subject(f"{story}, so how are relations with Japan these days?") == "japan"
    assert PLACES.subject(f"Japan was my first trip abroad. {story} about Baku and Seoul") is None


def test_subjects_yaml_reads_its_three_lists() -> None:
    problems: list[str] = []
    langs = ("en", "az", "ru", "ko")
    places = read_places(
        {
            "others": {lang: ["japan north_korea"] for lang in langs},
            "unlike": {lang: ["Japanese"] for lang in langs},
            "passing": {lang: ["via"] for lang in langs},
        },
        problems,
    )
    assert problems == []
    assert places.subject("japanese food") is None
    assert places.subject("north korean missiles") == "north korean"
    read_places({"others": {"en": ["x"]}, "where": {}}, problems)
    assert problems == ["subjects.yaml: expected others, unlike and passing (per language)"]
