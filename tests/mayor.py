"""A small synthetic interview for tests of content-driven behaviour: a city mayor on a new
tram line (not our interview), written as a content folder."""

from __future__ import annotations

from pathlib import Path

import yaml

INTENTS = Path(__file__).resolve().parent.parent / "intents"
# The chat itself (greetings, help…), interface strings and follow-up words carry over.
CARRIED = ("greeting.yaml", "thanks.yaml", "help.yaml", "ui.yaml", "followups.yaml")


def _topic(topic_id: str, order: int, title: str, answer: str, examples: list[str]) -> dict:
    # The same words in every language keep the test short; validation only asks for all four.
    texts = {"en": answer, "az": answer, "ru": answer, "ko": answer}
    return {
        "id": topic_id,
        "kind": "interview",
        "order": order,
        "title": {"en": title, "az": title, "ru": title, "ko": title},
        "short": texts,
        "long": texts,
        "related": [other for other in ("about", "tram", "parks", "budget") if other != topic_id][
            :2
        ],
        "examples": {"en": examples, "az": examples, "ru": examples, "ko": examples},
    }


TOPICS = [
    _topic(
        "about", 1, "ℹ️ About",
        "Mayor Lina Varga spoke to the Riverside Courier about the city's transport plans.",
        ["who is this interview with", "who gave the interview", "what is this about"],
    ),
    _topic(
        "tram", 2, "🚋 The tram line",
        "The new tram line has 14 stops and is built by Danubia Rail; the first trams run in 2027.",
        ["when will the tram open", "tram line", "new tram route", "how long is the tram line",
         "tram stops", "when do trams start running"],
    ),
    _topic(
        "parks", 3, "🌳 Parks",
        "The mayor promised 3 new parks, the largest on the old Halden brickworks site.",
        ["new parks", "green spaces in the city", "will there be more parks", "park plans",
         "where will the parks be", "how many parks"],
    ),
    _topic(
        "budget", 4, "💶 The budget",
        "The city budget grows by 6 percent; schools get the largest share of the increase.",
        ["city budget", "how much money does the city spend", "budget increase",
         "what does the budget pay for", "spending plans", "schools funding"],
    ),
]  # fmt: skip
NEGATIVES = [
    "what is the weather tomorrow", "football results", "recommend a film", "how do I cook rice",
    "price of bitcoin", "best phone to buy", "tell me a joke", "train to the capital timetable",
]  # fmt: skip
OTHERS = ["norway oslo", "denmark copenhagen"]


def write_mayor(folder: Path) -> Path:
    """Write the mayor's content folder into ``folder`` and return it."""
    for name in CARRIED:
        data = yaml.safe_load((INTENTS / name).read_text(encoding="utf-8"))
        if "related" in data:
            data["related"] = []  # our interview's topics are not in this one
        (folder / name).write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    for topic in TOPICS:
        text = yaml.safe_dump(topic, allow_unicode=True, sort_keys=False)
        (folder / f"{topic['id']}.yaml").write_text(text, encoding="utf-8")
    negatives = {
        "id": "out_of_scope",
        "kind": "negative",
        "examples": {"en": NEGATIVES, "az": NEGATIVES, "ru": NEGATIVES, "ko": NEGATIVES},
    }
    (folder / "out_of_scope.yaml").write_text(yaml.safe_dump(negatives), encoding="utf-8")
    others = {"others": {"en": OTHERS, "az": OTHERS, "ru": OTHERS, "ko": OTHERS}}
    (folder / "subjects.yaml").write_text(yaml.safe_dump(others), encoding="utf-8")
    return folder
