"""Service times (DB21/T 2641-2016 表2 and its notes 1-3): each customer's waiting time (in the waiting zone or
queueing in front of the counter, until called to the counter) and handling time (at the counter), the averages
exactly as the notes define them, a peak-hour figure, and a queue-ticket export that prevails when supplied.

Note 1: average handling time = Σ handling times / number of transactions.
Note 2: average waiting time = Σ waiting times / number of customers who waited (not all customers).
Note 3: where a queue-ticket system exists, its data prevails.

Times are seconds from the start of the video (tracks) or, for tickets, clock times of the ticket export.
"""

from __future__ import annotations

import csv
from array import array
from dataclasses import dataclass
from datetime import datetime, time as dtime
from pathlib import Path
from typing import Iterable

import cv2
import numpy as np

from .core import FramePoses
from .geometry.calibration import Calibration
from .geometry.polyline import distance_to_polyline_m
from .rules.findings import Finding, ReviewResult, Verdict, Visit
from .rules.rulebook import Rule, Rulebook
from .scene.hall import scene_finding

TICKET_COLUMNS = ("ticket", "issued", "called", "finished")
WALK_SPEED_M_S = 1.5
"""Fastest plausible walk between a lost track's last point and a new track's first one (track linking)."""
SPEED_HALF_WINDOW_S = 1.0
"""A person's floor speed is measured over ± this around each sample."""


class TicketsError(ValueError):
    """A queue-ticket CSV that cannot be used; the message names the file, the line and the problem."""


@dataclass
class Ticket:
    """One queue ticket: when it was issued, called to a counter and finished (clock times)."""

    ticket: str
    issued: datetime
    called: datetime | None
    finished: datetime | None
    line: int


@dataclass
class CustomerTimes:
    """One customer's waiting and handling, from the tracks or from a ticket."""

    customer: str
    wait_s: float
    """Seconds waited (0: did not wait)."""
    handling_s: float | None
    called_s: float | None
    """When called to the counter: video seconds (tracks) or seconds since midnight (tickets)."""
    wait_start_s: float | None = None
    visit_id: int | None = None
    note: str = ""


@dataclass
class ServiceStats:
    """DB 表2 averages over the customers of a recording or a ticket export."""

    transactions: int
    handling_avg_s: float | None
    """Note 1: Σ handling / transactions."""
    waited: int
    waiting_avg_s: float | None
    """Note 2: Σ waiting / customers who waited."""
    peak_start_s: float | None
    peak_customers: int
    peak_waiting_avg_s: float | None
    """Note 2's average over the customers called in the busiest window (the peak hour)."""
    source: str
    """``tracks`` or ``tickets``."""


# ---- queue tickets -------------------------------------------------------------------------------------------


def _parse_time(text: str, day: datetime | None) -> datetime:
    text = text.strip()
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        pass
    t = dtime.fromisoformat(text)   # HH:MM[:SS]; ValueError propagates
    base = day or datetime(2000, 1, 1)
    return datetime.combine(base.date(), t)


def load_tickets(path: str | Path) -> list[Ticket]:
    """Read a queue-ticket export: CSV (UTF-8, optional BOM) with a header holding ``ticket, issued, called,
    finished``; times ISO 8601 (``2026-12-01 09:03:12``) or clock times (``09:03:12``); ``called``/``finished`` may
    be empty (not called / not finished). :class:`TicketsError` names the file and the line of any problem."""
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise TicketsError(f"{p}: no such file") from None
    except UnicodeDecodeError as exc:
        raise TicketsError(f"{p}: not UTF-8 text (byte {exc.start})") from None
    rows = list(csv.reader(text.splitlines()))
    if not rows or not any(c.strip() for c in rows[0]):
        raise TicketsError(f"{p}: empty file: expected a header {', '.join(TICKET_COLUMNS)}")
    header = [c.strip().lower() for c in rows[0]]
    missing = [c for c in TICKET_COLUMNS if c not in header]
    if missing:
        raise TicketsError(f"{p}: line 1: missing column(s) {', '.join(missing)} (header: {', '.join(header)})")
    col = {c: header.index(c) for c in TICKET_COLUMNS}
    tickets: list[Ticket] = []
    day = None
    for n, row in enumerate(rows[1:], start=2):
        if not any(c.strip() for c in row):
            continue
        if len(row) < len(header):
            raise TicketsError(f"{p}: line {n}: expected {len(header)} fields, got {len(row)}")
        vals = {}
        for c in ("issued", "called", "finished"):
            raw = row[col[c]].strip()
            if not raw:
                if c == "issued":
                    raise TicketsError(f"{p}: line {n}: issued: empty (every ticket has an issue time)")
                vals[c] = None
                continue
            try:
                vals[c] = _parse_time(raw, day)
            except ValueError:
                raise TicketsError(f"{p}: line {n}: {c}: not a time: {raw!r}") from None
        day = day or vals["issued"]
        if vals["called"] is not None and vals["called"] < vals["issued"]:
            raise TicketsError(f"{p}: line {n}: called {vals['called']:%H:%M:%S} is before issued "
                               f"{vals['issued']:%H:%M:%S}")
        if vals["finished"] is not None and (vals["called"] is None or vals["finished"] < vals["called"]):
            raise TicketsError(f"{p}: line {n}: finished without being called, or before it was called")
        tickets.append(Ticket(row[col["ticket"]].strip(), vals["issued"], vals["called"], vals["finished"], n))
    if not tickets:
        raise TicketsError(f"{p}: no tickets after the header")
    return tickets


def ticket_times(tickets: list[Ticket], min_wait_s: float) -> list[CustomerTimes]:
    """Waiting (issued → called) and handling (called → finished) of every called ticket."""
    out = []
    for t in tickets:
        if t.called is None:
            continue
        wait = (t.called - t.issued).total_seconds()
        handling = (t.finished - t.called).total_seconds() if t.finished is not None else None
        midnight = t.called.replace(hour=0, minute=0, second=0, microsecond=0)
        out.append(CustomerTimes(f"ticket {t.ticket}", wait if wait >= min_wait_s else 0.0, handling,
                                 (t.called - midnight).total_seconds(),
                                 note=f"ticket {t.ticket} (line {t.line}): issued {t.issued:%H:%M:%S}, called "
                                      f"{t.called:%H:%M:%S}" + (f", finished {t.finished:%H:%M:%S}"
                                                                 if t.finished else ", not finished")))
    return out


# ---- waiting from the tracks ---------------------------------------------------------------------------------


@dataclass
class _Track:
    t_s: np.ndarray
    xy_m: np.ndarray
    role: np.ndarray


class FloorTracks:
    """The floor points of the customers and of the people in the waiting zone, from frames handed to :meth:`add`
    in time order, kept compactly per track (what the waiting times need of the tracks: a few numbers per
    person and frame, not their landmarks)."""

    def __init__(self) -> None:
        self._rows: dict[int, tuple[array, array, array, list[str]]] = {}

    def add(self, frame: FramePoses) -> None:
        """One frame's people."""
        for p in frame.persons:
            if p.floor_xy_m is not None and p.role in ("customer", "waiting"):
                t, x, y, role = self._rows.setdefault(p.track_id, (array("d"), array("d"), array("d"), []))
                xy = np.asarray(p.floor_xy_m, float)
                t.append(frame.timestamp_s)
                x.append(float(xy[0]))
                y.append(float(xy[1]))
                role.append(p.role)

    def tracks(self) -> dict[int, _Track]:
        """Each track's samples as arrays (times s, floor points m, roles)."""
        return {tid: _Track(np.array(t), np.stack([np.array(x), np.array(y)], axis=1), np.array(role))
                for tid, (t, x, y, role) in self._rows.items()}


def _tracks(frames: Iterable[FramePoses] | FloorTracks) -> dict[int, _Track]:
    if isinstance(frames, FloorTracks):
        return frames.tracks()
    collector = FloorTracks()
    for f in frames:
        collector.add(f)
    return collector.tracks()


def _predecessor(tracks: dict[int, _Track], tid: int, gap_s: float, dist_m: float, taken: set[int]) -> int | None:
    """The track that ended just before ``tid`` began, near where it began (the same person, re-identified)."""
    me = tracks[tid]
    best, best_d = None, np.inf
    for other, tr in tracks.items():
        if other == tid or other in taken:
            continue
        gap = me.t_s[0] - tr.t_s[-1]
        if not 0 <= gap <= gap_s:
            continue
        d = float(np.linalg.norm(me.xy_m[0] - tr.xy_m[-1]))
        if d <= dist_m + WALK_SPEED_M_S * gap and d < best_d:
            best, best_d = other, d
    return best


def _queueing(tr: _Track, cal: Calibration, near_m: float, rule: Rule) -> np.ndarray:
    """Per sample: in the waiting zone (role ``waiting``), or standing still in front of the counter beyond the
    near distance for at least ``queue_min_s``."""
    waiting = tr.role == "waiting"
    zone = cal.zones.get("waiting")
    if zone is not None and zone.floor_m is not None:   # the floor point itself, without the role's hysteresis
        poly = np.asarray(zone.floor_m, np.float32).reshape(-1, 1, 2)
        waiting = waiting | np.array([cv2.pointPolygonTest(poly, (float(x), float(y)), False) >= 0
                                      for x, y in tr.xy_m], bool)
    dist = np.asarray(distance_to_polyline_m(tr.xy_m, cal.counter.edge_m, cal.counter.customer_side), float)
    speed = np.full(len(tr.t_s), np.inf)
    for k, t in enumerate(tr.t_s):
        a = int(np.searchsorted(tr.t_s, t - SPEED_HALF_WINDOW_S))
        b = int(np.searchsorted(tr.t_s, t + SPEED_HALF_WINDOW_S, side="right")) - 1
        if tr.t_s[b] - tr.t_s[a] > 0.5 * SPEED_HALF_WINDOW_S:
            speed[k] = np.linalg.norm(tr.xy_m[b] - tr.xy_m[a]) / (tr.t_s[b] - tr.t_s[a])
    still = (speed < float(rule.value("queue_speed_m_s"))) & (dist > near_m)
    queue = np.zeros_like(still)
    start = None
    for k in range(len(still) + 1):   # keep only runs of standing still long enough
        if k < len(still) and still[k]:
            start = k if start is None else start
        elif start is not None:
            if tr.t_s[k - 1] - tr.t_s[start] >= float(rule.value("queue_min_s")):
                queue[start:k] = True
            start = None
    return waiting | queue


def track_times(frames: Iterable[FramePoses] | FloorTracks, visits: list[Visit], cal: Calibration, near_m: float,
                rule: Rule) -> list[CustomerTimes]:
    """Per visit: time waited before it (waiting zone or queue, on the visit's track and the tracks it continues)
    and its handling time (within the near distance of the counter)."""
    tracks = _tracks(frames)
    min_wait = float(rule.value("min_wait_s"))
    visit_tids = {int(v.customer.split("#")[1]) for v in visits if v.customer.startswith("customer#")}
    out = []
    for v in visits:
        if v.pass_by is not None:   # somebody passing the counter: no transaction (DB 表2 note 1)
            continue
        called = v.arrive_s if v.arrive_s is not None else v.at_counter_s
        tid = int(v.customer.split("#")[1]) if "#" in v.customer else None
        start = end = None
        chain: list[int] = []
        while tid is not None and tid in tracks and tid not in chain:
            chain.append(tid)
            tr = tracks[tid]
            sel = _queueing(tr, cal, near_m, rule) & (tr.t_s <= (called if called is not None else np.inf))
            if sel.any():
                start = float(tr.t_s[sel][0])
                end = end if end is not None else float(tr.t_s[sel][-1])
            tid = _predecessor(tracks, tid, float(rule.value("link_gap_s")), float(rule.value("link_distance_m")),
                               visit_tids | set(chain))
        wait = (end - start) if start is not None else 0.0
        out.append(CustomerTimes(v.customer, wait if wait >= min_wait else 0.0, v.handling_s, called,
                                 wait_start_s=start if wait >= min_wait else None, visit_id=v.visit_id,
                                 note=f"tracks {', '.join(f'#{c}' for c in chain)}" if chain else ""))
    return out


# ---- averages and findings ------------------------------------------------------------------------------------


def service_stats(times: list[CustomerTimes], peak_window_s: float, source: str, t0_s: float = 0.0) -> ServiceStats:
    """Notes 1 and 2 exactly, and the busiest window (most customers called) with its own waiting average."""
    handled = [c.handling_s for c in times if c.handling_s is not None]
    waited = [c.wait_s for c in times if c.wait_s > 0]
    called = [c for c in times if c.called_s is not None]
    peak_start, peak_n, peak_avg = None, 0, None
    if called:
        windows: dict[int, list[CustomerTimes]] = {}
        for c in called:
            windows.setdefault(int((c.called_s - t0_s) // peak_window_s), []).append(c)
        k, group = max(windows.items(), key=lambda kv: (len(kv[1]), -kv[0]))
        peak_start, peak_n = t0_s + k * peak_window_s, len(group)
        w = [c.wait_s for c in group if c.wait_s > 0]
        peak_avg = sum(w) / len(w) if w else None
    return ServiceStats(len(handled), sum(handled) / len(handled) if handled else None, len(waited),
                        sum(waited) / len(waited) if waited else None, peak_start, peak_n, peak_avg, source)


def _limit_finding(rule: Rule, value: float | None, limit_key: str, what: str, note: str, end_s: float) -> Finding:
    limit = float(rule.value(limit_key))
    if value is None:
        return scene_finding(rule, Verdict.NOT_APPLICABLE, 0.0, end_s, "all customers", threshold_value=limit,
                             threshold_text=f"{what} ≤ {limit / 60:g} min", threshold_source=rule.source(limit_key),
                             note=f"no customer waited: the average of note 2 is not defined. {note}")
    return scene_finding(rule, Verdict.MET if value <= limit else Verdict.VIOLATION, 0.0, end_s, "all customers",
                         measured_value=round(value, 1), measured_unit="s", threshold_value=limit,
                         threshold_text=f"{what} ≤ {limit / 60:g} min", threshold_source=rule.source(limit_key),
                         note=note)


def waiting_findings(stats: ServiceStats, times: list[CustomerTimes], rule: Rule, end_s: float) -> list[Finding]:
    """Each customer's wait (info), the daily average (note 2) and the peak-window average against their limits."""
    out = []
    for c in times:
        if c.wait_s > 0:
            video = stats.source == "tracks"
            out.append(scene_finding(rule, Verdict.INFO, c.wait_start_s if video and c.wait_start_s else 0.0,
                                     c.called_s if video and c.called_s else 0.0, c.customer, visit_id=c.visit_id,
                                     measured_value=round(c.wait_s, 1), measured_unit="s",
                                     evidence_t_s=c.wait_start_s if video else None,
                                     note=f"waited {c.wait_s:.1f} s before being called ({stats.source}); {c.note}"))
    avg = f"Σ waiting / customers who waited = {stats.waiting_avg_s or 0:.1f} s over {stats.waited} " \
          f"(of {len(times)}; {stats.source})"
    out.append(_limit_finding(rule, stats.waiting_avg_s, "daily_limit_s", "average waiting", avg, end_s))
    peak = f"busiest {float(rule.value('peak_window_s')) / 60:g} min from {stats.peak_start_s or 0:.0f} s: " \
           f"{stats.peak_customers} customers called; {stats.source}"
    out.append(_limit_finding(rule, stats.peak_waiting_avg_s, "peak_limit_s", "peak-hour average waiting", peak,
                              end_s))
    return out


def handling_findings(times: list[CustomerTimes], stats: ServiceStats, rule: Rule, per_ticket: bool) -> list[Finding]:
    """The handling average of note 1 (info) and, for tickets, each ticket's handling against the business limit."""
    business = str(rule.value("business"))
    limit = float(rule.value(f"{business}_s"))
    out = []
    if per_ticket:
        for c in times:
            if c.handling_s is None:
                continue
            out.append(scene_finding(rule, Verdict.MET if c.handling_s <= limit else Verdict.VIOLATION, 0.0, 0.0,
                                     c.customer, measured_value=round(c.handling_s, 1), measured_unit="s",
                                     threshold_text=f"≤ {limit / 60:g} min ({business})", threshold_value=limit,
                                     threshold_source=rule.source(f"{business}_s"),
                                     note=f"{c.note}; queue-ticket data prevails (DB 表2 注3)"))
    if stats.handling_avg_s is not None:
        out.append(scene_finding(rule, Verdict.INFO, 0.0, 0.0, "all customers",
                                 measured_value=round(stats.handling_avg_s, 1), measured_unit="s",
                                 threshold_text=f"each ≤ {limit / 60:g} min ({business})", threshold_value=limit,
                                 threshold_source=rule.source(f"{business}_s"),
                                 note=f"note 1: Σ handling / transactions = {stats.handling_avg_s:.1f} s over "
                                      f"{stats.transactions} ({stats.source})"))
    return out


def apply_service_times(result: ReviewResult, frames: Iterable[FramePoses] | FloorTracks, cal: Calibration | None,
                        rb: Rulebook, near_m: float, tickets: list[Ticket] | None = None) -> ServiceStats | None:
    """Set each visit's ``wait_s`` from the tracks (their frames, or a streamed review's :class:`FloorTracks`) and
    add the waiting/handling findings of DB 表2 to ``result``; with ``tickets`` (note 3) those replace the tracks'
    figures and each transaction is graded from its ticket."""
    wait_rules, handling_rules = rb.of_kind("waiting_time"), rb.of_kind("handling_time")
    if not wait_rules:
        return None
    rule = wait_rules[0]
    end_s = result.duration_s
    track = track_times(frames, result.visits, cal, near_m, rule) if cal is not None else []
    for c in track:
        v = next(v for v in result.visits if v.visit_id == c.visit_id)
        v.wait_s = round(c.wait_s, 3)
    if tickets is not None:
        times = ticket_times(tickets, float(rule.value("min_wait_s")))
        stats = service_stats(times, float(rule.value("peak_window_s")), "tickets")
    elif cal is not None:
        times, stats = track, service_stats(track, float(rule.value("peak_window_s")), "tracks")
    else:
        result.coverage.not_assessable_rules[rule.id] = "no calibration: the waiting zone and the counter are unknown"
        return None
    result.findings += waiting_findings(stats, times, rule, end_s)
    for r in handling_rules:
        if tickets is not None:   # the tickets prevail: drop the per-visit grading from the tracks
            result.findings = [f for f in result.findings if f.rule_id != r.id]
        result.findings += handling_findings(times, stats, r, per_ticket=tickets is not None)
    result.coverage.not_assessable_rules.pop(rule.id, None)
    if rule.id not in result.coverage.assessable_rules:
        result.coverage.assessable_rules.append(rule.id)
    return stats
