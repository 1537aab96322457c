"""The daily report's figures, from the event store: per branch, counter and clerk, one local day.

A day is ``[local midnight, next local midnight)`` in the branch's time zone. A graded occasion (finding, visit,
state) belongs to the day it starts in; coverage and gaps are clipped to the day. Figures:

- 站接/站送 compliance: met / (met + late + missed); not-assessable and not-applicable occasions are counted
  beside it and never as compliance.
- bows by the rulebook's classes (from each bow's peak angle, degrees).
- violations (verdict ``violation``) by rule: count and total duration in seconds (scene checks and the waiting
  averages are reported in their own sections).
- waiting and handling: DB 表2 notes 1 and 2 exactly as :func:`etiquette_cv.service_times.service_stats`
  computes them, over the day's visits (a visit's waiting is what the review measured before it).
- scene checks: verdict counts per rule.
- coverage: camera-seconds analysed (the union of each camera's coverage spans) and every gap with its duration.
- trend: the same headline figures for each of the previous 7 days.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date as Date, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from ..events import band_resolvable
from ..rules.findings import Verdict
from ..rules.graders import GRADED_LATER
from ..rules.rulebook import Rulebook
from ..service_times import CustomerTimes, service_stats
from ..store import SqlEventStore, StoredEvent

TREND_DAYS = 7
"""How many previous days the trend shows."""
SCENE_KINDS = frozenset(k for k, stage in GRADED_LATER.items() if stage == "scene")
SERVICE_KINDS = frozenset({"waiting_time"})
"""Findings over a whole recording (the waiting averages): the day's own averages replace them, so they count in
no score, fault or violation total."""
GREET, SEND_OFF, BOW_GRADED = "stand_greet", "stand_send_off", "bow_graded"
FAULT_VERDICTS = (Verdict.LATE.value, Verdict.MISSED.value, Verdict.VIOLATION.value)


class DailyError(ValueError):
    """A date, time zone or store the daily report cannot use; the message is one line."""


@dataclass(frozen=True)
class DayWindow:
    """One local day as seconds since the Unix epoch: ``[start_epoch_s, end_epoch_s)``."""

    date: str
    tz: str
    start_epoch_s: float
    end_epoch_s: float

    def local(self, epoch_s: float) -> str:
        """``epoch_s`` as local ``YYYY-MM-DD HH:MM:SS``."""
        return datetime.fromtimestamp(epoch_s, ZoneInfo(self.tz)).strftime("%Y-%m-%d %H:%M:%S")


def day_window(day: str | Date, tz: str) -> DayWindow:
    """The local day ``day`` (``YYYY-MM-DD``) in time zone ``tz`` (IANA name, e.g. ``Asia/Shanghai``)."""
    try:
        zone = ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError):
        raise DailyError(f"--tz: unknown time zone {tz!r} (expected an IANA name such as Asia/Shanghai)") from None
    if isinstance(day, str):
        try:
            day = Date.fromisoformat(day)
        except ValueError:
            raise DailyError(f"--date: not a date: {day!r} (expected YYYY-MM-DD)") from None
    start = datetime(day.year, day.month, day.day, tzinfo=zone)
    end = datetime.combine(day + timedelta(days=1), datetime.min.time(), tzinfo=zone)
    return DayWindow(day.isoformat(), tz, start.timestamp(), end.timestamp())


def previous_local_day(now_epoch_s: float, tz: str) -> str:
    """The local date (``YYYY-MM-DD``) before the one ``now_epoch_s`` falls on in ``tz`` (what a watcher reports
    on after midnight)."""
    today = datetime.fromtimestamp(now_epoch_s, ZoneInfo(tz)).date()
    return (today - timedelta(days=1)).isoformat()


@dataclass
class Compliance:
    """Occasions of one rule kind by verdict; ``compliance_pct`` = met / (met + late + missed) × 100."""

    met: int = 0
    late: int = 0
    missed: int = 0
    not_assessable: int = 0
    not_applicable: int = 0
    compliance_pct: float | None = None

    def finish(self) -> "Compliance":
        """Fill ``compliance_pct`` (None when nothing was graded)."""
        graded = self.met + self.late + self.missed
        self.compliance_pct = 100.0 * self.met / graded if graded else None
        return self


@dataclass
class BowCount:
    """Bows of one class (the rulebook's ``name``; ``unclassified``: between bands or no angle)."""

    bow_class: str
    bow_class_zh: str
    count: int


@dataclass
class RuleTotal:
    """Violations of one rule: how many and their total duration in seconds."""

    rule_id: str
    title_zh: str
    title_en: str
    count: int
    duration_s: float


@dataclass
class RuleFaults:
    """One rule's late, missed and violating occasions and their total duration in seconds."""

    rule_id: str
    title_zh: str
    title_en: str
    late: int
    missed: int
    violation: int
    duration_s: float

    @property
    def faults(self) -> int:
        """Late + missed + violation."""
        return self.late + self.missed + self.violation


@dataclass
class ServiceDay:
    """DB 表2 over the day's visits (notes 1 and 2) against the rulebook's limits (seconds)."""

    visits: int
    transactions: int
    handling_avg_s: float | None
    waited: int
    waiting_avg_s: float | None
    peak_start_local: str | None
    peak_customers: int
    peak_waiting_avg_s: float | None
    waiting_limit_s: float | None
    peak_limit_s: float | None
    waiting_within_limit: bool | None
    peak_within_limit: bool | None
    left_view: int = 0
    """Visits whose customer walked out of the picture within 2 m: their handling time ends when last seen."""


@dataclass
class SceneCheck:
    """One scene rule's checks by verdict."""

    rule_id: str
    title_zh: str
    met: int
    violation: int
    not_assessable: int
    other: int


@dataclass
class Gap:
    """A span of one camera's day that was not analysed (stream down, frames dropped…), clipped to the day."""

    camera: str
    start_local: str
    end_local: str
    duration_s: float
    reason: str


@dataclass
class CoverageDay:
    """How much of the day was analysed: camera-seconds (and hours) covered, and the gaps."""

    cameras: list[str]
    analysed_s: float
    analysed_h: float
    gap_s: float
    gaps: list[Gap]


@dataclass
class Evidence:
    """A late, missed or violating occasion with its keyframe (a path; the store holds no images)."""

    rule_id: str
    person: str
    verdict: str
    time_local: str
    image: str


@dataclass
class ClerkDay:
    """One clerk at one counter (a camera's station) for the day."""

    camera: str
    counter: str
    clerk: str
    stand_greet: Compliance
    stand_send_off: Compliance
    bows: list[BowCount]
    violations: list[RuleTotal]
    service: ServiceDay


@dataclass
class TrendPoint:
    """A day's headline figures (for the trend plots)."""

    date: str
    score_pct: float | None
    stand_greet_pct: float | None
    stand_send_off_pct: float | None
    violations: int
    violation_s: float
    waiting_avg_s: float | None
    analysed_h: float


@dataclass
class BranchDay:
    """One branch's day: the branch's totals, its clerks, and the trend over the previous days."""

    branch: str
    score_pct: float | None
    """Share of all graded occasions (met, late, missed, violation) that were met, percent (as a review's
    score)."""
    graded: int
    faults: list[RuleFaults]
    """Late, missed and violating occasions by rule (what head office ranks)."""
    stand_greet: Compliance
    stand_send_off: Compliance
    bows: list[BowCount]
    violations: list[RuleTotal]
    service: ServiceDay
    scene: list[SceneCheck]
    coverage: CoverageDay
    clerks: list[ClerkDay]
    evidence: list[Evidence]
    trend: list[TrendPoint] = field(default_factory=list)


@dataclass
class DailyReport:
    """The daily report of one or all branches."""

    date: str
    tz: str
    start_epoch_s: float
    end_epoch_s: float
    store: str
    branches: list[BranchDay]


# ---- figures ---------------------------------------------------------------------------------------------------


def _kind(e: StoredEvent) -> str:
    return str(e.payload.get("rule_kind") or "")


def compliance(findings: list[StoredEvent], rule_kind: str) -> Compliance:
    """Occasions of ``rule_kind`` by verdict, and the share met among those graded (percent)."""
    c = Compliance()
    for e in findings:
        if _kind(e) == rule_kind and e.verdict in ("met", "late", "missed", "not_assessable", "not_applicable"):
            setattr(c, e.verdict, getattr(c, e.verdict) + 1)
    return c.finish()


def bows(findings: list[StoredEvent], rb: Rulebook) -> list[BowCount]:
    """Bows by the rulebook's classes, from each bow's peak angle (degrees), in the rulebook's order; then those
    between bands or without an angle (``unclassified``) and those whose ± is at least half their class's band
    (``class_not_assessable``: the view could not tell the class, as the review's finding said)."""
    counts = {c.name: 0 for c in rb.bow_classes}
    unclassified = unresolved = 0
    for e in findings:
        if _kind(e) != BOW_GRADED:
            continue
        cls = rb.classify_bow(e.value) if e.value is not None else None
        pm = (e.payload or {}).get("uncertainty")
        if cls is None:
            unclassified += 1
        elif pm is not None and not band_resolvable(e.value, float(pm), cls.min_deg, cls.max_deg):
            unresolved += 1
        else:
            counts[cls.name] += 1
    out = [BowCount(c.name, c.name_zh, counts[c.name]) for c in rb.bow_classes]
    out += [BowCount("unclassified", "未归类", unclassified)] if unclassified else []
    return out + [BowCount("class_not_assessable", "无法判定类别", unresolved)] if unresolved else out


def violations(findings: list[StoredEvent]) -> list[RuleTotal]:
    """Findings with verdict ``violation`` by rule (scene checks and waiting averages excluded): count and total
    duration (seconds), most time first."""
    acc: dict[str, RuleTotal] = {}
    for e in findings:
        if e.verdict != Verdict.VIOLATION.value or _kind(e) in SCENE_KINDS | SERVICE_KINDS:
            continue
        t = acc.setdefault(e.rule_id or "", RuleTotal(e.rule_id or "", str(e.payload.get("title_zh", "")),
                                                      str(e.payload.get("title_en", "")), 0, 0.0))
        t.count += 1
        t.duration_s += e.duration_s
    return sorted(acc.values(), key=lambda t: (-t.duration_s, -t.count, t.rule_id))


GRADED = ("met", "late", "missed", "violation")


def score(findings: list[StoredEvent]) -> tuple[float | None, int]:
    """Share (percent) of graded occasions (met, late, missed, violation) that were met, and how many were graded;
    not-assessable, not-applicable and info findings and the per-recording waiting averages are left out."""
    graded = [e for e in findings if e.verdict in GRADED and _kind(e) not in SERVICE_KINDS]
    met = sum(e.verdict == "met" for e in graded)
    return (100.0 * met / len(graded) if graded else None), len(graded)


def rule_faults(findings: list[StoredEvent]) -> list[RuleFaults]:
    """Late, missed and violating findings by rule (not the per-recording waiting averages), most occasions
    first."""
    acc: dict[str, RuleFaults] = {}
    for e in findings:
        if e.verdict not in FAULT_VERDICTS or _kind(e) in SERVICE_KINDS:
            continue
        f = acc.setdefault(e.rule_id or "", RuleFaults(e.rule_id or "", str(e.payload.get("title_zh", "")),
                                                       str(e.payload.get("title_en", "")), 0, 0, 0, 0.0))
        setattr(f, e.verdict, getattr(f, e.verdict) + 1)
        f.duration_s += e.duration_s
    return sorted(acc.values(), key=lambda f: (-f.faults, -f.duration_s, f.rule_id))


def service_day(visits: list[StoredEvent], rb: Rulebook, win: DayWindow) -> ServiceDay:
    """DB 表2 notes 1 and 2 over ``visits`` via :func:`service_stats`; the peak window starts at local midnight
    plus a whole number of windows."""
    rules = rb.of_kind("waiting_time")
    rule = rules[0] if rules else None
    window_s = float(rule.value("peak_window_s")) if rule else 3600.0
    times = [CustomerTimes(v.person or v.key, float(v.payload.get("wait_s") or 0.0), v.value,
                           v.start_epoch_s - win.start_epoch_s) for v in visits]
    st = service_stats(times, window_s, "tracks")
    limit = float(rule.value("daily_limit_s")) if rule else None
    peak_limit = float(rule.value("peak_limit_s")) if rule else None
    return ServiceDay(
        visits=len(visits), transactions=st.transactions, handling_avg_s=st.handling_avg_s, waited=st.waited,
        waiting_avg_s=st.waiting_avg_s,
        peak_start_local=win.local(win.start_epoch_s + st.peak_start_s) if st.peak_start_s is not None else None,
        peak_customers=st.peak_customers, peak_waiting_avg_s=st.peak_waiting_avg_s, waiting_limit_s=limit,
        peak_limit_s=peak_limit,
        waiting_within_limit=None if st.waiting_avg_s is None or limit is None else st.waiting_avg_s <= limit,
        peak_within_limit=None if st.peak_waiting_avg_s is None or peak_limit is None
        else st.peak_waiting_avg_s <= peak_limit,
        left_view=sum(1 for v in visits if v.payload.get("left_view")))


def scene_checks(findings: list[StoredEvent]) -> list[SceneCheck]:
    """Scene-check findings by rule and verdict."""
    acc: dict[str, SceneCheck] = {}
    for e in findings:
        if _kind(e) not in SCENE_KINDS:
            continue
        s = acc.setdefault(e.rule_id or "", SceneCheck(e.rule_id or "", str(e.payload.get("title_zh", "")),
                                                       0, 0, 0, 0))
        if e.verdict in ("met", "violation", "not_assessable"):
            setattr(s, e.verdict, getattr(s, e.verdict) + 1)
        else:
            s.other += 1
    return sorted(acc.values(), key=lambda s: s.rule_id)


def _clip(e: StoredEvent, win: DayWindow) -> tuple[float, float] | None:
    a = max(e.start_epoch_s, win.start_epoch_s)
    b = min(e.end_epoch_s if e.end_epoch_s is not None else e.start_epoch_s, win.end_epoch_s)
    return (a, b) if b > a else None


def coverage_day(spans: list[StoredEvent], win: DayWindow) -> CoverageDay:
    """Camera-seconds analysed in the day (the union of each camera's coverage spans, clipped) and its gaps."""
    analysed = 0.0
    cameras = sorted({e.camera for e in spans})
    for cam in cameras:
        pieces = sorted(p for e in spans if e.camera == cam and e.kind == "coverage" and (p := _clip(e, win)))
        end = -float("inf")
        for a, b in pieces:
            if b > end:
                analysed += b - max(a, end)
                end = b
    gaps = [Gap(e.camera, win.local(p[0]), win.local(p[1]), p[1] - p[0], str(e.payload.get("reason", "")))
            for e in spans if e.kind == "gap" and (p := _clip(e, win))]
    gaps.sort(key=lambda g: (g.start_local, g.camera))
    return CoverageDay(cameras, analysed, analysed / 3600.0, sum(g.duration_s for g in gaps), gaps)


def _evidence(findings: list[StoredEvent], win: DayWindow) -> list[Evidence]:
    return [Evidence(e.rule_id or "", e.person or "", e.verdict or "", win.local(e.start_epoch_s),
                     str(e.payload["evidence_image"]))
            for e in findings if e.verdict in FAULT_VERDICTS and e.payload.get("evidence_image")]


def _clerk_days(findings: list[StoredEvent], visits: list[StoredEvent], rb: Rulebook,
                win: DayWindow) -> list[ClerkDay]:
    """One row per clerk (findings about ``clerk`` or ``clerk@<station>``) at each camera's counter."""
    keys = sorted({(e.camera, e.station or "", e.person) for e in findings
                   if e.person and e.person.startswith("clerk")})
    out = []
    for cam, counter, clerk in keys:
        mine = [e for e in findings if e.camera == cam and e.person == clerk]
        # the only clerk of a camera (``clerk``, no station) serves every visit that camera saw
        at_counter = [v for v in visits if v.camera == cam and (not counter or (v.station or "") == counter)]
        out.append(ClerkDay(cam, counter, clerk, compliance(mine, GREET), compliance(mine, SEND_OFF),
                            bows(mine, rb), violations(mine), service_day(at_counter, rb, win)))
    return out


def branch_day(events: list[StoredEvent], branch: str, rb: Rulebook, win: DayWindow) -> BranchDay:
    """One branch's figures for the day ``win`` from its events (any superset: filtered here)."""
    mine = [e for e in events if e.branch == branch]
    starts = [e for e in mine if win.start_epoch_s <= e.start_epoch_s < win.end_epoch_s]
    findings = [e for e in starts if e.kind == "finding"]
    visits = [e for e in starts if e.kind == "visit" and not e.payload.get("pass_by")]   # pass-bys: no visits
    spans = [e for e in mine if e.kind in ("coverage", "gap")]
    score_pct, graded = score(findings)
    return BranchDay(branch, score_pct, graded, rule_faults(findings), compliance(findings, GREET),
                     compliance(findings, SEND_OFF), bows(findings, rb),
                     violations(findings), service_day(visits, rb, win), scene_checks(findings),
                     coverage_day(spans, win), _clerk_days(findings, visits, rb, win), _evidence(findings, win))


def trend_point(day: BranchDay, date: str) -> TrendPoint:
    """A branch day's headline figures."""
    return TrendPoint(date, day.score_pct, day.stand_greet.compliance_pct, day.stand_send_off.compliance_pct,
                      sum(v.count for v in day.violations), sum(v.duration_s for v in day.violations),
                      day.service.waiting_avg_s, day.coverage.analysed_h)


def daily_report(store: SqlEventStore, day: str, rb: Rulebook, *, tz: str = "Asia/Shanghai",
                 branch: str | None = None, trend_days: int = TREND_DAYS) -> DailyReport:
    """The daily report of ``day`` (local, ``YYYY-MM-DD``) for ``branch`` or every branch with events that day,
    each with the trend over the ``trend_days`` previous days. Raises :class:`DailyError` when there is nothing
    to report."""
    win = day_window(day, tz)
    days = [day_window(Date.fromisoformat(win.date) - timedelta(days=k), tz) for k in range(trend_days, -1, -1)]
    events = store.events(branch=branch, start_epoch_s=days[0].start_epoch_s, end_epoch_s=win.end_epoch_s)
    today = [e for e in events if e.start_epoch_s < win.end_epoch_s
             and (e.end_epoch_s if e.end_epoch_s is not None else e.start_epoch_s) >= win.start_epoch_s]
    names = sorted({e.branch for e in today})
    if not names:
        who = f"branch {branch}" if branch else "any branch"
        raise DailyError(f"{store.name}: no events of {who} on {win.date} ({tz})")
    out = []
    for name in names:
        bd = branch_day(events, name, rb, win)
        bd.trend = [trend_point(branch_day(events, name, rb, d), d.date) for d in days[:-1]] + \
            [trend_point(bd, win.date)]
        out.append(bd)
    return DailyReport(win.date, tz, win.start_epoch_s, win.end_epoch_s, store.name, out)
