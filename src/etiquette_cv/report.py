"""Reports of a review: findings JSON, findings CSV, a self-contained HTML page and a terminal summary.

Public API
----------
``write_findings_json(result, path, *, base_dir=None, include_series=False)`` / ``read_findings_json(path)``
``write_findings_csv(result, path, *, base_dir=None)``
``write_report_html(result, path, lang="zh", images_inline=True, *, bow_bands=None, base_dir=None, generated=None)``
``summary_table(result, lang="zh") -> rich.table.Table``

``base_dir`` is the directory the result's ``evidence_image`` paths are relative to; it defaults to the directory
the file is written into (the "report directory"). Paths written out are always relative to the written file's
directory.

Findings JSON schema (``etiquette-cv/findings``, version 1)
-----------------------------------------------------------
One UTF-8 JSON object; times are seconds from the start of the video, rounded to the millisecond; angles in degrees;
``null`` wherever a value is unknown or was not measurable (NaN is never written)::

    {
      "schema": "etiquette-cv/findings",     # constant; readers must check it
      "version": 1,                          # bumped on incompatible changes; readers refuse newer versions
      "generated_at": "2026-11-25T04:00:00+00:00",
      "source": "counter3.mp4",              # what was reviewed
      "duration_s": 612.4,                   # length of the part that was read
      "analysed_frames": 6124,
      "image_size": {"width": 1920, "height": 1080},
      "rulebook": {"name": "...", "version": "..."},
      "score": 83.33 | null,                 # share of graded occasions that met their rule, 0-100
      "problem": "..." | null,               # set when the input ended early (partial review)
      "coverage": {"visible_s": {"clerk": 600.1, "customer#3": 88.0},
                   "assessable_rules": ["CC-2.6-stand-greet", ...],
                   "not_assessable_rules": {"DB-6.2-bow-form": "legs not visible from this camera"}},
      "visits": [{"visit_id": 1, "customer": "customer#3", "arrive_s": 12.0, "leave_s": 95.5,
                  "at_counter_s": 14.2, "wait_s": null, "handling_s": 83.5}],
      "states": [{"person": "clerk", "state": "sit", "start_s": 0.0, "end_s": 12.8}],
      "findings": [{"rule_id": "CC-2.6-stand-greet", "clause": "...", "wording_zh": "...",
                    "title_en": "...", "title_zh": "...",
                    "verdict": "met|late|missed|violation|not_applicable|not_assessable|info",
                    "severity": "info|minor|major",
                    "start_s": 12.0, "end_s": 15.1, "duration_s": 3.1, "person": "clerk",
                    "measured_value": 3.1 | null, "measured_unit": "s|deg|m|",
                    "threshold_text": "≤ 3.0 s", "threshold_value": 3.0 | null,
                    "threshold_source": "standard|default",
                    "evidence_t_s": 14.9 | null, "evidence_frame_index": 372 | null,
                    "evidence_image": "keyframes/f001.jpg" | null,   # relative to the JSON file's directory
                    "visit_id": 1 | null, "note": "..."}],
      "bow_peaks": [{"t_s": 13.2, "peak_deg": 16.5, "class": "greet", "person": "clerk"}],
      "series": [{"name": "trunk_flexion_deg", "unit": "deg", "t_s": [...], "values": [... null ...]}]
                                             # only with include_series=True
    }

``duration_s`` of a finding is derived (``end_s - start_s``) and ignored when reading.

HTML page
---------
One file with no network references: inline CSS, plots as inline SVG, keyframes as base64 data URIs (with
``images_inline=False`` the keyframes are linked by relative path instead, and the page is no longer
self-contained). No scripts. Sections: header (+ partial-input banner), summary, timeline, clerk trunk-angle plot,
visits, finding cards (anchor targets ``#finding-N`` of the timeline markers), coverage, how to read the verdicts.
"""

from __future__ import annotations

import base64
import csv
import html
import json
import math
import os
import re
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from urllib.parse import quote

import numpy as np

from .findings import Coverage, Finding, ReviewResult, Series, Severity, StateInterval, Verdict, Visit
from .report_i18n import (labels, person_label, severity_label, state_label, unit_suffix, verdict_help,
                          verdict_label)

SCHEMA = "etiquette-cv/findings"
SCHEMA_VERSION = 1

CSV_COLUMNS = ["rule_id", "clause", "title_zh", "title_en", "verdict", "severity", "person", "visit_id", "start_s",
               "end_s", "duration_s", "measured_value", "measured_unit", "threshold", "threshold_source",
               "evidence_t_s", "evidence_frame_index", "evidence_image", "note", "wording_zh"]

TRUNK_SERIES = "trunk_flexion_deg"

VERDICT_ORDER = [Verdict.MET, Verdict.LATE, Verdict.MISSED, Verdict.VIOLATION, Verdict.NOT_APPLICABLE,
                 Verdict.NOT_ASSESSABLE, Verdict.INFO]
"""Display order of the verdicts."""

_BADNESS = {Verdict.VIOLATION: 6, Verdict.MISSED: 5, Verdict.LATE: 4, Verdict.NOT_ASSESSABLE: 3, Verdict.INFO: 2,
            Verdict.NOT_APPLICABLE: 1, Verdict.MET: 0}
_SEVERITY_RANK = {Severity.MAJOR: 2, Severity.MINOR: 1, Severity.INFO: 0}
_ATTENTION = (Verdict.LATE, Verdict.MISSED, Verdict.VIOLATION)

VERDICT_COLORS = {
    Verdict.MET: "#2e7d32",
    Verdict.LATE: "#e08a00",
    Verdict.MISSED: "#d32f2f",
    Verdict.VIOLATION: "#a31515",
    Verdict.NOT_APPLICABLE: "#b8bcc2",
    Verdict.NOT_ASSESSABLE: "#80868b",
    Verdict.INFO: "#1f6fb2",
}

STATE_COLORS = {
    "stand": "#7cc47f",
    "sit": "#8fb8e6",
    "bow": "#9c6ade",
    "absent": "#eceff1",
    "unknown": "#c9cdd2",
    "walk": "#f2c46d",
    "squat": "#d9a3c6",
}
_EXTRA_STATE_COLORS = ["#a1887f", "#4db6ac", "#ff8a65", "#aed581", "#90a4ae", "#f48fb1"]

_BAND_COLORS = ["#4caf50", "#2196f3", "#e53935", "#ff9800", "#9c27b0", "#009688"]

_RICH_STYLES = {
    Verdict.MET: "green",
    Verdict.LATE: "yellow",
    Verdict.MISSED: "red",
    Verdict.VIOLATION: "bold red",
    Verdict.NOT_APPLICABLE: "dim",
    Verdict.NOT_ASSESSABLE: "bright_black",
    Verdict.INFO: "blue",
}


# ---------------------------------------------------------------------------------------------------------------
# small helpers


def _num(x: float | None, nd: int = 3) -> float | None:
    """A JSON-safe rounded number: None for None/NaN/inf."""
    if x is None:
        return None
    x = float(x)
    if not math.isfinite(x):
        return None
    return round(x, nd)


def _fmt_num(x: float | None, nd: int = 2) -> str:
    """``x`` with at most ``nd`` decimals and no trailing zeros; empty for unknown."""
    if x is None or not math.isfinite(float(x)):
        return ""
    s = f"{float(x):.{nd}f}"
    if "." in s:
        s = s.rstrip("0").rstrip(".")
    return "0" if s in ("-0", "") else s


def fmt_clock(t: float | None, decimals: int = 1) -> str:
    """``mm:ss.s`` (``h:mm:ss.s`` from one hour on); ``—`` for unknown."""
    if t is None or not math.isfinite(t):
        return "—"
    sign = "-" if t < 0 else ""
    t = abs(t)
    scale = 10 ** decimals
    total = round(t * scale)
    whole, frac = divmod(total, scale)
    h, rem = divmod(whole, 3600)
    m, s = divmod(rem, 60)
    sec = f"{s:02d}" + (f".{frac:0{decimals}d}" if decimals else "")
    if h:
        return f"{sign}{h}:{m:02d}:{sec}"
    return f"{sign}{m:02d}:{sec}"


def fmt_duration(s: float | None, lang: str) -> str:
    """A length of time for people: ``42.0 s`` / ``3 min 05 s`` (``42.0 秒`` / ``3 分 05 秒``)."""
    if s is None or not math.isfinite(s):
        return "—"
    if s < 60:
        return f"{s:.1f} 秒" if lang == "zh" else f"{s:.1f} s"
    m, sec = divmod(int(round(s)), 60)
    if m >= 60:
        h, m = divmod(m, 60)
        return f"{h} 小时 {m:02d} 分" if lang == "zh" else f"{h} h {m:02d} min"
    return f"{m} 分 {sec:02d} 秒" if lang == "zh" else f"{m} min {sec:02d} s"


def fmt_measured(value: float | None, unit: str, lang: str) -> str:
    """A measured value with its unit, rounded for its kind (0.1° / 0.1 s / 0.01 m)."""
    if value is None or not math.isfinite(value):
        return "—"
    nd = {"deg": 1, "s": 1, "m": 2}.get(unit, 2)
    return f"{value:.{nd}f}{unit_suffix(unit, lang)}"


def threshold_display(f: Finding, lang: str = "en") -> str:
    """The threshold as a person reads it: ``threshold_text``, else the value with its unit, else empty."""
    if f.threshold_text:
        return f.threshold_text
    if f.threshold_value is not None and math.isfinite(f.threshold_value):
        return fmt_measured(f.threshold_value, f.measured_unit, lang)
    return ""


def _e(x: object) -> str:
    return html.escape("" if x is None else str(x), quote=True)


def _verdict(v: Verdict | str) -> Verdict:
    return v if isinstance(v, Verdict) else Verdict(str(v))


def finding_badness(f: Finding) -> tuple[int, int]:
    """Sort key: larger is worse (verdict first, then severity)."""
    return _BADNESS[_verdict(f.verdict)], _SEVERITY_RANK.get(f.severity, 0)


def worst_finding(findings: list[Finding]) -> Finding | None:
    """The worst of ``findings`` (earliest among equals), None for an empty list."""
    if not findings:
        return None
    return max(findings, key=lambda f: (finding_badness(f), -f.start_s))


_SEND_OFF_RE = re.compile(r"send[-_ ]?off|see[-_ ]?off|farewell|2\.6b", re.I)
_GREET_RE = re.compile(r"stand[-_ ]?(to[-_ ])?greet|2\.6(?![0-9b])|counter[-_]?1(?![0-9])", re.I)


def reception_kind(rule_id: str) -> str | None:
    """Which half of 站接站送 a rule grades: ``greet`` (站接), ``send_off`` (站送) or None (any other rule).

    Recognised from the rule id: ``…stand-greet…`` / ``CC-2.6…`` → greet; ``…send-off…``, ``…farewell…``,
    ``CC-2.6b…`` → send-off. Bows (``…bow…``) are never reception rules.
    """
    if "bow" in rule_id.lower():
        return None
    if _SEND_OFF_RE.search(rule_id):
        return "send_off"
    if _GREET_RE.search(rule_id):
        return "greet"
    return None


def _person_sort_key(p: str) -> tuple[int, int, str]:
    base, _, rest = p.partition("@")[0].partition("#")
    order = {"clerk": 0, "customer": 1}.get(base, 2)
    return order, int(rest) if rest.isdigit() else 0, p


def _rel_path(path: str | None, base_dir: Path, out_dir: Path) -> str | None:
    """``path`` (relative to ``base_dir`` unless absolute) re-expressed relative to ``out_dir``, with ``/``."""
    if not path:
        return None
    p = Path(path)
    absolute = p if p.is_absolute() else base_dir / p
    try:
        rel = os.path.relpath(absolute.resolve(), out_dir.resolve())
    except ValueError:  # another drive on Windows
        return absolute.as_posix()
    return Path(rel).as_posix()


# ---------------------------------------------------------------------------------------------------------------
# JSON


def _finding_to_dict(f: Finding, base_dir: Path, out_dir: Path) -> dict:
    return {
        "rule_id": f.rule_id,
        "clause": f.clause,
        "wording_zh": f.wording_zh,
        "title_en": f.title_en,
        "title_zh": f.title_zh,
        "verdict": _verdict(f.verdict).value,
        "severity": Severity(f.severity).value,
        "start_s": _num(f.start_s),
        "end_s": _num(f.end_s),
        "duration_s": _num(f.duration_s),
        "person": f.person,
        "measured_value": _num(f.measured_value),
        "measured_unit": f.measured_unit,
        "threshold_text": f.threshold_text,
        "threshold_value": _num(f.threshold_value),
        "threshold_source": f.threshold_source,
        "evidence_t_s": _num(f.evidence_t_s),
        "evidence_frame_index": None if f.evidence_frame_index is None else int(f.evidence_frame_index),
        "evidence_image": _rel_path(f.evidence_image, base_dir, out_dir),
        "visit_id": None if f.visit_id is None else int(f.visit_id),
        "note": f.note,
    }


def result_to_dict(result: ReviewResult, *, base_dir: str | Path = ".", out_dir: str | Path = ".",
                   include_series: bool = False, generated: datetime | None = None) -> dict:
    """The findings-JSON object of ``result`` (see the module docstring for the schema)."""
    base_dir, out_dir = Path(base_dir), Path(out_dir)
    generated = generated or datetime.now(timezone.utc)
    cov = result.coverage
    doc = {
        "schema": SCHEMA,
        "version": SCHEMA_VERSION,
        "generated_at": generated.isoformat(timespec="seconds"),
        "source": result.source,
        "duration_s": _num(result.duration_s),
        "analysed_frames": int(result.analysed_frames),
        "image_size": {"width": int(result.image_width), "height": int(result.image_height)},
        "rulebook": {"name": result.rulebook_name, "version": result.rulebook_version},
        "score": _num(result.score, 2),
        "problem": result.problem,
        "coverage": {
            "visible_s": {k: _num(v) for k, v in cov.visible_s.items()},
            "assessable_rules": list(cov.assessable_rules),
            "not_assessable_rules": dict(cov.not_assessable_rules),
        },
        "visits": [{"visit_id": int(v.visit_id), "customer": v.customer, "arrive_s": _num(v.arrive_s),
                    "leave_s": _num(v.leave_s), "at_counter_s": _num(v.at_counter_s), "wait_s": _num(v.wait_s),
                    "handling_s": _num(v.handling_s)} for v in result.visits],
        "states": [{"person": s.person, "state": s.state, "start_s": _num(s.start_s), "end_s": _num(s.end_s)}
                   for s in result.states],
        "findings": [_finding_to_dict(f, base_dir, out_dir) for f in result.findings],
        "bow_peaks": [{"t_s": _num(t), "peak_deg": _num(deg, 2), "class": cls, "person": who}
                      for t, deg, cls, who in result.bow_peaks],
    }
    if include_series:
        doc["series"] = [{"name": s.name, "unit": s.unit, "t_s": [_num(t) for t in np.asarray(s.t_s, float)],
                          "values": [_num(v) for v in np.asarray(s.values, float)]} for s in result.series]
    return doc


def write_findings_json(result: ReviewResult, path: str | Path, *, base_dir: str | Path | None = None,
                        include_series: bool = False, generated: datetime | None = None) -> Path:
    """Write the versioned findings JSON (schema in the module docstring); returns the path written."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    doc = result_to_dict(result, base_dir=base_dir if base_dir is not None else path.parent, out_dir=path.parent,
                         include_series=include_series, generated=generated)
    text = json.dumps(doc, ensure_ascii=False, indent=2, allow_nan=False)
    path.write_text(text + "\n", encoding="utf-8")
    return path


def _nan(x) -> float:
    return float("nan") if x is None else float(x)


def result_from_dict(doc: dict) -> ReviewResult:
    """A :class:`ReviewResult` from a findings-JSON object; raises ValueError on another schema or a newer version."""
    if not isinstance(doc, dict) or doc.get("schema") != SCHEMA:
        found = doc.get("schema") if isinstance(doc, dict) else None
        raise ValueError(f"not an etiquette-cv findings file (schema {found!r}, expected {SCHEMA!r})")
    version = doc.get("version")
    if not isinstance(version, int) or version < 1 or version > SCHEMA_VERSION:
        raise ValueError(f"findings file version {version!r} is not supported (this etiquette-cv reads version "
                         f"{SCHEMA_VERSION}; a newer file needs a newer etiquette-cv)")
    cov = doc.get("coverage") or {}
    size = doc.get("image_size") or {}
    rulebook = doc.get("rulebook") or {}
    findings = []
    for d in doc.get("findings", []):
        findings.append(Finding(
            rule_id=d["rule_id"], clause=d.get("clause", ""), wording_zh=d.get("wording_zh", ""),
            title_en=d.get("title_en", ""), title_zh=d.get("title_zh", ""), verdict=Verdict(d["verdict"]),
            severity=Severity(d.get("severity", "info")), start_s=float(d["start_s"]), end_s=float(d["end_s"]),
            person=d.get("person", ""), measured_value=d.get("measured_value"),
            measured_unit=d.get("measured_unit", ""), threshold_text=d.get("threshold_text", ""),
            threshold_value=d.get("threshold_value"), threshold_source=d.get("threshold_source", "default"),
            evidence_t_s=d.get("evidence_t_s"), evidence_frame_index=d.get("evidence_frame_index"),
            evidence_image=d.get("evidence_image"), visit_id=d.get("visit_id"), note=d.get("note", "")))
    series = [Series(name=s["name"], unit=s.get("unit", ""), t_s=np.array([_nan(t) for t in s["t_s"]], float),
                     values=np.array([_nan(v) for v in s["values"]], float)) for s in doc.get("series", [])]
    return ReviewResult(
        source=doc.get("source", ""),
        duration_s=float(doc.get("duration_s") or 0.0),
        analysed_frames=int(doc.get("analysed_frames") or 0),
        image_width=int(size.get("width") or 0),
        image_height=int(size.get("height") or 0),
        findings=findings,
        visits=[Visit(visit_id=int(v["visit_id"]), customer=v.get("customer", ""), arrive_s=v.get("arrive_s"),
                      leave_s=v.get("leave_s"), at_counter_s=v.get("at_counter_s"), wait_s=v.get("wait_s"))
                for v in doc.get("visits", [])],
        states=[StateInterval(person=s["person"], state=s["state"], start_s=float(s["start_s"]),
                              end_s=float(s["end_s"])) for s in doc.get("states", [])],
        series=series,
        bow_peaks=[(float(b["t_s"]), float(b["peak_deg"]), str(b.get("class", "")), str(b.get("person", "clerk")))
                   for b in doc.get("bow_peaks", [])],
        coverage=Coverage(visible_s={k: float(v) for k, v in (cov.get("visible_s") or {}).items() if v is not None},
                          assessable_rules=list(cov.get("assessable_rules") or []),
                          not_assessable_rules=dict(cov.get("not_assessable_rules") or {})),
        rulebook_name=rulebook.get("name", ""),
        rulebook_version=rulebook.get("version", ""),
        problem=doc.get("problem"),
    )


def read_findings_json(path: str | Path) -> ReviewResult:
    """Read a findings JSON back into a :class:`ReviewResult` (series only if they were written).

    ``evidence_image`` paths stay relative to the JSON file's directory.
    """
    path = Path(path)
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise ValueError(f"{path}: not valid JSON ({exc})") from exc
    try:
        return result_from_dict(doc)
    except (KeyError, TypeError) as exc:
        raise ValueError(f"{path}: malformed findings file ({exc!r})") from exc
    except ValueError as exc:
        raise ValueError(f"{path}: {exc}") from exc


# ---------------------------------------------------------------------------------------------------------------
# CSV


def write_findings_csv(result: ReviewResult, path: str | Path, *, base_dir: str | Path | None = None) -> Path:
    """One row per finding (columns :data:`CSV_COLUMNS`), UTF-8 with a BOM so that Excel reads the Chinese."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    base = Path(base_dir) if base_dir is not None else path.parent
    with path.open("w", encoding="utf-8-sig", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=CSV_COLUMNS, quoting=csv.QUOTE_MINIMAL)
        writer.writeheader()
        for f in result.findings:
            nd_measured = {"deg": 1, "s": 2, "m": 2}.get(f.measured_unit, 3)
            writer.writerow({
                "rule_id": f.rule_id,
                "clause": f.clause,
                "title_zh": f.title_zh,
                "title_en": f.title_en,
                "verdict": _verdict(f.verdict).value,
                "severity": Severity(f.severity).value,
                "person": f.person,
                "visit_id": "" if f.visit_id is None else int(f.visit_id),
                "start_s": _fmt_num(f.start_s, 2),
                "end_s": _fmt_num(f.end_s, 2),
                "duration_s": _fmt_num(f.duration_s, 2),
                "measured_value": _fmt_num(f.measured_value, nd_measured),
                "measured_unit": f.measured_unit,
                "threshold": threshold_display(f, "en"),
                "threshold_source": f.threshold_source,
                "evidence_t_s": _fmt_num(f.evidence_t_s, 2),
                "evidence_frame_index": "" if f.evidence_frame_index is None else int(f.evidence_frame_index),
                "evidence_image": _rel_path(f.evidence_image, base, path.parent) or "",
                "note": f.note,
                "wording_zh": f.wording_zh,
            })
    return path


# ---------------------------------------------------------------------------------------------------------------
# SVG building blocks

_SVG_W = 1200
_LEFT = 205          # label column of the timeline and the plot (so their time axes line up)
_RIGHT = 24


@dataclass
class _TimeAxis:
    t0: float
    t1: float
    x0: float = _LEFT
    x1: float = _SVG_W - _RIGHT

    def x(self, t: float) -> float:
        span = self.t1 - self.t0
        return self.x0 + (min(max(t, self.t0), self.t1) - self.t0) / span * (self.x1 - self.x0)

    def ticks(self) -> tuple[list[float], float]:
        span = self.t1 - self.t0
        for step in (0.5, 1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 14400):
            if span / step <= 12:
                break
        first = math.ceil(self.t0 / step) * step
        n = int((self.t1 - first) / step + 1e-9) + 1
        return [first + i * step for i in range(n)], step


def _axis_end(result: ReviewResult) -> float:
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


def _tick_label(t: float, step: float) -> str:
    return fmt_clock(t, 1 if step < 1 else 0)


def _svg_time_axis(ax: _TimeAxis, y_top: float, y_axis: float, label: str) -> list[str]:
    ticks, step = ax.ticks()
    out = [f'<line class="axis" x1="{ax.x0:.1f}" y1="{y_axis:.1f}" x2="{ax.x1:.1f}" y2="{y_axis:.1f}"/>']
    for t in ticks:
        x = ax.x(t)
        out.append(f'<line class="grid" x1="{x:.1f}" y1="{y_top:.1f}" x2="{x:.1f}" y2="{y_axis:.1f}"/>')
        out.append(f'<line class="axis" x1="{x:.1f}" y1="{y_axis:.1f}" x2="{x:.1f}" y2="{y_axis + 5:.1f}"/>')
        out.append(f'<text class="tick" x="{x:.1f}" y="{y_axis + 18:.1f}" text-anchor="middle">'
                   f'{_e(_tick_label(t, step))}</text>')
    out.append(f'<text class="axis-label" x="{ax.x0 - 28:.1f}" y="{y_axis + 18:.1f}" text-anchor="end">'
               f'{_e(label)}</text>')
    return out


def _truncate(text: str, max_units: int) -> str:
    """Cut ``text`` to about ``max_units`` half-width characters (CJK characters count two)."""
    units = 0
    for i, ch in enumerate(text):
        units += 2 if ord(ch) > 0x2E80 else 1
        if units > max_units:
            return text[:max(1, i - 1)] + "…"
    return text


def _state_color(state: str, extra: dict[str, str]) -> str:
    if state in STATE_COLORS:
        return STATE_COLORS[state]
    if state not in extra:
        extra[state] = _EXTRA_STATE_COLORS[len(extra) % len(_EXTRA_STATE_COLORS)]
    return extra[state]


def _rule_order(findings: list[Finding], by_badness: bool) -> list[str]:
    """Rule ids in display order: by worst verdict (``by_badness``) or 站接, 站送, then the rest; then by first time."""
    first: dict[str, float] = {}
    worst: dict[str, tuple[int, int]] = {}
    for f in findings:
        first[f.rule_id] = min(first.get(f.rule_id, math.inf), f.start_s)
        worst[f.rule_id] = max(worst.get(f.rule_id, (-1, -1)), finding_badness(f))
    kind_rank = {"greet": 0, "send_off": 1, None: 2}
    if by_badness:
        return sorted(first, key=lambda r: (-worst[r][0], -worst[r][1], kind_rank[reception_kind(r)], first[r]))
    return sorted(first, key=lambda r: (kind_rank[reception_kind(r)], first[r], r))


def _finding_title(f: Finding, lang: str) -> str:
    return (f.title_zh or f.title_en or f.rule_id) if lang == "zh" else (f.title_en or f.title_zh or f.rule_id)


def _finding_tooltip(f: Finding, number: int, lang: str) -> str:
    L = labels(lang)
    parts = [f"#{number} {_finding_title(f, lang)} — {verdict_label(_verdict(f.verdict).value, lang)}",
             f"{fmt_clock(f.start_s)} – {fmt_clock(f.end_s)} · {person_label(f.person, lang)}"]
    if f.measured_value is not None:
        thr = threshold_display(f, lang)
        parts.append(f"{L['measured']}: {fmt_measured(f.measured_value, f.measured_unit, lang)}"
                     + (f" ({L['threshold']} {thr})" if thr else ""))
    if f.note:
        parts.append(f.note)
    return "\n".join(parts)


def _timeline_svg(result: ReviewResult, numbers: dict[int, int], lang: str) -> tuple[str, list[str]]:
    """The timeline SVG and the states it used (for the legend)."""
    L = labels(lang)
    ax = _TimeAxis(0.0, _axis_end(result))
    persons = sorted({s.person for s in result.states}, key=_person_sort_key)
    rules = _rule_order(result.findings, by_badness=False)
    rule_titles = {}
    for f in result.findings:
        rule_titles.setdefault(f.rule_id, _finding_title(f, lang))

    lane_h, rule_h, gap = 24, 20, 6
    y = 8.0
    body: list[str] = []
    extra_colors: dict[str, str] = {}
    used_states: list[str] = []

    def lane_label(y_mid: float, text: str, full: str, cls: str = "lane-label") -> None:
        body.append(f'<text class="{cls}" x="{_LEFT - 10}" y="{y_mid + 4:.1f}" text-anchor="end">'
                    f'<title>{_e(full)}</title>{_e(_truncate(text, 28))}</text>')

    # person state lanes
    for person in persons:
        lane_label(y + lane_h / 2, person_label(person, lang), person_label(person, lang))
        body.append(f'<rect class="lane-bg" x="{ax.x0}" y="{y:.1f}" width="{ax.x1 - ax.x0:.1f}" height="{lane_h}"/>')
        for s in result.states:
            if s.person != person or s.end_s <= s.start_s:
                continue
            if s.state not in used_states:
                used_states.append(s.state)
            xa, xb = ax.x(s.start_s), ax.x(s.end_s)
            color = _state_color(s.state, extra_colors)
            tip = f"{person_label(person, lang)}: {state_label(s.state, lang)} {fmt_clock(s.start_s)} – " \
                  f"{fmt_clock(s.end_s)} ({fmt_duration(s.end_s - s.start_s, lang)})"
            pattern = ' class="unknown"' if s.state == "unknown" else ""
            body.append(f'<rect{pattern} x="{xa:.2f}" y="{y:.1f}" width="{max(xb - xa, 0.8):.2f}" height="{lane_h}" '
                        f'fill="{color}"><title>{_e(tip)}</title></rect>')
        y += lane_h + gap

    # visits lane
    lane_label(y + lane_h / 2, L["lane_visits"], L["lane_visits"])
    body.append(f'<rect class="lane-bg" x="{ax.x0}" y="{y:.1f}" width="{ax.x1 - ax.x0:.1f}" height="{lane_h}"/>')
    for v in result.visits:
        a = v.arrive_s if v.arrive_s is not None else ax.t0
        b = v.leave_s if v.leave_s is not None else ax.t1
        xa, xb = ax.x(a), ax.x(b)
        open_cls = " open" if v.arrive_s is None or v.leave_s is None else ""
        tip = f"{L['visit']} #{v.visit_id} · {person_label(v.customer, lang)}\n{L['arrive']} {fmt_clock(v.arrive_s)}" \
              f" → {L['leave']} {fmt_clock(v.leave_s)} ({fmt_duration(v.handling_s, lang)})"
        body.append(f'<a href="#visit-{v.visit_id}"><title>{_e(tip)}</title>'
                    f'<rect class="visit{open_cls}" x="{xa:.2f}" y="{y + 3:.1f}" width="{max(xb - xa, 2):.2f}" '
                    f'height="{lane_h - 6}" rx="3"/>')
        if xb - xa > 28:
            body.append(f'<text class="visit-label" x="{(xa + xb) / 2:.1f}" y="{y + lane_h / 2 + 4:.1f}" '
                        f'text-anchor="middle">#{v.visit_id}</text>')
        body.append("</a>")
    y += lane_h + gap + 4

    # separator + one lane per rule
    if rules:
        body.append(f'<line class="sep" x1="8" y1="{y - 5:.1f}" x2="{ax.x1:.1f}" y2="{y - 5:.1f}"/>')
    for rid in rules:
        lane_label(y + rule_h / 2, rule_titles[rid], f"{rule_titles[rid]} ({rid})", "lane-label rule")
        body.append(f'<rect class="lane-bg rule" x="{ax.x0}" y="{y:.1f}" width="{ax.x1 - ax.x0:.1f}" '
                    f'height="{rule_h}"/>')
        lane = [(i, f) for i, f in enumerate(result.findings) if f.rule_id == rid]
        # draw the worse ones last so they stay on top
        for i, f in sorted(lane, key=lambda p: finding_badness(p[1])):
            n = numbers[i]
            color = VERDICT_COLORS[_verdict(f.verdict)]
            xa, xb = ax.x(f.start_s), ax.x(max(f.end_s, f.start_s))
            tip = _finding_tooltip(f, n, lang)
            body.append(f'<a href="#finding-{n}" class="marker"><title>{_e(tip)}</title>')
            if xb - xa < 6:
                xc, yc, r = (xa + xb) / 2, y + rule_h / 2, 7
                body.append(f'<polygon points="{xc:.1f},{yc - r:.1f} {xc + r:.1f},{yc:.1f} {xc:.1f},{yc + r:.1f} '
                            f'{xc - r:.1f},{yc:.1f}" fill="{color}"/>')
            else:
                body.append(f'<rect x="{xa:.2f}" y="{y + 2:.1f}" width="{xb - xa:.2f}" height="{rule_h - 4}" rx="3" '
                            f'fill="{color}"/>')
            body.append("</a>")
        y += rule_h + 4

    y_axis = y + 2
    axis = _svg_time_axis(ax, 4, y_axis, L["time_axis"])
    height = y_axis + 28
    svg = (f'<svg id="timeline" class="timeline" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {_SVG_W} '
           f'{height:.0f}" role="img" aria-label="{_e(L["timeline"])}">'
           + "".join(axis[:1]) + "".join(a for a in axis[1:] if 'class="grid"' in a)
           + "".join(body) + "".join(a for a in axis[1:] if 'class="grid"' not in a) + "</svg>")
    return svg, used_states


def _runs(t: np.ndarray, v: np.ndarray) -> list[tuple[np.ndarray, np.ndarray]]:
    """Split a series into runs of finite samples; a NaN or a time gap much longer than usual breaks the line."""
    ok = np.isfinite(t) & np.isfinite(v)
    if len(t) > 2:
        dt = np.diff(t[ok]) if ok.sum() > 2 else np.diff(t)
        typical = float(np.median(dt[dt > 0])) if np.any(dt > 0) else 0.0
    else:
        typical = 0.0
    runs = []
    start = None
    for i in range(len(t)):
        if ok[i]:
            if start is None:
                start = i
            elif typical > 0 and t[i] - t[i - 1] > max(5 * typical, 0.5):
                runs.append((start, i))
                start = i
        elif start is not None:
            runs.append((start, i))
            start = None
    if start is not None:
        runs.append((start, len(t)))
    return [(t[a:b], v[a:b]) for a, b in runs]


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


def _trunk_series(result: ReviewResult) -> list[tuple[str, Series]]:
    """(person, series) of every clerk's trunk flexion: ``trunk_flexion_deg`` for the only clerk, else
    ``trunk_flexion_deg:clerk@A`` per station."""
    out = []
    for s in result.series:
        name, _, person = s.name.partition(":")
        if name == TRUNK_SERIES and len(s.t_s):
            out.append((person or "clerk", s))
    return out


def _trunk_svg(result: ReviewResult, lang: str, bow_bands: list[tuple[str, float, float]] | None,
               person: str, series: Series) -> str:
    L = labels(lang)
    t = np.asarray(series.t_s, float)
    v = np.asarray(series.values, float)
    ax = _TimeAxis(0.0, max(_axis_end(result), float(np.nanmax(t)) if np.isfinite(t).any() else 0.0, 1.0))
    finite = v[np.isfinite(v)]
    peaks = [p for p in result.bow_peaks if math.isfinite(p[1]) and p[3] == person]
    vmax = max([90.0, *(finite.tolist() and [float(finite.max())]), *[p[1] for p in peaks]])
    vmin = min([0.0, *(finite.tolist() and [float(finite.min())])])
    y_hi = min(180.0, max(90.0, math.ceil(vmax / 15) * 15))
    y_lo = max(-90.0, math.floor(vmin / 15) * 15)
    top, plot_h = 12.0, 250.0
    bottom = top + plot_h

    def y_of(val: float) -> float:
        val = min(max(val, y_lo), y_hi)
        return bottom - (val - y_lo) / (y_hi - y_lo) * plot_h

    out: list[str] = []
    # visits in the background
    for vis in result.visits:
        a = vis.arrive_s if vis.arrive_s is not None else ax.t0
        b = vis.leave_s if vis.leave_s is not None else ax.t1
        out.append(f'<rect class="visit-bg" x="{ax.x(a):.2f}" y="{top}" width="{max(ax.x(b) - ax.x(a), 1):.2f}" '
                   f'height="{plot_h}"><title>{_e(L["visit"])} #{vis.visit_id}</title></rect>')
    # bow bands or the default apology zone
    band_labels: list[str] = []
    if bow_bands:
        for k, (name, lo, hi) in enumerate(bow_bands):
            color = _BAND_COLORS[k % len(_BAND_COLORS)]
            ya, yb = y_of(hi), y_of(lo)
            out.append(f'<rect class="band" x="{ax.x0}" y="{ya:.1f}" width="{ax.x1 - ax.x0:.1f}" '
                       f'height="{max(yb - ya, 0.5):.1f}" fill="{color}"><title>{_e(name)}: {lo:g}°–{hi:g}°</title>'
                       f'</rect>')
            band_labels.append(f'<text class="band-label" x="{ax.x0 + 6}" y="{ya + 13:.1f}" fill="{color}">'
                               f'{_e(name)} {lo:g}°–{hi:g}°</text>')
    else:
        ya, yb = y_of(90), y_of(45)
        out.append(f'<rect class="band apology" x="{ax.x0}" y="{ya:.1f}" width="{ax.x1 - ax.x0:.1f}" '
                   f'height="{yb - ya:.1f}"><title>{_e(L["bow_apology"])}</title></rect>')
    # y grid and ticks
    val = y_lo
    while val <= y_hi + 1e-9:
        yy = y_of(val)
        out.append(f'<line class="grid" x1="{ax.x0}" y1="{yy:.1f}" x2="{ax.x1}" y2="{yy:.1f}"/>')
        out.append(f'<text class="tick" x="{ax.x0 - 8}" y="{yy + 4:.1f}" text-anchor="end">{val:g}°</text>')
        val += 15
    out.append(f'<text class="axis-label" x="{ax.x0 - 52}" y="{top + plot_h / 2:.1f}" text-anchor="middle" '
               f'transform="rotate(-90 {ax.x0 - 52} {top + plot_h / 2:.1f})">{_e(L["degrees"])}</text>')
    # reference lines at the standard's bow classes
    ref_labels = []
    for deg, key in ((15, "bow_greet"), (30, "bow_thanks"), (45, "bow_apology")):
        yy = y_of(deg)
        out.append(f'<line class="ref" x1="{ax.x0}" y1="{yy:.1f}" x2="{ax.x1}" y2="{yy:.1f}"/>')
        ref_labels.append(f'<text class="ref-label" x="{ax.x1 - 6}" y="{yy - 4:.1f}" text-anchor="end">'
                          f'{_e(L[key])}</text>')
    out.extend(_svg_time_axis(ax, top, bottom, L["time_axis"]))
    # the series, broken at gaps
    parts = []
    for rt, rv in _runs(t, v):
        xs = ax.x0 + (np.clip(rt, ax.t0, ax.t1) - ax.t0) / (ax.t1 - ax.t0) * (ax.x1 - ax.x0)
        xs, ys = _decimate(xs, rv)
        pts = [f"{x:.1f},{y_of(y):.1f}" for x, y in zip(xs, ys)]
        if len(pts) == 1:
            parts.append(f"M{pts[0]}h0.01")
        else:
            parts.append("M" + " L".join(pts))
    if parts:
        out.append(f'<path class="trunk" d="{" ".join(parts)}"/>')
    out.extend(band_labels)
    out.extend(ref_labels)
    # bow peaks, labelled where the labels do not collide
    labelled: list[tuple[float, float]] = []
    for tp, deg, cls, _ in sorted(peaks):
        xx, yy = ax.x(tp), y_of(deg)
        tip = f"{L['bow_peak']}: {deg:.1f}° · {cls} · {fmt_clock(tp)}"
        out.append(f'<g class="peak"><title>{_e(tip)}</title><circle cx="{xx:.1f}" cy="{yy:.1f}" r="4.5"/>')
        if all(abs(xx - lx) > 34 or abs(yy - ly) > 14 for lx, ly in labelled[-6:]):
            labelled.append((xx, yy))
            out.append(f'<text x="{xx:.1f}" y="{yy - 8:.1f}" text-anchor="middle">{deg:.0f}°</text>')
        out.append("</g>")
    height = bottom + 30
    plot_id = "trunk-plot" if person == "clerk" else "trunk-plot-" + re.sub(r"[^A-Za-z0-9_-]", "-", person)
    return (f'<svg id="{plot_id}" class="trunk-plot" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {_SVG_W} '
            f'{height:.0f}" role="img" aria-label="{_e(L["trunk_plot"])}">' + "".join(out) + "</svg>")


# ---------------------------------------------------------------------------------------------------------------
# HTML

_CSS = """
:root { --met:#2e7d32; --late:#e08a00; --missed:#d32f2f; --violation:#a31515; --na:#b8bcc2; --nass:#80868b;
  --info:#1f6fb2; --ink:#1d2330; --muted:#5f6673; --line:#e3e6ea; --bg:#f6f7f9; }
* { box-sizing: border-box; }
html { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
body { margin: 0; background: var(--bg); color: var(--ink); font: 15px/1.55 "PingFang SC", "Hiragino Sans GB",
  "Microsoft YaHei", "Noto Sans CJK SC", "Source Han Sans SC", "WenQuanYi Micro Hei", system-ui, -apple-system,
  "Segoe UI", Roboto, Helvetica, Arial, sans-serif; }
main { max-width: 1180px; margin: 0 auto; padding: 0 20px 40px; }
header.page { background: #1f2d45; color: #fff; padding: 22px 0 18px; }
header.page .inner { max-width: 1180px; margin: 0 auto; padding: 0 20px; }
header.page h1 { margin: 0; font-size: 26px; letter-spacing: .02em; }
header.page .sub { color: #c4cddd; margin: 2px 0 14px; font-size: 14px; }
.meta { display: grid; grid-template-columns: repeat(auto-fill, minmax(220px, 1fr)); gap: 6px 24px; margin: 0; }
.meta div { min-width: 0; }
.meta dt { color: #9fb0c9; font-size: 12px; margin: 0; }
.meta dd { margin: 0; font-weight: 600; overflow-wrap: anywhere; }
.banner { margin: 18px 0 0; padding: 12px 16px; border-radius: 8px; background: #fff4e0; border: 2px solid #e08a00;
  color: #6b3f00; font-weight: 600; }
.banner .detail { display: block; font-weight: 400; font-size: 13px; margin-top: 2px; overflow-wrap: anywhere; }
section { background: #fff; border: 1px solid var(--line); border-radius: 10px; padding: 18px 22px; margin: 18px 0; }
section h2 { font-size: 19px; margin: 0 0 12px; padding-bottom: 6px; border-bottom: 2px solid var(--line); }
section h3 { font-size: 15px; margin: 16px 0 8px; color: var(--muted); }
.hint { color: var(--muted); font-size: 13px; margin: 0 0 10px; }
.summary-top { display: flex; gap: 28px; align-items: stretch; flex-wrap: wrap; }
.score { min-width: 190px; padding: 14px 18px; border-radius: 10px; background: #f1f5f1; border: 1px solid #cfe1cf;
  text-align: center; }
.score .value { font-size: 54px; font-weight: 700; line-height: 1.05; }
.score .value small { font-size: 20px; color: var(--muted); font-weight: 600; }
.score .label { color: var(--muted); font-size: 13px; }
.score.none { background: #f3f4f6; border-color: var(--line); }
.score.good .value { color: var(--met); }
.score.fair { background: #fff7e6; border-color: #f3d19c; } .score.fair .value { color: #b86e00; }
.score.poor { background: #fdeeee; border-color: #f2c0c0; } .score.poor .value { color: var(--missed); }
.counts { display: flex; flex-wrap: wrap; gap: 10px; align-content: flex-start; flex: 1; }
.count { border-radius: 8px; padding: 8px 14px; min-width: 104px; background: #fafbfc; border: 1px solid var(--line);
  border-left: 6px solid var(--c); }
.count .n { font-size: 26px; font-weight: 700; color: var(--c); line-height: 1.1; }
.count .l { font-size: 13px; color: var(--muted); }
.count.zero { opacity: .5; }
table { border-collapse: collapse; width: 100%; font-size: 14px; }
th, td { text-align: left; padding: 6px 8px; border-bottom: 1px solid var(--line); vertical-align: top; }
th { background: #f3f5f8; font-weight: 600; color: #39404d; white-space: nowrap; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
td code, .card code { font-size: 12px; color: var(--muted); }
.badge { display: inline-block; padding: 1px 9px; border-radius: 999px; color: #fff; font-size: 13px; font-weight: 600;
  background: var(--c); white-space: nowrap; text-decoration: none; }
a.badge:hover { filter: brightness(1.1); }
.badge.small { font-size: 12px; padding: 0 7px; }
.chips { display: flex; flex-wrap: wrap; gap: 4px; }
.legend { display: flex; flex-wrap: wrap; gap: 6px 16px; font-size: 13px; color: var(--muted); margin-top: 8px; }
.legend span { display: inline-flex; align-items: center; gap: 6px; }
.legend i { width: 14px; height: 14px; border-radius: 3px; display: inline-block; background: var(--c);
  border: 1px solid rgba(0,0,0,.15); }
.legend i.diamond { transform: rotate(45deg) scale(.8); }
.legend i.line { height: 3px; border: 0; }
svg { width: 100%; height: auto; display: block; }
svg text { font-family: inherit; }
svg .tick { font-size: 12px; fill: #5f6673; }
svg .axis-label { font-size: 12px; fill: #5f6673; }
svg .axis { stroke: #8a919c; stroke-width: 1; }
svg .grid { stroke: #e9ecf0; stroke-width: 1; }
svg .sep { stroke: #cfd4da; stroke-dasharray: 3 3; }
svg .lane-bg { fill: #f7f8fa; }
svg .lane-bg.rule { fill: #fbfbfc; }
svg .lane-label { font-size: 13px; fill: #1d2330; font-weight: 600; }
svg .lane-label.rule { font-weight: 400; fill: #39404d; }
svg .unknown { opacity: .75; }
svg .visit { fill: #5c7cba; }
svg .visit.open { fill: #9fb3d9; }
svg .visit-label { font-size: 12px; fill: #fff; font-weight: 600; pointer-events: none; }
svg a.marker polygon, svg a.marker rect { stroke: #fff; stroke-width: 1.2; }
svg a.marker:hover polygon, svg a.marker:hover rect { stroke: #111; }
svg .visit-bg { fill: #e9eef8; opacity: .6; }
svg .band { opacity: .13; }
svg .band.apology { fill: #d32f2f; opacity: .08; }
svg .band-label { font-size: 12px; font-weight: 600; }
svg .band-label, svg .ref-label, svg .peak text { paint-order: stroke; stroke: #fff; stroke-width: 3px;
  stroke-linejoin: round; }
svg .ref { stroke: #8a6d3b; stroke-width: 1; stroke-dasharray: 6 4; }
svg .ref-label { font-size: 12px; fill: #8a6d3b; }
svg .trunk { fill: none; stroke: #1f4e8c; stroke-width: 1.6; stroke-linejoin: round; }
svg .peak circle { fill: #9c27b0; stroke: #fff; stroke-width: 1.5; }
svg .peak text { font-size: 11px; fill: #6a1b9a; font-weight: 600; }
.cards h3 { margin-top: 18px; }
.card { border: 1px solid var(--line); border-left: 6px solid var(--c); border-radius: 8px; padding: 12px 16px;
  margin: 12px 0; display: grid; grid-template-columns: minmax(0, 1fr) minmax(0, 400px); gap: 16px;
  break-inside: avoid; page-break-inside: avoid; background: #fff; }
.card:target { box-shadow: 0 0 0 3px #ffd54f; }
.card.noimg { grid-template-columns: minmax(0, 1fr); }
.card .head { display: flex; align-items: baseline; gap: 10px; flex-wrap: wrap; }
.card .head .no { color: var(--muted); font-weight: 600; }
.card h4 { margin: 0; font-size: 16px; }
.card .alt { color: var(--muted); font-size: 13px; margin: 0 0 6px; }
.card dl { display: grid; grid-template-columns: max-content minmax(0, 1fr); gap: 3px 12px; margin: 8px 0 0;
  font-size: 14px; }
.card dt { color: var(--muted); }
.card dd { margin: 0; overflow-wrap: anywhere; }
.card blockquote { margin: 0; padding: 4px 10px; border-left: 3px solid #c9a227; background: #fbf8ec;
  font-family: "Songti SC", "SimSun", "Noto Serif CJK SC", "Source Han Serif SC", serif, inherit; }
.card .measured b { font-size: 15px; }
.card .note { white-space: pre-line; }
.card .src { color: var(--muted); font-size: 12px; }
.card figure { margin: 0; }
.card figure img { width: 100%; height: auto; border-radius: 6px; border: 1px solid var(--line); display: block; }
.card figcaption { color: var(--muted); font-size: 12px; margin-top: 4px; }
.card .missing { padding: 24px; text-align: center; color: var(--muted); border: 1px dashed var(--line);
  border-radius: 6px; font-size: 13px; }
.bar { background: #eef1f4; border-radius: 4px; height: 10px; width: 160px; display: inline-block;
  vertical-align: middle; margin-right: 8px; overflow: hidden; }
.bar i { display: block; height: 100%; background: #5c7cba; }
.verdict-help td:first-child { white-space: nowrap; width: 1%; }
footer.page { max-width: 1180px; margin: 0 auto; padding: 0 20px 30px; color: var(--muted); font-size: 13px; }
@media (max-width: 760px) { .card { grid-template-columns: 1fr; } }
@media print {
  body { background: #fff; font-size: 12px; }
  section { border: 0; padding: 6px 0; margin: 8px 0; break-inside: auto; }
  header.page { background: #fff; color: var(--ink); border-bottom: 2px solid var(--ink); }
  header.page .sub, .meta dt { color: var(--muted); }
  .card:target { box-shadow: none; }
  a { color: inherit; text-decoration: none; }
}
"""


def _badge(verdict: Verdict, lang: str, href: str | None = None, small: bool = False, title: str = "") -> str:
    verdict = _verdict(verdict)
    cls = "badge small" if small else "badge"
    t = f' title="{_e(title)}"' if title else ""
    text = _e(verdict_label(verdict.value, lang))
    style = f'style="--c:{VERDICT_COLORS[verdict]}"'
    if href:
        return f'<a class="{cls}" {style} href="{_e(href)}"{t}>{text}</a>'
    return f'<span class="{cls}" {style}{t}>{text}</span>'


def _image_data_uri(path: Path, max_width: int = 960) -> str | None:
    """The keyframe as a base64 JPEG data URI (downscaled to ``max_width``); None when it cannot be read."""
    try:
        raw = path.read_bytes()
    except OSError:
        return None
    import cv2  # local: only the HTML with images needs OpenCV

    img = cv2.imdecode(np.frombuffer(raw, np.uint8), cv2.IMREAD_COLOR)
    if img is None:
        return None
    is_jpeg = raw[:3] == b"\xff\xd8\xff"
    if img.shape[1] > max_width:
        scale = max_width / img.shape[1]
        img = cv2.resize(img, (max_width, max(1, round(img.shape[0] * scale))), interpolation=cv2.INTER_AREA)
    elif is_jpeg:
        return "data:image/jpeg;base64," + base64.b64encode(raw).decode("ascii")
    ok, buf = cv2.imencode(".jpg", img, [cv2.IMWRITE_JPEG_QUALITY, 85])
    if not ok:
        return None
    return "data:image/jpeg;base64," + base64.b64encode(buf.tobytes()).decode("ascii")


def _card_order(findings: list[Finding]) -> list[tuple[str, list[int]]]:
    """Indices of the findings grouped as the cards show them: problems, met, others; each by time."""
    groups = {"findings_attention": [], "findings_met": [], "findings_other": []}
    for i, f in sorted(enumerate(findings), key=lambda p: (p[1].start_s, p[0])):
        v = _verdict(f.verdict)
        key = "findings_attention" if v in _ATTENTION else "findings_met" if v == Verdict.MET else "findings_other"
        groups[key].append(i)
    return [(k, idx) for k, idx in groups.items() if idx]


def _card_html(f: Finding, n: int, lang: str, image_src: str | None, image_expected: bool) -> str:
    L = labels(lang)
    v = _verdict(f.verdict)
    other = f.title_en if lang == "zh" else f.title_zh
    rows = []
    clause = _e(f.clause) + (f' <code>{_e(f.rule_id)}</code>' if f.rule_id else "")
    rows.append((L["clause"], clause))
    if f.wording_zh:
        rows.append((L["wording"], f'<blockquote lang="zh-CN">“{_e(f.wording_zh)}”</blockquote>'))
    span = f"{fmt_clock(f.start_s)} – {fmt_clock(f.end_s)}"
    if f.duration_s > 0:
        span += f" ({fmt_duration(f.duration_s, lang)})"
    rows.append((L["time_range"], _e(span)))
    who = _e(person_label(f.person, lang))
    if f.visit_id is not None:
        who += f' · <a href="#visit-{int(f.visit_id)}">{_e(L["visit"])} #{int(f.visit_id)}</a>'
    rows.append((L["person"], who))
    thr = threshold_display(f, lang)
    if f.measured_value is not None or thr:
        measured = f"<b>{_e(fmt_measured(f.measured_value, f.measured_unit, lang))}</b>"
        if thr:
            src = L["threshold_standard"] if f.threshold_source == "standard" else L["threshold_default"]
            measured += f' &nbsp;vs&nbsp; {_e(L["threshold"])} <b>{_e(thr)}</b> <span class="src">({_e(src)})</span>'
        rows.append((L["measured"], f'<span class="measured">{measured}</span>'))
    if v in _ATTENTION:
        rows.append((L["severity"], _e(severity_label(Severity(f.severity).value, lang))))
    if f.note:
        rows.append((L["note"], f'<span class="note">{_e(f.note)}</span>'))
    dl = "".join(f"<dt>{_e(k)}</dt><dd>{val}</dd>" for k, val in rows)
    figure = ""
    if image_src:
        cap = [L["evidence"]]
        if f.evidence_t_s is not None:
            cap.append(fmt_clock(f.evidence_t_s))
        if f.evidence_frame_index is not None:
            cap.append(f"{L['frame']} {int(f.evidence_frame_index)}")
        figure = (f'<figure><img class="keyframe" src="{_e(image_src)}" alt="{_e(L["evidence"])} #{n}" '
                  f'loading="eager"><figcaption>{_e(" · ".join(cap))}</figcaption></figure>')
    elif image_expected:
        figure = f'<div class="missing">{_e(L["image_missing"])}<br><code>{_e(f.evidence_image)}</code></div>'
    cls = "card" if figure else "card noimg"
    return (f'<article class="{cls}" id="finding-{n}" style="--c:{VERDICT_COLORS[v]}"><div>'
            f'<div class="head"><span class="no">#{n}</span><h4>{_e(_finding_title(f, lang))}</h4>'
            f'{_badge(v, lang)}</div>'
            + (f'<p class="alt">{_e(other)}</p>' if other else "")
            + f"<dl>{dl}</dl></div>{figure}</article>")


def render_report_html(result: ReviewResult, lang: str = "zh", images_inline: bool = True, *,
                       bow_bands: list[tuple[str, float, float]] | None = None, base_dir: str | Path = ".",
                       out_dir: str | Path | None = None, generated: datetime | None = None) -> str:
    """The HTML page as a string (see :func:`write_report_html`)."""
    L = labels(lang)
    base_dir = Path(base_dir)
    out_dir = Path(out_dir) if out_dir is not None else base_dir
    generated = generated or datetime.now(timezone.utc)
    findings = result.findings

    order = _card_order(findings)
    numbers: dict[int, int] = {}
    for _, idx in order:
        for i in idx:
            numbers[i] = len(numbers) + 1

    parts: list[str] = []
    html_lang = "zh-CN" if lang == "zh" else "en"
    title = f"{L['title']} — {result.source}"
    parts.append(f'<!DOCTYPE html><html lang="{html_lang}"><head><meta charset="utf-8">'
                 f'<meta name="viewport" content="width=device-width, initial-scale=1">'
                 f'<meta name="generator" content="etiquette-cv">'
                 f'<link rel="icon" href="data:,"><title>{_e(title)}</title><style>{_CSS}</style></head><body>')

    # header
    rulebook = " ".join(x for x in (result.rulebook_name, result.rulebook_version and f"v{result.rulebook_version}")
                        if x) or L["dash"]
    meta = [(L["source"], result.source), (L["duration"], f"{fmt_clock(result.duration_s)} "
                                                          f"({fmt_duration(result.duration_s, lang)})"),
            (L["analysed_frames"], f"{result.analysed_frames:,}"),
            (L["image_size"], f"{result.image_width} × {result.image_height}" if result.image_width else L["dash"]),
            (L["rulebook"], rulebook), (L["generated"], generated.strftime("%Y-%m-%d %H:%M %Z").strip())]
    parts.append('<header class="page"><div class="inner">'
                 f'<h1>{_e(L["title"])}</h1><p class="sub">{_e(L["subtitle"])}</p><dl class="meta">'
                 + "".join(f"<div><dt>{_e(k)}</dt><dd>{_e(v)}</dd></div>" for k, v in meta) + "</dl>")
    if result.problem:
        parts.append(f'<div class="banner" role="alert">⚠ {_e(L["problem_banner"])}'
                     f'<span class="detail">{_e(result.problem)}</span></div>')
    parts.append("</div></header><main>")

    # summary
    score = result.score
    counts = Counter(_verdict(f.verdict) for f in findings)
    graded = sum(counts[v] for v in (Verdict.MET, *_ATTENTION))
    if score is None:
        score_html = (f'<div class="score none"><div class="value">{_e(L["dash"])}</div>'
                      f'<div class="label">{_e(L["score"])} · {_e(L["score_none"])}</div></div>')
    else:
        grade = "good" if score >= 90 else "fair" if score >= 70 else "poor"
        score_html = (f'<div class="score {grade}"><div class="value">{score:.0f}<small>/100</small></div>'
                      f'<div class="label">{_e(L["score"])} · {counts[Verdict.MET]}/{graded}</div></div>')
    count_html = "".join(
        f'<div class="count{" zero" if not counts[v] else ""}" style="--c:{VERDICT_COLORS[v]}">'
        f'<div class="n">{counts[v]}</div><div class="l">{_e(verdict_label(v.value, lang))}</div></div>'
        for v in VERDICT_ORDER)
    parts.append(f'<section id="summary"><h2>{_e(L["summary"])}</h2><div class="summary-top">{score_html}'
                 f'<div><h3 style="margin-top:0">{_e(L["by_verdict"])}</h3><div class="counts">{count_html}</div>'
                 f'<p class="hint" style="margin-top:8px">{_e(L["score_hint"])}</p></div></div>')

    # by rule
    by_rule: dict[str, list[int]] = {rid: [] for rid in _rule_order(findings, by_badness=True)}
    for i, f in sorted(enumerate(findings), key=lambda p: (p[1].start_s, p[0])):
        by_rule[f.rule_id].append(i)
    if by_rule:
        rows = []
        for rid, idx in by_rule.items():
            fs = [findings[i] for i in idx]
            c = Counter(_verdict(f.verdict) for f in fs)
            chips = " ".join(f'<span class="badge small" style="--c:{VERDICT_COLORS[v]}">'
                             f'{_e(verdict_label(v.value, lang))} {c[v]}</span>' for v in VERDICT_ORDER if c[v])
            w = worst_finding(fs)
            wi = idx[fs.index(w)]
            worst = (f'{_badge(w.verdict, lang, href=f"#finding-{numbers[wi]}", small=True)} '
                     f'<a href="#finding-{numbers[wi]}">#{numbers[wi]}</a> {_e(fmt_clock(w.start_s))}')
            if w.measured_value is not None:
                worst += f" · {_e(fmt_measured(w.measured_value, w.measured_unit, lang))}"
            rows.append(f"<tr><td>{_e(_finding_title(fs[0], lang))}<br><code>{_e(rid)}</code></td>"
                        f'<td class="num">{len(fs)}</td><td><div class="chips">{chips}</div></td><td>{worst}</td></tr>')
        parts.append(f'<h3>{_e(L["by_rule"])}</h3><table class="by-rule"><thead><tr><th>{_e(L["rule"])}</th>'
                     f'<th class="num">{_e(L["count"])}</th><th>{_e(L["verdicts"])}</th><th>{_e(L["worst"])}</th>'
                     f'</tr></thead><tbody>{"".join(rows)}</tbody></table>')

    # visits with 站接 / 站送
    def reception_cell(visit_id: int, kind: str) -> str:
        idx = [i for i, f in enumerate(findings) if f.visit_id == visit_id and reception_kind(f.rule_id) == kind]
        if not idx:
            return f'<span class="hint">{_e(L["dash"])}</span>'
        return " ".join(_badge(findings[i].verdict, lang, href=f"#finding-{numbers[i]}",
                               title=_finding_tooltip(findings[i], numbers[i], lang)) for i in idx)

    parts.append(f'<h3>{_e(L["reception"])}</h3>')
    if result.visits:
        rows = "".join(
            f'<tr><td><a href="#visit-{v.visit_id}">#{v.visit_id}</a></td><td>{_e(person_label(v.customer, lang))}'
            f'</td><td class="num">{_e(fmt_clock(v.arrive_s))}</td><td>{reception_cell(v.visit_id, "greet")}</td>'
            f'<td>{reception_cell(v.visit_id, "send_off")}</td></tr>' for v in result.visits)
        parts.append(f'<table class="visits-summary"><thead><tr><th>{_e(L["visit"])}</th><th>{_e(L["customer"])}</th>'
                     f'<th class="num">{_e(L["arrive"])}</th><th>{_e(L["stand_greet"])}</th>'
                     f'<th>{_e(L["stand_send_off"])}</th></tr></thead><tbody>{rows}</tbody></table>')
    else:
        parts.append(f'<p class="hint">{_e(L["no_visits"])}</p>')
    parts.append("</section>")

    # timeline
    svg, used_states = _timeline_svg(result, numbers, lang)
    extra: dict[str, str] = {}
    legend = "".join(f'<span><i style="--c:{_state_color(s, extra)}"></i>{_e(state_label(s, lang))}</span>'
                     for s in used_states)
    legend += f'<span><i style="--c:#5c7cba"></i>{_e(L["lane_visits"])}</span>'
    legend += "".join(f'<span><i class="diamond" style="--c:{VERDICT_COLORS[v]}"></i>'
                      f'{_e(verdict_label(v.value, lang))}</span>' for v in VERDICT_ORDER if counts[v])
    parts.append(f'<section id="timeline-section"><h2>{_e(L["timeline"])}</h2><p class="hint">'
                 f'{_e(L["timeline_hint"])}</p>{svg}<div class="legend">{legend}</div></section>')

    # trunk plot
    plots = _trunk_series(result)
    trunk = "".join((f'<h3>{_e(person_label(who, lang))}</h3>' if len(plots) > 1 else "")
                    + _trunk_svg(result, lang, bow_bands, who, series) for who, series in plots)
    parts.append(f'<section id="trunk"><h2>{_e(L["trunk_plot"])}</h2>')
    if trunk:
        legend = (f'<span><i class="line" style="--c:#1f4e8c"></i>{_e(L["trunk_plot"])}</span>'
                  f'<span><i style="--c:#9c27b0;border-radius:50%"></i>{_e(L["bow_peak"])}</span>'
                  f'<span><i style="--c:#e9eef8"></i>{_e(L["lane_visits"])}</span>')
        if not bow_bands:
            legend += f'<span><i style="--c:#fbe3e3"></i>{_e(L["bow_apology"])}</span>'
        parts.append(f'<p class="hint">{_e(L["trunk_hint"])}</p>{trunk}<div class="legend">{legend}</div>')
    else:
        parts.append(f'<p class="hint">{_e(L["trunk_missing"])}</p>')
    parts.append("</section>")

    # visits table
    parts.append(f'<section id="visits"><h2>{_e(L["visits"])}</h2>')
    if result.visits:
        rows = "".join(
            f'<tr id="visit-{v.visit_id}"><td>#{v.visit_id}</td><td>{_e(person_label(v.customer, lang))}</td>'
            f'<td class="num">{_e(fmt_clock(v.arrive_s))}</td><td class="num">{_e(fmt_clock(v.at_counter_s))}</td>'
            f'<td class="num">{_e(fmt_clock(v.leave_s))}</td><td class="num">{_e(fmt_duration(v.handling_s, lang))}'
            f'</td><td class="num">{_e(fmt_duration(v.wait_s, lang))}</td></tr>' for v in result.visits)
        parts.append(f'<table class="visits"><thead><tr><th>{_e(L["visit"])}</th><th>{_e(L["customer"])}</th>'
                     f'<th class="num">{_e(L["arrive"])}</th><th class="num">{_e(L["at_counter"])}</th>'
                     f'<th class="num">{_e(L["leave"])}</th><th class="num">{_e(L["handling"])}</th>'
                     f'<th class="num">{_e(L["wait"])}</th></tr></thead><tbody>{rows}</tbody></table>')
    else:
        parts.append(f'<p class="hint">{_e(L["no_visits"])}</p>')
    parts.append("</section>")

    # finding cards
    parts.append(f'<section id="findings" class="cards"><h2>{_e(L["findings"])}</h2>')
    if not findings:
        parts.append(f'<p class="hint">{_e(L["no_findings"])}</p>')
    uri_cache: dict[Path, str | None] = {}
    for key, idx in order:
        parts.append(f"<h3>{_e(L[key])} ({len(idx)})</h3>")
        for i in idx:
            f = findings[i]
            src = None
            if f.evidence_image:
                p = Path(f.evidence_image)
                full = p if p.is_absolute() else base_dir / p
                if images_inline:
                    if full not in uri_cache:
                        uri_cache[full] = _image_data_uri(full)
                    src = uri_cache[full]
                elif full.exists():
                    src = quote(_rel_path(f.evidence_image, base_dir, out_dir) or "", safe="/")
            parts.append(_card_html(f, numbers[i], lang, src, bool(f.evidence_image)))
    parts.append("</section>")

    # coverage
    cov = result.coverage
    parts.append(f'<section id="coverage"><h2>{_e(L["coverage"])}</h2><p class="hint">{_e(L["coverage_hint"])}</p>')
    if cov.visible_s:
        dur = result.duration_s if result.duration_s > 0 else 0.0
        rows = []
        for person in sorted(cov.visible_s, key=_person_sort_key):
            secs = cov.visible_s[person]
            share = min(100.0, 100.0 * secs / dur) if dur else None
            bar = (f'<span class="bar"><i style="width:{share:.1f}%"></i></span>{share:.0f}%' if share is not None
                   else L["dash"])
            rows.append(f"<tr><td>{_e(person_label(person, lang))}</td><td class=\"num\">"
                        f"{_e(fmt_duration(secs, lang))}</td><td>{bar}</td></tr>")
        parts.append(f'<table class="coverage"><thead><tr><th>{_e(L["person"])}</th><th class="num">'
                     f'{_e(L["visible"])}</th><th>{_e(L["visible_share"])}</th></tr></thead>'
                     f'<tbody>{"".join(rows)}</tbody></table>')
    titles = {}
    for f in findings:
        titles.setdefault(f.rule_id, _finding_title(f, lang))
    parts.append(f'<h3>{_e(L["assessable"])} ({len(cov.assessable_rules)})</h3>')
    if cov.assessable_rules:
        parts.append('<div class="chips">' + "".join(
            f'<span class="badge small" style="--c:#5f6673" title="{_e(r)}">'
            f'{_e(titles[r] + " · " + r if r in titles else r)}</span>'
            for r in cov.assessable_rules) + "</div>")
    else:
        parts.append(f'<p class="hint">{_e(L["none"])}</p>')
    parts.append(f'<h3>{_e(L["not_assessable"])} ({len(cov.not_assessable_rules)})</h3>')
    if cov.not_assessable_rules:
        rows = "".join(f"<tr><td><code>{_e(r)}</code>{(' ' + _e(titles[r])) if r in titles else ''}</td>"
                       f"<td>{_badge(Verdict.NOT_ASSESSABLE, lang, small=True)} {_e(why)}</td></tr>"
                       for r, why in cov.not_assessable_rules.items())
        parts.append(f'<table class="not-assessable"><thead><tr><th>{_e(L["rule"])}</th><th>{_e(L["reason"])}</th>'
                     f'</tr></thead><tbody>{rows}</tbody></table>')
    else:
        parts.append(f'<p class="hint">{_e(L["none"])}</p>')
    parts.append("</section>")

    # how to read
    rows = "".join(f"<tr><td>{_badge(v, lang)}</td><td>{_e(verdict_help(v.value, lang))}</td></tr>"
                   for v in VERDICT_ORDER)
    parts.append(f'<section id="how-to-read"><h2>{_e(L["how_to_read"])}</h2><table class="verdict-help">'
                 f'<tbody>{rows}</tbody></table><p class="hint" style="margin-top:10px">{_e(L["score_hint"])}</p>'
                 f"</section></main>")
    parts.append(f'<footer class="page">{_e(L["footer_note"])}</footer></body></html>\n')
    return "".join(parts)


def write_report_html(result: ReviewResult, path: str | Path, lang: str = "zh", images_inline: bool = True, *,
                      bow_bands: list[tuple[str, float, float]] | None = None, base_dir: str | Path | None = None,
                      generated: datetime | None = None) -> Path:
    """Write the self-contained HTML report (Chinese ``lang="zh"`` or English ``"en"``); returns the path.

    ``bow_bands`` — (class name, lo°, hi°) tolerance bands of the rulebook's bow classes, shaded on the trunk plot.
    ``base_dir`` — where the evidence images' relative paths start (default: the report's directory).
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    text = render_report_html(result, lang, images_inline, bow_bands=bow_bands,
                              base_dir=base_dir if base_dir is not None else path.parent, out_dir=path.parent,
                              generated=generated)
    path.write_text(text, encoding="utf-8")
    return path


# ---------------------------------------------------------------------------------------------------------------
# terminal


def summary_table(result: ReviewResult, lang: str = "zh"):
    """A rich Table for the CLI: one row per rule with its verdict counts and its worst finding."""
    from rich.table import Table
    from rich.text import Text

    L = labels(lang)
    score = result.score
    score_text = f"{score:.0f}/100" if score is not None else L["dash"]
    table = Table(title=Text(f"{L['rules_summary']} · {L['score']} {score_text}", style="bold"), show_header=True,
                  header_style="bold", caption=(Text(f"⚠ {result.problem}") if result.problem else None),
                  caption_style="yellow")
    table.add_column(L["rule"], overflow="fold")
    table.add_column(L["count"], justify="right")
    table.add_column(L["verdicts"])
    table.add_column(L["worst"], overflow="fold")
    by_rule: dict[str, list[Finding]] = {rid: [] for rid in _rule_order(result.findings, by_badness=True)}
    for f in sorted(result.findings, key=lambda f: f.start_s):
        by_rule[f.rule_id].append(f)
    for rid, fs in by_rule.items():
        c = Counter(_verdict(f.verdict) for f in fs)
        counts = Text()
        for v in VERDICT_ORDER:
            if c[v]:
                if counts:
                    counts.append("  ")
                counts.append(f"{verdict_label(v.value, lang)} {c[v]}", style=_RICH_STYLES[v])
        w = worst_finding(fs)
        worst = Text(verdict_label(_verdict(w.verdict).value, lang), style=_RICH_STYLES[_verdict(w.verdict)])
        worst.append(f" {fmt_clock(w.start_s)}")
        if w.measured_value is not None:
            worst.append(f" {fmt_measured(w.measured_value, w.measured_unit, lang)}")
            thr = threshold_display(w, lang)
            if thr:
                worst.append(f" ({L['threshold']} {thr})")
        if w.note:
            worst.append(f" — {w.note}", style="dim")
        table.add_row(Text(f"{_finding_title(fs[0], lang)}\n{rid}"), str(len(fs)), counts, worst)
    for rid, why in result.coverage.not_assessable_rules.items():
        if rid not in by_rule:
            table.add_row(Text(rid), "0", Text(verdict_label("not_assessable", lang), style="bright_black"),
                          Text(why, style="dim"))
    return table
