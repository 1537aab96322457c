"""Formatting and ordering shared by every report: numbers, clocks, durations, verdict order and badness.

Times are seconds; ``lang`` is ``zh`` or ``en``.
"""

from __future__ import annotations

import math
import os
from pathlib import Path

from ..rules.findings import Finding, Severity, Verdict
from .i18n import labels, person_label, unit_suffix, verdict_label

TRUNK_SERIES = "trunk_flexion_deg"

VERDICT_ORDER = [Verdict.MET, Verdict.LATE, Verdict.MISSED, Verdict.VIOLATION, Verdict.NOT_APPLICABLE,
                 Verdict.NOT_ASSESSABLE, Verdict.INFO]
"""Display order of the verdicts."""

BADNESS = {Verdict.VIOLATION: 6, Verdict.MISSED: 5, Verdict.LATE: 4, Verdict.NOT_ASSESSABLE: 3, Verdict.INFO: 2,
            Verdict.NOT_APPLICABLE: 1, Verdict.MET: 0}
SEVERITY_RANK = {Severity.MAJOR: 2, Severity.MINOR: 1, Severity.INFO: 0}
ATTENTION = (Verdict.LATE, Verdict.MISSED, Verdict.VIOLATION)


def json_number(x: float | None, nd: int = 3) -> float | None:
    """A JSON-safe rounded number: None for None/NaN/inf."""
    if x is None:
        return None
    x = float(x)
    if not math.isfinite(x):
        return None
    return round(x, nd)


def csv_number(x: float | None, nd: int = 2) -> str:
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


def as_verdict(v: Verdict | str) -> Verdict:
    """A verdict from its enum or its string value."""
    return v if isinstance(v, Verdict) else Verdict(str(v))


def finding_badness(f: Finding) -> tuple[int, int]:
    """Sort key: larger is worse (verdict first, then severity)."""
    return BADNESS[as_verdict(f.verdict)], SEVERITY_RANK.get(f.severity, 0)


def worst_finding(findings: list[Finding]) -> Finding | None:
    """The worst of ``findings`` (earliest among equals), None for an empty list."""
    if not findings:
        return None
    return max(findings, key=lambda f: (finding_badness(f), -f.start_s))


RECEPTION_KINDS = {"stand_greet": "greet", "stand_send_off": "send_off"}
"""Which half of 站接站送 each rule kind grades."""


def reception_kind(rule_kind: str) -> str | None:
    """Which half of 站接站送 a rule of this kind grades: ``greet`` (站接), ``send_off`` (站送) or None."""
    return RECEPTION_KINDS.get(rule_kind)


def person_sort_key(p: str) -> tuple[int, int, str]:
    """Clerks first, then customers by track id, then anyone else."""
    base, _, rest = p.partition("@")[0].partition("#")
    order = {"clerk": 0, "customer": 1}.get(base, 2)
    return order, int(rest) if rest.isdigit() else 0, p


def rel_path(path: str | None, base_dir: Path, out_dir: Path) -> str | None:
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



def finding_title(f: Finding, lang: str) -> str:
    """The rule's title in ``lang`` (the other language's, or the rule id, when missing)."""
    return (f.title_zh or f.title_en or f.rule_id) if lang == "zh" else (f.title_en or f.title_zh or f.rule_id)


def finding_tooltip(f: Finding, number: int, lang: str) -> str:
    """A finding's hover text: number, title, verdict, time, person, measurement and note."""
    L = labels(lang)
    parts = [f"#{number} {finding_title(f, lang)} — {verdict_label(as_verdict(f.verdict).value, lang)}",
             f"{fmt_clock(f.start_s)} – {fmt_clock(f.end_s)} · {person_label(f.person, lang)}"]
    if f.measured_value is not None:
        thr = threshold_display(f, lang)
        parts.append(f"{L['measured']}: {fmt_measured(f.measured_value, f.measured_unit, lang)}"
                     + (f" ({L['threshold']} {thr})" if thr else ""))
    if f.note:
        parts.append(f.note)
    return "\n".join(parts)

