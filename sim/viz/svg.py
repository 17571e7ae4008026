"""A small SVG writer for the view: line and bar charts and the parts of the network drawing.

The view redraws every figure each simulated day; matplotlib takes 200-700 ms a figure for that
on a two-core machine (layout, tick objects, rasterising a PNG), far over the view's budget of
200 ms a day. An SVG string is built in about a millisecond and drawn by the browser, and its
elements can be checked in a browser test (one ``circle.agency`` per agency, a ``polyline``'s
points changing). Text is escaped; nothing from the page is ever interpreted.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from html import escape

FONT = "font-family='DejaVu Sans, Arial, sans-serif'"


class Svg:
    """An SVG document built element by element."""

    def __init__(self, width: int, height: int, *, gid: str) -> None:
        self.width, self.height = width, height
        self.parts: list[str] = [
            f"<svg xmlns='http://www.w3.org/2000/svg' id='{gid}' width='{width}' height='{height}' "
            f"viewBox='0 0 {width} {height}' {FONT} font-size='11'>"
        ]

    def add(self, element: str) -> None:
        self.parts.append(element)

    def text(self, x: float, y: float, content: str, *, size: float = 11, anchor: str = "start",
             weight: str = "normal", cls: str = "", fill: str = "#000") -> None:
        c = f" class='{cls}'" if cls else ""
        self.add(f"<text x='{x:.1f}' y='{y:.1f}' font-size='{size}' text-anchor='{anchor}' "
                 f"font-weight='{weight}' fill='{fill}'{c}>{escape(content)}</text>")

    def line(self, x1: float, y1: float, x2: float, y2: float, *, stroke: str = "#000",
             width: float = 1.0, dash: str = "") -> None:
        d = f" stroke-dasharray='{dash}'" if dash else ""
        self.add(f"<line x1='{x1:.1f}' y1='{y1:.1f}' x2='{x2:.1f}' y2='{y2:.1f}' stroke='{stroke}' "
                 f"stroke-width='{width}'{d}/>")

    def render(self) -> str:
        return "".join([*self.parts, "</svg>"])


def nice_ticks(low: float, high: float, count: int = 5) -> list[float]:
    """About ``count`` round tick values covering [low, high]."""
    if not (math.isfinite(low) and math.isfinite(high)) or high <= low:
        return [low] if math.isfinite(low) else [0.0]
    raw = (high - low) / max(count - 1, 1)
    power = 10.0 ** math.floor(math.log10(raw))
    step = next(f * power for f in (1, 2, 2.5, 5, 10) if f * power >= raw)
    start = math.ceil(low / step - 1e-9) * step
    ticks = []
    x = start
    while x <= high + step * 1e-9:
        ticks.append(round(x, 10))
        x += step
    return ticks


def _fmt(x: float) -> str:
    return f"{x:g}" if abs(x) < 1e5 else f"{x:.2g}"


MAX_POINTS_PER_PX = 2
"""A line keeps at most this many points per pixel of plot width (later days would add
thousands of invisible points to every frame: 3,650 days made a 400 kB frame)."""


def _thinned(n: int, width_px: int) -> list[int]:
    """Indices of the points drawn: every one, or every k-th and the last."""
    stride = max(1, -(-n // max(MAX_POINTS_PER_PX * width_px, 1)))
    keep = list(range(0, n, stride))
    if keep and keep[-1] != n - 1:
        keep.append(n - 1)
    return keep


def line_chart(svg: Svg, box: tuple[float, float, float, float], *, title: str, x: Sequence[float],
               series: Sequence[tuple[str, Sequence[float], str, str]],
               ylim: tuple[float, float] | None = None, xlabel: str = "day",
               legend_title: str = "", gid: str = "") -> None:
    """Lines in ``box`` = (left, top, width, height); ``series``: (label, y, colour, dash).
    NaN values break a line (no value yet)."""
    left, top, width, height = box
    pl, pr, pt, pb = 38, 12, 44, 30  # padding: tick labels, title and legend row, axis label
    x0, x1 = left + pl, left + width - pr
    y0, y1 = top + height - pb, top + pt
    xs = list(x)
    xmax = max(xs[-1] if xs else 1.0, 1.0)
    if ylim is None:
        finite = [v for _, ys, _, _ in series for v in ys if math.isfinite(v)]
        ylim = (0.0, max(max(finite, default=1.0), 1.0) * 1.05)
    ylo, yhi = ylim

    def px(v: float) -> float:
        return x0 + (x1 - x0) * v / xmax

    def py(v: float) -> float:
        return y0 - (y0 - y1) * (v - ylo) / (yhi - ylo)

    svg.text(left + 2, top + 13, title, size=12, weight="bold")
    for t in nice_ticks(ylo, yhi):
        svg.line(x0, py(t), x1, py(t), stroke="#e5e5e5")
        svg.text(x0 - 4, py(t) + 4, _fmt(t), size=10, anchor="end")
    for t in nice_ticks(0, xmax):
        svg.line(px(t), y0, px(t), y0 + 3, stroke="#000")
        svg.text(px(t), y0 + 14, _fmt(t), size=10, anchor="middle")
    svg.line(x0, y0, x1, y0)
    svg.line(x0, y0, x0, y1)
    svg.text((x0 + x1) / 2, y0 + 27, xlabel, size=10, anchor="middle")
    keep = _thinned(len(xs), int(x1 - x0))
    for label, ys, colour, dash in series:
        d = f" stroke-dasharray='{dash}'" if dash else ""
        run: list[str] = []
        runs: list[list[str]] = []
        for k in keep:
            if k >= len(ys):
                break
            xv, yv = xs[k], ys[k]
            if math.isfinite(yv):
                run.append(f"{px(xv):.1f},{py(yv):.1f}")
            elif run:
                runs.append(run)
                run = []
        if run:
            runs.append(run)
        for points in runs:
            svg.add(f"<polyline class='series' data-series='{escape(label)}' fill='none' "
                    f"stroke='{colour}' stroke-width='2'{d} points='{' '.join(points)}'/>")
    lx, ly = left + 4, top + 30
    if legend_title:
        svg.text(lx, ly + 4, legend_title, size=10, fill="#444")
        lx += 7 * len(legend_title) + 6
    for label, _, colour, dash in series:
        svg.line(lx, ly, lx + 20, ly, stroke=colour, width=2, dash=dash)
        svg.text(lx + 24, ly + 4, label, size=10)
        lx += 34 + 6.5 * len(label)
    if gid:
        svg.add(f"<g id='{gid}'/>")


def bar_chart(svg: Svg, box: tuple[float, float, float, float], *, title: str,
              labels: Sequence[str], values: Sequence[float], colour: str, xlabel: str) -> None:
    """Horizontal bars with their counts."""
    left, top, width, height = box
    label_w = 118
    x0, x1 = left + label_w, left + width - 30
    y_top, y_bottom = top + 24, top + height - 28
    top_value = max([*values, 1])
    band = (y_bottom - y_top) / max(len(labels), 1)
    svg.text(left + 2, top + 13, title, size=12, weight="bold")
    for k, (label, value) in enumerate(zip(labels, values, strict=True)):
        y = y_top + k * band
        w = (x1 - x0) * value / top_value
        svg.text(x0 - 5, y + band / 2 + 4, label, size=10, anchor="end")
        svg.add(f"<rect class='bar' data-label='{escape(label)}' x='{x0:.1f}' y='{y + band * 0.15:.1f}' "
                f"width='{w:.1f}' height='{band * 0.7:.1f}' fill='{colour}'/>")
        svg.text(x0 + w + 4, y + band / 2 + 4, _fmt(value), size=10)
    svg.line(x0, y_top, x0, y_bottom)
    svg.text((x0 + x1) / 2, y_bottom + 20, xlabel, size=10, anchor="middle")
