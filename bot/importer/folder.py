"""Writing a drafted content folder: the drafts, and what is copied from the current content."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

import yaml

from bot.content import UI_FILE
from bot.importer.drafting import ABOUT_ID, Draft, draft_topics
from bot.importer.transcript import Transcript
from bot.normalise import fold
from bot.values import LANGS, Lang
from bot.wordlists import FOLLOWUPS_FILE, NEGATIVE_ID, SUBJECTS_FILE

# Copied as they are: nothing in them is about one interview's questions.
_SHARED_FILES: Final = (UI_FILE, FOLLOWUPS_FILE, SUBJECTS_FILE, f"{NEGATIVE_ID}.yaml")
_RELATED_LINE: Final = re.compile(r"^related:.*$", re.MULTILINE)
_HEADER: Final = (
    "# Drafted by `python -m bot import` from {source}. Review every text (the answers are\n"
    "# the transcript's own words: reword them and attribute the facts), write the other\n"
    "# languages ({missing}), add examples the way readers ask, then delete `draft: true`.\n"
)


@dataclass(frozen=True)
class ImportResult:
    """What the import wrote: the drafted topic ids, the copied files, the languages left."""

    drafted: tuple[str, ...]
    copied: tuple[str, ...]
    lang: Lang
    missing: tuple[Lang, ...] = field(default=())


def write_drafts(transcript: Transcript, source: str, current: Path, out: Path) -> ImportResult:
    """Write ``out``: a draft per question and ``about``, plus the conversation topics and
    shared files of the ``current`` content folder. ``out`` must not hold YAML already."""
    if out.exists() and any(out.glob("*.yaml")):
        raise FileExistsError(f"{out} already holds content; choose an empty folder")
    out.mkdir(parents=True, exist_ok=True)
    copied = _conversation_files(current)
    drafts = draft_topics(transcript, [path.stem for path in copied])
    interview_ids = [draft.id for draft in drafts if draft.fields["kind"] == "interview"]
    taken = _examples_in(copied)
    missing = tuple(lang for lang in LANGS if lang != transcript.lang)
    header = _HEADER.format(source=source, missing=", ".join(missing) or "none")
    for draft in drafts:
        _drop_taken(draft, taken)
        text = header + _dump(draft.fields)
        (out / f"{draft.id}.yaml").write_text(text, encoding="utf-8")
    for path in copied:
        (out / path.name).write_text(
            _with_related(path.read_text(encoding="utf-8"), interview_ids), encoding="utf-8"
        )
    return ImportResult(
        tuple(draft.id for draft in drafts),
        tuple(path.name for path in copied),
        transcript.lang,
        missing,
    )


def _conversation_files(current: Path) -> list[Path]:
    """The current content's conversation topics (``about`` is drafted) and shared files."""
    found = []
    for path in sorted(current.glob("*.yaml")):
        if path.name in _SHARED_FILES:
            found.append(path)
            continue
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        if isinstance(data, dict) and data.get("kind") == "conversation":
            if data.get("id") != ABOUT_ID:
                found.append(path)
    return found


def _examples_in(paths: list[Path]) -> set[str]:
    """Every example (and out-of-scope example) of the copied files, folded."""
    taken: set[str] = set()
    for path in paths:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        examples = data.get("examples") if isinstance(data, dict) else None
        if isinstance(examples, dict):
            for items in examples.values():
                taken.update(fold(item) for item in items or () if isinstance(item, str))
    return taken


def _drop_taken(draft: Draft, taken: set[str]) -> None:
    """Keep a draft's examples off the copied topics' (the content refuses duplicates)."""
    for lang, items in draft.fields["examples"].items():
        kept = [item for item in items if fold(item) not in taken]
        draft.fields["examples"][lang] = kept or items[:1]
        taken.update(fold(item) for item in kept)


def _with_related(text: str, interview_ids: list[str]) -> str:
    """A copied conversation topic's follow-up buttons lead to the new interview's topics."""
    match = _RELATED_LINE.search(text)
    if match is None or match.group(0).strip() == "related: []":
        return text
    count = max(1, min(len(match.group(0).split(",")), len(interview_ids)))
    return _RELATED_LINE.sub(f"related: [{', '.join(interview_ids[:count])}]", text, count=1)


class _Dumper(yaml.SafeDumper):
    """Long answers as literal blocks, as the hand-written files have them."""


def _text(dumper: yaml.SafeDumper, value: str) -> Any:
    style = "|" if "\n" in value or len(value) > 80 else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _text)


def _dump(fields: dict[str, Any]) -> str:
    return yaml.dump(fields, Dumper=_Dumper, allow_unicode=True, sort_keys=False, width=100)
