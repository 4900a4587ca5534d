"""Small server-rendered SVG charts: pure functions, numbers in, escaped SVG text out.

Both charts span `days` days, oldest on the left, with a faint line at each day's start
and their scale written in the corners, so that they read without a legend."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from html import escape

WIDTH = 672
HEIGHT = 120
TOP = 14  # room above the plot for the labels


def bars(counts: Sequence[int], title: str, days: int) -> str:
    """One bar per count (articles per hour, say), scaled to the largest."""
    top = max(counts, default=0) or 1
    step = WIDTH / max(len(counts), 1)
    rects = []
    for index, count in enumerate(counts):
        if count:
            height = (HEIGHT - TOP) * count / top
            rects.append(
                f'<rect x="{index * step:.1f}" y="{HEIGHT - height:.1f}" '
                f'width="{max(step - 0.5, 0.5):.1f}" height="{height:.1f}"/>'
            )
    return _svg(title, f"highest: {top}", "".join(rects), "bars", days)


def lines(series: Mapping[str, Sequence[float | None]], title: str, days: int) -> str:
    """One polyline per named series of shares (0..1), a point per day at its middle; a
    day without a value breaks nothing."""
    paths = []
    for number, (name, values) in enumerate(series.items()):
        step = WIDTH / max(len(values), 1)
        points = [
            (step * (index + 0.5), HEIGHT - (HEIGHT - TOP) * value)
            for index, value in enumerate(values)
            if value is not None
        ]
        line = " ".join(f"{x:.1f},{y:.1f}" for x, y in points)
        dots = "".join(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="2"/>' for x, y in points)
        paths.append(
            f'<g class="s{number}"><title>{escape(name)}</title>'
            f'<polyline points="{line}"/>{dots}</g>'
        )
    return _svg(title, "0-100 %", "".join(paths), "lines", days)


def _svg(title: str, scale: str, body: str, kind: str, days: int) -> str:
    grid = "".join(
        f'<line class="day" x1="{x:.1f}" y1="{TOP}" x2="{x:.1f}" y2="{HEIGHT}"/>'
        for x in (WIDTH * day / days for day in range(1, days))
    )
    labels = (
        f'<text x="2" y="10">{escape(title)}</text>'
        f'<text x="{WIDTH - 2}" y="10" text-anchor="end">{escape(scale)}; now at the right</text>'
    )
    return (
        f'<svg class="chart {kind}" xmlns="http://www.w3.org/2000/svg" role="img" '
        f'viewBox="0 0 {WIDTH} {HEIGHT}" width="{WIDTH}" height="{HEIGHT}">'
        f"<title>{escape(title)} ({escape(scale)})</title>{grid}{labels}{body}</svg>"
    )
