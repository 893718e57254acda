"""Content kept after validation: a restart reads it back equal, and never keeps what is stale
or broken."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from bot import content as content_module
from bot.content import Content, ContentError
from bot.contentcache import from_json, load_kept, to_json
from tests.mayor import write_mayor

INTENTS = Path(__file__).resolve().parent.parent / "intents"


def _kept(cache: Path) -> list[Path]:
    return sorted(cache.glob("content-*.json"))


def test_the_real_content_round_trips_equal(content: Content) -> None:
    back = from_json(to_json(content))
    assert back == content
    # the fields compared by their declared parts only, checked one by one
    assert back.places.subject("flights from tashkent") == content.places.subject(
        "flights from tashkent"
    )
    assert back.followups == content.followups and back.thresholds == content.thresholds
    assert [topic.examples for topic in back.topics] == [t.examples for t in content.topics]


def test_a_restart_reads_the_kept_copy_without_parsing(
    content: Content, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = load_kept(INTENTS, tmp_path)
    assert first == content and len(_kept(tmp_path)) == 1

    def never(*args: object, **kwargs: object) -> Content:
        raise AssertionError("the kept copy should have been read")

    monkeypatch.setattr(content_module, "load", never)
    assert load_kept(INTENTS, tmp_path) == content


def test_an_edited_folder_is_validated_again(tmp_path: Path) -> None:
    folder, cache = tmp_path / "content", tmp_path / "cache"
    folder.mkdir()
    write_mayor(folder)
    before = load_kept(folder, cache)
    ui = folder / "ui.yaml"
    ui.write_text(ui.read_text(encoding="utf-8") + "# reviewed\n", encoding="utf-8")
    after = load_kept(folder, cache)
    assert after.digest != before.digest and after == content_module.load(folder)
    assert len(_kept(cache)) == 2


def test_broken_content_is_never_kept(tmp_path: Path) -> None:
    folder, cache = tmp_path / "content", tmp_path / "cache"
    shutil.copytree(INTENTS, folder)
    (folder / "direct_flights.yaml").write_text("id: [unclosed", encoding="utf-8")
    with pytest.raises(ContentError, match=r"direct_flights.yaml: invalid YAML"):
        load_kept(folder, cache)
    assert _kept(cache) == []


def test_an_unreadable_kept_copy_is_replaced(
    content: Content, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    load_kept(INTENTS, tmp_path)
    (kept,) = _kept(tmp_path)
    kept.write_text('{"topics": []}', encoding="utf-8")  # readable JSON, not a content
    assert load_kept(INTENTS, tmp_path) == content
    assert "unreadable cache" in caplog.text
    assert from_json(json.loads(kept.read_text(encoding="utf-8"))) == content
