"""The report's plots as SVG element trees: the timeline (states, visits, findings per rule) and each clerk's
trunk-angle plot with the rulebook's bow bands.

Plots are built as :class:`El` trees whose attribute values and texts are plain strings; the page template renders
them with autoescaping, so no text here is escaped by hand. x is time (seconds) on a shared axis, y is pixels.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from ..rules.findings import ReviewResult, Series, Verdict
from ..timeseries import finite_runs
from .format import (TRUNK_SERIES, as_verdict, finding_badness, finding_title, finding_tooltip, fmt_clock,
                     fmt_duration, person_sort_key)
from .i18n import labels, person_label, state_label
from .summary import rule_order

SVG_WIDTH = 1200
LEFT = 205
"""Width of the label column of the timeline and the plot (so their time axes line up)."""
RIGHT = 24
TICK_STEPS_S = (0.5, 1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 14400)
MAX_TICKS = 12
PLOT_GRID_DEG = 15
"""Spacing of the trunk plot's angle grid, degrees."""

VERDICT_COLORS = {
    Verdict.MET: "#2e7d32",
    Verdict.LATE: "#e08a00",
    Verdict.MISSED: "#d32f2f",
    Verdict.VIOLATION: "#a31515",
    Verdict.NOT_APPLICABLE: "#b8bcc2",
    Verdict.NOT_ASSESSABLE: "#80868b",
    Verdict.INFO: "#1f6fb2",
}
STATE_COLORS = {"stand": "#7cc47f", "sit": "#8fb8e6", "bow": "#9c6ade", "absent": "#eceff1", "unknown": "#c9cdd2"}
EXTRA_STATE_COLORS = ["#a1887f", "#4db6ac", "#ff8a65", "#aed581", "#90a4ae", "#f48fb1"]
BAND_COLORS = ["#4caf50", "#2196f3", "#e53935", "#ff9800", "#9c27b0", "#009688"]


@dataclass
class El:
    """An SVG element: tag, attributes in order, an optional <title> tooltip, text and children."""

    tag: str
    attrs: list[tuple[str, str]]
    children: list["El"] = field(default_factory=list)
    text: str = ""
    title: str = ""


def el(tag: str, attrs: dict[str, object], *children: El, text: str = "", title: str = "") -> El:
    """An :class:`El` with its attribute values as strings."""
    return El(tag, [(k, str(v)) for k, v in attrs.items()], list(children), text, title)


@dataclass
class TimeAxis:
    """Maps seconds [t0, t1] to SVG x [x0, x1]."""

    t0: float
    t1: float
    x0: float = LEFT
    x1: float = SVG_WIDTH - RIGHT

    def x(self, t: float) -> float:
        """The x of time ``t`` (clamped to the axis)."""
        span = self.t1 - self.t0
        return self.x0 + (min(max(t, self.t0), self.t1) - self.t0) / span * (self.x1 - self.x0)

    def ticks(self) -> tuple[list[float], float]:
        """Tick times at a round step giving at most :data:`MAX_TICKS` ticks, and the step (seconds)."""
        span = self.t1 - self.t0
        for step in TICK_STEPS_S:
            if span / step <= MAX_TICKS:
                break
        first = math.ceil(self.t0 / step) * step
        n = int((self.t1 - first) / step + 1e-9) + 1
        return [first + i * step for i in range(n)], step


def axis_end(result: ReviewResult) -> float:
    """The time axis end: the review's duration, stretched to cover anything drawn past it."""
    end = float(result.duration_s or 0.0)
    for f in result.findings:
        end = max(end, f.end_s)
    for s in result.states:
        end = max(end, s.end_s)
    for v in result.visits:
        for t in (v.arrive_s, v.leave_s):
            if t is not None:
                end = max(end, t)
    return end if end > 0 else 1.0


def time_axis(ax: TimeAxis, y_top: float, y_axis: float, label: str) -> tuple[El, list[El], list[El]]:
    """The axis line, the vertical grid lines, and the ticks with their labels and the axis label."""
    ticks, step = ax.ticks()
    line = el("line", {"class": "axis", "x1": f"{ax.x0:.1f}", "y1": f"{y_axis:.1f}", "x2": f"{ax.x1:.1f}",
                       "y2": f"{y_axis:.1f}"})
    grid, marks = [], []
    for t in ticks:
        x = ax.x(t)
        grid.append(el("line", {"class": "grid", "x1": f"{x:.1f}", "y1": f"{y_top:.1f}", "x2": f"{x:.1f}",
                                "y2": f"{y_axis:.1f}"}))
        marks.append(el("line", {"class": "axis", "x1": f"{x:.1f}", "y1": f"{y_axis:.1f}", "x2": f"{x:.1f}",
                                 "y2": f"{y_axis + 5:.1f}"}))
        marks.append(el("text", {"class": "tick", "x": f"{x:.1f}", "y": f"{y_axis + 18:.1f}", "text-anchor": "middle"},
                        text=fmt_clock(t, 1 if step < 1 else 0)))
    marks.append(el("text", {"class": "axis-label", "x": f"{ax.x0 - 28:.1f}", "y": f"{y_axis + 18:.1f}",
                             "text-anchor": "end"}, text=label))
    return line, grid, marks


def truncate(text: str, max_units: int) -> str:
    """Cut ``text`` to about ``max_units`` half-width characters (CJK characters count two)."""
    units = 0
    for i, ch in enumerate(text):
        units += 2 if ord(ch) > 0x2E80 else 1
        if units > max_units:
            return text[:max(1, i - 1)] + "…"
    return text


def state_colors(states: list[str]) -> dict[str, str]:
    """A colour for each state: the known ones', then the extra palette in order of first use."""
    out: dict[str, str] = {}
    extra = 0
    for s in states:
        if s not in out:
            if s in STATE_COLORS:
                out[s] = STATE_COLORS[s]
            else:
                out[s] = EXTRA_STATE_COLORS[extra % len(EXTRA_STATE_COLORS)]
                extra += 1
    return out


def _lane_label(y_mid: float, text: str, full: str, cls: str = "lane-label") -> El:
    return el("text", {"class": cls, "x": LEFT - 10, "y": f"{y_mid + 4:.1f}", "text-anchor": "end"},
              text=truncate(text, 28), title=full)


def _state_lanes(result: ReviewResult, ax: TimeAxis, lang: str, y: float, lane_h: float, gap: float,
                 colors: dict[str, str]) -> tuple[list[El], float]:
    body = []
    for person in sorted({s.person for s in result.states}, key=person_sort_key):
        body.append(_lane_label(y + lane_h / 2, person_label(person, lang), person_label(person, lang)))
        body.append(el("rect", {"class": "lane-bg", "x": ax.x0, "y": f"{y:.1f}", "width": f"{ax.x1 - ax.x0:.1f}",
                                "height": lane_h}))
        for s in result.states:
            if s.person != person or s.end_s <= s.start_s:
                continue
            xa, xb = ax.x(s.start_s), ax.x(s.end_s)
            tip = (f"{person_label(person, lang)}: {state_label(s.state, lang)} {fmt_clock(s.start_s)} – "
                   f"{fmt_clock(s.end_s)} ({fmt_duration(s.end_s - s.start_s, lang)})")
            attrs = {"class": "unknown"} if s.state == "unknown" else {}
            attrs.update({"x": f"{xa:.2f}", "y": f"{y:.1f}", "width": f"{max(xb - xa, 0.8):.2f}", "height": lane_h,
                          "fill": colors[s.state]})
            body.append(el("rect", attrs, title=tip))
        y += lane_h + gap
    return body, y


def _visit_lane(result: ReviewResult, ax: TimeAxis, lang: str, y: float, lane_h: float) -> list[El]:
    L = labels(lang, result.near_m)
    body = [_lane_label(y + lane_h / 2, L["lane_visits"], L["lane_visits"]),
            el("rect", {"class": "lane-bg", "x": ax.x0, "y": f"{y:.1f}", "width": f"{ax.x1 - ax.x0:.1f}",
                        "height": lane_h})]
    for v in result.visits:
        a = v.arrive_s if v.arrive_s is not None else ax.t0
        b = v.leave_s if v.leave_s is not None else ax.t1
        xa, xb = ax.x(a), ax.x(b)
        open_cls = " open" if v.arrive_s is None or v.leave_s is None else ""
        tip = (f"{L['visit']} #{v.visit_id} · {person_label(v.customer, lang)}\n{L['arrive']} {fmt_clock(v.arrive_s)}"
               f" → {L['leave']} {fmt_clock(v.leave_s)} ({fmt_duration(v.handling_s, lang)})")
        link = el("a", {"href": f"#visit-{v.visit_id}"}, title=tip)
        link.children.append(el("rect", {"class": f"visit{open_cls}", "x": f"{xa:.2f}", "y": f"{y + 3:.1f}",
                                         "width": f"{max(xb - xa, 2):.2f}", "height": lane_h - 6, "rx": 3}))
        if xb - xa > 28:
            link.children.append(el("text", {"class": "visit-label", "x": f"{(xa + xb) / 2:.1f}",
                                              "y": f"{y + lane_h / 2 + 4:.1f}", "text-anchor": "middle"},
                                    text=f"#{v.visit_id}"))
        body.append(link)
    return body


def _rule_lanes(result: ReviewResult, numbers: dict[int, int], ax: TimeAxis, lang: str, y: float,
                rule_h: float) -> tuple[list[El], float]:
    rules = rule_order(result.findings, by_badness=False)
    titles: dict[str, str] = {}
    for f in result.findings:
        titles.setdefault(f.rule_id, finding_title(f, lang))
    body = []
    if rules:
        body.append(el("line", {"class": "sep", "x1": 8, "y1": f"{y - 5:.1f}", "x2": f"{ax.x1:.1f}",
                                "y2": f"{y - 5:.1f}"}))
    for rid in rules:
        body.append(_lane_label(y + rule_h / 2, titles[rid], f"{titles[rid]} ({rid})", "lane-label rule"))
        body.append(el("rect", {"class": "lane-bg rule", "x": ax.x0, "y": f"{y:.1f}",
                                "width": f"{ax.x1 - ax.x0:.1f}", "height": rule_h}))
        lane = [(i, f) for i, f in enumerate(result.findings) if f.rule_id == rid]
        # the worse ones last, so that they stay on top
        for i, f in sorted(lane, key=lambda p: finding_badness(p[1])):
            n = numbers[i]
            color = VERDICT_COLORS[as_verdict(f.verdict)]
            xa, xb = ax.x(f.start_s), ax.x(max(f.end_s, f.start_s))
            if xb - xa < 6:
                xc, yc, r = (xa + xb) / 2, y + rule_h / 2, 7
                shape = el("polygon", {"points": f"{xc:.1f},{yc - r:.1f} {xc + r:.1f},{yc:.1f} {xc:.1f},{yc + r:.1f} "
                                                 f"{xc - r:.1f},{yc:.1f}", "fill": color})
            else:
                shape = el("rect", {"x": f"{xa:.2f}", "y": f"{y + 2:.1f}", "width": f"{xb - xa:.2f}",
                                    "height": rule_h - 4, "rx": 3, "fill": color})
            body.append(el("a", {"href": f"#finding-{n}", "class": "marker"}, shape,
                           title=finding_tooltip(f, n, lang)))
        y += rule_h + 4
    return body, y


def timeline_svg(result: ReviewResult, numbers: dict[int, int], lang: str) -> tuple[El, dict[str, str]]:
    """The timeline (a lane per person's states, the visits, a lane per rule with its findings linked to their
    cards ``#finding-N``) and the colour of each state it used, in order of first use (for the legend)."""
    L = labels(lang, result.near_m)
    ax = TimeAxis(0.0, axis_end(result))
    persons = sorted({s.person for s in result.states}, key=person_sort_key)
    used = [s.state for p in persons for s in result.states if s.person == p and s.end_s > s.start_s]
    colors = state_colors(used)
    lane_h, rule_h, gap = 24, 20, 6
    body, y = _state_lanes(result, ax, lang, 8.0, lane_h, gap, colors)
    body += _visit_lane(result, ax, lang, y, lane_h)
    rules, y = _rule_lanes(result, numbers, ax, lang, y + lane_h + gap + 4, rule_h)
    body += rules
    y_axis = y + 2
    line, grid, marks = time_axis(ax, 4, y_axis, L["time_axis"])
    svg = el("svg", {"id": "timeline", "class": "timeline", "xmlns": "http://www.w3.org/2000/svg",
                     "viewBox": f"0 0 {SVG_WIDTH} {y_axis + 28:.0f}", "role": "img", "aria-label": L["timeline"]},
             line, *grid, *body, *marks)
    return svg, colors


def _series_runs(t: np.ndarray, v: np.ndarray) -> list[tuple[np.ndarray, np.ndarray]]:
    """Split a series into runs of finite samples; a NaN or a time gap much longer than usual breaks the line."""
    ok = np.isfinite(t) & np.isfinite(v)
    typical = 0.0
    if len(t) > 2:
        dt = np.diff(t[ok]) if ok.sum() > 2 else np.diff(t)
        typical = float(np.median(dt[dt > 0])) if np.any(dt > 0) else 0.0
    max_gap = max(5 * typical, 0.5) if typical > 0 else math.inf
    return [(t[a:b], v[a:b]) for a, b in finite_runs(t, np.where(ok, v, np.nan), max_gap)]


def _decimate(xs: np.ndarray, ys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Keep, for each pixel column, the first, lowest and highest point, so peaks survive a long video."""
    if len(xs) <= 2 * max(1.0, xs[-1] - xs[0]) + 4:
        return xs, ys
    cols = np.floor(xs).astype(int)
    keep = set()
    bounds = np.flatnonzero(np.diff(cols)) + 1
    for a, b in zip(np.r_[0, bounds], np.r_[bounds, len(xs)]):
        seg = ys[a:b]
        keep.update((a, a + int(np.argmin(seg)), a + int(np.argmax(seg)), b - 1))
    idx = np.array(sorted(keep))
    return xs[idx], ys[idx]


def trunk_series(result: ReviewResult) -> list[tuple[str, Series]]:
    """(person, series) of every clerk's trunk flexion: ``trunk_flexion_deg`` for the only clerk, else
    ``trunk_flexion_deg:clerk@A`` per station."""
    out = []
    for s in result.series:
        name, _, person = s.name.partition(":")
        if name == TRUNK_SERIES and len(s.t_s):
            out.append((person or "clerk", s))
    return out


@dataclass
class _Plot:
    """The trunk plot's frame: time axis and the angle range (degrees) mapped to y pixels."""

    ax: TimeAxis
    y_lo: float
    y_hi: float
    top: float = 12.0
    height: float = 250.0

    @property
    def bottom(self) -> float:
        return self.top + self.height

    def y(self, deg: float) -> float:
        deg = min(max(deg, self.y_lo), self.y_hi)
        return self.bottom - (deg - self.y_lo) / (self.y_hi - self.y_lo) * self.height


def _plot_frame(result: ReviewResult, t: np.ndarray, v: np.ndarray, peaks: list) -> _Plot:
    ax = TimeAxis(0.0, max(axis_end(result), float(np.nanmax(t)) if np.isfinite(t).any() else 0.0, 1.0))
    finite = v[np.isfinite(v)]
    vmax = max([90.0, *(finite.tolist() and [float(finite.max())]), *[p[1] for p in peaks]])
    vmin = min([0.0, *(finite.tolist() and [float(finite.min())])])
    return _Plot(ax, max(-90.0, math.floor(vmin / PLOT_GRID_DEG) * PLOT_GRID_DEG),
                 min(180.0, max(90.0, math.ceil(vmax / PLOT_GRID_DEG) * PLOT_GRID_DEG)))


def _bands(p: _Plot, bow_bands, bow_references) -> tuple[list[El], list[El], list[El]]:
    """The bow classes' tolerance bands (shaded), their nominal angles (dashed lines), and the labels of both."""
    ax, shapes, refs, texts = p.ax, [], [], []
    for k, (name, lo, hi) in enumerate(bow_bands or ()):
        color = BAND_COLORS[k % len(BAND_COLORS)]
        ya, yb = p.y(hi), p.y(lo)
        shapes.append(el("rect", {"class": "band", "x": ax.x0, "y": f"{ya:.1f}", "width": f"{ax.x1 - ax.x0:.1f}",
                                  "height": f"{max(yb - ya, 0.5):.1f}", "fill": color},
                         title=f"{name}: {lo:g}°–{hi:g}°"))
        texts.append(el("text", {"class": "band-label", "x": ax.x0 + 6, "y": f"{ya + 13:.1f}", "fill": color},
                        text=f"{name} {lo:g}°–{hi:g}°"))
    for label, deg in bow_references or ():
        yy = p.y(deg)
        refs.append(el("line", {"class": "ref", "x1": ax.x0, "y1": f"{yy:.1f}", "x2": ax.x1, "y2": f"{yy:.1f}"}))
        texts.append(el("text", {"class": "ref-label", "x": ax.x1 - 6, "y": f"{yy - 4:.1f}", "text-anchor": "end"},
                        text=label))
    return shapes, refs, texts


def _angle_grid(p: _Plot, label: str) -> list[El]:
    ax, out = p.ax, []
    val = p.y_lo
    while val <= p.y_hi + 1e-9:
        yy = p.y(val)
        out.append(el("line", {"class": "grid", "x1": ax.x0, "y1": f"{yy:.1f}", "x2": ax.x1, "y2": f"{yy:.1f}"}))
        out.append(el("text", {"class": "tick", "x": ax.x0 - 8, "y": f"{yy + 4:.1f}", "text-anchor": "end"},
                      text=f"{val:g}°"))
        val += PLOT_GRID_DEG
    mid = p.top + p.height / 2
    out.append(el("text", {"class": "axis-label", "x": ax.x0 - 52, "y": f"{mid:.1f}", "text-anchor": "middle",
                           "transform": f"rotate(-90 {ax.x0 - 52} {mid:.1f})"}, text=label))
    return out


def _trunk_path(p: _Plot, t: np.ndarray, v: np.ndarray) -> list[El]:
    ax, parts = p.ax, []
    for rt, rv in _series_runs(t, v):
        xs = ax.x0 + (np.clip(rt, ax.t0, ax.t1) - ax.t0) / (ax.t1 - ax.t0) * (ax.x1 - ax.x0)
        xs, ys = _decimate(xs, rv)
        pts = [f"{x:.1f},{p.y(y):.1f}" for x, y in zip(xs, ys)]
        parts.append(f"M{pts[0]}h0.01" if len(pts) == 1 else "M" + " L".join(pts))
    return [el("path", {"class": "trunk", "d": " ".join(parts)})] if parts else []


def _peaks(p: _Plot, peaks: list, lang: str) -> list[El]:
    """Each bow's peak, labelled where the labels do not collide."""
    L, out, labelled = labels(lang), [], []
    for tp, deg, cls, _ in sorted(peaks):
        xx, yy = p.ax.x(tp), p.y(deg)
        g = el("g", {"class": "peak"}, el("circle", {"cx": f"{xx:.1f}", "cy": f"{yy:.1f}", "r": 4.5}),
               title=f"{L['bow_peak']}: {deg:.1f}° · {cls} · {fmt_clock(tp)}")
        if all(abs(xx - lx) > 34 or abs(yy - ly) > 14 for lx, ly in labelled[-6:]):
            labelled.append((xx, yy))
            g.children.append(el("text", {"x": f"{xx:.1f}", "y": f"{yy - 8:.1f}", "text-anchor": "middle"},
                                 text=f"{deg:.0f}°"))
        out.append(g)
    return out


def trunk_svg(result: ReviewResult, lang: str, person: str, series: Series,
              bow_bands: list[tuple[str, float, float]] | None = None,
              bow_references: list[tuple[str, float]] | None = None) -> El:
    """One clerk's trunk flexion (degrees) over time, broken at gaps, with the visits behind it, the bow bands
    (name, lo°, hi°) shaded, the bow classes' nominal angles (label, deg) dashed, and the bow peaks."""
    L = labels(lang, result.near_m)
    t, v = np.asarray(series.t_s, float), np.asarray(series.values, float)
    peaks = [pk for pk in result.bow_peaks if math.isfinite(pk[1]) and pk[3] == person]
    p = _plot_frame(result, t, v, peaks)
    out = []
    for vis in result.visits:
        a = vis.arrive_s if vis.arrive_s is not None else p.ax.t0
        b = vis.leave_s if vis.leave_s is not None else p.ax.t1
        out.append(el("rect", {"class": "visit-bg", "x": f"{p.ax.x(a):.2f}", "y": p.top,
                               "width": f"{max(p.ax.x(b) - p.ax.x(a), 1):.2f}", "height": p.height},
                      title=f"{L['visit']} #{vis.visit_id}"))
    shapes, refs, band_texts = _bands(p, bow_bands, bow_references)
    line, grid, marks = time_axis(p.ax, p.top, p.bottom, L["time_axis"])
    out += shapes + _angle_grid(p, L["degrees"]) + refs + [line, *grid, *marks]
    out += _trunk_path(p, t, v) + band_texts + _peaks(p, peaks, lang)
    plot_id = "trunk-plot" if person == "clerk" else "trunk-plot-" + "".join(
        ch if ch.isascii() and (ch.isalnum() or ch in "_-") else "-" for ch in person)
    return el("svg", {"id": plot_id, "class": "trunk-plot", "xmlns": "http://www.w3.org/2000/svg",
                      "viewBox": f"0 0 {SVG_WIDTH} {p.bottom + 30:.0f}", "role": "img", "aria-label": L["trunk_plot"]},
              *out)
