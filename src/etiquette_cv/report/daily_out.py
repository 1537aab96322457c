"""The daily report's files: daily.json (everything), daily.csv and daily.parquet (one row per branch and per
clerk, for spreadsheets and analysts) and daily.html (one self-contained page with small SVG trend plots; evidence
keyframes are linked by path, the store holds no images).
"""

from __future__ import annotations

import csv
import json
import math
from dataclasses import asdict, dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable

import jinja2

from .daily import BranchDay, Compliance, DailyReport, ServiceDay, TrendPoint
from .svg import El, el

TREND_W, TREND_H = 260, 120
"""Size of one trend plot, pixels."""
_PAD_L, _PAD_R, _PAD_T, _PAD_B = 40, 10, 22, 22
TREND_SERIES: tuple[tuple[str, str, str, str], ...] = (
    ("stand_greet_pct", "站接达标率 Stand-greet %", "%", "#2e7d32"),
    ("stand_send_off_pct", "站送达标率 Send-off %", "%", "#1f6fb2"),
    ("violation_s", "违规时长 Violations (s)", "s", "#a31515"),
    ("waiting_avg_s", "平均等候 Avg. wait (s)", "s", "#e08a00"),
    ("analysed_h", "分析时长 Hours analysed", "h", "#5f6673"),
)

TEMPLATES = jinja2.Environment(loader=jinja2.PackageLoader("etiquette_cv.report", "templates"), autoescape=True,
                          trim_blocks=True, lstrip_blocks=True, undefined=jinja2.StrictUndefined,
                          keep_trailing_newline=True)


@dataclass(frozen=True)
class DailyOutputs:
    """Where the daily report was written."""

    html: Path
    csv: Path
    json: Path
    parquet: Path


def trend_svg(points: list[TrendPoint], attr: str, title: str, unit: str, color: str) -> El:
    """A small line plot of one headline figure over the trend's days (missing days are gaps in the line)."""
    vals = [getattr(p, attr) for p in points]
    known = [v for v in vals if v is not None]
    top = 100.0 if unit == "%" else max(known + [0.0]) * 1.15 or 1.0
    x0, x1, y0, y1 = _PAD_L, TREND_W - _PAD_R, TREND_H - _PAD_B, _PAD_T
    step = (x1 - x0) / max(len(points) - 1, 1)

    def y(v: float) -> float:
        return y0 - (v / top) * (y0 - y1)

    kids = [el("text", {"class": "t-title", "x": x0, "y": 14}, text=title),
            el("line", {"class": "axis", "x1": x0, "y1": y0, "x2": x1, "y2": y0}),
            el("text", {"class": "tick", "x": x0 - 4, "y": f"{y(top) + 4:.1f}", "text-anchor": "end"},
               text=f"{top:.0f}" if top >= 10 else f"{top:.1f}"),
            el("text", {"class": "tick", "x": x0 - 4, "y": f"{y0 + 4:.1f}", "text-anchor": "end"}, text="0")]
    for i, p in enumerate(points):
        if i in (0, len(points) - 1):
            kids.append(el("text", {"class": "tick", "x": f"{x0 + i * step:.1f}", "y": TREND_H - 6,
                                    "text-anchor": "start" if i == 0 else "end"}, text=p.date[5:]))
    run: list[str] = []
    for i, v in enumerate(vals + [None]):
        if v is not None:
            run.append(f"{x0 + i * step:.1f},{y(v):.1f}")
        elif run:
            kids.append(el("polyline", {"points": " ".join(run), "fill": "none", "stroke": color,
                                        "stroke-width": 2}))
            run = []
    for i, (p, v) in enumerate(zip(points, vals)):
        if v is not None:
            kids.append(el("circle", {"cx": f"{x0 + i * step:.1f}", "cy": f"{y(v):.1f}",
                                      "r": 4 if i == len(points) - 1 else 2.5, "fill": color},
                           title=f"{p.date}: {v:.1f} {unit}"))
    return el("svg", {"class": "trend", "width": TREND_W, "height": TREND_H, "viewBox": f"0 0 {TREND_W} {TREND_H}",
                      "xmlns": "http://www.w3.org/2000/svg", "role": "img", "aria-label": title}, *kids)


# ---- flat rows (CSV, Parquet) ----------------------------------------------------------------------------------

ROW_COLUMNS = ("date", "tz", "branch", "level", "camera", "counter", "clerk",
               "stand_greet_met", "stand_greet_late", "stand_greet_missed", "stand_greet_not_assessable",
               "stand_greet_pct", "stand_send_off_met", "stand_send_off_late", "stand_send_off_missed",
               "stand_send_off_not_assessable", "stand_send_off_pct", "bows", "violations", "violation_s",
               "visits", "transactions", "handling_avg_s", "waited", "waiting_avg_s", "peak_waiting_avg_s",
               "visits_left_view", "analysed_h", "gap_s", "gaps")


def _compliance_cells(prefix: str, c: Compliance) -> dict[str, Any]:
    return {f"{prefix}_met": c.met, f"{prefix}_late": c.late, f"{prefix}_missed": c.missed,
            f"{prefix}_not_assessable": c.not_assessable, f"{prefix}_pct": c.compliance_pct}


def _service_cells(s: ServiceDay) -> dict[str, Any]:
    return {"visits": s.visits, "transactions": s.transactions, "handling_avg_s": s.handling_avg_s,
            "waited": s.waited, "waiting_avg_s": s.waiting_avg_s, "peak_waiting_avg_s": s.peak_waiting_avg_s,
            "visits_left_view": s.left_view}


def report_rows(report: DailyReport) -> list[dict[str, Any]]:
    """One row per branch (``level`` = ``branch``) and per clerk (``clerk``), columns :data:`ROW_COLUMNS`."""
    rows = []
    for b in report.branches:
        base = {"date": report.date, "tz": report.tz, "branch": b.branch}
        rows.append({**base, "level": "branch", "camera": "", "counter": "", "clerk": "",
                     **_compliance_cells("stand_greet", b.stand_greet),
                     **_compliance_cells("stand_send_off", b.stand_send_off),
                     "bows": sum(x.count for x in b.bows), "violations": sum(v.count for v in b.violations),
                     "violation_s": sum(v.duration_s for v in b.violations), **_service_cells(b.service),
                     "analysed_h": b.coverage.analysed_h, "gap_s": b.coverage.gap_s, "gaps": len(b.coverage.gaps)})
        for c in b.clerks:
            rows.append({**base, "level": "clerk", "camera": c.camera, "counter": c.counter, "clerk": c.clerk,
                         **_compliance_cells("stand_greet", c.stand_greet),
                         **_compliance_cells("stand_send_off", c.stand_send_off),
                         "bows": sum(x.count for x in c.bows), "violations": sum(v.count for v in c.violations),
                         "violation_s": sum(v.duration_s for v in c.violations), **_service_cells(c.service),
                         "analysed_h": None, "gap_s": None, "gaps": None})
    return rows


def write_rows_csv(rows: list[dict[str, Any]], columns: tuple[str, ...], path: Path) -> Path:
    """Rows as UTF-8 CSV with a BOM (Excel opens Chinese text right); empty cells for missing values."""
    with path.open("w", encoding="utf-8-sig", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(columns))
        w.writeheader()
        for r in rows:
            w.writerow({k: "" if r.get(k) is None else r[k] for k in columns})
    return path


def write_rows_parquet(rows: list[dict[str, Any]], columns: tuple[str, ...], path: Path) -> Path:
    """Rows as a Parquet table (pyarrow infers each column's type; missing values are nulls)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = pa.Table.from_pylist([{k: r.get(k) for k in columns} for r in rows])
    pq.write_table(table, path)
    return path


def _json_safe(x: Any) -> Any:
    if isinstance(x, float) and not math.isfinite(x):
        return None
    if isinstance(x, dict):
        return {k: _json_safe(v) for k, v in x.items()}
    if isinstance(x, list):
        return [_json_safe(v) for v in x]
    return x


def write_json(obj: Any, path: Path) -> Path:
    """A dataclass tree as indented UTF-8 JSON (non-finite numbers as null)."""
    path.write_text(json.dumps(_json_safe(asdict(obj)), ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    return path


# ---- the page ----------------------------------------------------------------------------------------------


def fmt_value(v: float | None, digits: int = 1, unit: str = "") -> str:
    """``v`` with ``digits`` decimals and its unit, or a dash when missing (for the pages)."""
    return "—" if v is None else f"{v:.{digits}f}{unit}"


def _branch_plots(b: BranchDay) -> list[El]:
    return [trend_svg(b.trend, attr, title, unit, color) for attr, title, unit, color in TREND_SERIES]


def render_daily_html(report: DailyReport, out_dir: Path, generated: datetime | None = None) -> str:
    """The daily page as a string; evidence paths are made relative to ``out_dir`` when they can be."""
    def link(path: str) -> str:
        p = Path(path)
        if not p.is_absolute():
            return p.as_posix()
        try:
            return Path(p).relative_to(out_dir.resolve()).as_posix()
        except ValueError:
            return p.as_uri()

    fmt: Callable[..., str] = fmt_value
    return TEMPLATES.get_template("daily.html.j2").render(
        r=report, plots={b.branch: _branch_plots(b) for b in report.branches}, fmt=fmt, link=link,
        generated=(generated or datetime.now(timezone.utc)).strftime("%Y-%m-%d %H:%M UTC"))


def write_daily(report: DailyReport, out_dir: str | Path, generated: datetime | None = None) -> DailyOutputs:
    """Write daily.html, daily.csv, daily.json and daily.parquet into ``out_dir`` (created)."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    rows = report_rows(report)
    html = out / "daily.html"
    html.write_text(render_daily_html(report, out, generated), encoding="utf-8")
    return DailyOutputs(html, write_rows_csv(rows, ROW_COLUMNS, out / "daily.csv"), write_json(report,
                        out / "daily.json"), write_rows_parquet(rows, ROW_COLUMNS, out / "daily.parquet"))
