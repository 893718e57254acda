"""Statistics as a picture: questions per topic per day, how they were met, subscribers.

matplotlib is imported only inside ``render``: it adds a second or so and tens of MB to a
process that does not draw, and the bot draws only when an editor asks. The figure is
built without pyplot (no global figure registry), so drawing in a worker thread is safe.
"""

from __future__ import annotations

import io
from collections.abc import Mapping
from typing import TYPE_CHECKING, Final

from bot.storage.records import Outcome

if TYPE_CHECKING:  # the storage records only; matplotlib stays unimported until render
    from matplotlib.axes import Axes

    from bot.storage.records import Trends

MAX_TOPIC_SERIES: Final = 8  # more colours than this are hard to tell apart; the rest add up
OTHER: Final = "other topics"
OUT_OF_SCOPE: Final = "out of scope"
_OUTCOME_COLOURS: Final[Mapping[Outcome, str]] = {
    Outcome.ANSWERED: "#2e7d32",
    Outcome.SUGGESTED: "#f9a825",
    Outcome.REFUSED: "#c62828",
}
# matplotlib's tab10 without its grey, which is kept for "out of scope".
_TOPIC_COLOURS: Final = (
    "#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#bcbd22",
)  # fmt: skip
_OTHER_COLOUR: Final = "#17becf"
_OUT_OF_SCOPE_COLOUR: Final = "#7f7f7f"
_DPI: Final = 100


def render(trends: Trends) -> bytes:
    """Draw ``trends`` as one PNG (1200x800 pixels); topics go by their ids, as editors
    name them in ``/publish`` (titles carry emoji, which the default fonts lack)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    figure = Figure(figsize=(12, 8), dpi=_DPI, layout="constrained")
    FigureCanvasAgg(figure)  # attaches the Agg canvas: no display, no pyplot state
    grid = figure.add_gridspec(2, 2, height_ratios=(3, 2))
    _questions_per_day(figure.add_subplot(grid[0, :]), trends)
    _outcomes(figure.add_subplot(grid[1, 0]), trends)
    _subscribers(figure.add_subplot(grid[1, 1]), trends)
    out = io.BytesIO()
    figure.savefig(out, format="png")
    return out.getvalue()


def series(trends: Trends) -> dict[str, tuple[int, ...]]:
    """The per-day counts to stack: the busiest topics by name, then the rest together,
    then out of scope; every series as long as ``trends.days``."""
    width = len(trends.days)
    topics = sorted(
        (topic for topic in trends.asked if topic is not None),
        key=lambda topic: (-sum(trends.asked[topic]), topic),
    )
    shown: dict[str, tuple[int, ...]] = {
        topic: trends.asked[topic] for topic in topics[:MAX_TOPIC_SERIES]
    }
    rest = topics[MAX_TOPIC_SERIES:]
    if rest:
        shown[OTHER] = tuple(sum(trends.asked[topic][i] for topic in rest) for i in range(width))
    if None in trends.asked:
        shown[OUT_OF_SCOPE] = trends.asked[None]
    return shown


def _questions_per_day(axes: Axes, trends: Trends) -> None:
    labels = _day_labels(axes, trends)
    bottom = [0] * len(labels)
    for index, (name, counts) in enumerate(series(trends).items()):
        colour = {OTHER: _OTHER_COLOUR, OUT_OF_SCOPE: _OUT_OF_SCOPE_COLOUR}.get(
            name, _TOPIC_COLOURS[index % len(_TOPIC_COLOURS)]
        )
        axes.bar(range(len(labels)), counts, bottom=bottom, label=name, color=colour)
        bottom = [low + count for low, count in zip(bottom, counts, strict=True)]
    axes.set_title(f"Questions per topic per day (last {len(labels)} days, UTC)")
    axes.set_ylabel("questions")
    if any(bottom):
        # Beside the bars, not over them: the busiest day is often where a legend would sit.
        axes.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize="small")
    else:
        _nothing_yet(axes, "no questions in this period")


def _outcomes(axes: Axes, trends: Trends) -> None:
    axes.set_title("How questions were met")
    total = sum(trends.outcomes.values())
    if not total:
        axes.set_axis_off()
        _nothing_yet(axes, "no questions in this period")
        return
    counts = [trends.outcomes.get(outcome, 0) for outcome in Outcome]
    labels = [f"{outcome.value} {count} ({count / total:.0%})" for outcome, count in zip(
        Outcome, counts, strict=True
    )]  # fmt: skip
    axes.barh(labels, counts, color=[_OUTCOME_COLOURS[outcome] for outcome in Outcome])
    axes.invert_yaxis()  # answered on top, as the legend reads
    axes.set_xlabel("questions")


def _subscribers(axes: Axes, trends: Trends) -> None:
    labels = _day_labels(axes, trends)
    axes.plot(range(len(labels)), trends.subscribers, marker="o", color="#1565c0")
    axes.set_title("Subscribers")
    axes.set_ylim(bottom=0, top=max(max(trends.subscribers, default=0) * 1.15, 1))
    # Every other date: fourteen labels under a half-width chart overlap.
    for index, label in enumerate(axes.get_xticklabels()):
        label.set_visible((len(labels) - 1 - index) % 2 == 0)


def _day_labels(axes: Axes, trends: Trends) -> list[str]:
    """Put the dates under the x axis; positions are numbers, since matplotlib guesses
    (and logs about) strings that look like dates."""
    labels = [f"{day:%d %b}" for day in trends.days]
    axes.set_xticks(range(len(labels)), labels, rotation=45)
    return labels


def _nothing_yet(axes: Axes, text: str) -> None:
    axes.text(0.5, 0.5, text, ha="center", va="center", transform=axes.transAxes, color="grey")
