"""Fitting the classifier in a process of its own.

scikit-learn, with the SciPy modules it imports, takes about 120 MB the moment it is
imported, and a process keeps what it has imported. The bot fits once per content and reads
the cached arrays ever after, so the fit runs in a short-lived child process
(``python -m bot.fitting``): the serving process never imports scikit-learn, and is as
small after a first start as after any other. The child reads the folded training texts
and their labels as JSON on stdin and writes the model where it is told.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Final

# A fit takes seconds; one that takes this long is stuck.
FIT_TIMEOUT_SECONDS: Final = 300


class FittingError(Exception):
    """The child process did not fit the model."""


def fit_apart(texts: Sequence[str], labels: Sequence[str], stem: Path) -> None:
    """Fit on ``texts`` (folded) and ``labels`` in a child process that writes the model's
    files at ``stem``; raise FittingError when it does not."""
    request = json.dumps({"texts": list(texts), "labels": list(labels), "stem": str(stem)})
    try:
        done = subprocess.run(
            [sys.executable, "-m", "bot.fitting"],
            input=request,
            capture_output=True,
            text=True,
            encoding="utf-8",
            timeout=FIT_TIMEOUT_SECONDS,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise FittingError(str(exc)) from exc
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or ["no message"])[-1]
        raise FittingError(f"exit code {done.returncode}: {last}")


def main() -> None:
    """The child: fit on the request read from stdin and write the model."""
    from bot.classifier import Classifier

    request = json.load(sys.stdin)
    stem = Path(request["stem"])
    stem.parent.mkdir(parents=True, exist_ok=True)
    Classifier.fit_folded(request["texts"], request["labels"]).save(stem)


if __name__ == "__main__":
    main()
