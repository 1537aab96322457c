"""Head office's report across branches for one day, from the same store interface (PostgreSQL in practice):
branches ranked by score, the worst rules across the fleet, and each branch's trend over the previous days.

Files: headoffice.html (self-contained, SVG trend plots), headoffice.csv / .parquet (one row per branch) and
headoffice.json (everything).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from ..rules.rulebook import Rulebook
from ..store import SqlEventStore
from .daily import TREND_DAYS, DailyReport, TrendPoint, daily_report
from .daily_out import TEMPLATES, fmt_value, trend_svg, write_json, write_rows_csv, write_rows_parquet


@dataclass
class BranchRank:
    """One branch's place in the fleet for the day (rank 1 = best score; branches without a score last)."""

    rank: int
    branch: str
    score_pct: float | None
    graded: int
    faults: int
    stand_greet_pct: float | None
    stand_send_off_pct: float | None
    violation_s: float
    waiting_avg_s: float | None
    analysed_h: float
    gap_s: float
    trend: list[TrendPoint]


@dataclass
class FleetRule:
    """One rule's late, missed and violating occasions across the fleet, with how many branches had them."""

    rule_id: str
    title_zh: str
    title_en: str
    faults: int
    late: int
    missed: int
    violation: int
    duration_s: float
    branches: int


@dataclass
class FleetReport:
    """The head-office report of one day."""

    date: str
    tz: str
    store: str
    branches: list[BranchRank]
    worst_rules: list[FleetRule]


@dataclass(frozen=True)
class FleetOutputs:
    """Where the head-office report was written."""

    html: Path
    csv: Path
    json: Path
    parquet: Path


def fleet_from_daily(daily: DailyReport) -> FleetReport:
    """Rank the daily report's branches by score (percent met among graded occasions; ties: fewer faults, then
    name) and total each rule's faults across them."""
    ranked = []
    for b in daily.branches:
        ranked.append(BranchRank(0, b.branch, b.score_pct, b.graded, sum(f.faults for f in b.faults),
                                 b.stand_greet.compliance_pct, b.stand_send_off.compliance_pct,
                                 sum(v.duration_s for v in b.violations), b.service.waiting_avg_s,
                                 b.coverage.analysed_h, b.coverage.gap_s, b.trend))
    ranked.sort(key=lambda r: (r.score_pct is None, -(r.score_pct or 0.0), r.faults, r.branch))
    for i, r in enumerate(ranked, start=1):
        r.rank = i
    rules: dict[str, FleetRule] = {}
    for b in daily.branches:
        for f in b.faults:
            t = rules.setdefault(f.rule_id, FleetRule(f.rule_id, f.title_zh, f.title_en, 0, 0, 0, 0, 0.0, 0))
            t.late += f.late
            t.missed += f.missed
            t.violation += f.violation
            t.faults += f.faults
            t.duration_s += f.duration_s
            t.branches += 1
    worst = sorted(rules.values(), key=lambda t: (-t.faults, -t.duration_s, t.rule_id))
    return FleetReport(daily.date, daily.tz, daily.store, ranked, worst)


def fleet_report(store: SqlEventStore, day: str, rb: Rulebook, *, tz: str = "Asia/Shanghai",
                 trend_days: int = TREND_DAYS) -> FleetReport:
    """The head-office report of ``day`` (local ``YYYY-MM-DD``) over every branch in ``store``."""
    return fleet_from_daily(daily_report(store, day, rb, tz=tz, trend_days=trend_days))


BRANCH_COLUMNS = ("date", "tz", "rank", "branch", "score_pct", "graded", "faults", "stand_greet_pct",
                  "stand_send_off_pct", "violation_s", "waiting_avg_s", "analysed_h", "gap_s")


def write_fleet(report: FleetReport, out_dir: str | Path, generated: datetime | None = None) -> FleetOutputs:
    """Write headoffice.html, .csv, .json and .parquet into ``out_dir`` (created)."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    rows = [{"date": report.date, "tz": report.tz, **{k: getattr(b, k) for k in BRANCH_COLUMNS[2:]}}
            for b in report.branches]
    plots = {b.branch: trend_svg(b.trend, "score_pct", f"{b.branch} 达标率 score %", "%", "#1f6fb2")
             for b in report.branches}
    html = out / "headoffice.html"
    html.write_text(TEMPLATES.get_template("headoffice.html.j2").render(
        r=report, plots=plots, fmt=fmt_value,
        generated=(generated or datetime.now(timezone.utc)).strftime("%Y-%m-%d %H:%M UTC")), encoding="utf-8")
    return FleetOutputs(html, write_rows_csv(rows, BRANCH_COLUMNS, out / "headoffice.csv"),
                        write_json(report, out / "headoffice.json"),
                        write_rows_parquet(rows, BRANCH_COLUMNS, out / "headoffice.parquet"))
