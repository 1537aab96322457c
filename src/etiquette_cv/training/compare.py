"""Comparing attempts: two scored attempts of one scenario step by step (improved / worse / same), and a trainee's
history over several attempts."""

from __future__ import annotations

import math
from dataclasses import dataclass

from .results import ScoreResult, StepResult
from .texts import verdict_text

VERDICT_RANK = {"done": 0, "late": 1, "out_of_order": 2, "wrong_form": 2, "wrong_class": 3, "missing": 4}
"""Lower is better; ``not_assessable`` has no rank (nothing to compare)."""


@dataclass(frozen=True)
class StepChange:
    """One step in two attempts."""

    step_id: str
    title_zh: str
    title_en: str
    before: StepResult | None
    after: StepResult | None
    change: str
    """``improved`` | ``worse`` | ``same`` | ``not_comparable`` (a side not assessable or the step absent)."""
    why_en: str
    why_zh: str


def _angle_error(s: StepResult) -> float | None:
    """How far a bow's peak is from its band's nearest edge (degrees; 0 inside), None without a bow."""
    e = s.event
    if e is None or s.band_deg is None or not math.isfinite(e.peak_angle_deg):
        return None
    lo, hi = s.band_deg
    return max(lo - e.peak_angle_deg, e.peak_angle_deg - hi, 0.0)


def _compare_step(a: StepResult | None, b: StepResult | None) -> tuple[str, str, str]:
    """(change, why in English, why in Chinese) of one step from attempt ``a`` to attempt ``b``."""
    if a is None or b is None or "not_assessable" in (a.verdict, b.verdict):
        return "not_comparable", "not assessable in one of the attempts", "其中一次无法评定"
    ra, rb = VERDICT_RANK[a.verdict], VERDICT_RANK[b.verdict]
    if ra != rb:
        change = "improved" if rb < ra else "worse"
        return (change, f"{verdict_text(a.verdict, 'en')} → {verdict_text(b.verdict, 'en')}",
                f"{verdict_text(a.verdict, 'zh')} → {verdict_text(b.verdict, 'zh')}")
    ea, eb = _angle_error(a), _angle_error(b)
    if ea is not None and eb is not None and abs(ea - eb) >= 1.0:
        change = "improved" if eb < ea else "worse"
        return (change, f"bow {a.event.peak_angle_deg:.0f}° → {b.event.peak_angle_deg:.0f}° "
                        f"({ea:.0f}° → {eb:.0f}° outside the band)",
                f"鞠躬{a.event.peak_angle_deg:.0f}° → {b.event.peak_angle_deg:.0f}°（偏离范围{ea:.0f}° → {eb:.0f}°）")
    da, db = a.delay_s, b.delay_s
    if a.verdict == "late" and da is not None and db is not None and abs(da - db) >= 0.5:
        change = "improved" if db < da else "worse"
        return change, f"delay {da:+.1f} s → {db:+.1f} s", f"用时{da:+.1f}秒 → {db:+.1f}秒"
    return "same", f"{verdict_text(a.verdict, 'en')} both times", f"两次均为“{verdict_text(a.verdict, 'zh')}”"


def compare_attempts(before: ScoreResult, after: ScoreResult) -> list[StepChange]:
    """Each step of ``before``'s scenario (then any only in ``after``) compared between the two attempts."""
    if before.scenario != after.scenario:
        raise ValueError(f"the attempts are of different scenarios ({before.scenario} and {after.scenario})")
    a_steps = {s.step_id: s for s in before.steps}
    b_steps = {s.step_id: s for s in after.steps}
    order = [s.step_id for s in before.steps] + [k for k in b_steps if k not in a_steps]
    out = []
    for sid in order:
        a, b = a_steps.get(sid), b_steps.get(sid)
        ref = a or b
        change, en, zh = _compare_step(a, b)
        out.append(StepChange(sid, ref.title_zh, ref.title_en, a, b, change, en, zh))
    return out
