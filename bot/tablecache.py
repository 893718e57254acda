"""What is worked out from the content (models, word tables), kept on disk keyed by the
content's digest, so a restarted bot does not fit or fold everything again before its first
answer. An unreadable file is ignored and rewritten; a file that cannot be written is only
logged: the bot answers either way."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

logger = logging.getLogger(__name__)
T = TypeVar("T")


def reuse(
    stem: Path | None,
    build: Callable[[], T],
    load: Callable[[Path], T],
    save: Callable[[T, Path], None],
) -> T:
    """``load(stem)`` when it reads, else ``build()``, kept with ``save(value, stem)``;
    without a ``stem`` (no cache folder), just ``build()``. ``stem`` names the files
    without their endings."""
    if stem is None:
        return build()
    try:
        return load(stem)
    except FileNotFoundError:
        pass
    except (OSError, ValueError, KeyError, TypeError) as exc:
        logger.warning("Ignoring an unreadable cache %s: %s", stem, exc)
    value = build()
    try:
        stem.parent.mkdir(parents=True, exist_ok=True)
        save(value, stem)
    except OSError as exc:
        logger.warning("Could not write the cache %s: %s", stem, exc)
    return value


def cached(cache_dir: Path | None, name: str, build: Callable[[], Any]) -> Any:
    """``build()``'s JSON-able result, kept as ``cache_dir/name``."""
    return reuse(cache_dir and cache_dir / name, build, read_json, write_json)


def read_json(path: Path) -> Any:
    """The data in the JSON file at ``path``."""
    return json.loads(path.read_text(encoding="utf-8"))


def write_json(data: Any, path: Path) -> None:
    """Write ``data`` as JSON at ``path`` in one step: a half-written file is never read."""
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    tmp.replace(path)  # a half-written cache is never read
