"""The package's shape: data flows one way, and no layer reaches up."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT

MAX_MODULE_LINES = 450


def imported_by(module: str) -> set[str]:
    """The modules a fresh interpreter has loaded after importing ``module``."""
    code = f"import sys, {module}; print('\\n'.join(sorted(sys.modules)))"
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT
    )
    return set(result.stdout.split())


@pytest.mark.parametrize("module", ["bot.storage", "bot.delivery.worker"])
def test_storage_and_the_worker_sit_below_the_conversation(module: str) -> None:
    loaded = imported_by(module)
    above = {"bot.conversation", "bot.classifier", "bot.content", "bot.chat", "numpy", "telegram"}
    assert not loaded & above


def test_the_conversation_imports_neither_telegram_nor_the_database() -> None:
    loaded = imported_by("bot.conversation")
    assert not {name for name in loaded if name.split(".")[0] in {"telegram", "sqlalchemy"}}


def test_the_chat_service_never_imports_telegram() -> None:
    assert not {name for name in imported_by("bot.chat.service") if name.startswith("telegram")}


def test_no_module_is_over_the_size_limit() -> None:
    sizes = {
        path.relative_to(ROOT): len(path.read_text(encoding="utf-8").splitlines())
        for path in Path(ROOT, "bot").rglob("*.py")
    }
    assert {path: n for path, n in sizes.items() if n > MAX_MODULE_LINES} == {}
