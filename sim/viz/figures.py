"""What the view draws, as SVG and tables built from one model's state.

Kept apart from Solara so that the benchmark times exactly what a rendered day costs and the
drawings can be checked without a browser. Everything is read from the model's public state
(its warning log, threats, per-day series, trust matrix); nothing is changed. The drawings are
SVG (:mod:`sim.viz.svg` says why not matplotlib).

Colours: the Okabe-Ito palette (Okabe & Ito 2008), safe for the common colour-vision
deficiencies, with shapes and dashes as well as colours; trust on the ``cividis`` map (Nuñez,
Anderton & Renslow 2018: it reads the same with and without colour vision). Blocs fill the
agencies' circles from a separate scale, Paul Tol's "muted" qualitative scheme (Tol 2021) without
its blue and yellow, which would read as points of the trust scale: no bloc colour is within
CIELAB distance 30 of any cividis colour (a test checks). Each name is written in black or
white, whichever contrasts more with its circle (WCAG 2.1 contrast ratio), at a size that fits
it inside the circle, or beside the circle when it would need a size under 8.5 px.
"""

from __future__ import annotations

import functools
from collections import Counter
from html import escape
from typing import Any

import networkx as nx
import numpy as np

from sim.enums import Response, WaiverReason
from sim.schema import BANDS, band_of
from sim.viz.svg import Svg, bar_chart, line_chart
from sim.world import FateCode

RECENT_DAYS = 7
"""Warnings decided, attacks and arrests of this many last days are drawn and listed."""

RESPONSE_COLOURS: dict[Response, str] = {
    Response.HEEDED: "#0072B2",  # blue
    Response.INVESTIGATED: "#E69F00",  # orange
    Response.DISMISSED: "#D55E00",  # vermillion
}
RESPONSE_DASHES: dict[Response, str] = {
    Response.HEEDED: "", Response.INVESTIGATED: "9 3 2 3", Response.DISMISSED: "2 3"}
IN_FLIGHT = "#000000"
BAND_COLOURS = dict(zip(BANDS, ("#009E73", "#E69F00", "#D55E00"), strict=False))
BAND_DASHES = dict(zip(BANDS, ("", "8 3", "2 3"), strict=False))
BLOC_COLOURS = ("#44AA99", "#CC6677", "#AA4499", "#117733", "#882255", "#E69FCB")
"""Teal, rose, purple, green, wine (Tol's muted scheme) and a light pink; cycled beyond six."""
NODE_RADIUS = 21
NAME_SIZE = 11.0
"""Font size (px) of an agency's name; smaller for a long name, down to :data:`MIN_NAME_SIZE`."""
MIN_NAME_SIZE = 8.5
_ATTACK, _INTERDICTED = FateCode.ATTACK, FateCode.INTERDICTED


@functools.cache
def _trust_lut() -> tuple[str, ...]:
    import matplotlib as mpl

    cmap = mpl.colormaps["cividis"]
    return tuple(mpl.colors.to_hex(cmap(k / 255.0)) for k in range(256))


def trust_colour(value: float) -> str:
    """The cividis colour of a trust value in [0, 1]."""
    return _trust_lut()[round(min(max(value, 0.0), 1.0) * 255)]


def luminance(colour: str) -> float:
    """WCAG 2.1 relative luminance of a ``#rrggbb`` colour."""
    channels = [int(colour[k:k + 2], 16) / 255 for k in (1, 3, 5)]
    r, g, b = (c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(a: str, b: str) -> float:
    """WCAG 2.1 contrast ratio of two colours (1 to 21; 4.5 is the minimum for small text)."""
    high, low = sorted((luminance(a), luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def text_colour(fill: str) -> str:
    """Black or white, whichever contrasts more with ``fill``."""
    return "#000000" if contrast(fill, "#000000") >= contrast(fill, "#ffffff") else "#ffffff"


@functools.cache
def text_width(text: str, size: float) -> float:
    """Width in px of ``text`` in DejaVu Sans (the drawings' first font, shipped with
    matplotlib; the fall-backs are narrower) at ``size`` px."""
    from matplotlib.font_manager import FontProperties
    from matplotlib.textpath import TextToPath

    width, _, _ = TextToPath().get_text_width_height_descent(
        text, FontProperties(family="DejaVu Sans", size=size), ismath=False)
    return float(width)


def name_size(name: str, radius: float = NODE_RADIUS) -> float | None:
    """The font size that fits ``name`` inside a circle of ``radius`` (its line of cap height
    about 0.73 em centred, 2 px clear of the edge), at most :data:`NAME_SIZE`; None when that
    would be under :data:`MIN_NAME_SIZE` (the name then goes beside the circle)."""
    size = NAME_SIZE
    for _ in range(8):
        half_height = 0.73 * size / 2
        room = 2 * (radius * radius - half_height * half_height) ** 0.5 - 4
        width = text_width(name, size)
        if width <= room:
            return size
        size = round(size * room / width - 0.05, 1)
        if size < MIN_NAME_SIZE:
            return None
    return None


def today(model: Any) -> int:
    """The last simulated day (-1 before the first step)."""
    return int(model.day) - 1


# --- the network ----------------------------------------------------------------------------
def layout(model: Any) -> dict[int, np.ndarray]:
    """Node positions: a circle with each bloc on its own arc (networkx), computed once."""
    cached = getattr(model, "_view_layout", None)
    if cached is not None:
        return cached
    profiles = model.scenario.agencies
    order = sorted(range(len(profiles)), key=lambda i: (profiles[i].bloc, i))
    graph = nx.DiGraph()
    graph.add_nodes_from(order)
    pos = {int(k): np.asarray(v) for k, v in nx.circular_layout(graph).items()}
    model._view_layout = pos
    return pos


def liaison_graph(model: Any) -> nx.DiGraph:
    """Agencies and liaison channels, each edge carrying the recipient's trust in the sender."""
    trust = model.trust_matrix()
    graph = nx.DiGraph()
    for i, profile in enumerate(model.scenario.agencies):
        graph.add_node(i, name=profile.name, bloc=profile.bloc)
    rows, cols = np.nonzero(model.liaison)
    for s, r in zip(rows.tolist(), cols.tolist(), strict=True):
        graph.add_edge(s, r, trust=float(trust[r, s]))
    return graph


def network_svg(model: Any, *, size: int = 560) -> str:
    """Agencies by bloc; each liaison channel as two half-edges, the half at an agency coloured
    by that agency's trust in the other end; warnings in flight (dashed black) and decided in the
    last days (coloured and dashed by the response); attacks and arrests of the last days beside
    the target."""
    legend_w = 150
    svg = Svg(size + legend_w, size + 40, gid="network")
    centre, radius = size / 2, size / 2 - 70
    pos = layout(model)
    n = len(model.names)
    xy = np.array([pos[i] for i in range(n)]) * radius + centre
    trust = model.trust_matrix()
    day = today(model)
    svg.text(8, 16, f"After day {model.day}: liaison channels and warnings", size=13,
             weight="bold", cls="day-title")

    for i in range(n):
        for j in range(i + 1, n):
            if not model.liaison[i, j]:
                svg.line(*xy[i], *xy[j], stroke="#c8c8c8", width=1, dash="1 3")
    for s, r in liaison_graph(model).edges():
        mid = (xy[s] + xy[r]) / 2
        svg.add(f"<line class='half-edge' x1='{mid[0]:.1f}' y1='{mid[1]:.1f}' x2='{xy[r][0]:.1f}' "
                f"y2='{xy[r][1]:.1f}' stroke='{trust_colour(trust[r, s])}' stroke-width='2.5'/>")

    in_flight, decided = _recent_cables(model, day)
    index = {name: i for i, name in enumerate(model.names)}
    for c in in_flight:
        _arrow(svg, xy[index[c.sender]], xy[index[c.recipient]], (IN_FLIGHT, "6 3", "in-flight"))
    for c in decided:
        _arrow(svg, xy[index[c.sender]], xy[index[c.recipient]],
               (RESPONSE_COLOURS[c.response], RESPONSE_DASHES[c.response], c.response.value))

    blocs = sorted({p.bloc for p in model.scenario.agencies})
    for i, profile in enumerate(model.scenario.agencies):
        _agency(svg, xy[i], xy[i] - centre, profile.name,
                BLOC_COLOURS[blocs.index(profile.bloc) % len(BLOC_COLOURS)])

    attacks, arrests = _recent_fates(model, day)
    for target, deaths in attacks.items():
        x, y = (xy[target] - centre) * 1.2 + centre
        svg.add(f"<path class='attack' d='M{x - 7:.1f},{y - 7:.1f} L{x + 7:.1f},{y + 7:.1f} "
                f"M{x - 7:.1f},{y + 7:.1f} L{x + 7:.1f},{y - 7:.1f}' stroke='#000' stroke-width='4'/>")
        label = f"attack: {deaths} dead"
        half = text_width(label, 10) / 2 + 2  # kept inside the drawing, beside the X
        svg.text(min(max(x, half), size - half), y + (22 if y >= centre else -12), label,
                 size=10, anchor="middle")
    for target in arrests:
        x, y = (xy[target] - centre) * 0.8 + centre
        svg.add(f"<rect class='arrest' x='{x - 6:.1f}' y='{y - 6:.1f}' width='12' height='12' "
                f"fill='#009E73' stroke='#000'/>")

    _network_legend(svg, size + 4, blocs)
    return svg.render()


def _agency(svg: Svg, at: np.ndarray, outward: np.ndarray, name: str, fill: str) -> None:
    """A circle in its bloc's colour with the agency's name inside (or beside it, outward)."""
    x, y = float(at[0]), float(at[1])
    svg.add(f"<circle class='agency' data-name='{escape(name)}' cx='{x:.1f}' cy='{y:.1f}' "
            f"r='{NODE_RADIUS}' fill='{fill}' stroke='#000' stroke-width='1'/>")
    size = name_size(name)
    if size is not None:
        svg.text(x, y + 0.36 * size, name, size=size, anchor="middle", cls="agency-name",
                 fill=text_colour(fill))
        return
    ux, uy = outward / (float(np.hypot(*outward)) or 1.0)
    anchor = "start" if ux > 0.3 else "end" if ux < -0.3 else "middle"
    gap = NODE_RADIUS + 5
    svg.text(x + ux * gap, y + uy * gap + 4 + (7 if uy > 0.3 else 0), name, size=NAME_SIZE,
             anchor=anchor, cls="agency-name outside")


def _arrow(svg: Svg, start: np.ndarray, end: np.ndarray, style: tuple[str, str, str]) -> None:
    """A curved arrow from sender to recipient, stopping short of both circles; ``style`` is
    (colour, dash pattern, CSS class)."""
    colour, dash, cls = style
    d = end - start
    length = float(np.hypot(*d)) or 1.0
    unit = d / length
    a, b = start + unit * (NODE_RADIUS + 3), end - unit * (NODE_RADIUS + 7)
    normal = np.array([-unit[1], unit[0]])
    ctrl = (a + b) / 2 + normal * 0.12 * length
    head = b + unit * 4
    left, right = b - unit * 6 + normal * 5, b - unit * 6 - normal * 5
    dash_attr = f" stroke-dasharray='{dash}'" if dash else ""
    svg.add(f"<g class='warning {cls}'><path d='M{a[0]:.1f},{a[1]:.1f} Q{ctrl[0]:.1f},{ctrl[1]:.1f} "
            f"{b[0]:.1f},{b[1]:.1f}' fill='none' stroke='{colour}' stroke-width='2.5'{dash_attr}/>"
            f"<path d='M{head[0]:.1f},{head[1]:.1f} L{left[0]:.1f},{left[1]:.1f} "
            f"L{right[0]:.1f},{right[1]:.1f} Z' fill='{colour}'/></g>")


def _network_legend(svg: Svg, x: float, blocs: list[str]) -> None:
    y = 40
    svg.text(x, y, f"last {RECENT_DAYS} days", size=10, weight="bold")
    entries = [("warning in flight", IN_FLIGHT, "6 3"),
               *((f"{r.value}", c, RESPONSE_DASHES[r]) for r, c in RESPONSE_COLOURS.items()),
               ("no liaison", "#c8c8c8", "1 3")]
    for label, colour, dash in entries:
        y += 17
        svg.line(x, y - 4, x + 26, y - 4, stroke=colour, width=2.5, dash=dash)
        svg.text(x + 32, y, label, size=10)
    y += 20
    svg.add(f"<path d='M{x + 6},{y - 10} L{x + 18},{y + 2} M{x + 6},{y + 2} L{x + 18},{y - 10}' "
            "stroke='#000' stroke-width='3.5'/>")
    svg.text(x + 32, y, "attack", size=10)
    y += 18
    svg.add(f"<rect x='{x + 6}' y='{y - 10}' width='11' height='11' fill='#009E73' stroke='#000'/>")
    svg.text(x + 32, y, "arrests", size=10)
    for k, bloc in enumerate(blocs):
        y += 19
        svg.add(f"<circle cx='{x + 12}' cy='{y - 4}' r='7' fill='{BLOC_COLOURS[k % len(BLOC_COLOURS)]}' "
                "stroke='#000'/>")
        svg.text(x + 32, y, f"bloc {bloc}", size=10)
    y += 30
    svg.text(x, y, "trust of the agency at", size=10)
    svg.text(x, y + 13, "each half-edge's end", size=10)
    y += 22
    for k in range(50):
        svg.add(f"<rect x='{x + k * 2.4:.1f}' y='{y}' width='2.6' height='12' "
                f"fill='{trust_colour(k / 49)}'/>")
    for v in (0, 0.5, 1):
        svg.text(x + v * 118, y + 25, f"{v:g}", size=10, anchor="middle")


def _recent_cables(model: Any, day: int) -> tuple[list[Any], list[Any]]:
    """Cables sent and not yet delivered; cables delivered in the last days (with a response)."""
    in_flight, decided = [], []
    for c in reversed(model.log.cables):
        if c.day < day - 120:  # nothing sent that long ago is still on its way
            break
        if not c.sent:
            continue
        if c.delivered_day < 0:
            in_flight.append(c)
        elif day - c.delivered_day < RECENT_DAYS and c.response is not None:
            decided.append(c)
    return in_flight, decided


def _recent_fates(model: Any, day: int) -> tuple[dict[int, int], set[int]]:
    """Attacks (target -> deaths) and arrests (targets) of the last days."""
    t = model.threats
    recent = (t.fate_day > day - RECENT_DAYS) & (t.fate_day <= day) & t.is_real
    attacks: Counter[int] = Counter()
    for k in np.flatnonzero(recent & (t.fate == _ATTACK)).tolist():
        attacks[int(t.target[k])] += int(t.casualties[k])
    arrests = {int(t.target[k]) for k in np.flatnonzero(recent & (t.fate == _INTERDICTED)).tolist()}
    return dict(attacks), arrests


# --- the live plots --------------------------------------------------------------------------
def heed_by_band(model: Any) -> dict[str, np.ndarray]:
    """Cumulative heed rate of delivered warnings by rivalry band, per day so far (NaN until a
    band has a delivered warning); a warning counts as heeded from the day it was heeded."""
    days = max(today(model) + 1, 1)
    delivered = {b: np.zeros(days) for b in BANDS}
    heeded = {b: np.zeros(days) for b in BANDS}
    for c in model.log.cables:
        if c.delivered_day < 0 or c.delivered_day >= days:
            continue
        band = band_of(c.rivalry)
        delivered[band][c.delivered_day] += 1
        if c.heeded and 0 <= (c.decided_day if c.decided_day is not None else -1) < days:
            heeded[band][c.decided_day] += 1
    out = {}
    for b in BANDS:
        d, h = np.cumsum(delivered[b]), np.cumsum(heeded[b])
        with np.errstate(invalid="ignore", divide="ignore"):
            out[b] = np.where(d > 0, h / d, np.nan)
    return out


def waivers(model: Any) -> dict[WaiverReason, int]:
    """Waived warnings so far, by reason (every reason, zeros included)."""
    counts = Counter(c.waiver_reason for c in model.log.cables if c.waiver_reason is not None)
    return {reason: counts[reason] for reason in WaiverReason}


def plots_svg(model: Any, *, width: int = 620, height: int = 520) -> str:
    """Heed rate and mean trust by rivalry band, cumulative deaths and plots foiled, waivers by
    reason, from the start of the run to the last simulated day."""
    svg = Svg(width, height, gid="plots")
    w, h = width / 2, height / 2
    series = model.series()
    days = series["day"]
    heed = heed_by_band(model)
    line_chart(svg, (0, 0, w, h), title="Heed rate by rivalry band, so far",
               x=list(range(len(next(iter(heed.values()))))), ylim=(0.0, 1.0),
               series=[(b, heed[b].tolist(), BAND_COLOURS[b], BAND_DASHES[b]) for b in BANDS],
               legend_title="rivalry:", gid="heed-plot")
    line_chart(svg, (w, 0, w, h), title="Mean trust by rivalry band", x=days, ylim=(0.0, 1.0),
               series=[(b, series[f"mean_trust_{b}_rivalry"], BAND_COLOURS[b], BAND_DASHES[b])
                       for b in BANDS], legend_title="rivalry:", gid="trust-plot")
    foiled = np.add(series["interdicted"], series["deterred"]).tolist()
    line_chart(svg, (0, h, w, h), title="Cumulative deaths and plots foiled", x=days,
               series=[("deaths", series["casualties"], "#000000", ""),
                       ("plots foiled", foiled, "#0072B2", "6 3")], gid="harm-plot")
    counts = waivers(model)
    bar_chart(svg, (w, h, w, h), title="Waivers by reason, so far",
              labels=[r.value.replace("_", " ") for r in counts], values=list(counts.values()),
              colour="#56B4E9", xlabel="warnings waived")
    return svg.render()


# --- the warning log ----------------------------------------------------------------------------
LOG_COLUMNS: tuple[str, ...] = ("day", "sender", "recipient", "details", "channel", "response")


def recent_log(model: Any, days: int = RECENT_DAYS, limit: int = 40) -> list[dict[str, Any]]:
    """The warnings of the last ``days`` days, newest first: sender, recipient, the details
    passed (T timing, L location, P perpetrators), channel and the response so far."""
    day = today(model)
    rows = []
    for c in reversed(model.log.cables):
        if c.day <= day - days or len(rows) >= limit:
            break
        details = "".join(letter for letter, flag in zip("TLP", (c.timing, c.location, c.perpetrators),
                                                         strict=True) if flag) or "none"
        if not c.sent:
            response = f"waived: {c.waiver_reason.value.replace('_', ' ')}"
        elif c.delivered_day < 0:
            response = "in flight"
        elif c.response is Response.INVESTIGATED and c.heeded is not None:
            response = f"investigated, then {'heeded' if c.heeded else 'dismissed'}"
        else:
            response = c.response.value if c.response is not None else ""
        rows.append({"day": c.day, "sender": c.sender, "recipient": c.recipient,
                     "details": details, "channel": c.channel.value if c.channel else "",
                     "response": response})
    return rows


# --- the page's drawing -------------------------------------------------------------------------
READY_ID = "warnsim-ready"
"""The page-ready marker: the id of the drawing, present once a day (day 0 first) is drawn;
its ``data-day`` is that day."""


def summary_html(model: Any) -> str:
    """The day, the scenario, the seed, the estimated memory and the parameters changed from
    their defaults, so that what is on screen always says which model it shows."""
    changed = ", ".join(f"{k} = {v:g}" if isinstance(v, float) else f"{k} = {v}"
                        for k, v in model.changed.items()) or "none"
    return (f"<div class='summary' style='font-size:15px'><b class='day-counter'>Day "
            f"{model.day}</b> of {model.days} simulated &middot; scenario "
            f"<b>{escape(model.scenario_name)}</b> &middot; seed {model.seed_value} &middot; "
            f"estimated memory {model.memory_mb:,.0f} MB<br>"
            f"<span class='changed'>changed from the defaults: {escape(changed)}</span></div>")


def table_html(model: Any) -> str:
    rows = recent_log(model)
    head = "".join(f"<th style='text-align:left;padding:2px 8px'>{c}</th>" for c in LOG_COLUMNS)
    body = "".join(
        "<tr>" + "".join(f"<td style='padding:1px 8px'>{escape(str(r[c]))}</td>" for c in LOG_COLUMNS)
        + "</tr>" for r in rows)
    empty = "" if rows else f"<p>No warnings in the last {RECENT_DAYS} days.</p>"
    return (f"<b>Warning log, last {RECENT_DAYS} days</b> (details passed: T timing, L location, "
            "P perpetrators)<table class='warning-log' style='font-size:12px;border-collapse:"
            f"collapse'><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>{empty}")


def dashboard_html(model: Any) -> str:
    """Everything the page shows of the model, as one block. It is the page-ready marker: the
    browser inserts it whole, so once it is there, the day it names is drawn."""
    return (
        f"<div class='dashboard' id='{READY_ID}' data-day='{model.day}'>{summary_html(model)}"
        "<div style='display:flex;flex-wrap:wrap;gap:12px;align-items:flex-start'>"
        f"<div>{network_svg(model)}</div>"
        f"<div style='max-width:560px;overflow-x:auto'>{table_html(model)}</div></div>"
        f"<div>{plots_svg(model)}</div></div>"
    )
