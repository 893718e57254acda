"""Word tables kept between start-ups: the first question after a restart pays nothing."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.conversation import Conversation
from bot.tablecache import cached
from bot.values import Context
from tests.mayor import write_mayor


def test_a_restart_reads_the_word_tables_and_answers_the_same(tmp_path: Path) -> None:
    folder = tmp_path / "content"
    folder.mkdir()
    write_mayor(folder)
    cache = tmp_path / "cache"
    first = Conversation.open(folder, cache)
    names = sorted(path.name.split("-")[0] for path in cache.glob("*.json"))
    assert {"evidence", "followups"} <= set(names)
    second = Conversation.open(folder, cache)
    assert "_own" in second.followups.__dict__ and "_owners" in second.evidence.__dict__
    context = Context("tram", False, "en", datetime.now(UTC))
    for text in ("and when?", "is Danubia Rail any good?", "what is the weather tomorrow"):
        assert second.ask(text, "en", None, context) == first.ask(text, "en", None, context)


def test_an_unreadable_cache_is_built_again(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    (tmp_path / "t.json").write_text("{broken", encoding="utf-8")
    assert cached(tmp_path, "t.json", lambda: {"a": [1]}) == {"a": [1]}
    assert "unreadable cache" in caplog.text
    assert cached(tmp_path, "t.json", lambda: {"never": "built"}) == {"a": [1]}
    assert cached(None, "t.json", lambda: [2]) == [2]
