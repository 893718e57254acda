"""The confusion matrix of an evaluation as a picture (``evaluate --plot FILE.png``).

matplotlib is imported here only, and only when a picture is asked for: the bot never
loads it.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from bot.evaluation import NONE_LABEL, SUGGESTED


def plot_confusion(matrix: Mapping[tuple[str, str], int], path: Path, title: str) -> None:
    """Draw expected topics (rows) against what readers got (columns) into ``path``."""
    import matplotlib

    matplotlib.use("Agg")  # no screen on a server
    import matplotlib.pyplot as plt

    expected = [*sorted({gold for gold, _ in matrix} - {NONE_LABEL}), NONE_LABEL]
    got = [*expected, SUGGESTED]
    cells = [[matrix.get((row, column), 0) for column in got] for row in expected]
    figure, axes = plt.subplots(figsize=(1.0 + 0.55 * len(got), 1.0 + 0.5 * len(expected)))
    try:
        image = axes.imshow(cells, cmap="Blues")
        axes.set_xticks(range(len(got)), [_label(name) for name in got], rotation=60, ha="right")
        axes.set_yticks(range(len(expected)), [_label(name) for name in expected])
        axes.set_xlabel("what readers got")
        axes.set_ylabel("expected")
        axes.set_title(title)
        peak = max((max(row) for row in cells), default=0)
        for y, row in enumerate(cells):
            for x, count in enumerate(row):
                if count:
                    colour = "white" if count > peak / 2 else "black"
                    axes.text(x, y, str(count), ha="center", va="center", color=colour, fontsize=8)
        figure.colorbar(image, ax=axes, shrink=0.6)
        figure.tight_layout()
        figure.savefig(path, dpi=110)
    finally:
        plt.close(figure)


def _label(name: str) -> str:
    return {NONE_LABEL: "off-topic (refused)", SUGGESTED: "did you mean"}.get(name, name)
