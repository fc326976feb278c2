"""Bar charts drawn as SVG on the server: no script library, nothing fetched from elsewhere.

Several series share one chart as grouped bars, each series in its own colour (the legend
and the data table under each chart say which is which).
"""

from __future__ import annotations

from html import escape

from markupsafe import Markup

from app.services.stats import Series

WIDTH, HEIGHT = 560, 200
LEFT, BOTTOM, TOP = 36, 24, 10
MAX_BAR = 48.0
PALETTE = ("#1f5fa8", "#c2571a", "#2f8f4e", "#8a3ea8", "#a83e5f", "#5a6b7a")


def bar_chart(series: Series, title: str, names: dict[str, str] | None = None) -> Markup:
    names = names or {}
    top = max((v for values in series.values.values() for v in values), default=0.0) or 1.0
    slot = (WIDTH - LEFT) / max(len(series.labels), 1)
    bar = min(max(slot * 0.8 / max(len(series.values), 1), 1.0), MAX_BAR)
    parts = [_axis(top)]
    for i, label in enumerate(series.labels):
        x = LEFT + i * slot
        parts.append(_label(x + slot / 2, HEIGHT - 6, label))
        for j, values in enumerate(series.values.values()):
            left = x + (slot - bar * len(series.values)) / 2 + j * bar
            parts.append(_bar(left, bar, values[i], top, PALETTE[j % 6]))
    legend = [
        f'<tspan fill="{PALETTE[j % 6]}">&#9632; {escape(names.get(k, k))}</tspan> '
        for j, k in enumerate(series.values)
    ]
    svg = (
        f'<svg class="chart" viewBox="0 0 {WIDTH} {HEIGHT + 18}" role="img" '
        f'aria-label="{escape(title)}" xmlns="http://www.w3.org/2000/svg">'
        f"<title>{escape(title)}</title>{''.join(parts)}"
        f'<text x="{LEFT}" y="{HEIGHT + 14}" font-size="11">{"".join(legend)}</text></svg>'
    )
    return Markup(svg)  # noqa: S704 - every piece of text in it is escaped above


def _axis(top: float) -> str:
    base = HEIGHT - BOTTOM
    return (
        f'<line x1="{LEFT}" y1="{base}" x2="{WIDTH}" y2="{base}" stroke="#444"/>'
        f'<text x="{LEFT - 4}" y="{TOP + 8}" font-size="10" text-anchor="end">{top:g}</text>'
        f'<text x="{LEFT - 4}" y="{base}" font-size="10" text-anchor="end">0</text>'
    )


def _bar(x: float, width: float, value: float, top: float, colour: str) -> str:
    height = (HEIGHT - BOTTOM - TOP) * value / top
    y = HEIGHT - BOTTOM - height
    return (
        f'<rect x="{x:.1f}" y="{y:.1f}" width="{width:.1f}" height="{height:.1f}" '
        f'fill="{colour}"><title>{value:g}</title></rect>'
    )


def _label(x: float, y: float, text: str) -> str:
    return f'<text x="{x:.1f}" y="{y}" font-size="10" text-anchor="middle">{escape(text)}</text>'
