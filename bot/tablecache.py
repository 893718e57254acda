"""Word tables worked out from the content, kept as plain JSON keyed by the content's digest,
so a restarted bot does not fold every text again before its first answer."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

logger = logging.getLogger(__name__)


def cached(cache_dir: Path | None, name: str, build: Callable[[], Any]) -> Any:
    """``build()``'s JSON-able result, read from ``cache_dir/name`` when it is there (an
    unreadable file is ignored and rewritten); without a ``cache_dir``, just ``build()``."""
    if cache_dir is None:
        return build()
    path = cache_dir / name
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        pass
    except (OSError, ValueError) as exc:
        logger.warning("Ignoring an unreadable cache %s: %s", path, exc)
    data = build()
    try:
        cache_dir.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
        tmp.replace(path)  # a half-written cache is never read
    except OSError as exc:
        logger.warning("Could not write the cache %s: %s", path, exc)
    return data
