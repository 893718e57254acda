"""Content that passed validation, kept as JSON keyed by its digest, so a restarted bot
neither parses its YAML nor checks it again: about a third of a warm start.

The key also covers the source of the modules that read and check content, so a release
whose rules changed validates the same folder afresh. Only ``load``'s result is kept, so
broken content is never kept and fails as it always does.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any, Final

from bot import content, markup, normalise, places, thresholds, values, wordlists
from bot.content import Content, Topic, digest_of, read_files
from bot.places import Places
from bot.tablecache import read_json, reuse, write_json
from bot.thresholds import Thresholds
from bot.wordlists import Followups

# What shapes a loaded Content: a change to any of these makes every kept copy stale.
_RULES: Final = (content, markup, normalise, places, thresholds, values, wordlists)


def load_kept(directory: Path, cache_dir: Path | None) -> Content:
    """``content.load(directory)``, or the copy of it kept in ``cache_dir`` for the same
    files and rules; ``ContentError`` when the folder is broken."""
    if cache_dir is None or not directory.is_dir():
        return content.load(directory)
    key = hashlib.sha256(digest_of(read_files(directory)).encode() + _rules()).hexdigest()[:16]
    return reuse(
        cache_dir / f"content-{key}",
        lambda: content.load(directory),
        lambda stem: from_json(read_json(stem.with_suffix(".json"))),
        lambda loaded, stem: write_json(to_json(loaded), stem.with_suffix(".json")),
    )


def _rules() -> bytes:
    sources = [Path(module.__file__ or "") for module in _RULES] + [Path(__file__)]
    return b"".join(source.read_bytes() for source in sources)


def to_json(loaded: Content) -> dict[str, Any]:
    """``loaded`` as JSON-able data that ``from_json`` reads back equal."""
    return {
        "topics": [
            {
                "id": topic.id,
                "kind": topic.kind,
                "order": topic.order,
                "title": topic.title,
                "short": topic.short,
                "long": topic.long,
                "related": topic.related,
                "examples": topic.examples,
                "draft": topic.draft,
            }
            for topic in loaded.topics
        ],
        "negatives": loaded.negatives,
        "ui": loaded.ui,
        "digest": loaded.digest,
        "followups": {
            "refers": sorted(loaded.followups.refers),
            "cues": sorted(loaded.followups.cues),
            "fillers": sorted(loaded.followups.fillers),
            "max_words": loaded.followups.max_words,
            "words": loaded.followups.words,
        },
        "places": {
            "others": sorted(loaded.places.others),
            "unlike": sorted(loaded.places.unlike),
            "passing": sorted(loaded.places.passing),
        },
        "thresholds": {
            lang: {"reject": value.reject, "close": value.close}
            for lang, value in loaded.thresholds.items()
        },
    }


def from_json(data: dict[str, Any]) -> Content:
    """The Content ``to_json`` wrote."""
    topics = tuple(
        Topic(
            id=item["id"],
            kind=item["kind"],
            order=item["order"],
            title=item["title"],
            short=item["short"],
            long=item["long"],
            related=tuple(item["related"]),
            examples={lang: tuple(texts) for lang, texts in item["examples"].items()},
            draft=item["draft"],
        )
        for item in data["topics"]
    )
    followups = data["followups"]
    return Content(
        topics=topics,
        negatives={lang: tuple(texts) for lang, texts in data["negatives"].items()},
        ui=data["ui"],
        digest=data["digest"],
        followups=Followups(
            frozenset(followups["refers"]),
            frozenset(followups["cues"]),
            frozenset(followups["fillers"]),
            followups["max_words"],
            {lang: tuple(words) for lang, words in followups["words"].items()},
        ),
        places=Places(**{key: frozenset(stems) for key, stems in data["places"].items()}),
        thresholds={lang: Thresholds(**value) for lang, value in data["thresholds"].items()},
    )
