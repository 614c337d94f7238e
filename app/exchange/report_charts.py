"""The background report's charts: the figures, as the report's tables give them, and the
same figures drawn as PNG images on the server with matplotlib (Agg, no display, nothing
shared between threads: each drawing makes its own Figure), for the .docx and the page.

Two charts: approved activities by type (one bar per type; per mission in the regional
report), and approved activities over time, by month for up to two years, by quarter up
to six, by year beyond (stacked by type for one mission, by mission for the region).
Records known only to their quarter or year stay out of the months: they are added to
their quarter when the chart is by quarter, and shown apart ("2015, month unknown")
otherwise, as the dashboards draw them; only those wholly in the period, which the
headline figures count.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date

from app.dashboards.schemas import MissionSummary, Series
from app.vocab import ActivityType

MAX_BARS = 24

# Okabe–Ito: told apart by readers with colour-vision deficiencies, and in greyscale by order
PALETTE = [
    "#0072B2",
    "#E69F00",
    "#009E73",
    "#CC79A7",
    "#56B4E9",
    "#D55E00",
    "#F0E442",
    "#000000",
    "#999999",
]


@dataclass
class Chart:
    """One chart's figures: a value per category for each series (one series: plain bars)."""

    key: str
    title: str
    category_label: str
    categories: list[str]
    series: dict[str, list[int]]
    caption: str = ""
    apart: list[str] = field(default_factory=list)  # categories drawn apart (date unknown)

    @property
    def total(self) -> int:
        return sum(sum(values) for values in self.series.values())

    def rows(self) -> list[list[str]]:
        """The figures as table rows: category, each series, and the total when stacked."""
        rows = []
        for i, category in enumerate(self.categories):
            values = [values[i] for values in self.series.values()]
            row = [category, *(f"{v:,}" for v in values)]
            if len(self.series) > 1:
                row.append(f"{sum(values):,}")
            rows.append(row)
        return rows

    def columns(self) -> list[str]:
        names = list(self.series)
        return [self.category_label, *names, *(["All"] if len(names) > 1 else [])]


def _type_label(key: str) -> str:
    try:
        return ActivityType(key).label
    except ValueError:
        return key


def by_type(summaries: Sequence[MissionSummary], *, regional: bool) -> Chart:
    """Approved activities per type: one series per mission in the regional report."""
    types = [t.value for t in ActivityType]
    present = [t for t in types if any(s.by_type.get(t) for s in summaries)]
    if regional:
        series = {s.mission: [s.by_type.get(t, 0) for t in present] for s in summaries}
        series = {name: values for name, values in series.items() if any(values)}
    else:
        series = {"Activities": [sum(s.by_type.get(t, 0) for s in summaries) for t in present]}
    return Chart(
        key="by-type",
        title="Activities by type",
        category_label="Type",
        categories=[_type_label(t) for t in present],
        series=series,
        caption="Approved activities dated wholly in the period"
        + (", by mission." if regional else "."),
    )


def _quarter(month: str) -> str:
    year, number = month.split("-")
    return f"Q{(int(number) - 1) // 3 + 1} {year}"


def _quarter_of(day: date) -> str:
    return f"Q{(day.month - 1) // 3 + 1} {day.year}"


def over_time(series: Series, *, regional: bool) -> Chart:
    """Approved activities per month, quarter or year, whichever keeps the bars few."""
    months = series.months
    names = list(series.series)
    inside = [b for b in series.unknown if b.inside]
    if len(months) <= MAX_BARS:
        grain, bucket = "Month", _month_label
    elif len(months) <= MAX_BARS * 3:
        grain, bucket = "Quarter", _quarter
    else:
        grain, bucket = "Year", (lambda month: month[:4])
    categories: list[str] = []
    values: dict[str, dict[str, int]] = {}
    for i, month in enumerate(months):
        label = bucket(month)
        if label not in values:
            categories.append(label)
            values[label] = {}
        for name in names:
            values[label][name] = values[label].get(name, 0) + series.series[name][i]
    apart = []
    for b in inside:
        if grain == "Quarter" and _quarter_of(b.start) == _quarter_of(b.end):
            label = _quarter_of(b.start)
        elif grain == "Year":
            label = str(b.start.year)
        else:
            label = b.label.replace("month unknown", f"{grain.lower()} unknown")
            apart.append(label)
        if label not in values:
            categories.append(label)
            values[label] = {}
        for name, n in b.series.items():
            if name not in names:
                names.append(name)
            values[label][name] = values[label].get(name, 0) + n
    pretty = {name: (name if regional else _type_label(name)) for name in names}
    chart_series = {
        pretty[name]: [values[c].get(name, 0) for c in categories]
        for name in names
        if any(values[c].get(name, 0) for c in categories)
    }
    caption = f"Approved activities per {grain.lower()}, " + (
        "by mission." if regional else "by type."
    )
    if apart:
        caption += (
            f" Records known only to their quarter or year are shown apart ({grain.lower()} "
            "unknown), never in the first month."
        )
    return Chart(
        key="over-time",
        title=f"Activities per {grain.lower()}",
        category_label=grain,
        categories=categories,
        series=chart_series,
        caption=caption,
        apart=apart,
    )


def _month_label(month: str) -> str:
    return date.fromisoformat(month + "-01").strftime("%b %Y")


def render_png(chart: Chart, *, width_mm: float = 160, height_mm: float = 85) -> bytes:
    """The chart as a PNG image (150 dpi), bars stacked when there are several series."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.ticker import MaxNLocator

    inch = 25.4
    figure = Figure(figsize=(width_mm / inch, height_mm / inch), dpi=150, layout="constrained")
    FigureCanvasAgg(figure)
    ax = figure.add_subplot()
    positions = list(range(len(chart.categories)))
    bottom = [0] * len(positions)
    for i, (name, values) in enumerate(chart.series.items()):
        ax.bar(
            positions,
            values,
            bottom=bottom,
            label=name,
            color=PALETTE[i % len(PALETTE)],
            edgecolor="white",
            linewidth=0.4,
        )
        bottom = [b + v for b, v in zip(bottom, values, strict=True)]
    for position, category in enumerate(chart.categories):
        if category in chart.apart:
            ax.axvspan(position - 0.5, position + 0.5, color="#eeeeee", zorder=0)
    many = len(positions) > 8 or max((len(c) for c in chart.categories), default=0) > 12
    ax.set_xticks(positions, chart.categories, fontsize=7)
    if many:
        for label in ax.get_xticklabels():
            label.set_rotation(45)
            label.set_horizontalalignment("right")
    ax.tick_params(axis="y", labelsize=7)
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_ylabel("Activities", fontsize=8)
    ax.spines[["top", "right"]].set_visible(False)
    ax.grid(axis="y", color="#dddddd", linewidth=0.5)
    ax.set_axisbelow(True)
    if len(chart.series) > 1:
        figure.legend(
            fontsize=7, frameon=False, ncols=min(len(chart.series), 6), loc="outside upper center"
        )
    if not positions:
        ax.text(0.5, 0.5, "No activities in this period.", ha="center", transform=ax.transAxes)
        ax.set_yticks([])
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", facecolor="white")
    return buffer.getvalue()
