"""Charts of the report: matplotlib figures written as inline SVG for the page and PNG for slides.

One figure gives both, so a slide shows exactly what the page shows. Text is drawn as glyph
outlines of IPAexGothic (the font file shipped by matplotlib-fontja): the page needs no font and
no script, and Japanese renders the same on every PC. Marks that carry a value get an id
containing "mark" so a browser test can check that every chart drew something.
Suppressed values (null) are never drawn as 0: bars leave a gap labelled 秘匿, lines break.
"""

from __future__ import annotations

import importlib.util
import io
import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from zaitaku_cli.errors import ReferenceDataError

# Okabe–Ito: told apart by colour-blind readers and in greyscale print-outs.
PALETTE = (
    "#0072B2",
    "#E69F00",
    "#009E73",
    "#CC79A7",
    "#56B4E9",
    "#D55E00",
    "#999999",
    "#000000",
)
SUPPRESSED_LABEL = "秘匿"
INK = "#222222"
GRID = "#dddddd"
FONT_FAMILY = "IPAexGothic"


@cache
def japanese_font() -> Path:
    """The IPAexGothic file of matplotlib-fontja, found without importing the package (its
    import changes matplotlib's global settings)."""
    spec = importlib.util.find_spec("matplotlib_fontja")
    if spec is None or not spec.submodule_search_locations:
        raise ReferenceDataError(
            "matplotlib-fontja is not installed: reinstall zaitaku (it provides the Japanese "
            "font of the charts)"
        )
    path = Path(next(iter(spec.submodule_search_locations))) / "fonts" / "ipaexg.ttf"
    if not path.is_file():
        raise ReferenceDataError("the Japanese chart font is missing: {path}", path=path)
    return path


@cache
def _register_font() -> None:
    from matplotlib import font_manager

    font_manager.fontManager.addfont(str(japanese_font()))


def _style() -> Any:  # matplotlib types rc keys as Literal: a plain dict is not one
    return {
        "font.family": FONT_FAMILY,
        "font.size": 10,
        "axes.edgecolor": "#888888",
        "axes.labelcolor": INK,
        "axes.titlesize": 11,
        "axes.titleweight": "normal",
        "axes.spines.top": False,
        "axes.spines.right": False,
        "xtick.color": INK,
        "ytick.color": INK,
        "svg.fonttype": "path",
        "svg.hashsalt": "zaitaku",  # deterministic ids: the same data give the same file
        "axes.unicode_minus": False,
    }


@dataclass
class Chart:
    """A finished chart: its id on the page, its caption, the figure, a text alternative."""

    chart_id: str
    title: str
    figure: Any  # matplotlib.figure.Figure
    description: str  # read by screen readers (aria-label); the data table is beside it

    def svg(self) -> str:
        """The figure as an <svg> element for inline use: ids made unique on the page."""
        import matplotlib

        buffer = io.StringIO()
        with matplotlib.rc_context(_style()):  # svg.* settings are read when saving
            self.figure.savefig(buffer, format="svg", metadata={"Date": None})
        text = buffer.getvalue()
        text = text[text.index("<svg") :]
        # the RDF block names outside vocabularies (purl.org, creativecommons.org): not needed
        text = re.sub(r"\s*<metadata>.*?</metadata>", "", text, count=1, flags=re.S)
        prefix = self.chart_id
        text = re.sub(r'id="([^"]+)"', lambda m: f'id="{prefix}-{m.group(1)}"', text)
        text = re.sub(r'href="#([^"]+)"', lambda m: f'href="#{prefix}-{m.group(1)}"', text)
        text = re.sub(r"url\(#([^)]+)\)", lambda m: f"url(#{prefix}-{m.group(1)})", text)
        return text.replace(
            "<svg ",
            f'<svg role="img" aria-label="{_attr(self.description)}" class="chart-svg" ',
            1,
        )

    def png(self, target: Path) -> None:
        import matplotlib

        with matplotlib.rc_context(_style()):
            self.figure.savefig(target, format="png", dpi=200, facecolor="white")


def _attr(text: str) -> str:
    return (
        text.replace("&", "&amp;").replace('"', "&quot;").replace("<", "&lt;").replace(">", "&gt;")
    )


def _figure(width: float, height: float) -> Any:
    from matplotlib.figure import Figure

    _register_font()
    return Figure(figsize=(width, height), layout="constrained")


def _fmt(value: float) -> str:
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.1f}"


@dataclass
class Bar:
    label: str  # the category (municipality) on the axis
    group: str  # its 二次医療圏, shown as a band
    values: Sequence[float | None]  # one per series; None = suppressed


def horizontal_bars(
    chart_id: str,
    title: str,
    bars: Sequence[Bar],
    series: Sequence[str],
    *,
    xlabel: str,
    description: str,
    stacked: bool = False,
    value_labels: bool = True,
    integer: bool = True,
) -> Chart:
    """One bar per category (top to bottom in the given order), bands per group.

    With several series the bars are stacked (the series must be disjoint, e.g. 支援診 tiers).
    A suppressed value draws no bar and says 秘匿 where the bar would start.
    """
    import matplotlib
    from matplotlib.patches import Patch
    from matplotlib.ticker import MaxNLocator

    with matplotlib.rc_context(_style()):
        height = max(2.4, 0.26 * len(bars) + 1.5)
        fig = _figure(9.6, height)
        ax = fig.add_subplot()
        positions = list(range(len(bars)))[::-1]
        left = [0.0] * len(bars)
        top = max(
            (
                sum(v or 0 for v in b.values) if stacked else max((v or 0) for v in b.values)
                for b in bars
            ),
            default=0,
        )
        mark = 0
        handles = []
        for s, name in enumerate(series):
            colour = PALETTE[s % len(PALETTE)]
            handles.append(Patch(color=colour, label=name))
            widths = [b.values[s] for b in bars]
            drawn = [(p, w, x) for p, w, x in zip(positions, widths, left, strict=True) if w]
            if drawn:
                container = ax.barh(
                    [p for p, _, _ in drawn],
                    [w for _, w, _ in drawn],
                    left=[x for _, _, x in drawn] if stacked else None,
                    height=0.68,
                    color=colour,
                )
                for patch in container:
                    patch.set_gid(f"mark-{mark}")
                    mark += 1
            if stacked:
                left = [x + (w or 0) for x, w in zip(left, widths, strict=True)]
        pad = top * 0.01 if top else 0.05
        for p, b in zip(positions, bars, strict=True):
            if any(v is None for v in b.values):
                ax.text(
                    pad, p, SUPPRESSED_LABEL, va="center", ha="left", color="#777777", fontsize=8.5
                )
            elif value_labels and not stacked:
                ax.text(
                    (b.values[0] or 0) + pad, p, _fmt(b.values[0] or 0), va="center", fontsize=8.5
                )
        _group_bands(ax, bars, positions)
        ax.set_yticks(positions, [b.label for b in bars])
        ax.set_ylim(-0.6, len(bars) - 0.4)
        ax.set_xlim(0, top * 1.12 if top else 1)
        ax.set_xlabel(xlabel)
        ax.xaxis.grid(True, color=GRID, linewidth=0.6)
        ax.set_axisbelow(True)
        ax.tick_params(axis="y", length=0)
        ax.xaxis.set_major_locator(MaxNLocator(integer=integer, min_n_ticks=3))
        if len(series) > 1:
            ax.legend(
                handles=handles,
                loc="lower left",
                bbox_to_anchor=(0.0, 1.0),
                borderaxespad=0.3,
                frameon=False,
                ncols=len(series),
                fontsize=8.5,
            )
        fig.suptitle(title, x=0.0, ha="left", fontsize=11)
    return Chart(chart_id, title, fig, description)


def _group_bands(ax: Any, bars: Sequence[Bar], positions: Sequence[int]) -> None:
    """Light bands behind consecutive bars of one group, the group's name on the right."""
    start = 0
    shade = False
    for i in range(1, len(bars) + 1):
        if i == len(bars) or bars[i].group != bars[start].group:
            lo, hi = positions[i - 1] - 0.5, positions[start] + 0.5
            if shade:
                ax.axhspan(lo, hi, color="#f2f4f7", zorder=0, linewidth=0)
            ax.text(
                1.0,
                (lo + hi) / 2,
                bars[start].group,
                transform=ax.get_yaxis_transform(),
                ha="right",
                va="center",
                fontsize=8.5,
                color="#5a6b7d",
            )
            shade = not shade
            start = i


@dataclass
class Line:
    name: str
    values: Sequence[float | None]  # one per x; None = suppressed (the line breaks)


def lines(
    chart_id: str,
    title: str,
    x: Sequence[Any],
    series: Sequence[Line],
    *,
    ylabel: str,
    description: str,
    marker_x: tuple[Any, str] | None = None,
    panels: bool = False,
    sharey: bool = True,
    gap_note: str | None = None,
) -> Chart:
    """Lines over `x` (months or years). Suppressed points break the line and the month is
    shaded, so a gap is never read as a fall to 0. `marker_x` draws a dashed vertical line with a
    label (the projection's base year). `panels` draws one small panel per series."""
    import matplotlib
    from matplotlib.ticker import MaxNLocator

    with matplotlib.rc_context(_style()):
        if panels:
            cols = 3
            rows = (len(series) + cols - 1) // cols
            fig = _figure(9.6, 1.9 * rows + 0.8)
            axes = fig.subplots(rows, cols, sharex=True, sharey=sharey, squeeze=False).ravel()
            for ax in axes[len(series) :]:
                ax.set_visible(False)
            pairs = [(axes[i], [s], i) for i, s in enumerate(series)]
        else:
            fig = _figure(9.6, 3.6)
            ax0 = fig.add_subplot()
            pairs = [(ax0, list(series), 0)]
        mark = 0
        for ax, group, first in pairs:
            for k, line in enumerate(group):
                colour = PALETTE[(first + k) % len(PALETTE)] if not panels else PALETTE[0]
                ys = [float("nan") if v is None else v for v in line.values]
                (artist,) = ax.plot(
                    x, ys, marker="o", markersize=3, linewidth=1.8, color=colour, label=line.name
                )
                artist.set_gid(f"mark-{mark}")
                mark += 1
                for xi, v in zip(x, line.values, strict=True):
                    if v is None and panels:
                        ax.axvspan(
                            *_span(x, xi), color="#bbbbbb", alpha=0.25, linewidth=0, zorder=0
                        )
            if panels:
                ax.set_title(group[0].name, loc="left", fontsize=9.5)
            if marker_x is not None:
                ax.axvline(marker_x[0], color="#555555", linestyle="--", linewidth=1)
                ax.annotate(
                    marker_x[1],
                    xy=(marker_x[0], 0.0),
                    xycoords=("data", "axes fraction"),
                    xytext=(4, 4),
                    textcoords="offset points",
                    va="bottom",
                    fontsize=8.5,
                    color="#555555",
                )
            ax.yaxis.grid(True, color=GRID, linewidth=0.6)
            ax.yaxis.set_major_locator(MaxNLocator(nbins=5, integer=True, min_n_ticks=3))
            ax.set_axisbelow(True)
            ax.set_ylim(bottom=0)
        if not panels:
            ax0.set_ylabel(ylabel)
            ax0.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), frameon=False, fontsize=9)
        else:
            fig.supylabel(ylabel, fontsize=9.5)
        _date_axis(pairs[-1][0], x, yearly=panels)
        gaps = any(v is None for line in series for v in line.values)
        if gaps and panels:
            fig.supxlabel(
                gap_note or "灰色の月は秘匿（1〜9 人など）のため値を表示していません", fontsize=8.5
            )
        elif gaps:
            ax0.set_xlabel(gap_note or "線の切れ目は秘匿（1〜9 人など）の月です", fontsize=8.5)
        fig.suptitle(title, x=0.0, ha="left", fontsize=11)
    return Chart(chart_id, title, fig, description)


def _span(x: Sequence[Any], xi: Any) -> tuple[Any, Any]:
    """Half a step either side of xi (months as dates or years as numbers)."""
    i = list(x).index(xi)
    prev = x[i - 1] if i > 0 else None
    nxt = x[i + 1] if i + 1 < len(x) else None
    step = (nxt - xi) if nxt is not None else (xi - prev) if prev is not None else 1
    return (xi - step / 2, xi + step / 2)


def _date_axis(ax: Any, x: Sequence[Any], *, yearly: bool) -> None:
    from datetime import date

    if x and isinstance(x[0], date):
        import matplotlib.dates as mdates

        for a in ax.figure.axes:
            a.xaxis.set_major_locator(mdates.MonthLocator(bymonth=(4,) if yearly else (4, 10)))
            a.xaxis.set_major_formatter(mdates.DateFormatter("%Y-%m"))
            a.xaxis.set_minor_locator(mdates.MonthLocator())


def save_pngs(charts: Sequence[Chart], folder: Path) -> list[Path]:
    """Each chart as `<chart id>.png` in `folder` (200 dpi, for slides), written atomically."""
    from zaitaku_cli.export import atomic_path

    written = []
    for chart in charts:
        target = folder / f"{chart.chart_id}.png"
        with atomic_path(target) as tmp:
            chart.png(tmp)
        written.append(target)
    return written
